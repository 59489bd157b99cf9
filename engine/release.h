// Building the release record of an apply (see engine/release_record.h) from its plan, its
// outcomes and what the hosts show once it ended.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/plan.h"
#include "model/live_state.h"
#include "model/release_record.h"

namespace jlrec {

/// The registry digest ("sha256:...") of the image a container on `host` runs, given the
/// reference it was made from and its local image id; "" when it cannot be told (a local-only
/// image, an unreachable host).
using ImageDigestLookup = std::function<std::string(
    const std::string& host, const std::string& image, const std::string& image_id)>;

/// The release record of applying `plan` with `result` (outcomes parallel to plan.actions):
/// one entry per container of the plan (its actions in plan order, removes included, then
/// its unchanged containers), each as `after` shows it (host key -> a snapshot taken once
/// the apply ended; a host absent or unreachable leaves ids and digests empty).
std::vector<ReleasedContainer> ReleaseOf(const Plan& plan, const ApplyResult& result,
                                         const std::map<std::string, const HostSnapshot*>& after,
                                         const ImageDigestLookup& digest_of);

/// The image digests `snapshot` already knows (from a refresh's registry checks) for the
/// image `image_id` of repository RepoOf(`image`), or "".
std::string KnownImageDigest(const HostSnapshot& snapshot, const std::string& image,
                             const std::string& image_id);

}  // namespace jlrec
