#include "engine/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "engine/apply_graph.h"
#include "engine/release.h"
#include "engine/rollback.h"
#include "engine/saved_plan.h"
#include "model/container_spec.h"
#include "model/image_reference.h"

namespace jlrec {

namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// What an apply writes to the state as it goes: the journal of its actions, the failures the
// next plan keeps showing, the adoptions that make containers managed. Hears the executor
// (its scheduler thread only), then passes every event on to `progress`.
class RecordingObserver : public ApplyObserver {
 public:
  RecordingObserver(StateStore& store, std::string project, std::int64_t run_id,
                    ApplyObserver* progress)
      : store_(store), project_(std::move(project)), run_id_(run_id), progress_(progress) {}

  void OnActionStart(const PlanAction& a) override {
    ActionRecord r;
    r.run_id = run_id_;
    r.action = ActionName(a.kind);
    r.container = a.Ref();
    r.started_at = std::time(nullptr);
    r.result = "running";
    auto id = store_.RecordActionStart(r);
    if (id.ok())
      ids_[a.Ref()] = *id;
    else
      NoteWriteFailure(id.status().WithContext("journal: " + a.Ref()));
    if (progress_) progress_->OnActionStart(a);
  }

  void OnActionEnd(const PlanAction& a, const ActionOutcome& o) override {
    const std::string result = o.rolled_back ? "rolled back" : OutcomeStateName(o.state);
    const std::string error = o.error.ok() ? "" : o.error.message();
    auto it = ids_.find(a.Ref());
    Status journalled;
    if (it == ids_.end()) {  // skipped / not started: never began, still journalled
      ActionRecord r;
      r.run_id = run_id_;
      r.action = ActionName(a.kind);
      r.container = a.Ref();
      r.started_at = std::time(nullptr);
      r.result = result;
      auto id = store_.RecordActionStart(r);
      journalled = id.ok() ? store_.RecordActionEnd(*id, result, error) : id.status();
    } else {
      journalled = store_.RecordActionEnd(it->second, result, error);
    }
    if (!journalled.ok()) NoteWriteFailure(journalled.WithContext("journal: " + a.Ref()));
    if (IsExecutable(a.kind)) {
      RememberAdoption(a, o);
      RememberFailure(a, o);
    }
    if (progress_) progress_->OnActionEnd(a, o);
  }

  // The first write to the state file that failed (ok if none): the hosts may be right while
  // the journal does not know it, which the apply must not hide behind exit 0.
  const Status& write_failure() const { return write_failure_; }

  void OnStep(const PlanAction& a, const std::string& step) override {
    spdlog::debug("{}: {}", a.Ref(), step);
    if (progress_) progress_->OnStep(a, step);
  }

 private:
  // A failed action is remembered until a later action on that container succeeds: the next
  // plan keeps it, drift reports it.
  void RememberFailure(const PlanAction& a, const ActionOutcome& o) {
    Status saved;
    if (o.state == ActionOutcome::State::kSucceeded) {
      saved = store_.ClearFailure(project_, a.host, a.name);
    } else if (o.state == ActionOutcome::State::kFailed && a.kind != ActionKind::kRemove &&
               a.desired) {
      ActionFailure f;
      f.host = a.host;
      f.container = a.name;
      f.action = ActionName(a.kind);
      f.container_id = o.container_id;
      f.spec_digest = a.desired->spec_digest;
      f.script_digest = a.desired->script_digest;
      f.reason = o.error.message();
      f.rolled_back = o.rolled_back;
      f.run_id = run_id_;
      f.failed_at = std::time(nullptr);
      saved = store_.SaveFailure(project_, f);
    }
    if (!saved.ok()) NoteWriteFailure(saved.WithContext("recording the outcome of " + a.Ref()));
  }

