#include "engine/saved_plan.h"

#include "engine/diff.h"
#include "model/digest.h"
#include "model/image_reference.h"

namespace jlrec {

namespace {

// How `now` differs from what a saved plan was made for (`planned`, digests only): "" when
// it does not.
std::string WhatDiffers(const DesiredContainer& planned, const DesiredContainer& now) {
  if (planned.spec.image != now.spec.image)
    return "image (" + now.spec.image + "; the plan showed " + planned.spec.image + ")";
  if (planned.spec_digest != now.spec_digest) return "spec";
  if (planned.script_digest != now.script_digest) return "/run.sh";
  return "";
}

}  // namespace

Status AttachDesired(Plan& plan, const DesiredState& desired) {
  if (plan.manifest_digest != desired.manifest_digest)
    return Status::Conflict("stale plan: the manifest changed since the plan was made");
  if (plan.project != desired.project)
    return Status::Conflict("stale plan: it is for project '" + plan.project + "', not '" +
                            desired.project + "'");
  std::map<std::string, const DesiredContainer*> by_ref;
  for (const auto& c : desired.containers) by_ref[c.Ref()] = &c;
  for (auto& a : plan.actions) {
    if (a.kind == ActionKind::kRemove) continue;
    auto it = by_ref.find(a.Ref());
    if (it == by_ref.end())
      return Status::Conflict("stale plan: " + a.Ref() + " is no longer in the manifest");
    const DesiredContainer& now = *it->second;
    // The plan was shown with the digests it keeps; apply makes exactly that, or nothing.
    // (Equal manifest digests are not enough: a plan made from an altered cache of the
    // manifest would carry the right manifest digest and other containers.)
    if (IsExecutable(a.kind) || a.kind == ActionKind::kConflict) {
      if (!a.desired)
        return Status::Conflict("stale plan: " + a.Ref() +
                                " has no record of what it was planned for (a plan from an "
                                "older jlrec); make a new plan");
      if (std::string what = WhatDiffers(*a.desired, now); !what.empty())
        return Status::Conflict("stale plan: the manifest as loaded now asks " + a.Ref() +
                                " for another " + what + " than the plan showed; make a new plan");
    }
    // A pinned image must be the desired repository's: apply runs exactly it.
    if (!a.pinned_image.empty() && RepoOf(a.pinned_image) != RepoOf(now.spec.image))
      return Status::Conflict("stale plan: " + a.Ref() + " is pinned to " + a.pinned_image +
                              ", which is not an image of " + now.spec.image);
    a.desired = now;
  }
  return Status::Ok();
}

Status CheckFingerprints(Plan& plan, const std::map<std::string, Provider*>& providers,
                         const std::string& script_key) {
  for (auto& a : plan.actions) {
    if (!IsExecutable(a.kind)) continue;
    auto p = providers.find(a.host);
    if (p == providers.end() || !p->second)
      return Status::Unavailable("host " + a.host + " could not be reached to check the plan");
    Provider& provider = *p->second;
    auto live = provider.InspectContainer(a.name);
    LiveFingerprint now;
    if (live.ok()) {
      auto script = provider.ReadFile(live->id, "/run.sh");
      if (!script.ok()) return script.status().WithContext(a.Ref());
      if (script->has_value()) {
        live->script_digest = ScriptDigest(script_key, **script);
        // As a refresh keeps it: the printed plan shows how it differs from the manifest's.
        if (a.desired && a.desired->script_digest != *live->script_digest)
          live->script_content = std::move(**script);
      }
      now = FingerprintOf(&*live);
      a.live = *live;
    } else if (live.status().code() != Status::Code::kNotFound) {
      return live.status().WithContext(a.Ref());
    }
    if (!(now == a.fingerprint)) {
      std::string what;
      if (now.exists != a.fingerprint.exists)
        what = now.exists ? "it was created" : "it was removed";
      else if (now.container_id != a.fingerprint.container_id)
        what = "it was recreated";
      else if (now.spec_digest != a.fingerprint.spec_digest)
        what = "its spec changed";
      else if (now.script_digest != a.fingerprint.script_digest)
        what = "its /run.sh changed";
      else
        what = "its state went from " + a.fingerprint.state + " to " + now.state;
      return Status::Conflict("stale plan: " + a.Ref() + " changed since the plan was made (" +
                              what + "); make a new plan");
    }
    if (a.previous) {
      // The interrupted replace's previous container must still be the one the plan saw.
      auto previous = provider.InspectContainer(a.previous->id);
      if (!previous.ok() && previous.status().code() == Status::Code::kNotFound)
        return Status::Conflict("stale plan: " + a.previous->name + " on " + a.host +
                                " is gone since the plan was made; make a new plan");
      if (!previous.ok()) return previous.status().WithContext(a.Ref());
      a.previous = *previous;
    }
  }
  return Status::Ok();
}

}  // namespace jlrec
