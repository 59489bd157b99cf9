#include "engine/script_ledger.h"

namespace jlrec {

void ScriptLedger::Record(const std::string& container_id, const std::string& stat,
                          const std::string& digest) {
  if (stat.empty() || container_id.empty()) return;
  MutexLock lock(mu_);
  written_[container_id] = KnownScript{stat, digest};
}

std::shared_ptr<const KnownScripts> ScriptLedger::MergedOver(const KnownScripts& base) const {
  auto merged = std::make_shared<KnownScripts>(base);
  MutexLock lock(mu_);
  for (const auto& [id, script] : written_) (*merged)[id] = script;
  return merged;
}

}  // namespace jlrec
