#include "engine/release.h"

#include "model/image_reference.h"

namespace jlrec {

namespace {

const LiveContainer* FindLive(const std::map<std::string, const HostSnapshot*>& after,
                              const std::string& host, const std::string& name) {
  auto it = after.find(host);
  if (it == after.end() || !it->second || !it->second->reachable) return nullptr;
  for (const LiveContainer& lc : it->second->containers)
    if (lc.name == name) return &lc;
  return nullptr;
}

// Fills what the host shows of `entry`'s container; `image` is the reference asked for, or ""
// to take the one the container was made from.
void FillFromHost(ReleasedContainer& entry, const std::string& image,
                  const std::map<std::string, const HostSnapshot*>& after,
                  const ImageDigestLookup& digest_of) {
  entry.image = image;
  const LiveContainer* lc = FindLive(after, entry.host, entry.container);
  if (!lc) return;
  if (entry.image.empty()) entry.image = lc->spec.image;
  entry.container_id = lc->id;
  entry.image_id = lc->image_id;
  entry.script_digest = lc->script_digest.value_or("");
  if (digest_of && !lc->image_id.empty())
    entry.image_digest = digest_of(entry.host, entry.image, lc->image_id);
}

}  // namespace

std::vector<ReleasedContainer> ReleaseOf(const Plan& plan, const ApplyResult& result,
                                         const std::map<std::string, const HostSnapshot*>& after,
                                         const ImageDigestLookup& digest_of) {
  std::vector<ReleasedContainer> out;
  out.reserve(plan.actions.size() + plan.noops.size());
  for (std::size_t i = 0; i < plan.actions.size(); ++i) {
    const PlanAction& a = plan.actions[i];
    ReleasedContainer entry;
    entry.host = a.host;
    entry.container = a.name;
    entry.groups = a.groups;
    entry.core = a.core;
    entry.action = ActionName(a.kind);
    const ActionOutcome* o = i < result.outcomes.size() ? &result.outcomes[i] : nullptr;
    entry.outcome = !o               ? "not started"
                    : o->rolled_back ? "rolled back"
                                     : OutcomeStateName(o->state);
    std::string image;
    if (a.kind != ActionKind::kRemove && a.desired)
      image = a.pinned_image.empty() ? a.desired->spec.image : a.pinned_image;
    FillFromHost(entry, image, after, digest_of);
    out.push_back(std::move(entry));
  }
  for (const UnchangedContainer& u : plan.noops) {
    ReleasedContainer entry;
    entry.host = u.host;
    entry.container = u.name;
    entry.groups = u.groups;
    entry.core = u.core;
    entry.action = ActionName(ActionKind::kNoop);
    entry.outcome = "unchanged";
    FillFromHost(entry, "", after, digest_of);
    out.push_back(std::move(entry));
  }
  return out;
}

std::string KnownImageDigest(const HostSnapshot& snapshot, const std::string& image,
                             const std::string& image_id) {
  auto it = snapshot.image_repo_digests.find(image_id);
  if (it == snapshot.image_repo_digests.end()) return "";
  return DigestFor(RepoOf(image), it->second);
}

}  // namespace jlrec
