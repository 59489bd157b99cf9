// The state key (state/state_key.h) of the state a command works on, from the CLI's side:
// every digest of a /run.sh the command computes, and the manifest cache's MAC, are keyed with
// it. A state shared by several checkouts (PostgreSQL) must be used under ONE key: the store
// records the id of the key its digests are made under (StateStore::ClaimStateKeyId), and a
// checkout holding another key is refused before it writes anything keyed.
#pragma once

#include <string>

#include "model/state_store.h"
#include "model/status.h"

namespace jlrec::cli {

/// The key in the key file `key_path` for this process: the saved one; when there is none
/// yet, a new random one kept in memory until ClaimStateKey saves it (a manifest that fails to
/// load, or a state that holds another key's digests, leaves no key file behind). The same key
/// for every call with one path. An error (a key file anyone may read, not a regular file of
/// the right size, unreadable) is the command's to report: nothing keyed may be computed
/// then. Call from the main thread.
Result<std::string> StateKeyFor(const std::string& key_path);

/// Checks that `store` holds `project`'s digests under the key of `key_path` (StateKeyFor's),
/// recording its id when the store has none yet (StateStore::ClaimStateKeyId). A key
/// StateKeyFor made is saved first (a claimed id whose key is nowhere would lock every
/// checkout out) and removed again unless the store accepted it. kConflict when the store's
/// digests were made under another key: the message names both ids and the key file, and says
/// to copy the team's key there or to point --state-key at it (the key itself is never
/// shown). An error saving the key, or the store's error, as it is. `sole_copy`: the key file
/// is the only place that key ever lived (an SQLite state's own `<file>.key`): when it is gone
/// the old key is lost for good, so a new key replaces it in the store (with a warning) rather
/// than locking the state out; a shared state's key (PostgreSQL) is the team's, and another
/// checkout still has it.
Status ClaimStateKey(StateStore& store, const std::string& project, const std::string& key_path,
                     bool sole_copy);

}  // namespace jlrec::cli
