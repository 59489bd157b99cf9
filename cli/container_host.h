// Reaching the container a command line names (`jlrec logs REF`, `jlrec exec REF`): the
// manifest loaded, the ref resolved, and its host's provider opened with the command line's
// connection settings (--known-hosts, --ssh-config, --accept-new-host-keys, the timeouts) over
// the manifest's: the same SSH + Docker Engine API connection plan and apply use.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/container_ref.h"
#include "cli/run_context.h"
#include "model/desired_state.h"
#include "model/provider.h"

namespace jlrec::cli {

/// A container named on the command line, with a connection to its host.
struct ContainerTarget {
  DesiredState desired;
  ContainerRef ref;
  std::unique_ptr<Provider> provider;  ///< the host's
};

/// Loads the manifest (`flags`), resolves `ref` (ResolveContainerRef) and connects to its
/// host; prints what went wrong (the manifest's diagnostics, the ref's or the host's error)
/// and returns nullopt on failure.
std::optional<ContainerTarget> ReachContainer(const CommonFlags& flags, const std::string& ref);

}  // namespace jlrec::cli
