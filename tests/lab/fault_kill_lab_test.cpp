// Fault injection: jlrec SIGKILLed right before each step of a create and of an update
// (JLREC_FAULT_INJECT=kill-before:STEP). Whatever the step, the host holds at most one copy,
// the next plan sees work left, and the next apply converges with nothing lost or duplicated.
// (Each step of a replace and of its rollback is covered the same way in rollout_lab_test.)
#include <thread>

#include "fault_lab.h"

using namespace jlrec::testing;

namespace {

const char* kHealthcheck =
    "    healthcheck: {command: [\"/bin/true\"], timeout: 10s, interval: 1s}\n";

std::vector<LabUnit> Svc() { return {LabUnit{1, {"svc"}, {"product"}, true, kHealthcheck}}; }

// Runs the apply, killed right before `step`; its exit code.
int ApplyKilledBefore(const LabProject& p, const std::string& step) {
  auto r = p.Jlrec({"apply", "product", "--auto-approve"}, "",
                   {{"JLREC_FAULT_INJECT", "kill-before:" + step}});
  return r.exit_code;
}

// What a killed apply may leave: at most one container under the name and nothing else
// (a create has no NAME.jlrec-prev to leave), at most one of them running.
void CheckAtMostOneCopy(const LabProject& p) {
  auto left = ProjectContainers(p, 1);
  std::string listed;
  for (const auto& c : left) listed += c + "; ";
  INFO("left behind: " << listed);
  CHECK(left.size() <= 1);
  for (const auto& c : left) CHECK(c.rfind(p.Name("svc") + " ", 0) == 0);
}

// The apply after the kill: the plan sees what is left (surely some work when the kill came
// before the container was what the manifest wants; killed at its gate, it may already be),
// the apply does it, and only the one container runs.
void CheckRerunConverges(const LabProject& p, bool work_left) {
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  if (work_left)
    CHECK(plan.exit_code == 2);
  else
    CHECK((plan.exit_code == 0 || plan.exit_code == 2));
  Converge(p);
  CheckRunsExactly(p, 1, {"svc"});
}

// The steps after which the container may already be what the manifest wants.
bool AtTheGate(const std::string& step) {
  return step == "wait for running" || step == "health check";
}

}  // namespace

TEST_CASE("SIGKILL before each step of a create: at most one copy, the rerun converges",
          "[lab][faults]") {
  LabProject p("e2efault4");
  p.Write(Svc());
  for (const std::string step :
       {"create", "upload /run.sh", "start", "wait for running", "health check"}) {
    INFO("killed before " << step);
    p.RemoveContainers();
    CHECK(ApplyKilledBefore(p, step) == 128 + SIGKILL);
    CheckAtMostOneCopy(p);
    CheckRerunConverges(p, !AtTheGate(step));
  }
}

TEST_CASE("SIGKILL before each step of an update: at most one copy, the rerun converges",
          "[lab][faults]") {
  LabProject p("e2efault5");
  p.Write(Svc());
  Converge(p);
  const std::string id = p.Inspect(1, "svc", "{{.Id}}");
  // Each round flips the runtime mode: an update in place from the one the last round left.
  const std::vector<std::string> steps = {"read /run.sh", "keep previous /run.sh", "upload /run.sh",
                                          "restart",      "wait for running",      "health check"};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string mode = i % 2 == 0 ? "prod_new" : "dev_new";
    INFO("killed before " << steps[i] << " (to " << mode << ")");
    // A restart pending is told from the /run.sh mtime, in seconds: the upload must come a
    // second after the process started.
    if (steps[i] == "restart") std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    p.Write(Svc(), "", mode);
    CHECK(ApplyKilledBefore(p, steps[i]) == 128 + SIGKILL);
    CheckAtMostOneCopy(p);
    CheckRerunConverges(p, !AtTheGate(steps[i]));
    CHECK(p.Inspect(1, "svc", "{{.Id}}") == id);  // updated in place, never replaced
    auto env = LabDocker(1, {"exec", p.Name("svc"), "cat", "/proc/1/environ"});
    CHECK(Contains(env.out, "RUNTIME_MODE=" + mode + '\0'));
  }
}
