// Fault injection: a host's Docker daemon stops answering (SIGSTOP, `lab.sh pause-docker`)
// at an exact point of a run. jlrec must name the host, give up on it within its request
// timeout (not once per action or container), go on with the other hosts, and a rerun once
// the daemon answers again must converge with nothing lost or duplicated.
#include <thread>

#include "fault_lab.h"

using namespace jlrec::testing;

namespace {

// The request timeout the runs here use (--request-timeout), in seconds.
constexpr double kRequestTimeout = 1;
// A stop or restart request may take the daemon the container's stop grace to answer
// (ApplyOptions::stop_grace, 10 s): its timeout is that much longer.
constexpr double kStopGrace = 10;
// What a run may take besides its timeouts here (SSH connects, the other hosts' work).
constexpr double kSlack = 6;

const std::string kTimeoutFlag = "--request-timeout=1";

std::vector<LabUnit> ThreeHosts() {
  return {LabUnit{1, {"core"}, {"product"}, true, ""},
          LabUnit{2, {"w1", "w2"}, {"product"}, false, ""},
          LabUnit{3, {"w3"}, {"product"}, false, ""}};
}

// Pauses lab host `n`'s dockerd until destruction (also when a REQUIRE throws), so that no
// test leaves a paused daemon behind for the next one.
class PausedDaemon {
 public:
  explicit PausedDaemon(int n) : n_(n) {
    REQUIRE(LabCommand({"pause-docker", std::to_string(n)}).exit_code == 0);
  }
  ~PausedDaemon() { Resume(); }
  void Resume() {
    if (paused_) LabCommand({"resume-docker", std::to_string(n_)});
    paused_ = false;
  }
  PausedDaemon(const PausedDaemon&) = delete;
  PausedDaemon& operator=(const PausedDaemon&) = delete;

 private:
  int n_;
  bool paused_ = true;
};

// Lets `run` (stopped at its step) go on with lab host `n`'s daemon paused until the run
// has ended (exit 1 expected); returns the run's output.
std::string FinishWithDaemonPaused(StoppedRun& run, int n) {
  REQUIRE(run.WaitStopped());
  PausedDaemon paused(n);
  run.Continue();
  CHECK(run.Finish() == 1);
  return run.output();
}

}  // namespace

TEST_CASE(
    "a daemon paused between a /run.sh upload and its restart: one timeout names the host, "
    "the rerun restarts from the new script",
    "[lab][faults]") {
  LabProject p("e2efault1");
  p.Write({LabUnit{1, {"svc"}, {"product"}, true, ""}});
  Converge(p);
  // The process must have started a second before the upload (one-second mtimes), so that
  // an upload left without its restart is seen as one.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  p.Write({LabUnit{1, {"svc"}, {"product"}, true, ""}}, "", "prod_new");

  StoppedRun run(p, {"apply", "product", "--auto-approve", kTimeoutFlag}, "restart");
  const std::string out = FinishWithDaemonPaused(run, 1);
  CHECK(Contains(p.RunScript(1, "svc"), "RUNTIME_MODE='prod_new'"));  // it was uploaded
  INFO(out);
  CHECK(Contains(out, "Host lab1 stopped answering: "));
  CHECK(Contains(out, "no complete answer within"));
  CHECK(run.seconds() < kRequestTimeout + kStopGrace + kSlack);
  // The daemon may still carry out the restart it was sent while paused; either way the
  // rerun ends with one container running the new script.
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
  CheckRunsExactly(p, 1, {"svc"});
  auto env = LabDocker(1, {"exec", p.Name("svc"), "cat", "/proc/1/environ"});
  CHECK(Contains(env.out, std::string("RUNTIME_MODE=prod_new") + '\0'));
}

TEST_CASE(
    "a daemon paused during refresh: plan, drift and apply name the host within the request "
    "timeout and the other hosts are still read",
    "[lab][faults]") {
  LabProject p("e2efault2");
  p.Write(ThreeHosts());
  Converge(p);
  {
    PausedDaemon paused(2);
    auto t0 = std::chrono::steady_clock::now();
    auto plan = p.Jlrec({"plan", "product", kTimeoutFlag});
    const double plan_seconds = SecondsSince(t0);
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 1);
    CHECK(Contains(plan.out, "Error: host lab2"));
    CHECK(Contains(plan.out, "no complete answer within 1s"));
    CHECK(Contains(plan.out, "No changes planned for the reachable hosts."));
    CHECK(plan_seconds < kRequestTimeout + kSlack);

    t0 = std::chrono::steady_clock::now();
    auto drift = p.Jlrec({"drift", kTimeoutFlag});
    const double drift_seconds = SecondsSince(t0);
    INFO(drift.out << drift.err);
    CHECK(drift.exit_code == 1);
    CHECK(Contains(drift.out, "lab2"));
    CHECK(drift_seconds < kRequestTimeout + kSlack);

    t0 = std::chrono::steady_clock::now();
    auto apply = p.Jlrec({"apply", "product", "--auto-approve", kTimeoutFlag});
    const double apply_seconds = SecondsSince(t0);
    INFO(apply.out << apply.err);
    CHECK(apply.exit_code == 1);
    CHECK(Contains(apply.out, "Error: host lab2"));
    CHECK(Contains(apply.err, "refusing to apply while hosts could not be refreshed"));
    CHECK(apply_seconds < kRequestTimeout + kSlack);
  }
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 0);
  CheckRunsExactly(p, 1, {"core"});
  CheckRunsExactly(p, 2, {"w1", "w2"});
  CheckRunsExactly(p, 3, {"w3"});
}

TEST_CASE(
    "a daemon paused in the middle of an apply: one timeout, its host's other actions skipped "
    "naming it, the other hosts done, the real wall time reported",
    "[lab][faults]") {
  LabProject p("e2efault3");
  auto units = ThreeHosts();
  units[2].dockers = {};  // lab3's container comes with the change: a create there
  units.pop_back();
  p.Write(units);
  Converge(p);
  // lab2's two containers get a new spec (replaced, one at a time); lab3 gets a new one.
  units[1].extra = "    labels: {fault-test: \"2\"}\n";
  units.push_back(LabUnit{3, {"w3"}, {"product"}, false, ""});
  p.Write(units);

  // "rename previous" is the first host call of a replace: only lab2's actions have one.
  StoppedRun run(p, {"apply", "product", "--auto-approve", "--max-per-host", "1", kTimeoutFlag},
                 "rename previous");
  const std::string out = FinishWithDaemonPaused(run, 2);
  INFO(out);
  CHECK(Contains(out, "Host lab2 stopped answering: "));
  CHECK(Contains(out, "skipped (host lab2 stopped answering: "));
  CHECK(Contains(out, "no complete answer within 1s"));
  CHECK(Contains(out, "lab3/" + p.Name("w3") + ": create done"));
  CHECK(run.seconds() < kRequestTimeout + kSlack);
  // The summary's time is the run's: at least the timeout it waited, at most what the run took
  // from its start.
  const double reported = SummarySeconds(out);
  CHECK(reported >= kRequestTimeout);
  CHECK(reported <= run.total_seconds() + 0.1);
  CheckRunsExactly(p, 3, {"w3"});

  // The rename the paused daemon was sent may land after jlrec gave up: the rerun finishes it.
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
  CheckRunsExactly(p, 1, {"core"});
  CheckRunsExactly(p, 2, {"w1", "w2"});
  CheckRunsExactly(p, 3, {"w3"});
  CHECK(p.Inspect(2, "w1", "{{index .Config.Labels \"fault-test\"}}") == "2");
}
