#include "serve/group_counts.h"

namespace jlrec::serve {

ContainerStatus StatusCounts::worst() const {
  ContainerStatus worst = ContainerStatus::kInSync;
  for (ContainerStatus s : kAllContainerStatuses)
    if ((*this)[s] > 0) worst = WorseStatus(worst, s);
  return worst;
}

std::map<std::string, StatusCounts> CountByGroup(const Plan& plan) {
  std::map<std::string, StatusCounts> counts;
  for (const auto& g : plan.groups) counts[g];
  const auto add = [&](const std::vector<std::string>& groups, ContainerStatus status) {
    for (const auto& g : groups) {
      auto it = counts.find(g);
      // A container's other groups count only when the plan selected them.
      if (it != counts.end()) ++it->second.by_status[static_cast<int>(status)];
    }
  };
  for (const auto& a : plan.actions) add(a.groups, ContainerStatusOf(a));
  for (const auto& n : plan.noops) add(n.groups, ContainerStatus::kInSync);
  return counts;
}

}  // namespace jlrec::serve
