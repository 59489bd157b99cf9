// The one restart-policy grammar: what a manifest may write in `restart:` and what apply
// asks Docker for.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/status.h"

namespace jlrec {

/// A parsed restart policy.
struct RestartPolicy {
  std::string name = "no";      ///< no, always, unless-stopped, on-failure
  int maximum_retry_count = 0;  ///< on-failure only
};

/// Parses "" / "no" / "always" / "unless-stopped" / "on-failure[:N]" ("" is "no").
/// kInvalidArgument, with RestartPolicyProblem's reason, for anything else.
Result<RestartPolicy> ParseRestartPolicy(std::string_view restart);

/// What is wrong with `restart` (the manifest's validation message), or nullopt when
/// ParseRestartPolicy accepts it.
std::optional<std::string> RestartPolicyProblem(std::string_view restart);

}  // namespace jlrec
