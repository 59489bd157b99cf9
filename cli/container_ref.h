// Naming one container on the command line (`jlrec logs REF`, `jlrec exec REF`): HOST/NAME,
// or the name alone when the manifest places a container of that name on one host only.
#pragma once

#include <string>
#include <string_view>

#include "model/desired_state.h"
#include "model/status.h"

namespace jlrec::cli {

/// A container on a host of the manifest.
struct ContainerRef {
  std::string host;          ///< a key of DesiredState::hosts
  std::string container;     ///< the container's name on that host
  bool in_manifest = false;  ///< the manifest places it there (else only HOST/NAME named it)
  /// "HOST/NAME", as plans and targets write it.
  std::string Text() const { return host + "/" + container; }
};

/// Resolves `ref` against `desired`, without contacting a host:
///  - "HOST/NAME": HOST must be a host of the manifest; NAME may be any container on it, one
///    the manifest does not place there included (a replace's NAME.jlrec-prev, a container of
///    another tool): the host's daemon has the last word on it;
///  - "NAME": the container of that name the manifest places on exactly one host, whatever its
///    groups.
/// Errors, each a message for the operator: kInvalidArgument for an empty or malformed ref
/// (more than one '/', an empty part), a host named alone (listing its containers), and a name
/// the manifest places on several hosts (listing them as HOST/NAME); kNotFound for an unknown
/// host or name, with "did you mean ...?" (NearestName over the manifest's host keys or
/// container names) when one is close.
Result<ContainerRef> ResolveContainerRef(const DesiredState& desired, std::string_view ref);

/// What to say when the daemon of `ref`'s host has no container `ref.container`:
/// "no container NAME on HOST", with "did you mean HOST/OTHER?" when the manifest places a
/// container of a close name on that host; for a container the manifest places there, that
/// it is not created yet.
std::string MissingContainerMessage(const DesiredState& desired, const ContainerRef& ref);

}  // namespace jlrec::cli
