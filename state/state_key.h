// The key kept beside a state file: it authenticates what the state caches (a MAC over the
// resolved manifest) and keys the digests jlrec stores of scripts, so that neither a state
// file edited on its own nor anything jlrec stores or shows can stand in for the real thing
// or confirm a guessed secret. It lives outside the state file on purpose: a copy of the
// state (a backup, a bug report) carries no key.
#pragma once

#include <string>

#include "model/status.h"

namespace jlrec {

/// Where the key of the state file `state_path` lives: `<state_path>.key`.
std::string StateKeyPath(const std::string& state_path);

/// The 32-byte key of the state file `state_path`, read from StateKeyPath(). kNotFound when
/// there is none. kInvalidArgument when the file is not a regular file of 32 bytes (a FIFO or
/// a symbolic link is never followed into), or anyone may read it (its mode gives "other"
/// any access).
Result<std::string> LoadStateKey(const std::string& state_path);

/// A new random key, for a state file that has none yet.
Result<std::string> NewStateKey();

/// Writes `key` (mode 0600, synced, whole before it is visible) as the key of `state_path`
/// unless one is there already, and returns the key that is there now: `key`, or the one a
/// concurrent jlrec saved first.
Result<std::string> SaveStateKey(const std::string& state_path, const std::string& key);

}  // namespace jlrec
