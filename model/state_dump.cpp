#include "model/state_dump.h"

#include <set>

namespace jlrec {

std::vector<std::string> StateDump::Projects() const {
  std::set<std::string> names;
  for (const Run& r : runs) names.insert(r.run.project);
  for (const DriftCheckRecord& c : drift_checks) names.insert(c.project);
  for (const Failure& f : failures) names.insert(f.project);
  for (const Adopted& a : adoptions) names.insert(a.project);
  for (const Host& h : hosts) names.insert(h.project);
  for (const KeyId& k : key_ids) names.insert(k.project);
  return {names.begin(), names.end()};
}

}  // namespace jlrec
