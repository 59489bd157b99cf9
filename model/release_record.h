// The release record: per apply (or rollback) run, what each container of the selected
// groups runs once the run is over. `jlrec history` shows it and `jlrec rollback` reads it.
#pragma once

#include <string>
#include <vector>

namespace jlrec {

/// One container as a run left it. Never holds secret values (digests only).
struct ReleasedContainer {
  std::string host;                 ///< host key
  std::string container;            ///< container name
  std::vector<std::string> groups;  ///< the groups it belongs to
  bool core = false;                ///< its unit is a group master
  std::string action;               ///< ActionName() of what the run did to it; "noop" when nothing
  /// How that ended: "succeeded", "failed", "rolled back", "skipped", "not started", or
  /// "unchanged" for a container the run left alone.
  std::string outcome;
  std::string image;  ///< the image reference the run asked for (tag, or repo@digest)
  std::string
      image_digest;      ///< the registry digest ("sha256:...") of the image it runs, "" unknown
  std::string image_id;  ///< the local image id ("sha256:...") it runs, "" when no container
  std::string container_id;   ///< the container under that name afterwards, "" when none
  std::string script_digest;  ///< sha256 of its /run.sh afterwards, "" when none
  /// "host/container".
  std::string Ref() const { return host + "/" + container; }
  bool operator==(const ReleasedContainer&) const = default;
};

}  // namespace jlrec
