// The state backends side by side on a no-op apply at fleet scale (issue 19): the real
// Reconciler over in-memory hosts (the test suite's FakeProvider, so the hosts cost nothing
// and what differs is the state store), on each state location given, alternating them
// round by round. A no-op apply is what `jlrec apply` does when nothing changed: the apply
// lock, closing runs of dead applies, a refresh of every host recorded in the cache in one
// transaction, the plan (with what the state remembers: failures, unfinished actions,
// adoptions), and the lock released.
// Usage: state_backend_bench MANIFEST ROUNDS LOCATION... (a LOCATION is a file path or a
// postgresql:// URL, as --state takes). Prints one JSON object per measurement, then one
// summary line per location with the median in ms.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/plan_reason.h"
#include "engine/reconciler.h"
#include "engine/scoped_lock.h"
#include "manifests/manifest_loader.h"
#include "state/open_state_store.h"
#include "state/state_key.h"
#include "support/fake_provider.h"

namespace {

using namespace jlrec;
using Clock = std::chrono::steady_clock;

struct Backend {
  std::string location;
  std::unique_ptr<StateStore> store;
  std::shared_ptr<FakeProviderFactory> hosts = std::make_shared<FakeProviderFactory>();
  std::unique_ptr<Reconciler> reconciler;
  std::vector<double> noop_ms;
};

PlanRequest AllGroups(const DesiredState& desired) {
  PlanRequest request;
  for (const auto& [name, group] : desired.groups) request.groups.push_back(name);
  return request;
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "state_backend_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

// The fleet made once per backend, on its own fake hosts: a full apply of the manifest.
Status CreateFleet(Backend& b, const DesiredState& desired) {
  // Every image present on its hosts already (the fake's registry has never heard of a tag
  // it was not told: the plan then only warns that it could not check the digest).
  for (const DesiredContainer& c : desired.containers) b.hosts->Host(c.host).AddImage(c.spec.image);
  auto planned = b.reconciler->MakePlan(desired, AllGroups(desired));
  if (!planned.ok()) return planned.status();
  for (const HostSnapshot& h : planned->live().hosts)
    if (!h.reachable) return Status::Unavailable(h.host + ": " + h.error);
  ApplyRequest request;
  request.owner = "bench@" + std::string("local");
  request.options.parallelism = 10;
  request.options.max_per_host = 4;
  ApplyReport report = b.reconciler->Apply(planned->plan, desired, planned->providers(),
                                           &planned->live(), request, nullptr);
  if (!report.error.ok()) return report.error;
  if (!report.complete) {
    std::string why;
    for (const ActionOutcome& o : report.result.outcomes)
      if (!o.error.ok()) {
        why = o.error.ToString();
        break;
      }
    return Status::Internal("the first apply did not complete: " + report.summary + " " + why);
  }
  return Status::Ok();
}

// One no-op apply, as cmd_apply runs it; kInternal if the plan is not empty.
Result<double> NoopApply(Backend& b, const DesiredState& desired) {
  const Clock::time_point start = Clock::now();
  ScopedLock lock;
  Status locked = lock.Acquire(*b.store, "apply:" + desired.project, 0,
                               LockOwner{"bench@local", ::getpid(), "local"});
  if (!locked.ok()) return locked;
  CloseRunsOfDeadApplies(*b.store, desired.project);
  auto planned = b.reconciler->MakePlan(desired, AllGroups(desired));
  if (!planned.ok()) return planned.status();
  if (planned->plan.HasChanges()) {
    for (const PlanAction& a : planned->plan.actions)
      if (IsExecutable(a.kind))
        return Status::Internal("the no-op apply found changes: " + a.Ref() + " " +
                                ActionName(a.kind) + ": " + ReasonText(a));
  }
  lock.Release();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty()      ? 0
         : v.size() % 2 ? v[v.size() / 2]
                        : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MANIFEST ROUNDS LOCATION...\n", argv[0]);
    return 2;
  }
  auto key = NewStateKey();
  if (!key.ok()) return Fail("state key", key.status());
  LoadOptions options;
  options.script_key = *key;
  auto loaded = LoadManifest(argv[1], options);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
    return 1;
  }
  const DesiredState& desired = *loaded.state;
  const int rounds = std::max(1, std::atoi(argv[2]));

  std::vector<Backend> backends;
  for (int i = 3; i < argc; ++i) {
    Backend b;
    b.location = argv[i];
    auto location = ParseStateLocation(b.location);
    if (!location.ok()) return Fail(b.location, location.status());
    auto store = OpenStateStore(*location);
    if (!store.ok()) return Fail(b.location, store.status());
    b.store = std::move(*store);
    RefreshOptions refresh;
    refresh.parallelism = 10;  // jlrec apply's default
    refresh.script_key = *key;
    b.reconciler = std::make_unique<Reconciler>(b.hosts, *b.store, refresh);
    const Clock::time_point start = Clock::now();
    Status made = CreateFleet(b, desired);
    if (!made.ok()) return Fail(b.location + ": first apply", made);
    std::printf("{\"location\": \"%s\", \"first_apply_ms\": %.1f, \"containers\": %zu}\n",
                b.location.c_str(),
                std::chrono::duration<double, std::milli>(Clock::now() - start).count(),
                desired.containers.size());
    // One untimed no-op apply each: warm caches, and the first read of a fresh cache.
    auto warm = NoopApply(b, desired);
    if (!warm.ok()) return Fail(b.location + ": warm-up no-op apply", warm.status());
    backends.push_back(std::move(b));
  }
  for (int r = 0; r < rounds; ++r) {
    // Alternating the order each round, so neither backend always runs first.
    for (std::size_t k = 0; k < backends.size(); ++k) {
      Backend& b = backends[(r % 2 == 0) ? k : backends.size() - 1 - k];
      auto ms = NoopApply(b, desired);
      if (!ms.ok()) return Fail(b.location + ": no-op apply", ms.status());
      b.noop_ms.push_back(*ms);
      std::printf("{\"location\": \"%s\", \"round\": %d, \"noop_apply_ms\": %.1f}\n",
                  b.location.c_str(), r + 1, *ms);
      std::fflush(stdout);
    }
  }
  for (const Backend& b : backends)
    std::printf("summary %s: no-op apply median %.1f ms over %d rounds (min %.1f, max %.1f)\n",
                b.location.c_str(), Median(b.noop_ms), rounds,
                *std::min_element(b.noop_ms.begin(), b.noop_ms.end()),
                *std::max_element(b.noop_ms.begin(), b.noop_ms.end()));
  return 0;
}
