// Which state a command works on, and which key file goes with it: the operator's choice
// among a flag, the environment, the manifest and the default, made before the manifest is
// loaded (its digests are keyed with the state key, whose home depends on the state).
#pragma once

#include <string>

#include "cli/manifest_location.h"
#include "model/status.h"
#include "state/state_location.h"

namespace jlrec::cli {

/// A state and its key file.
struct StateChoice {
  StateLocation location;
  std::string key_path;  ///< the state key's file (state/state_key.h)
};

/// The state: `state_flag` (--state), else $JLREC_STATE, else the manifest's top-level
/// `state:` (a relative SQLite path taken from the folder of the file that sets it), else
/// DefaultStatePath(manifest_path); each parsed with ParseStateLocation. The key file:
/// `key_flag` (--state-key), else $JLREC_STATE_KEY, else DefaultStateKeyPath. Empty values
/// count as unset. kInvalidArgument naming where a bad value came from: "--state: ...",
/// "JLREC_STATE: ...", or the manifest's FILE:LINE:COL diagnostic (a value that is not a
/// string, set twice, a URL with a password: checked even when a flag wins over it). No message
/// ever holds a password: a URL that holds one is refused without being quoted. `getenv` defaults
/// to ::getenv.
Result<StateChoice> ChooseState(const std::string& state_flag, const std::string& key_flag,
                                const std::string& manifest_path, const GetenvFn& getenv = {});

}  // namespace jlrec::cli
