#include "engine/executor.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "engine/action_runner.h"
#include "engine/blocking_queue.h"
#include "engine/fenced_provider.h"
#include "engine/image_pulls.h"
#include "engine/rolling_budget.h"

#ifndef JLREC_VERSION
#define JLREC_VERSION "unknown"
#endif

namespace jlrec {

namespace {

using State = ActionOutcome::State;

ActionOutcome Ended(State state, Status error) {
  ActionOutcome o;
  o.state = state;
  o.error = std::move(error);
  return o;
}

// Walks the graph. Everything below is owned by the thread calling Run (the scheduler):
// workers only read the plan and graph, and talk back through events_.
class Scheduler {
 public:
  Scheduler(const Plan& plan, const ApplyGraph& graph,
            const std::map<std::string, Provider*>& providers, const ApplyOptions& options,
            ApplyObserver& observer, RollingBudget budget, ApplyResult& result)
      : plan_(plan),
        graph_(graph),
        options_(options),
        observer_(observer),
        budget_(std::move(budget)),
        result_(result),
        parallelism_(std::max(1, options.parallelism)),
        max_per_host_(std::max(1, options.max_per_host)),
        poll_interval_(std::max(options.poll_interval, std::chrono::milliseconds(1))),
        waiting_(graph.size()) {
    // Every call goes through the fence, so that one unanswered request on a host is the
    // last one that waits for it.
    for (const auto& [host, provider] : providers)
      if (provider != nullptr)
        fenced_.emplace(host, std::make_unique<FencedProvider>(*provider, fence_));
    settings_.project = plan.project;
    settings_.jlrec_version = options.jlrec_version.empty() ? JLREC_VERSION : options.jlrec_version;
    settings_.stop_grace = options.stop_grace;
    settings_.running_gate_timeout = options.running_gate_timeout;
    settings_.poll_interval = options.poll_interval;
    settings_.script_ledger = options.script_ledger;
    settings_.before_step = options.before_step;
  }

  void Run() {
    for (ApplyVertexId v : boost::make_iterator_range(boost::vertices(graph_.dag))) {
      waiting_[v] = boost::in_degree(v, graph_.dag);
      if (waiting_[v] == 0) ready_[graph_.dag[v].host].insert(v);
    }
    std::vector<std::thread> workers;
    WorkerJoiner joiner{jobs_, workers};  // joins on every way out of Run
    const std::size_t pool = std::min<std::size_t>(parallelism_, graph_.size());
    for (std::size_t i = 0; i < pool; ++i) workers.emplace_back([this] { WorkerLoop(); });

    for (;;) {
      if (!result_.interrupted && options_.should_stop && options_.should_stop()) {
        result_.interrupted = true;
        if (!stop_starting_) StopStarting(Status::Cancelled("not started: apply was interrupted"));
      }
      if (!stop_starting_) Dispatch();
      if (running_ == 0) break;
      // Wake at least every poll_interval to notice should_stop.
      if (auto event = events_.PopFor(poll_interval_)) Handle(std::move(*event));
    }
    for (ApplyVertexId v : boost::make_iterator_range(boost::vertices(graph_.dag)))
      if (OutcomeOf(v).state == State::kPending) End(v, Ended(State::kNotStarted, stop_reason_));
    result_.mutating_calls = mutating_calls_.load();
    result_.stopped_answering = fence_->Tripped();
  }

 private:
  struct Job {
    ApplyVertexId v;
    FencedProvider* provider;
  };
  struct Event {
    ApplyVertexId v;
    bool done = false;      // false: a step report
    std::string step;       // when !done
    ActionOutcome outcome;  // when done
  };
  struct WorkerJoiner {
    BlockingQueue<Job>& jobs;
    std::vector<std::thread>& workers;
    ~WorkerJoiner() {
      jobs.Close();
      for (std::thread& t : workers) t.join();
    }
  };

  const PlanAction& ActionOf(ApplyVertexId v) const { return plan_.actions[graph_.dag[v].action]; }
  ActionOutcome& OutcomeOf(ApplyVertexId v) { return result_.outcomes[graph_.dag[v].action]; }

  void StopStarting(Status reason) {
    stop_starting_ = true;
    stop_reason_ = std::move(reason);
  }

  // Starts ready actions, earliest in the plan first, until the parallelism is used up or
  // every ready action waits for its host's limit or its groups' budget.
  void Dispatch() {
    while (!stop_starting_ && running_ < parallelism_) {
      std::optional<ApplyVertexId> next = NextStartable();
      if (!next) return;
      Start(*next);
    }
  }

