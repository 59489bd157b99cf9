#include "model/restart_policy.h"

#include <charconv>

namespace jlrec {

namespace {

// Parses `restart` into `policy`; returns what is wrong with it, or nullopt.
std::optional<std::string> Parse(std::string_view restart, RestartPolicy& policy) {
  if (restart.empty() || restart == "no") return std::nullopt;
  if (restart == "always" || restart == "unless-stopped" || restart == "on-failure") {
    policy.name = std::string(restart);
    return std::nullopt;
  }
  constexpr std::string_view kOnFailure = "on-failure:";
  if (restart.substr(0, kOnFailure.size()) == kOnFailure) {
    std::string_view digits = restart.substr(kOnFailure.size());
    int count = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || count < 0 ||
        count > 1000000)
      return "on-failure:N needs a non-negative retry count";
    policy.name = "on-failure";
    policy.maximum_retry_count = count;
    return std::nullopt;
  }
  return "restart must be no, always, unless-stopped, on-failure or on-failure:N";
}

}  // namespace

Result<RestartPolicy> ParseRestartPolicy(std::string_view restart) {
  RestartPolicy policy;
  if (auto problem = Parse(restart, policy))
    return Status::InvalidArgument("restart policy \"" + std::string(restart) + "\": " + *problem);
  return policy;
}

std::optional<std::string> RestartPolicyProblem(std::string_view restart) {
  RestartPolicy ignored;
  return Parse(restart, ignored);
}

}  // namespace jlrec
