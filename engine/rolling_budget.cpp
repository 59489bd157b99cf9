#include "engine/rolling_budget.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace jlrec {

Result<int> ParseMaxUnavailable(const std::string& value, int total) {
  const std::string v = value.empty() ? kDefaultMaxUnavailable : value;
  const bool percent = v.back() == '%';
  const std::string_view digits(v.data(), v.size() - (percent ? 1 : 0));
  int n = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n < 0 ||
      (percent && n > 100))
    return Status::InvalidArgument(
        "max_unavailable must be a count \"N\" or a percentage "
        "\"N%\" (0-100), got \"" +
        value + "\"");
  // Rounding down errs on the side of availability; at least one keeps apply moving.
  const long long count = percent ? static_cast<long long>(total) * n / 100 : n;
  return std::max(1, static_cast<int>(std::min<long long>(count, std::max(total, 1))));
}

bool TakesContainerDown(const PlanAction& action) {
  if (action.kind != ActionKind::kReplace && action.kind != ActionKind::kUpdate) return false;
  // A container that is not running is already down: touching it takes nothing away.
  return !action.live || action.live->running();
}

std::map<std::string, int> GroupSizes(const Plan& plan) {
  std::map<std::string, std::set<std::string>> members;
  for (const PlanAction& a : plan.actions)
    if (a.desired)
      for (const std::string& g : a.desired->groups) members[g].insert(a.desired->Ref());
  // Unchanged containers carry no copy of their desired side; their groups and names are
  // the desired ones.
  for (const UnchangedContainer& a : plan.noops)
    for (const std::string& g : a.groups) members[g].insert(a.Ref());
  std::map<std::string, int> sizes;
  for (const auto& [g, refs] : members) sizes[g] = static_cast<int>(refs.size());
  return sizes;
}

Result<RollingBudget> RollingBudget::Make(
    const std::map<std::string, int>& sizes,
    const std::map<std::string, std::string>& max_unavailable) {
  RollingBudget budget;
  for (const auto& [group, size] : sizes) {
    auto it = max_unavailable.find(group);
    Result<int> limit = ParseMaxUnavailable(it == max_unavailable.end() ? "" : it->second, size);
    if (!limit.ok()) return limit.status().WithContext("group " + group);
    budget.limit_[group] = *limit;
  }
  return budget;
}

bool RollingBudget::Fits(const std::vector<std::string>& groups) const {
  for (const std::string& g : groups) {
    auto down = down_.find(g);
    if ((down == down_.end() ? 0 : down->second) + 1 > Limit(g)) return false;
  }
  return true;
}

void RollingBudget::Take(const std::vector<std::string>& groups) {
  for (const std::string& g : groups) ++down_[g];
}

void RollingBudget::Give(const std::vector<std::string>& groups) {
  for (const std::string& g : groups) --down_[g];
}

int RollingBudget::Limit(const std::string& group) const {
  auto it = limit_.find(group);
  return it == limit_.end() ? 1 : it->second;
}

}  // namespace jlrec
