#include "engine/rollback.h"

#include <algorithm>

#include "model/image_reference.h"

namespace jlrec {

namespace {

bool InGroup(const std::vector<std::string>& groups, const std::string& group) {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

// The image id the live container at `ref` runs now ("" when none).
std::string RunningImageId(const RefreshResult& live, const ReleasedContainer& entry) {
  const HostSnapshot* snap = live.Find(entry.host);
  if (!snap || !snap->reachable) return "";
  for (const LiveContainer& lc : snap->containers)
    if (lc.name == entry.container) return lc.image_id;
  return "";
}

}  // namespace

std::vector<ReleasedContainer> GroupRelease(const std::vector<ReleasedContainer>& release,
                                            const std::string& group) {
  std::vector<ReleasedContainer> out;
  for (const ReleasedContainer& entry : release) {
    if (!InGroup(entry.groups, group) || entry.action == "remove") continue;
    if (entry.container_id.empty() || (entry.image_digest.empty() && entry.image_id.empty()))
      continue;
    out.push_back(entry);
  }
  return out;
}

std::string RollbackImage(const ReleasedContainer& entry) {
  if (!entry.image_digest.empty()) return RepoOf(entry.image) + "@" + entry.image_digest;
  return entry.image_id;
}

Result<std::int64_t> PreviousRelease(const std::vector<ReleaseCandidate>& newest_first,
                                     const std::string& group, const RefreshResult& live) {
  int successful = 0;
  for (const ReleaseCandidate& candidate : newest_first) {
    if (!candidate.succeeded) continue;
    std::vector<ReleasedContainer> entries = GroupRelease(candidate.containers, group);
    if (entries.empty()) continue;
    ++successful;
    // Containers that run nothing now cannot tell releases apart; the others must differ.
    bool any_running = false, differs = false;
    for (const ReleasedContainer& e : entries) {
      const std::string running = RunningImageId(live, e);
      if (running.empty()) continue;
      any_running = true;
      differs = differs || running != e.image_id;
    }
    if (differs || !any_running) return candidate.run_id;
  }
  if (successful == 0)
    return Status::NotFound("no earlier release of group '" + group +
                            "' to roll back to: the journal holds no successful apply of it");
  return Status::NotFound("no earlier release of group '" + group +
                          "' to roll back to: each of the " + std::to_string(successful) +
                          " successful applies the journal holds left the images it runs now "
                          "(name one with --to RUN)");
}

DesiredState PinnedToRelease(const DesiredState& desired, const std::string& group,
                             const std::vector<ReleasedContainer>& release,
                             std::vector<std::string>* not_in_release) {
  std::map<std::string, const ReleasedContainer*> by_ref;
  for (const ReleasedContainer& entry : release) by_ref[entry.Ref()] = &entry;
  DesiredState out = desired;
  for (DesiredContainer& c : out.containers) {
    if (!InGroup(c.groups, group)) continue;
    auto it = by_ref.find(c.Ref());
    if (it == by_ref.end()) {
      if (not_in_release) not_in_release->push_back(c.Ref());
      continue;
    }
    c.spec.image = RollbackImage(*it->second);
    c.spec_digest = SpecDigest(c.spec);
  }
  return out;
}

}  // namespace jlrec
