#include "engine/saved_plan.h"

#include "engine/diff.h"
#include "model/digest.h"

namespace jlrec {

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
    a.desired = *it->second;
  }
  return Status::Ok();
}

Status CheckFingerprints(Plan& plan, const std::map<std::string, Provider*>& providers) {
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
      if (script->has_value()) live->script_digest = Sha256Hex(**script);
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
