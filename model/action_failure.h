// A failed apply action, remembered in the state until it is redone: a failed deploy must
// never read as "in sync" once the container happens to look like the manifest.
#pragma once

#include <cstdint>
#include <string>

namespace jlrec {

/// One failed action (create, replace, update, start) of an apply or rollback. Kept until a
/// later action on that container succeeds, or the container changes (another id under the
/// name, or the manifest asks for another spec or script). Never holds secret values.
struct ActionFailure {
  std::string host;            ///< host key
  std::string container;       ///< container name
  std::string action;          ///< ActionName() of what failed: create, replace, update, start
  std::string container_id;    ///< the container the failure left under that name ("" = none)
  std::string spec_digest;     ///< DesiredContainer::spec_digest the action ran with
  std::string script_digest;   ///< DesiredContainer::script_digest the action ran with
  std::string reason;          ///< why it failed, e.g. "health check timed out after 3s (...)"
  bool rolled_back = false;    ///< the previous container or /run.sh was put back in place
  std::int64_t run_id = 0;     ///< the journal run it failed in
  std::int64_t failed_at = 0;  ///< unix seconds
  /// "host/container".
  std::string Ref() const { return host + "/" + container; }
  bool operator==(const ActionFailure&) const = default;
};

}  // namespace jlrec
