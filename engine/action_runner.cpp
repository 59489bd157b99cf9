#include "engine/action_runner.h"
#include "model/strings.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

namespace jlrec {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kScriptPath = "/run.sh";
constexpr int kScriptMode = 0755;

std::string FormatDuration(milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// Failures worth polling through: the connection hiccuped, the daemon was slow.
bool IsTransient(const Status& s) {
  return s.code() == Status::Code::kUnavailable || s.code() == Status::Code::kTimeout;
}

// Sleeps `pause`, but never past `deadline`.
void PauseUntil(milliseconds pause, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  std::this_thread::sleep_for(std::clamp(pause, milliseconds(1), std::max(left, milliseconds(1))));
}

// The steps of one action. Every host-changing call goes through Mutate so the count
// ApplyResult reports is exactly what apply asked the hosts to change.
class ActionRun {
 public:
  ActionRun(const PlanAction& action, Provider& provider, const ActionSettings& settings,
            ImagePulls& images, std::atomic<std::uint64_t>& mutating_calls,
            const std::function<void(const std::string&)>& on_step)
      : a_(action),
        provider_(provider),
        settings_(settings),
        images_(images),
        mutating_calls_(mutating_calls),
        on_step_(on_step) {}

  // Runs the action; `container_id` is the container it leaves behind (or worked on).
  Status Run(std::string& container_id) {
    // A desired state from the resolved-manifest cache has digests but no scripts; caught
    // before any change, so such a plan can never leave a half-made container.
    if (a_.desired && a_.desired->script.empty() && a_.kind != ActionKind::kRemove &&
        a_.kind != ActionKind::kStart && a_.kind != ActionKind::kAdopt)
      return Status::Internal("no rendered /run.sh for " + a_.Ref() +
                              ": the plan was made without the manifest's scripts");
    switch (a_.kind) {
      case ActionKind::kCreate: {
        if (Status s = EnsureImage(); !s.ok()) return s;
        if (Status s = Create(container_id); !s.ok()) return s;
        if (Status s = Mutate("start", [&] { return provider_.StartContainer(container_id); });
            !s.ok())
          return s;
        Status gated = Gate(container_id);
        // What the gate saw is what the host runs now, unless a health status was still
        // to settle: only then is it worth keeping in place of a read-back.
        if (gated.ok() && running_seen_ && running_seen_->health.empty() &&
            !a_.desired->spec.healthcheck && !uploaded_stat_.empty()) {
          observed_ = std::move(running_seen_);
          observed_->script_digest = a_.desired->script_digest;
          observed_->script_stat = uploaded_stat_;
        }
        return gated;
      }
      case ActionKind::kReplace:
        return Replace(container_id);
      case ActionKind::kUpdate:
        container_id = a_.live->id;
        return Update(container_id);
      case ActionKind::kStart:
        container_id = a_.live->id;
        if (Status s = Mutate("start", [&] { return provider_.StartContainer(container_id); });
            !s.ok())
          return s;
        return Gate(container_id);
      case ActionKind::kRemove:
        container_id = a_.live->id;
        return StopAndRemove(container_id);
      case ActionKind::kAdopt:
        container_id = a_.live->id;
        return CheckAdoptable(container_id);
      default:
        return Status::Internal(std::string("not an executable action: ") + ActionName(a_.kind));
    }
  }

  // True once the host was put back as it was before the action.
  bool rolled_back() const { return rolled_back_; }

  // See ActionOutcome::observed.
  std::optional<LiveContainer>& observed() { return observed_; }

 private:
  // Reports step `name` and gives the fault-injection seam its chance, before the call.
  void Step(const std::string& name) {
    on_step_(name);
    if (settings_.before_step) settings_.before_step(name);
  }

  Status Mutate(const std::string& step, const std::function<Status()>& call) {
    Step(step);
    ++mutating_calls_;
    return call().WithContext(step);
  }

  Status EnsureImage() {
    return images_.Ensure(provider_, ImageToRun(a_), on_step_, mutating_calls_);
  }

  Status StopAndRemove(const std::string& id) {
    // Stop even when the plan saw it stopped: the snapshot may be stale, and stopping a
    // stopped container changes nothing.
    if (Status s =
            Mutate("stop", [&] { return provider_.StopContainer(id, settings_.stop_grace); });
        !s.ok())
      return s;
    return Mutate("remove", [&] { return provider_.RemoveContainer(id); });
  }

  Status UploadScript(const std::string& id) {
    Status uploaded = Mutate("upload " + std::string(kScriptPath), [&] {
      return provider_.UploadFile(id, kScriptPath, a_.desired->script, kScriptMode);
    });
    if (uploaded.ok() && settings_.script_ledger) {
      // Only an optimisation for the refresh after apply: a failed stat means that
      // refresh reads the file back, as it would without a ledger.
      auto stat = provider_.StatFile(id, kScriptPath);
      if (stat.ok() && stat->has_value()) {
        settings_.script_ledger->Record(id, **stat, a_.desired->script_digest);
        uploaded_stat_ = **stat;
      }
    }
    return uploaded;
  }

  // Creates the container the manifest wants under its name, with its /run.sh; not started.
  Status Create(std::string& id) {
    CreateContainerRequest req;
    req.name = a_.name;
    req.spec = a_.desired->spec;
    req.spec.image = ImageToRun(a_);
    req.jlrec_labels = JlrecLabelsFor(*a_.desired, settings_.project, settings_.jlrec_version);
    Status created = Mutate("create", [&] {
      Result<std::string> r = provider_.CreateContainer(req);
      if (r.ok()) id = *r;
      return r.status();
    });
    if (!created.ok()) return created;
    return UploadScript(id);
  }

  // An adoption changes nothing on the host (that is the point): the container must only
  // still be the one the plan saw, unlabelled.
  Status CheckAdoptable(const std::string& id) {
    Step("check the container to adopt");
    Result<LiveContainer> live = provider_.InspectContainer(id);
    if (!live.ok()) return live.status().WithContext("adopt");
    if (live->managed())
      return Status::Conflict("adopt: " + a_.Ref() + " carries jlrec labels now; make a new plan");
    return Status::Ok();
  }

  // True when `lc` is a container this very action would have made: this project's, with the
  // wanted spec and /run.sh. (What an interrupted replace made before it was stopped.)
  bool IsWhatThisActionMakes(const LiveContainer& lc) const {
    auto label = [&](const char* key) {
      auto it = lc.jlrec_labels.find(key);
      return it == lc.jlrec_labels.end() ? std::string() : it->second;
    };
    return label(labels::kProject) == settings_.project &&
           label(labels::kSpecDigest) == a_.desired->spec_digest &&
           lc.script_digest.value_or("") == a_.desired->script_digest &&
           (a_.pinned_image.empty() || lc.spec.image == a_.pinned_image);
  }

  // A replace that keeps the old container, renamed, until the new one passed its gate.
  Status Replace(std::string& container_id) {
    const std::string previous_name = a_.name + kPreviousSuffix;
    std::string previous_id;
    std::string new_id;
    if (a_.previous) {
      // An interrupted replace: carry on from what the host shows.
      previous_id = a_.previous->id;
      container_id = previous_id;
      if (a_.live) {
        if (IsWhatThisActionMakes(*a_.live)) {
          new_id = a_.live->id;
        } else if (a_.live->jlrec_labels.count(labels::kProject) &&
                   a_.live->jlrec_labels.at(labels::kProject) == settings_.project) {
          // Made for another spec or script (the manifest changed since): not wanted.
          if (Status s = Mutate(
                  "stop new",
                  [&] { return provider_.StopContainer(a_.live->id, settings_.stop_grace); });
              !s.ok())
            return s;
          if (Status s =
                  Mutate("remove new", [&] { return provider_.RemoveContainer(a_.live->id); });
              !s.ok())
            return s;
        } else {
          return Status::Conflict("a container jlrec does not manage holds the name " + a_.name +
                                  " while " + previous_name + " waits to be put back");
        }
      }
      if (new_id.empty())
        if (Status s = EnsureImage(); !s.ok()) return s;
    } else {
      previous_id = a_.live->id;
      container_id = previous_id;
      // Pull before touching anything: if the image cannot be had, nothing changes.
      if (Status s = EnsureImage(); !s.ok()) return s;
      if (Status s = Mutate("rename previous",
                            [&] { return provider_.RenameContainer(previous_id, previous_name); });
          !s.ok())
        return s;
    }

    Status status = Status::Ok();
    bool made_here = new_id.empty();
    if (made_here) status = Create(new_id);
    if (status.ok())
      status = Mutate("stop previous",
                      [&] { return provider_.StopContainer(previous_id, settings_.stop_grace); });
    if (status.ok()) status = Mutate("start", [&] { return provider_.StartContainer(new_id); });
    if (status.ok()) status = Gate(new_id);
    if (status.ok()) {
      container_id = new_id;
      // The new container runs and passed its gate: the action succeeded. A previous
      // container that cannot be removed now is found by the next plan, which finishes it.
      if (Status removed =
              Mutate("remove previous", [&] { return provider_.RemoveContainer(previous_id); });
          !removed.ok())
        on_step_("previous container left for the next plan to remove: " + removed.message());
      return Status::Ok();
    }
    Status restored = PutPreviousBack(previous_id, new_id);
    if (!restored.ok()) {
      container_id = new_id;
      return status.WithNote("rollback failed: " + restored.message());
    }
    container_id = previous_id;
    rolled_back_ = true;
    return status;
  }

  // Undoes a failed replace: the new container goes, the previous one gets its name back and
  // runs again. (Always started: the manifest wants it running, and one found stopped may have
  // been stopped by an interrupted replace.)
  Status PutPreviousBack(const std::string& previous_id, const std::string& new_id) {
    if (!new_id.empty()) {
      if (Status s = Mutate("stop new",
                            [&] { return provider_.StopContainer(new_id, settings_.stop_grace); });
          !s.ok())
        return s;
      if (Status s = Mutate("remove new", [&] { return provider_.RemoveContainer(new_id); });
          !s.ok())
        return s;
    }
    if (Status s = Mutate("restore previous",
                          [&] { return provider_.RenameContainer(previous_id, a_.name); });
        !s.ok())
      return s;
    if (Status s = Mutate("start previous", [&] { return provider_.StartContainer(previous_id); });
        !s.ok())
      return s;
    return WaitRunning(previous_id).WithContext("previous container");
  }

  // An update in place that keeps the /run.sh it replaces, and puts it back if the new one
  // does not come up.
  Status Update(const std::string& id) {
    const bool same_script =
        a_.live->script_digest && *a_.live->script_digest == a_.desired->script_digest;
    if (same_script) {
      // Nothing to write: the process must (re)start from the /run.sh that is there.
      if (Status s = Restart(id); !s.ok()) return s;
      return Gate(id);
    }
    std::optional<std::string> previous_script;
    if (a_.live->script_digest) {
      Step("read /run.sh");
      auto read = provider_.ReadFile(id, kScriptPath);
      if (!read.ok()) return read.status().WithContext("read /run.sh");
      previous_script = std::move(*read);
      if (previous_script) {
        if (Status s = Mutate("keep previous /run.sh",
                              [&] {
                                return provider_.UploadFile(id, kPreviousScriptPath,
                                                            *previous_script, kScriptMode);
                              });
            !s.ok())
          return s;
      }
    }
    // Until the restart, the process still runs the previous /run.sh: a failed upload only
    // needs the file put back, a failed restart or gate a restart too.
    Status status = UploadScript(id);
    bool restarted = false;
    if (status.ok()) {
      restarted = true;
      status = Restart(id);
    }
    if (status.ok()) status = Gate(id);
    if (status.ok()) return status;
    if (!previous_script) return status;
    Status restored = Mutate("restore /run.sh", [&] {
      return provider_.UploadFile(id, kScriptPath, *previous_script, kScriptMode);
    });
    if (restored.ok() && restarted) restored = Restart(id);
    if (restored.ok() && restarted) restored = WaitRunning(id);
    if (!restored.ok()) return status.WithNote("rollback failed: " + restored.message());
    rolled_back_ = true;
    return status;
  }

  Status Restart(const std::string& id) {
    return Mutate("restart", [&] { return provider_.RestartContainer(id, settings_.stop_grace); });
  }

  // The container counts as up once Docker says "running" and, when the manifest gives a
  // healthcheck, once that exits 0: only then may dependents start.
  Status Gate(const std::string& id) {
    Step("wait for running");
    if (Status s = WaitRunning(id); !s.ok()) return s.WithContext("wait for running");
    if (!a_.desired || !a_.desired->spec.healthcheck) return Status::Ok();
    return WaitHealthy(id, *a_.desired->spec.healthcheck);
  }

  Status WaitRunning(const std::string& id) {
    const milliseconds timeout = settings_.running_gate_timeout;
    const Clock::time_point deadline = Clock::now() + timeout;
    std::string last = "no answer";
    for (;;) {
      Result<LiveContainer> live = provider_.InspectContainer(id);
      if (live.ok()) {
        if (live->state == "running") {
          running_seen_ = std::move(*live);
          return Status::Ok();
        }
        // created/restarting may still become running; anything else will not by itself.
        if (live->state != "created" && live->state != "restarting")
          return Status::RemoteError("container is " + live->state + " after start");
        last = "state " + live->state;
      } else if (IsTransient(live.status())) {
        last = live.status().message();
      } else {
        return live.status();
      }
      if (Clock::now() >= deadline)
        return Status::Timeout("not running after " + FormatDuration(timeout) + " (" + last + ")");
      PauseUntil(settings_.poll_interval, deadline);
    }
  }

  Status WaitHealthy(const std::string& id, const Healthcheck& hc) {
    Step("health check");
    if (hc.command.empty()) return Status::InvalidArgument("health check has no command");
    const Clock::time_point deadline = Clock::now() + hc.timeout;
    std::string last = "no probe finished";
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      Result<int> probe = provider_.Exec(id, hc.command, std::max(left, milliseconds(1)));
      if (probe.ok() && *probe == 0) return Status::Ok();
      // A probe cut short by the gate's own deadline says nothing: the last one that
      // finished is the reason worth reporting.
      const bool cut_short = !probe.ok() && probe.status().code() == Status::Code::kTimeout &&
                             Clock::now() >= deadline;
      if (probe.ok())
        last = "exit code " + std::to_string(*probe);
      else if (!cut_short || last == "no probe finished")
        last = probe.status().message();
      if (Clock::now() >= deadline)
        return Status::Timeout("health check timed out after " + FormatDuration(hc.timeout) +
                               " (last probe: " + last + ")");
      PauseUntil(hc.interval, deadline);
    }
  }

  const PlanAction& a_;
  Provider& provider_;
  const ActionSettings& settings_;
  ImagePulls& images_;
  std::atomic<std::uint64_t>& mutating_calls_;
  const std::function<void(const std::string&)>& on_step_;
  bool rolled_back_ = false;
  std::string uploaded_stat_;                  // StatFile key of the /run.sh uploaded, if known
  std::optional<LiveContainer> running_seen_;  // the last inspect that saw it running
  std::optional<LiveContainer> observed_;
};

}  // namespace

