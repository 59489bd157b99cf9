// Hand-built plans for the apply graph and executor tests: a plan is made directly (no
// manifest, no diff) so each test states exactly the actions it is about.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/apply_observer.h"
#include "engine/executor.h"
#include "engine/plan.h"
#include "model/digest.h"
#include "support/fake_provider.h"

namespace jlrec::testing {

inline constexpr const char* kImage = "127.0.0.1:5000/jlrec-lab/base:1";

/// A desired container at `ref` ("host/name") in `groups`.
inline DesiredContainer Desired(const std::string& ref,
                                std::vector<std::string> groups = {"product"}, bool core = false) {
  DesiredContainer d;
  d.host = ref.substr(0, ref.find('/'));
  d.name = ref.substr(ref.find('/') + 1);
  d.groups = std::move(groups);
  d.core = core;
  d.spec.image = kImage;
  d.spec.network_mode = "host";
  d.spec.command = {"/bin/sh", "/run.sh"};
  d.script = "#!/bin/sh\nexport RUNTIME_MODE='dev_new'\nexec sleep 3600  # " + d.name + "\n";
  d.script_digest = ScriptDigest("", d.script);
  d.spec_digest = SpecDigest(d.spec);
  return d;
}

/// The id a test gives the live container behind an action at `ref`.
inline std::string LiveId(const std::string& ref) { return "live-" + Sha256Hex(ref).substr(0, 12); }

/// An action of `kind` on `ref`. Everything but create gets a live container (running,
/// except for start); everything but remove gets a desired container.
inline PlanAction Action(ActionKind kind, const std::string& ref, bool core = false,
                         std::vector<std::string> groups = {"product"}) {
  PlanAction a;
  a.kind = kind;
  a.host = ref.substr(0, ref.find('/'));
  a.name = ref.substr(ref.find('/') + 1);
  a.groups = groups;
  a.core = core;
  if (kind != ActionKind::kRemove) a.desired = Desired(ref, groups, core);
  if (kind != ActionKind::kCreate) {
    LiveContainer live;
    live.id = LiveId(ref);
    live.name = a.name;
    live.spec.image = kImage;
    live.state = kind == ActionKind::kStart ? "exited" : "running";
    live.jlrec_labels = {{labels::kProject, "jl"}, {labels::kUnit, ref}};
    a.live = live;
  }
  return a;
}

/// Apply options with short gates so failing gates end quickly; no test asserts on time.
inline ApplyOptions FastApplyOptions() {
  ApplyOptions o;
  o.poll_interval = std::chrono::milliseconds(1);
  o.running_gate_timeout = std::chrono::milliseconds(200);
  o.jlrec_version = "9.9.9";
  return o;
}

/// A plan of project "jl" holding `actions`.
inline Plan MakePlan(std::vector<PlanAction> actions) {
  Plan p;
  p.project = "jl";
  p.groups = {"product"};
  p.actions = std::move(actions);
  return p;
}

/// Puts on the fake hosts what `plan` found there: each action's live container (with
/// its old /run.sh) and the image, so the executor meets the world the plan saw.
inline void SeedHosts(FakeProviderFactory& hosts, const Plan& plan, bool with_image = true) {
  for (const PlanAction& a : plan.actions) {
    FakeProvider& host = hosts.Host(a.host);
    if (with_image) host.AddImage(kImage);
    if (!a.live) continue;
    FakeContainer c;
    c.live = *a.live;
    c.files["/run.sh"] = "#!/bin/sh\nexec sleep 3600  # old\n";
    host.AddContainer(c);
  }
}

/// host key -> Provider* for every host `plan` touches.
inline std::map<std::string, Provider*> ProvidersFor(FakeProviderFactory& hosts, const Plan& plan) {
  std::map<std::string, Provider*> out;
  for (const PlanAction& a : plan.actions) out[a.host] = &hosts.Host(a.host);
  return out;
}

/// Records what the executor reports; lets the test thread wait for progress. The
/// executor calls it from its scheduler thread, so the test thread reads under a lock.
class RecordingObserver : public ApplyObserver {
 public:
  void OnActionStart(const PlanAction& a) override {
    std::lock_guard lock(mu_);
    events_.push_back("start " + a.Ref());
    ++starts_;
    const int now = ++running_[a.host];
    max_running_[a.host] = std::max(max_running_[a.host], now);
    max_running_total_ = std::max(max_running_total_, ++running_total_);
    for (const auto& g : a.groups) {
      const int in_group = ++running_by_group_[g];
      max_running_by_group_[g] = std::max(max_running_by_group_[g], in_group);
    }
    running_refs_.insert(a.Ref());
    max_running_by_kind_[a.kind] =
        std::max(max_running_by_kind_[a.kind], ++running_by_kind_[a.kind]);
    cv_.notify_all();
  }
  void OnActionEnd(const PlanAction& a, const ActionOutcome& o) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::string(OutcomeStateName(o.state)) + " " + a.Ref());
    ++ends_[a.Ref()];
    if (running_refs_.erase(a.Ref())) {
      --running_[a.host];
      --running_total_;
      for (const auto& g : a.groups) --running_by_group_[g];
      --running_by_kind_[a.kind];
    }
    cv_.notify_all();
  }
  void OnStep(const PlanAction& a, const std::string& step) override {
    std::lock_guard lock(mu_);
    steps_.push_back(a.Ref() + ": " + step);
    cv_.notify_all();
  }

  /// Waits until `n` actions have started (false after 10 s, so a bug fails, not hangs).
  bool WaitForStarts(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return starts_ >= n; });
  }
  /// Waits until `n` reported steps contain `text`.
  bool WaitForSteps(const std::string& text, int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      int k = 0;
      for (const auto& s : steps_) k += s.find(text) != std::string::npos;
      return k >= n;
    });
  }

  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<std::string> steps() const {
    std::lock_guard lock(mu_);
    return steps_;
  }
  std::map<std::string, int> ends() const {
    std::lock_guard lock(mu_);
    return ends_;
  }
  /// Most actions the executor had running at once on `host` (exact: counted where it
  /// dispatches).
  int MaxRunning(const std::string& host) const {
    std::lock_guard lock(mu_);
    auto it = max_running_.find(host);
    return it == max_running_.end() ? 0 : it->second;
  }
  /// Most actions running at once overall.
  int MaxRunningTotal() const {
    std::lock_guard lock(mu_);
    return max_running_total_;
  }
  /// Most actions of group `g` running at once.
  int MaxRunningInGroup(const std::string& g) const {
    std::lock_guard lock(mu_);
    auto it = max_running_by_group_.find(g);
    return it == max_running_by_group_.end() ? 0 : it->second;
  }
  /// Most actions of `kind` running at once.
  int MaxRunningOfKind(ActionKind kind) const {
    std::lock_guard lock(mu_);
    auto it = max_running_by_kind_.find(kind);
    return it == max_running_by_kind_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_, steps_;
  std::map<std::string, int> ends_;
  int starts_ = 0;
  std::set<std::string> running_refs_;
  std::map<std::string, int> running_, max_running_, running_by_group_, max_running_by_group_;
  std::map<ActionKind, int> running_by_kind_, max_running_by_kind_;
  int running_total_ = 0, max_running_total_ = 0;
};

}  // namespace jlrec::testing
