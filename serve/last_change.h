// The newest journal action on each container: what the group view shows as its last change.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "model/state_store.h"
#include "model/status.h"

namespace jlrec::serve {

/// One container's newest journal action.
struct LastChange {
  std::int64_t at = 0;      ///< when it ended (unix seconds), or started while running
  std::int64_t run_id = 0;  ///< the apply or rollback run it belongs to
  std::string action;       ///< "create", "replace", "update", "start", ...
  std::string result;       ///< "succeeded", "failed", "running", "skipped", ...
};

/// The newest journal action per "host/container" among `project`'s newest `runs` apply and
/// rollback runs (bounded, so the cost does not grow with the journal: a container changed
/// only longer ago has none; other projects sharing the state file do not hide them). The
/// store's error when the journal cannot be read.
Result<std::map<std::string, LastChange>> LastChangesOf(StateStore& store,
                                                        const std::string& project, int runs = 20);

}  // namespace jlrec::serve