std::map<std::string, std::string> JlrecLabelsFor(const DesiredContainer& desired,
                                                  const std::string& project,
                                                  const std::string& jlrec_version) {
  std::vector<std::string> groups = desired.groups;
  std::sort(groups.begin(), groups.end());
  const std::string joined = Join(groups, ",");
  return {
      {labels::kProject, project},
      {labels::kGroups, joined},
      {labels::kUnit, desired.Ref()},
      {labels::kHost, desired.host},
      {labels::kCore, desired.core ? "true" : "false"},
      {labels::kSpecDigest, desired.spec_digest},
      {labels::kScriptDigest, desired.script_digest},
      {labels::kVersion, jlrec_version},
  };
}

std::string ImageToRun(const PlanAction& action) {
  if (!action.pinned_image.empty()) return action.pinned_image;
  return action.desired ? action.desired->spec.image : "";
}

ActionOutcome RunAction(const PlanAction& action, Provider& provider,
                        const ActionSettings& settings, ImagePulls& images,
                        std::atomic<std::uint64_t>& mutating_calls,
                        const std::function<void(const std::string&)>& on_step) {
  const Clock::time_point start = Clock::now();
  ActionOutcome outcome;
  ActionRun run(action, provider, settings, images, mutating_calls, on_step);
  Status status = run.Run(outcome.container_id);
  outcome.rolled_back = !status.ok() && run.rolled_back();
  if (status.ok()) outcome.observed = std::move(run.observed());
  outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  outcome.state = status.ok() ? ActionOutcome::State::kSucceeded : ActionOutcome::State::kFailed;
  outcome.error = status;
  return outcome;
}

}  // namespace jlrec
