// Docker image references ("registry:5000/path/name:tag", "path/name@sha256:...") taken apart
// the way the diff, the release record and rollback need.
#pragma once

#include <string>
#include <vector>

namespace jlrec {

/// The repository of `ref`: "host:port/name:tag" -> "host:port/name"; a digest reference
/// "name@sha256:..." -> "name". (A ':' after the last '/' starts the tag.)
std::string RepoOf(const std::string& ref);

/// The digest ("sha256:...") among `repo_digests` (an image's RepoDigests, "repo@sha256:...")
/// that belongs to `repo`; "" when none does.
std::string DigestFor(const std::string& repo, const std::vector<std::string>& repo_digests);

}  // namespace jlrec
