#include "model/provider.h"

namespace jlrec {

Result<std::vector<ContainerReading>> Provider::ReadContainers(
    const ContainerReadRequest& request) {
  auto listed = ListContainers(request.project, request.names);
  if (!listed.ok()) return listed.status();
  std::vector<ContainerReading> out;
  out.reserve(listed->size());
  for (LiveContainer& c : *listed) {
    ContainerReading reading;
    if (!request.stat_path.empty()) {
      auto stat = StatFile(c.id, request.stat_path);
      // Removed between the list and the stat: gone, as a later list would say.
      if (!stat.ok() && stat.status().code() == Status::Code::kNotFound) continue;
      if (!stat.ok())
        return stat.status().WithContext("reading " + request.stat_path + " of " + c.name);
      reading.stat = std::move(*stat);
    }
    reading.container = std::move(c);
    out.push_back(std::move(reading));
  }
  return out;
}

ProviderTraffic Provider::TrafficSince(std::chrono::steady_clock::time_point) const { return {}; }

}  // namespace jlrec