  // An adopted container is managed from now on (even when the update that came with its
  // adoption failed: the failure record makes the next plan redo it). A container replaced
  // or removed is no longer the one adopted.
  void RememberAdoption(const PlanAction& a, const ActionOutcome& o) {
    using S = ActionOutcome::State;
    Status saved;
    if (a.adopt && a.live && (o.state == S::kSucceeded || o.state == S::kFailed)) {
      Adoption adoption;
      adoption.host = a.host;
      adoption.container = a.name;
      adoption.container_id = a.live->id;
      adoption.spec_digest = SpecDigest(a.live->spec);
      adoption.groups = a.groups;
      adoption.core = a.core;
      adoption.run_id = run_id_;
      adoption.adopted_at = std::time(nullptr);
      saved = store_.SaveAdoption(project_, adoption);
    } else if (o.state == S::kSucceeded &&
               (a.kind == ActionKind::kReplace || a.kind == ActionKind::kRemove)) {
      saved = store_.ClearAdoption(project_, a.host, a.name);
    }
    if (!saved.ok()) NoteWriteFailure(saved.WithContext("recording the adoption of " + a.Ref()));
  }

  // The executor calls the observer from its coordinating thread only: no lock needed.
  void NoteWriteFailure(const Status& failed) {
    spdlog::warn("{}", failed.message());
    if (write_failure_.ok()) write_failure_ = failed;
  }

