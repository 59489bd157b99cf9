// An adopted container: one made outside jlrec (the legacy deploy script) that an apply took
// over as it was. Docker labels cannot be added to an existing container, so the state keeps
// this record instead, and plan, drift and --prune treat the container as managed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jlrec {

/// One adoption, by host and container name. Holds no secret values.
struct Adoption {
  std::string host;                 ///< host key
  std::string container;            ///< container name
  std::string container_id;         ///< the container adopted; another id under the name is not
  std::string spec_digest;          ///< SpecDigest of its spec as seen when adopted
  std::vector<std::string> groups;  ///< the groups it was adopted into (for orphan listings)
  bool core = false;                ///< its unit was a group master
  std::int64_t run_id = 0;          ///< the journal run that adopted it
  std::int64_t adopted_at = 0;      ///< unix seconds
  /// "host/container".
  std::string Ref() const { return host + "/" + container; }
  bool operator==(const Adoption&) const = default;
};

}  // namespace jlrec
