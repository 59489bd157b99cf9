// Rollback (after Kamal's): put a group's containers back on the images an earlier release
// left running, with the manifest's current settings otherwise. Pure: the CLI reads the
// journal and the hosts, this decides.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/desired_state.h"
#include "model/live_state.h"
#include "model/release_record.h"
#include "model/status.h"

namespace jlrec {

/// One release the journal holds: a finished apply (or rollback) and its release record.
struct ReleaseCandidate {
  std::int64_t run_id = 0;
  bool succeeded = false;  ///< the run ended "ok"
  std::vector<ReleasedContainer> containers;
};

/// The entries of `release` that belong to `group` and that a rollback can use: a container
/// the run left in place, with an image digest or id to go back to.
std::vector<ReleasedContainer> GroupRelease(const std::vector<ReleasedContainer>& release,
                                            const std::string& group);

/// The image reference a rollback runs for `entry`: "REPO@sha256:..." of the registry digest
/// it ran, or its local image id when the image has no registry digest.
std::string RollbackImage(const ReleasedContainer& entry);

/// Picks the release to roll `group` back to among `newest_first`: the newest successful one
/// whose images for the group differ from what `live` runs now (the release in place now
/// is not "previous"). kNotFound, saying why, when there is none.
Result<std::int64_t> PreviousRelease(const std::vector<ReleaseCandidate>& newest_first,
                                     const std::string& group, const RefreshResult& live);

/// `desired` with the containers of `group` that `release` holds pinned to the images it
/// ran (RollbackImage), their spec digests recomputed; everything else as the manifest says.
/// Refs of the group's containers the release does not hold go to `not_in_release`.
DesiredState PinnedToRelease(const DesiredState& desired, const std::string& group,
                             const std::vector<ReleasedContainer>& release,
                             std::vector<std::string>* not_in_release);

}  // namespace jlrec
