// The rolling budget (after Kubernetes' maxUnavailable): how many containers of one group
// apply may take down at the same time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/plan.h"
#include "model/status.h"

namespace jlrec {

/// The budget when a group sets none: a quarter of its containers (at least one).
inline constexpr const char* kDefaultMaxUnavailable = "25%";

/// How many of `total` containers may be down at once for `value`: "N" or "N%" of
/// `total` rounded down, "" meaning kDefaultMaxUnavailable; never less than 1.
/// kInvalidArgument for anything else ("abc", "-1", "150%").
Result<int> ParseMaxUnavailable(const std::string& value, int total);

/// True when `action` takes a running container down while it runs (a replace, or an
/// update's restart), so it must fit in its groups' budgets. Creates and starts bring a
/// container up; removes concern orphans no group wants any more.
bool TakesContainerDown(const PlanAction& action);

/// The number of desired containers of each group that `plan` covers (actions, including
/// conflicts and unknowns, and no-ops): the base a percentage budget is taken of.
std::map<std::string, int> GroupSizes(const Plan& plan);

/// Tracks how much of each group's budget the running actions use. Not thread-safe: the
/// executor's scheduler thread owns it.
class RollingBudget {
 public:
  /// Budgets for every group in `sizes`, from `max_unavailable` (group -> "N" | "N%";
  /// a missing group gets the default). kInvalidArgument naming the group for a bad value.
  static Result<RollingBudget> Make(const std::map<std::string, int>& sizes,
                                    const std::map<std::string, std::string>& max_unavailable);
  /// True when taking one container of each of `groups` down stays within every budget.
  bool Fits(const std::vector<std::string>& groups) const;
  /// Uses one unit of each of `groups`' budgets.
  void Take(const std::vector<std::string>& groups);
  /// Gives back what Take(`groups`) used.
  void Give(const std::vector<std::string>& groups);
  /// The budget of `group` (1 for a group with no known size).
  int Limit(const std::string& group) const;

 private:
  std::map<std::string, int> limit_;
  std::map<std::string, int> down_;
};

}  // namespace jlrec
