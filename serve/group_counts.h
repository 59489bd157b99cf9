// How many containers of each group are in sync, drifted, failed or unknown: what the groups
// route, the status page and the metrics (serve's and drift --textfile's) all count.
#pragma once

#include <array>
#include <map>
#include <string>

#include "engine/plan.h"
#include "serve/container_status.h"

namespace jlrec::serve {

/// Containers by status, indexed by ContainerStatus.
struct StatusCounts {
  std::array<int, 4> by_status{};  ///< by static_cast<int>(ContainerStatus)
  /// The count of `status`.
  int operator[](ContainerStatus status) const { return by_status[static_cast<int>(status)]; }
  /// Every container counted.
  int total() const { return by_status[0] + by_status[1] + by_status[2] + by_status[3]; }
  /// The worst status with a non-zero count (in sync when empty).
  ContainerStatus worst() const;
};

/// The counts of every group `plan` selected (zero counts included), from its actions and its
/// no-ops; a container in several groups counts in each. Orphans are not counted: they belong
/// to no group of the manifest.
std::map<std::string, StatusCounts> CountByGroup(const Plan& plan);

}  // namespace jlrec::serve
