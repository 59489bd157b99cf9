#include "serve/container_status.h"

namespace jlrec::serve {

const char* ContainerStatusName(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::kInSync:
      return "in_sync";
    case ContainerStatus::kDrifted:
      return "drifted";
    case ContainerStatus::kFailed:
      return "failed";
    case ContainerStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

ContainerStatus ContainerStatusOf(const PlanAction& action) {
  if (action.kind == ActionKind::kNoop) return ContainerStatus::kInSync;
  switch (action.reason_kind) {
    case ReasonKind::kNone:
      return ContainerStatus::kInSync;
    case ReasonKind::kHostUnreachable:
      return ContainerStatus::kUnknown;
    case ReasonKind::kFailed:
    case ReasonKind::kUnhealthy:
    case ReasonKind::kRestartLoop:
      return ContainerStatus::kFailed;
    default:
      return ContainerStatus::kDrifted;
  }
}

}  // namespace jlrec::serve