  StateStore& store_;
  std::string project_;
  std::int64_t run_id_;
  ApplyObserver* progress_;
  std::map<std::string, std::int64_t> ids_;
  Status write_failure_;
};

// Hosts the plan covers (actions and unchanged containers).
std::set<std::string> HostsOf(const Plan& plan) {
  std::set<std::string> hosts;
  for (const auto& a : plan.actions) hosts.insert(a.host);
  for (const auto& u : plan.noops) hosts.insert(u.host);
  return hosts;
}

// "Apply complete in 1.2s: 3 succeeded, 0 failed, 0 skipped, 0 not started."
std::string SummaryOf(const std::string& kind, const ApplyResult& r, bool complete,
                      double seconds) {
  const char* verb = kind == "rollback" ? "Rollback" : "Apply";
  const std::string rolled =
      r.rolled_back ? " (" + std::to_string(r.rolled_back) + " rolled back)" : "";
  char line[320];
  std::snprintf(line, sizeof line,
                "%s %s in %.1fs: %d succeeded, %d failed%s, %d skipped, %d not started.", verb,
                r.interrupted ? "interrupted"
                : complete    ? "complete"
                : r.failed    ? "finished with failures"
                              : "incomplete",
                seconds, r.succeeded, r.failed, rolled.c_str(), r.skipped, r.not_started);
  return line;
}

// What the cache records for `host` after an apply during which it stopped answering with
// `first`: unreachable (the cache keeps its last containers, marked stale).
HostSnapshot StoppedAnsweringSnapshot(const std::string& host, const Status& first) {
  HostSnapshot s;
  s.host = host;
  s.reachable = false;
  s.error = "stopped answering during the apply: " + first.message();
  s.observed_at = std::time(nullptr);
  return s;
}

// Every finished apply and rollback of `project`'s `group` in the journal, newest first, with its
// release record; `runs` gets their journal records.
Result<std::vector<ReleaseCandidate>> CandidatesOf(StateStore& store, const std::string& project,
                                                   const std::string& group,
                                                   std::map<std::int64_t, RunRecord>& runs) {
  auto listed = store.ListRuns(project, "", 0, 0);
  if (!listed.ok()) return listed.status();
  std::vector<ReleaseCandidate> out;
  for (const RunRecord& r : *listed) {
    if (r.kind != "apply" && r.kind != "rollback") continue;
    auto release = store.ListRelease(r.id);
    if (!release.ok()) return release.status();
    if (GroupRelease(*release, group).empty()) continue;
    runs[r.id] = r;
    out.push_back({r.id, r.result == "ok", std::move(*release)});
  }
  return out;
}

// `jlrec plan -v`: how each host was reached, and the medians over the hosts.
void LogTraffic(const std::vector<HostSnapshot>& hosts) {
  std::vector<int> requests, sequential;
  std::vector<double> connect, after;
  for (const auto& h : hosts) {
    if (!h.traffic) continue;
    const HostTraffic& t = *h.traffic;
    spdlog::debug(
        "round trips: {} requests={} sequential={} connect_ms={:.1f} requests_ms={:.1f} "
        "streams={} inspected={} reused={}",
        h.host, t.requests, t.sequential_round_trips, t.connect_ms, t.requests_ms, t.streams_opened,
        t.inspected, t.reused);
    requests.push_back(t.requests);
    sequential.push_back(t.sequential_round_trips);
    connect.push_back(t.connect_ms);
    after.push_back(t.requests_ms);
  }
  if (requests.empty()) return;
  auto median = [](auto v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  spdlog::debug(
      "round trips over {} hosts (medians): requests={} sequential={} connect_ms={:.1f} "
      "requests_ms={:.1f}",
      requests.size(), median(requests), median(sequential), median(connect), median(after));
}

}  // namespace

std::map<std::string, Provider*> PlannedRun::providers() const {
  std::map<std::string, Provider*> out;
  for (const auto& [host, p] : refresh.providers) out[host] = p.get();
  return out;
}

Reconciler::Reconciler(std::shared_ptr<ProviderFactory> providers, StateStore& store,
                       RefreshOptions refresh)
    : providers_(std::move(providers)), store_(store), refresh_(std::move(refresh)) {}

std::shared_ptr<const KnownContainers> Reconciler::KnownFromCache(
    const std::string& project, const std::vector<std::string>& hosts) {
  auto cached = store_.LoadSnapshots(project, hosts);
  if (!cached.ok()) {
    spdlog::debug("state cache not read, every container is inspected and every /run.sh read: {}",
                  cached.status().message());
    return std::make_shared<const KnownContainers>(std::vector<HostSnapshot>());
  }
  return std::make_shared<const KnownContainers>(std::move(*cached));
}

KnownScripts Reconciler::KnownScriptsOf(const KnownContainers& known) {
  KnownScripts scripts;
  for (const auto& h : known.snapshots)
    for (const auto& c : h.containers)
      if (c.script_digest && !c.script_stat.empty())
        scripts[c.id] = KnownScript{c.script_stat, *c.script_digest};
  return scripts;
}

RefreshOutcome Reconciler::Refresh(const DesiredState& desired,
                                   const std::vector<std::string>& hosts) {
  const auto started = Clock::now();
  // What the last refresh read of each /run.sh, so that unchanged scripts are only stat'ed.
  RefreshOptions options = refresh_;
  options.known_containers = KnownFromCache(desired.project, hosts);
  options.known_scripts =
      std::make_shared<const KnownScripts>(KnownScriptsOf(*options.known_containers));
  // Adopted containers carry no label: a refresh asks for them by name.
  if (auto adoptions = store_.ListAdoptions(desired.project); adoptions.ok()) {
    auto names = std::make_shared<std::map<std::string, std::vector<std::string>>>();
    for (const Adoption& a : *adoptions) (*names)[a.host].push_back(a.container);
    options.adopted_names = std::move(names);
  } else {
    spdlog::warn("could not read the adoptions: {}", adoptions.status().message());
  }
  RefreshOutcome out = RefreshHosts(desired, hosts, providers_, options);
  int failed = 0;
  for (const auto& h : out.result.hosts) {
    if (h.reachable) {
      spdlog::debug("refreshed {}: {} containers", h.host, h.containers.size());
    } else {
      ++failed;
      spdlog::debug("refresh of {} failed: {}", h.host, h.error);
    }
  }
  spdlog::debug("refreshed {} hosts ({} failed) in {:.0f} ms", hosts.size(), failed,
                MillisSince(started));
  LogTraffic(out.result.hosts);
  Status saved = store_.SaveSnapshots(desired.project, out.result.hosts);
  if (!saved.ok()) spdlog::warn("could not update the state cache: {}", saved.message());
  return out;
}

Result<Remembered> Reconciler::RememberedOf(const std::string& project) {
  Remembered out;
  auto failures = store_.ListFailures(project);
  if (!failures.ok()) return failures.status();
  out.failures = std::move(*failures);
  auto unfinished = store_.ListUnfinishedActions(project);
  if (!unfinished.ok()) return unfinished.status();
  for (const ActionRecord& a : *unfinished) out.unfinished_runs.emplace(a.container, a.run_id);
  auto adoptions = store_.ListAdoptions(project);
  if (!adoptions.ok()) return adoptions.status();
  out.adoptions = std::move(*adoptions);
  return out;
}

Result<PlannedRun> Reconciler::MakePlan(const DesiredState& desired, const PlanRequest& request) {
  auto selected = SelectContainers(desired, request.groups, request.targets);
  if (!selected.ok()) return selected.status();
  const std::vector<std::string> hosts = SelectedHosts(*selected);

  PlannedRun run;
  if (request.refresh) {
    const auto t0 = Clock::now();
    run.refresh = Refresh(desired, hosts);
    run.refresh_seconds = MillisSince(t0) / 1000;
  } else {
    const auto t0 = Clock::now();
    auto cached = store_.LoadSnapshots(desired.project, hosts);
    if (!cached.ok()) return cached.status().WithContext("reading the state cache");
    run.cached.hosts = std::move(*cached);
    run.from_cache = true;
    spdlog::debug("state cache read in {:.1f} ms ({} hosts)", MillisSince(t0),
                  run.cached.hosts.size());
  }
  // Failed actions of earlier applies stay in the plan until they are redone.
  auto remembered = RememberedOf(desired.project);
  if (!remembered.ok()) return remembered.status().WithContext("reading the journal");
  DiffOptions options;
  options.groups = request.groups;
  options.targets = request.targets;
  options.prune = request.prune;
  options.replace_unmanaged = request.replace_unmanaged;
  const auto t0 = Clock::now();
  auto plan = ComputePlan(desired, run.live(), options, *remembered);
  spdlog::debug("diff computed in {:.1f} ms", MillisSince(t0));
  if (!plan.ok()) return plan.status();
  run.plan = std::move(*plan);
  return run;
}

namespace {

// The hosts of `plan` whose every executable action was a create that succeeded with an
// observed container (ActionOutcome::observed), and which `before` holds as refreshed in
// this run (reachable, not from the cache): each as `before` saw it plus its new containers.
// What a re-read right after the apply would find, short of changes made by someone else
// meanwhile, which any snapshot may miss: the next refresh sees them.
std::vector<HostSnapshot> SnapshotsFromCreates(const Plan& plan, const ApplyResult& result,
                                               const RefreshResult* before) {
  std::vector<HostSnapshot> out;
  if (!before) return out;
  std::map<std::string, std::vector<const LiveContainer*>> created;
  std::set<std::string> other;  // hosts with any other action, or a create not observed
  for (std::size_t i = 0; i < plan.actions.size(); ++i) {
    const PlanAction& a = plan.actions[i];
    if (!IsExecutable(a.kind)) continue;
    const ActionOutcome& o = result.outcomes[i];
    if (a.kind == ActionKind::kCreate && o.state == ActionOutcome::State::kSucceeded && o.observed)
      created[a.host].push_back(&*o.observed);
    else
      other.insert(a.host);
  }
  for (const auto& [host, news] : created) {
    const HostSnapshot* seen = before->Find(host);
    if (other.count(host) || !seen || !seen->reachable || seen->from_cache) continue;
    HostSnapshot s;
    s.host = host;
    s.reachable = true;
    // The oldest of its observations: the containers it had were last seen by the refresh.
    s.observed_at = seen->observed_at;
    s.containers = seen->containers;
    for (const LiveContainer* c : news) s.containers.push_back(*c);
    // As ListContainers orders them.
    std::sort(s.containers.begin(), s.containers.end(),
              [](const LiveContainer& x, const LiveContainer& y) { return x.name < y.name; });
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

ApplyReport Reconciler::Apply(const Plan& plan, const DesiredState& desired,
                              const std::map<std::string, Provider*>& providers,
                              const RefreshResult* before, const ApplyRequest& request,
                              ApplyObserver* progress) {
  ApplyReport report;
  auto graph = BuildApplyGraph(plan);
  if (!graph.ok()) {
    report.error = graph.status();
    return report;
  }
  RunRecord run;
  run.kind = request.kind;
  run.project = plan.project;
  run.groups = plan.groups;
  run.started_at = std::time(nullptr);
  run.result = "running";
  run.owner = request.owner;
  run.manifest_digest = desired.manifest_digest;
  run.jlrec_version = JLREC_VERSION;
  auto run_id = store_.BeginRun(run);
  if (!run_id.ok()) {
    report.error = run_id.status().WithContext("journal");
    return report;
  }
  report.run_id = *run_id;
  if (request.on_run_begun) request.on_run_begun(*run_id);

  ApplyOptions options = request.options;
  if (options.jlrec_version.empty()) options.jlrec_version = JLREC_VERSION;
  if (!options.script_ledger) options.script_ledger = std::make_shared<ScriptLedger>();
  RecordingObserver recorder(store_, plan.project, *run_id, progress);
  const auto t0 = Clock::now();
  report.result = ExecutePlan(plan, *graph, providers, options, &recorder);
  const ApplyResult& r = report.result;
  report.complete = !r.interrupted && !r.failed && !r.skipped && !r.not_started && r.error.ok();

  // Record what the hosts run now, so the cache (plan --refresh=false, show) is not stale. A
  // host that stopped answering during the apply is not asked again (that would wait out
  // its timeout once more): the cache marks it unreachable, keeping what it last saw.
  std::map<std::string, Provider*> touched;
  std::vector<HostSnapshot> after;
  std::set<std::string> seen;
  for (const auto& a : plan.actions) {
    if (!IsExecutable(a.kind) || !seen.insert(a.host).second) continue;
    if (auto hung = r.stopped_answering.find(a.host); hung != r.stopped_answering.end()) {
      after.push_back(StoppedAnsweringSnapshot(a.host, hung->second));
      continue;
    }
    if (auto p = providers.find(a.host); p != providers.end()) touched[a.host] = p->second;
  }
  // A host whose every action was a create that succeeded is what this run's refresh saw
  // plus the new containers as their gates saw them running: no need to read it back.
  for (HostSnapshot& s : SnapshotsFromCreates(plan, r, before))
    if (touched.erase(s.host)) after.push_back(std::move(s));
  // Scripts this apply wrote, and the untouched ones the cache vouches for, are not read back.
  std::vector<std::string> touched_hosts;
  for (const auto& [host, p] : touched) touched_hosts.push_back(host);
  auto cached = KnownFromCache(plan.project, touched_hosts);
  auto known = options.script_ledger->MergedOver(KnownScriptsOf(*cached));
  for (HostSnapshot& s : RefreshOpenHosts(desired, touched, options.parallelism,
                                          refresh_.script_key, known.get(), cached.get()))
    after.push_back(std::move(s));
  Status written = recorder.write_failure();
  auto note = [&written](const Status& s, const char* what) {
    if (s.ok()) return;
    spdlog::warn("{}: {}", what, s.message());
    if (written.ok()) written = s.WithContext(what);
  };
  note(store_.SaveSnapshots(plan.project, after), "updating the state cache");
  note(RecordRelease(plan, r, after, before, providers, *run_id, options.parallelism),
       "recording the release");
  // The time the run took, the re-read of the hosts included: what the user waited.
  report.summary = SummaryOf(request.kind, r, report.complete, MillisSince(t0) / 1000);
  const char* outcome = r.interrupted ? "interrupted" : report.complete ? "ok" : "failed";
  note(store_.FinishRun(*run_id, outcome, report.summary), "journal");
  if (!r.error.ok()) {
    report.error = r.error;
  } else if (!written.ok()) {
    // The hosts got what the outcomes say; the state file does not fully know it.
    report.error = written.WithNote(
        "the state file is behind the hosts: the next plan reads them again, `jlrec history` "
        "may show this run as interrupted");
  }
  return report;
}

Status Reconciler::RecordRelease(const Plan& plan, const ApplyResult& result,
                                 const std::vector<HostSnapshot>& touched,
                                 const RefreshResult* before,
                                 const std::map<std::string, Provider*>& providers,
                                 std::int64_t run_id, int parallelism) {
  std::map<std::string, const HostSnapshot*> after;
  for (const auto& s : touched) after[s.host] = &s;
  std::vector<std::string> untouched;
  for (const auto& h : HostsOf(plan))
    if (!after.count(h)) untouched.push_back(h);
  std::vector<HostSnapshot> cached;
  if (!untouched.empty()) {
    if (before) {
      for (const auto& h : untouched)
        if (const HostSnapshot* s = before->Find(h)) after[h] = s;
    } else if (auto loaded = store_.LoadSnapshots(plan.project, untouched); loaded.ok()) {
      cached = std::move(*loaded);
      for (const auto& s : cached) after[s.host] = &s;
    }
  }
  // Each image's digests asked once per host; the refresh's own answers first.
  auto known = [&](const std::string& host, const std::string& image,
                   const std::string& image_id) -> std::string {
    if (before)
      if (const HostSnapshot* s = before->Find(host)) return KnownImageDigest(*s, image, image_id);
    return "";
  };
  // A first pass only collects what is to be asked, so that the hosts are asked at once
  // rather than one after another (a round trip each, per image).
  std::map<std::string, std::vector<std::string>> to_ask;  // host -> image ids
  {
    std::set<std::pair<std::string, std::string>> wanted;
    auto collect = [&](const std::string& host, const std::string& image,
                       const std::string& image_id) -> std::string {
      auto p = providers.find(host);
      if (known(host, image, image_id).empty() && p != providers.end() && p->second &&
          wanted.insert({host, image_id}).second)
        to_ask[host].push_back(image_id);
      return "";
    };
    (void)ReleaseOf(plan, result, after, collect);
  }
  // Made before the workers start, each of which then writes only its own host's entries.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> asked;
  for (const auto& [host, ids] : to_ask)
    for (const auto& id : ids) asked[{host, id}];
  {
    std::vector<const std::pair<const std::string, std::vector<std::string>>*> hosts;
    for (const auto& entry : to_ask) hosts.push_back(&entry);
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    const std::size_t workers = std::min<std::size_t>(hosts.size(), std::max(1, parallelism));
    for (std::size_t w = 0; w < workers; ++w)
      pool.emplace_back([&] {
        for (std::size_t i; (i = next.fetch_add(1)) < hosts.size();) {
          Provider* p = providers.at(hosts[i]->first);
          for (const auto& id : hosts[i]->second) {
            auto digests = p->LocalImageDigests(id);
            if (digests.ok()) asked.at({hosts[i]->first, id}) = std::move(*digests);
          }
        }
      });
    for (std::thread& t : pool) t.join();
  }
  auto digest_of = [&](const std::string& host, const std::string& image,
                       const std::string& image_id) -> std::string {
    if (std::string d = known(host, image, image_id); !d.empty()) return d;
    auto it = asked.find({host, image_id});
    return it == asked.end() ? "" : DigestFor(RepoOf(image), it->second);
  };
  return store_.RecordRelease(run_id, ReleaseOf(plan, result, after, digest_of));
}

Result<OpenProviders> Reconciler::PrepareSavedPlan(Plan& plan, const DesiredState& desired) {
  if (Status attached = AttachDesired(plan, desired); !attached.ok()) return attached;
  std::set<std::string> hosts;
  for (const auto& a : plan.actions)
    if (IsExecutable(a.kind)) hosts.insert(a.host);
  OpenProviders open;
  std::map<std::string, Provider*> providers;
  for (const auto& h : hosts) {
    auto host = desired.hosts.find(h);
    if (host == desired.hosts.end())
      return Status::Conflict("stale plan: host " + h + " is no longer in the manifest");
    auto p = providers_->Open(host->second, refresh_.connect);
    if (!p.ok()) return p.status().WithContext("host " + h);
    providers[h] = p->get();
    open[h] = std::move(*p);
  }
  if (Status fresh = CheckFingerprints(plan, providers, refresh_.script_key); !fresh.ok())
    return fresh;
  return open;
}

DriftCheck Reconciler::CheckDrift(const Plan& plan, std::int64_t checked_at) {
  DriftCheck check;
  check.findings = DriftFindingsOf(plan);
  check.result = DriftResultOf(plan);
  check.report = DriftReportToJson(plan, check.findings, checked_at);
  check.summary = DriftSummaryOf(plan, check.findings);
  DriftCheckRecord rec;
  rec.project = plan.project;
  rec.groups = plan.groups;
  rec.checked_at = checked_at;
  rec.result = check.result;
  rec.detail = check.summary;
  // The unknown ones too (class "unknown"): the history shows what a check could not see.
  for (const auto* list : {&check.findings.drifted, &check.findings.unknown})
    for (const auto& d : *list)
      rec.findings.push_back(
          {d.container.empty() ? d.host : d.host + "/" + d.container, d.kind, d.detail});
  auto recorded = store_.RecordDriftCheck(rec);
  check.recorded = recorded.status();
  return check;
}

Result<RollbackPlan> Reconciler::PlanRollback(const DesiredState& desired, const PlannedRun& run,
                                              const std::string& group, std::int64_t to_run) {
  std::map<std::int64_t, RunRecord> runs;
  auto candidates = CandidatesOf(store_, desired.project, group, runs);
  if (!candidates.ok()) return candidates.status().WithContext("reading the journal");
  std::int64_t target = to_run;
  if (target == 0) {
    auto previous = PreviousRelease(*candidates, group, run.live());
    if (!previous.ok()) return previous.status();
    target = *previous;
  }
  const ReleaseCandidate* chosen = nullptr;
  for (const auto& c : *candidates)
    if (c.run_id == target) chosen = &c;
  if (!chosen)
    return Status::NotFound("run #" + std::to_string(target) + " holds no release of group '" +
                            group + "' (see `jlrec history`)");
  RollbackPlan out;
  out.source = runs.at(target);
  out.release = GroupRelease(chosen->containers, group);
  out.pinned = PinnedToRelease(desired, group, out.release, &out.not_in_release);

  // The release's images must still exist somewhere the hosts can take them from.
  out.live = run.live();
  std::map<std::string, std::set<std::string>> images_by_host;
  for (const auto& e : out.release) images_by_host[e.host].insert(RollbackImage(e));
  for (auto& snap : out.live.hosts)
    if (auto p = run.refresh.providers.find(snap.host); p != run.refresh.providers.end())
      NoteMissingImages(*p->second, images_by_host[snap.host], snap);

  auto remembered = RememberedOf(out.pinned.project);
  if (!remembered.ok()) return remembered.status().WithContext("reading the journal");
  DiffOptions options;
  options.groups = {group};
  auto plan = ComputePlan(out.pinned, out.live, options, *remembered);
  if (!plan.ok()) return plan.status();
  out.plan = std::move(*plan);
  return out;
}

void CloseRunsOfDeadApplies(StateStore& store, const std::string& project) {
  // The whole journal of the project, not its newest runs: a run killed long ago would
  // otherwise stay "running" for good.
  auto runs = store.ListRuns(project, "", 0, 0);
  if (!runs.ok()) {
    spdlog::warn("journal: {}", runs.status().message());
    return;
  }
  for (const RunRecord& r : *runs) {
    if (r.project != project || r.result != "running" || r.finished_at != 0) continue;
    if (r.kind != "apply" && r.kind != "rollback") continue;
    Status closed = store.FinishRun(r.id, "interrupted",
                                    "the jlrec that ran it stopped (killed, or its state file "
                                    "full) and never recorded its end; found by a later " +
                                        r.kind);
    if (!closed.ok()) spdlog::warn("journal: {}", closed.message());
  }
}

}  // namespace jlrec
