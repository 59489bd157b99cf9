#include "cli/container_host.h"

#include <iostream>

#include "cli/run_outcome.h"
#include "providers/ssh_provider.h"

namespace jlrec::cli {

std::optional<ContainerTarget> ReachContainer(const CommonFlags& flags, const std::string& ref) {
  auto desired = LoadDesiredState(flags);
  if (!desired) return std::nullopt;
  auto resolved = ResolveContainerRef(*desired, ref);
  if (!resolved.ok()) {
    std::cerr << "jlrec: " << resolved.status().message() << "\n";
    return std::nullopt;
  }
  AddOutcome("container", resolved->Text());
  // ResolveContainerRef only returns hosts of the manifest.
  const HostConnection& host = desired->hosts.at(resolved->host);
  auto provider = MakeSshProviderFactory()->Open(host, MakeRefreshOptions(flags).connect);
  if (!provider.ok()) {
    std::cerr << "jlrec: " << provider.status().message() << "\n";
    return std::nullopt;
  }
  return ContainerTarget{std::move(*desired), std::move(*resolved), std::move(*provider)};
}

}  // namespace jlrec::cli
