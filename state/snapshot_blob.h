// One host's cached containers as a single binary value (hosts.snapshot, schema version 4):
// a plan from the cache reads one value per host instead of decoding a row and three JSON
// columns per container. The containers rows stay the record other queries use; both are
// written in the same transaction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/live_state.h"
#include "model/status.h"

namespace jlrec {

/// Encodes `containers` (never their script_env, which holds secrets).
std::string EncodeHostContainers(const std::vector<LiveContainer>& containers);

/// Decodes EncodeHostContainers output of this format; kInvalidArgument for anything else
/// (an older format included: the caller then reads the rows).
Result<std::vector<LiveContainer>> DecodeHostContainers(std::string_view bytes);

}  // namespace jlrec
