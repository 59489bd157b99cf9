// The key kept beside a state file: it authenticates what the state caches (a MAC over the
// resolved manifest) and keys the digests jlrec stores of scripts, so that neither a state
// file edited on its own nor anything jlrec stores or shows can stand in for the real thing
// or confirm a guessed secret. It lives outside the state file on purpose: a copy of the
// state (a backup, a bug report) carries no key.
#pragma once

#include <string>

#include "model/status.h"
#include "state/state_location.h"

namespace jlrec {

/// Where the key of the state file `state_path` lives: `<state_path>.key`.
std::string StateKeyPath(const std::string& state_path);

/// Where the key of the state at `location` lives unless the operator names a key file:
/// SQLite: StateKeyPath(path). PostgreSQL: `<directory of manifest_path>/.jlrec/
/// postgresql-state.key` (the key is the team's: every checkout that shares the database
/// holds a copy, as it holds the manifest).
std::string DefaultStateKeyPath(const StateLocation& location, const std::string& manifest_path);

/// The public id of `key` (32 hex characters): an HMAC-SHA-256 of a fixed text under the key,
/// truncated. It tells which key a state's digests are made under, and reveals nothing that
/// would confirm a guess of the key or of any secret.
std::string StateKeyId(const std::string& key);

/// The 32-byte key in the key file `key_path` (for an SQLite state: StateKeyPath(state)).
/// kNotFound when there is none. kInvalidArgument when the file is not a regular file of 32
/// bytes (a FIFO or a symbolic link is never followed into), or anyone may read it (its mode
/// gives "other" any access).
Result<std::string> LoadStateKeyFile(const std::string& key_path);

/// A new random key, for a state that has none yet.
Result<std::string> NewStateKey();

/// Writes `key` (mode 0600, synced, whole before it is visible) to the key file `key_path`
/// unless one is there already, and returns the key that is there now: `key`, or the one a
/// concurrent jlrec saved first. The file's folder is made (mode 0700) when it is missing,
/// not its parents.
Result<std::string> SaveStateKeyFile(const std::string& key_path, const std::string& key);

/// Removes the key file `key_path` when it holds `key` (a key this process saved and must
/// not leave behind); ok when it is gone or holds another key.
Status RemoveStateKeyFile(const std::string& key_path, const std::string& key);

}  // namespace jlrec
