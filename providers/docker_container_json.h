// Translation between jlrec's container model and the Docker Engine API's JSON: the body
// of POST /containers/create and the answer of GET /containers/{id}/json.
//
// Normalisation (so that what CreateContainer wrote reads back equal to its spec):
// - ports are canonical "[IP:]HOSTPORT:CONTAINERPORT/PROTO" strings, ranges expanded,
//   sorted (see CanonicalPorts; compare specs with canonical ports);
// - restart "" reads back as "no"; "on-failure:N" keeps its retry count;
// - network mode "default" (what Docker stores for "") reads back as "";
// - Docker copies the image's CMD, LABELs and HEALTHCHECK into a container: a Cmd equal to
//   the image's reads back as an empty command, a label equal (key and value) to one of the
//   image's is dropped, and a health check equal to the image's reads back as nullopt. A
//   command, label or health check written explicitly with exactly the image's value
//   therefore reads back as "image default";
// - a health check reads back from Config.Healthcheck: Test ["CMD", argv...] as argv,
//   ["CMD-SHELL", s] as {"/bin/sh", "-c", s}, ["NONE"] (disabled) or none at all as nullopt;
//   nanosecond durations as milliseconds; StartPeriod (jlrec writes the timeout there) is
//   not part of the spec.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/container_spec.h"
#include "model/live_state.h"
#include "model/port_spec.h"
#include "model/provider.h"
#include "model/restart_policy.h"
#include "model/status.h"
#include "providers/json_selection.h"

namespace jlrec {

/// What an image contributes to the config of containers created from it.
struct ImageDefaults {
  std::vector<std::string> cmd;               ///< Config.Cmd
  std::map<std::string, std::string> labels;  ///< Config.Labels
  std::optional<Healthcheck> healthcheck;     ///< Config.Healthcheck, read like a container's
};

/// The ImageDefaults in a GET /images/{ref}/json answer. kRemoteError if the JSON does not
/// have the shape Docker gives it.
Result<ImageDefaults> ImageDefaultsFromInspect(const nlohmann::json& image);

/// The members of a GET /images/{ref}/json answer that ImageDefaultsFromInspect reads, and
/// RepoDigests: what to parse of an image inspect.
const JsonSelection& ImageInspectSelection();

/// The members of a GET /containers/{id}/json answer that LiveContainerFromInspect reads:
/// what to parse of a container inspect (its environment, mounts and network settings are
/// not read).
const JsonSelection& ContainerInspectSelection();

/// The LiveContainer described by a GET /containers/{id}/json answer, normalised against
/// the container's image (`image` may be null when the image is unknown).
/// kRemoteError if the JSON does not have the shape Docker gives it.
Result<LiveContainer> LiveContainerFromInspect(const nlohmann::json& inspect,
                                               const ImageDefaults* image);

/// The body of POST /containers/create for `request`. kInvalidArgument for an empty image,
/// a jlrec.* key among spec.labels, a non-jlrec key among jlrec_labels, a bad port or
/// restart spec, or a health check without a command or with a negative duration or retry
/// count.
Result<nlohmann::json> ContainerCreateBody(const CreateContainerRequest& request);

}  // namespace jlrec
