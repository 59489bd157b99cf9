#include "engine/action_runner.h"

#include <algorithm>
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
        a_.kind != ActionKind::kStart)
      return Status::Internal("no rendered /run.sh for " + a_.Ref() +
                              ": the plan was made without the manifest's scripts");
    switch (a_.kind) {
      case ActionKind::kCreate:
        if (Status s = EnsureImage(); !s.ok()) return s;
        return CreateAndStart(container_id);
      case ActionKind::kReplace:
        container_id = a_.live->id;
        // Pull before stopping: if the image cannot be had, the old container keeps running.
        if (Status s = EnsureImage(); !s.ok()) return s;
        if (Status s = StopAndRemove(a_.live->id); !s.ok()) return s;
        container_id.clear();
        return CreateAndStart(container_id);
      case ActionKind::kUpdate:
        container_id = a_.live->id;
        if (Status s = UploadScript(container_id); !s.ok()) return s;
        if (Status s = Mutate(
                "restart",
                [&] { return provider_.RestartContainer(container_id, settings_.stop_grace); });
            !s.ok())
          return s;
        return Gate(container_id);
      case ActionKind::kStart:
        container_id = a_.live->id;
        if (Status s = Mutate("start", [&] { return provider_.StartContainer(container_id); });
            !s.ok())
          return s;
        return Gate(container_id);
      case ActionKind::kRemove:
        container_id = a_.live->id;
        return StopAndRemove(container_id);
      default:
        return Status::Internal(std::string("not an executable action: ") + ActionName(a_.kind));
    }
  }

 private:
  Status Mutate(const std::string& step, const std::function<Status()>& call) {
    on_step_(step);
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
      if (stat.ok() && stat->has_value())
        settings_.script_ledger->Record(id, **stat, a_.desired->script_digest);
    }
    return uploaded;
  }

  Status CreateAndStart(std::string& id) {
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
    if (Status s = UploadScript(id); !s.ok()) return s;
    if (Status s = Mutate("start", [&] { return provider_.StartContainer(id); }); !s.ok()) return s;
    return Gate(id);
  }

  // The container counts as up once Docker says "running" and, when the manifest gives a
  // healthcheck, once that exits 0: only then may dependents start.
  Status Gate(const std::string& id) {
    if (Status s = WaitRunning(id); !s.ok()) return s.WithContext("wait for running");
    if (!a_.desired || !a_.desired->spec.healthcheck) return Status::Ok();
    return WaitHealthy(id, *a_.desired->spec.healthcheck);
  }

  Status WaitRunning(const std::string& id) {
    on_step_("wait for running");
    const milliseconds timeout = settings_.running_gate_timeout;
    const Clock::time_point deadline = Clock::now() + timeout;
    std::string last = "no answer";
    for (;;) {
      Result<LiveContainer> live = provider_.InspectContainer(id);
      if (live.ok()) {
        if (live->state == "running") return Status::Ok();
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
    on_step_("health check");
    if (hc.command.empty()) return Status::InvalidArgument("health check has no command");
    const Clock::time_point deadline = Clock::now() + hc.timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      Result<int> probe = provider_.Exec(id, hc.command, std::max(left, milliseconds(1)));
      if (probe.ok() && *probe == 0) return Status::Ok();
      const std::string last =
          probe.ok() ? "exit code " + std::to_string(*probe) : probe.status().message();
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
};

}  // namespace

std::map<std::string, std::string> JlrecLabelsFor(const DesiredContainer& desired,
                                                  const std::string& project,
                                                  const std::string& jlrec_version) {
  std::vector<std::string> groups = desired.groups;
  std::sort(groups.begin(), groups.end());
  std::string joined;
  for (const auto& g : groups) joined += (joined.empty() ? "" : ",") + g;
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
  Status status = ActionRun(action, provider, settings, images, mutating_calls, on_step)
                      .Run(outcome.container_id);
  outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  outcome.state = status.ok() ? ActionOutcome::State::kSucceeded : ActionOutcome::State::kFailed;
  outcome.error = status;
  return outcome;
}

}  // namespace jlrec