  std::optional<ApplyVertexId> NextStartable() {
    std::optional<ApplyVertexId> best;
    for (const auto& [host, ready] : ready_) {
      if (ready.empty() || running_on_host_[host] >= max_per_host_) continue;
      for (ApplyVertexId v : ready) {
        const PlanAction& a = ActionOf(v);
        if (TakesContainerDown(a) && !budget_.Fits(a.desired->groups)) continue;
        if (!best || v < *best) best = v;
        break;
      }
    }
    return best;
  }

  void Start(ApplyVertexId v) {
    const PlanAction& a = ActionOf(v);
    ready_[a.host].erase(v);
    if (std::optional<Status> first = fence_->TrippedBy(a.host)) {
      End(v, Ended(State::kSkipped, StoppedAnswering(a.host, *first)));
      return;
    }
    observer_.OnActionStart(a);
    auto it = fenced_.find(a.host);
    if (it == fenced_.end()) {
      End(v, Ended(State::kFailed, WhyNoProvider(a.host)));
      return;
    }
    if (TakesContainerDown(a)) budget_.Take(a.desired->groups);
    ++running_;
    ++running_on_host_[a.host];
    jobs_.Push(Job{v, it->second.get()});
  }

  Status WhyNoProvider(const std::string& host) const {
    if (auto it = options_.host_errors.find(host);
        it != options_.host_errors.end() && !it->second.ok())
      return it->second;
    for (const HostError& e : plan_.host_errors)
      if (e.host == host) return Status::Unavailable(host + ": " + e.error);
    return Status::Unavailable("no connection to host " + host);
  }

  void Handle(Event event) {
    const PlanAction& a = ActionOf(event.v);
    if (!event.done) {
      observer_.OnStep(a, event.step);
      return;
    }
    --running_;
    --running_on_host_[a.host];
    if (TakesContainerDown(a)) budget_.Give(a.desired->groups);
    End(event.v, std::move(event.outcome));
  }

  // Records the final outcome of `v` and what follows from it: successors whose every
  // predecessor succeeded become ready; a failure or a skip skips every dependent.
  void End(ApplyVertexId v, ActionOutcome outcome) {
    const State state = outcome.state;
    OutcomeOf(v) = std::move(outcome);
    observer_.OnActionEnd(ActionOf(v), OutcomeOf(v));
    if (state == State::kSucceeded) {
      for (auto e : boost::make_iterator_range(boost::out_edges(v, graph_.dag))) {
        const ApplyVertexId t = boost::target(e, graph_.dag);
        if (--waiting_[t] == 0 && OutcomeOf(t).state == State::kPending)
          ready_[graph_.dag[t].host].insert(t);
      }
    } else if (state == State::kSkipped) {
      SkipDependents(v, Status::Cancelled("dependency skipped: " + ActionOf(v).Ref()));
    } else if (state == State::kFailed) {
      SkipDependents(v, Status::Cancelled("dependency failed: " + ActionOf(v).Ref()));
      if (options_.fail_fast && !stop_starting_)
        StopStarting(
            Status::Cancelled("not started: fail-fast after " + ActionOf(v).Ref() + " failed"));
    }
  }

  // Skips, with `why`, every action that depends on `v` (directly or not).
  void SkipDependents(ApplyVertexId v, const Status& why) {
    std::vector<ApplyVertexId> stack = {v};
    while (!stack.empty()) {
      const ApplyVertexId u = stack.back();
      stack.pop_back();
      for (auto e : boost::make_iterator_range(boost::out_edges(u, graph_.dag))) {
        const ApplyVertexId t = boost::target(e, graph_.dag);
        // A dependent cannot be running: one of its predecessors did not succeed.
        if (OutcomeOf(t).state != State::kPending) continue;
        OutcomeOf(t) = Ended(State::kSkipped, why);
        observer_.OnActionEnd(ActionOf(t), OutcomeOf(t));
        stack.push_back(t);
      }
    }
  }

  void WorkerLoop() {
    while (std::optional<Job> job = jobs_.Pop()) {
      const ApplyVertexId v = job->v;
      auto on_step = [this, v](const std::string& step) {
        events_.Push(Event{v, false, step, {}});
      };
      ActionOutcome outcome;
      try {
        outcome =
            RunAction(ActionOf(v), *job->provider, settings_, images_, mutating_calls_, on_step);
      } catch (const std::exception& e) {  // a Provider must not throw; contain it if one does
        outcome = Ended(State::kFailed, Status::Internal(std::string("exception: ") + e.what()));
      } catch (...) {
        outcome = Ended(State::kFailed, Status::Internal("unknown exception"));
      }
      events_.Push(Event{v, true, "", std::move(outcome)});
    }
  }

