// The state key (state/state_key.h) of the state file a command works on, from the CLI's
// side: every digest of a /run.sh the command computes, and the manifest cache's MAC, are
// keyed with it.
#pragma once

#include <string>

#include "model/status.h"

namespace jlrec::cli {

/// The key of the state file at `state_path` for this process: the saved one; when there is
/// none yet, a new random one kept in memory until SavePendingStateKey saves it as the state
/// file is opened (a manifest that fails to load leaves no key file behind). The same key for
/// every call with one path. An error (a key file anyone may read, not a regular file of the
/// right size, unreadable) is the command's to report: nothing keyed may be computed then.
/// Call from the main thread.
Result<std::string> StateKeyFor(const std::string& state_path);

/// Saves the key StateKeyFor made for `state_path`, if it made one and it is not saved yet.
/// When another jlrec saved a key first, this process's digests were made under another key:
/// harmless (they differ from the labels it wrote, which only affects how a hand edit of
/// /run.sh is named), and logged. A failure to save is a warning: the next run makes a key.
void SavePendingStateKey(const std::string& state_path);

}  // namespace jlrec::cli