  const Plan& plan_;
  const ApplyGraph& graph_;
  const ApplyOptions& options_;
  ApplyObserver& observer_;
  RollingBudget budget_;
  ApplyResult& result_;
  const int parallelism_;
  const int max_per_host_;
  const std::chrono::milliseconds poll_interval_;
  ActionSettings settings_;
  // Shared with the workers through fenced_ (thread-safe).
  std::shared_ptr<HostFence> fence_ = std::make_shared<HostFence>();
  // The run's providers behind the fence, by host; a host without a provider has none.
  std::map<std::string, std::unique_ptr<FencedProvider>> fenced_;

  std::vector<std::size_t> waiting_;  // unfinished predecessors, per vertex
  // Actions whose predecessors all succeeded, per host, in plan order.
  std::map<std::string, std::set<ApplyVertexId>> ready_;
  std::map<std::string, int> running_on_host_;
  int running_ = 0;
  bool stop_starting_ = false;
  Status stop_reason_ = Status::Cancelled("not started");

  // Shared with the workers (each is thread-safe).
  ImagePulls images_;
  std::atomic<std::uint64_t> mutating_calls_{0};
  BlockingQueue<Job> jobs_;
  BlockingQueue<Event> events_;
};

// The graph must be BuildApplyGraph(plan): same actions, same indices.
Status CheckGraphMatchesPlan(const Plan& plan, const ApplyGraph& graph) {
  std::size_t executable = 0;
  for (const PlanAction& a : plan.actions) executable += IsExecutable(a.kind);
  if (executable != graph.size())
    return Status::Internal("apply graph has " + std::to_string(graph.size()) +
                            " actions, the plan " + std::to_string(executable));
  for (ApplyVertexId v : boost::make_iterator_range(boost::vertices(graph.dag))) {
    const ApplyVertex& x = graph.dag[v];
    if (x.action >= plan.actions.size() || plan.actions[x.action].Ref() != x.ref ||
        plan.actions[x.action].kind != x.kind)
      return Status::Internal("apply graph was not built from this plan (" + x.ref + ")");
  }
  return Status::Ok();
}

void Tally(ApplyResult& result) {
  for (const ActionOutcome& o : result.outcomes) {
    result.succeeded += o.state == State::kSucceeded;
    result.failed += o.state == State::kFailed;
    result.rolled_back += o.state == State::kFailed && o.rolled_back;
    result.skipped += o.state == State::kSkipped;
    result.not_started += o.state == State::kNotStarted;
  }
}

}  // namespace

ApplyResult ExecutePlan(const Plan& plan, const ApplyGraph& graph,
                        const std::map<std::string, Provider*>& providers,
                        const ApplyOptions& options, ApplyObserver* observer) {
  ApplyObserver silent;
  ApplyObserver& obs = observer ? *observer : silent;
  ApplyResult result;
  result.outcomes.resize(plan.actions.size());

  Status ready = CheckGraphMatchesPlan(plan, graph);
  Result<RollingBudget> budget = RollingBudget::Make(GroupSizes(plan), options.max_unavailable);
  if (ready.ok()) ready = budget.status();
  if (!ready.ok()) {
    result.error = ready;
    for (std::size_t i = 0; i < plan.actions.size(); ++i) {
      result.outcomes[i] = Ended(State::kNotStarted, ready);
      obs.OnActionEnd(plan.actions[i], result.outcomes[i]);
    }
    Tally(result);
    return result;
  }

  for (std::size_t i = 0; i < plan.actions.size(); ++i) {
    const PlanAction& a = plan.actions[i];
    if (IsExecutable(a.kind)) continue;
    result.outcomes[i] = Ended(
        State::kSkipped, Status::Cancelled(std::string("not applied: ") + ActionName(a.kind)));
    obs.OnActionEnd(a, result.outcomes[i]);
  }

  try {
    Scheduler(plan, graph, providers, options, obs, std::move(budget).value(), result).Run();
  } catch (const std::exception& e) {  // e.g. an observer that threw; workers are joined
    result.error = Status::Internal(std::string("apply aborted: ") + e.what());
    for (ActionOutcome& o : result.outcomes)
      if (o.state == State::kPending) o = Ended(State::kNotStarted, result.error);
  }
  Tally(result);
  return result;
}

}  // namespace jlrec
