// `jlrec apply` against the lab's real sshd + dockerd hosts.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <thread>

#include "fault_lab.h"
#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

std::vector<LabUnit> ProductUnits() {
  return {LabUnit{1, {"core"}, {"product"}, true, ""},
          LabUnit{2, {"w1", "w2"}, {"product"}, false, ""},
          LabUnit{3, {"w3"}, {"product"}, false, ""}};
}

struct Ref {
  int host;
  std::string name;
};
const std::vector<Ref> kProduct = {{1, "core"}, {2, "w1"}, {2, "w2"}, {3, "w3"}};

std::map<std::string, std::string> Ids(const LabProject& p) {
  std::map<std::string, std::string> ids;
  for (const auto& r : kProduct) ids[r.name] = p.Inspect(r.host, r.name, "{{.Id}}");
  return ids;
}

std::string Now() {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

// Docker events of the project's containers on every host between `since` and now.
std::string Events(const LabProject& p, const std::string& since) {
  std::string all;
  std::string until = std::to_string(std::stoll(Now()) + 1);
  for (int n = 1; n <= 3; ++n) {
    auto e = LabDocker(n, {"events", "--since", since, "--until", until, "--filter",
                           "type=container", "--filter", "label=jlrec.project=" + p.project(),
                           "--format", "{{.Action}} {{.Actor.Attributes.name}}"});
    // Reading /run.sh (GET .../archive) is an event too, but changes nothing.
    std::istringstream lines(e.out);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("archive-path ", 0) != 0) all += line + "\n";
  }
  return all;
}

}  // namespace

TEST_CASE("apply on a fresh lab creates the group: labels, /run.sh, running, master first",
          "[lab][apply]") {
  LabProject p("e2eapply1");
  p.Write(ProductUnits());
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Contains(r.out, "4 succeeded, 0 failed"));
  CHECK_FALSE(Contains(r.out + r.err, "s3cr3t-value"));
  for (const auto& ref : kProduct) {
    INFO(ref.name);
    CHECK(p.Inspect(ref.host, ref.name, "{{.State.Running}}") == "true");
    CHECK(p.Inspect(ref.host, ref.name, "{{index .Config.Labels \"jlrec.project\"}}") ==
          p.project());
    CHECK(p.Inspect(ref.host, ref.name, "{{index .Config.Labels \"jlrec.groups\"}}") == "product");
    CHECK(p.Inspect(ref.host, ref.name, "{{index .Config.Labels \"jlrec.core\"}}") ==
          (ref.name == "core" ? "true" : "false"));
    std::string script = p.RunScript(ref.host, ref.name);
    CHECK(Contains(script, "export RUNTIME_MODE='dev_new'"));
    CHECK(Contains(script, "export MONITOR_ENABLED='true'"));
    CHECK(Contains(
        script, "export JL_ROLE='" + std::string(ref.name == "core" ? "master" : "worker") + "'"));
    CHECK(Contains(script, "export JL_CONTAINER='" + p.Name(ref.name) + "'"));
    // The container really ran the script: the fixture's install markers and role file.
    auto role = LabDocker(ref.host, {"exec", p.Name(ref.name), "cat", "/tmp/role"});
    CHECK(role.out == (ref.name == "core" ? "master\n" : "worker\n"));
  }
  // Master first: the core container started before any worker was created.
  std::string core_started = p.Inspect(1, "core", "{{.State.StartedAt}}");
  for (const auto& ref : kProduct) {
    if (ref.name == "core") continue;
    CHECK(core_started < p.Inspect(ref.host, ref.name, "{{.Created}}"));
  }
}

TEST_CASE("a second apply changes nothing: no Docker event on any host", "[lab][apply]") {
  LabProject p("e2eapply2");
  p.Write(ProductUnits());
  REQUIRE(p.Jlrec({"apply", "product", "--auto-approve"}).exit_code == 0);
  auto ids = Ids(p);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::string since = Now();
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "No changes."));
  CHECK(Ids(p) == ids);
  CHECK(Events(p, since) == "");
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  CHECK(plan.exit_code == 0);
}

TEST_CASE("a runtime_mode change is applied in place: same ids, new /run.sh, restarted",
          "[lab][apply]") {
  LabProject p("e2eapply3");
  p.Write(ProductUnits());
  REQUIRE(p.Jlrec({"apply", "product", "--auto-approve"}).exit_code == 0);
  auto ids = Ids(p);
  std::string started = p.Inspect(2, "w1", "{{.State.StartedAt}}");
  p.Write(ProductUnits(), "", "prod_new");
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Ids(p) == ids);
  CHECK(Contains(p.RunScript(2, "w1"), "export RUNTIME_MODE='prod_new'"));
  CHECK(p.Inspect(2, "w1", "{{.State.StartedAt}}") != started);
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
}

TEST_CASE("an image change replaces the containers (new ids, new image)", "[lab][apply]") {
  LabProject p("e2eapply4");
  p.Write(ProductUnits());
  REQUIRE(p.Jlrec({"apply", "product", "--auto-approve"}).exit_code == 0);
  auto ids = Ids(p);
  p.Write(ProductUnits(), p.lab().image2);
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto now = Ids(p);
  for (const auto& ref : kProduct) {
    CHECK(now[ref.name] != ids[ref.name]);
    CHECK(p.Inspect(ref.host, ref.name, "{{.Config.Image}}") == p.lab().image2);
    auto v = LabDocker(ref.host, {"exec", p.Name(ref.name), "cat", "/etc/jlrec-lab-release"});
    CHECK(v.out == "jlrec-lab base image version 2\n");
  }
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
}

TEST_CASE("apply without a terminal and without --auto-approve refuses", "[lab][apply]") {
  LabProject p("e2eapply5");
  p.Write(ProductUnits());
  auto r = p.Jlrec({"apply", "product"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "--auto-approve"));
  CHECK(p.Inspect(1, "core", "{{.Id}}") == "");
}

TEST_CASE("a host whose docker is down at plan time: apply refuses and changes nothing",
          "[lab][apply]") {
  LabProject p("e2eapply6");
  p.Write(ProductUnits());
  REQUIRE(p.Jlrec({"apply", "product", "--auto-approve"}).exit_code == 0);
  p.Write(ProductUnits(), "", "prod_new");
  REQUIRE(LabCommand({"stop-docker", "3"}).exit_code == 0);
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  auto restarted = LabCommand({"start-docker", "3"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out, "? lab3/" + p.Name("w3")));
  CHECK(Contains(r.err, "refusing to apply"));
  REQUIRE(restarted.exit_code == 0);
  CHECK_FALSE(Contains(p.RunScript(2, "w1"), "prod_new"));
}

TEST_CASE("a host lost in the middle of an apply fails only its actions and dependents",
          "[lab][apply]") {
  LabProject p("e2eapply9");
  auto units = ProductUnits();
  // Only the master has a health check: jlrec stops itself right before it, after the refresh
  // and before any worker is touched, and host 3's daemon is stopped at that exact point
  // (however long stopping it takes).
  units[0].extra = "    healthcheck: {command: [\"/bin/true\"], timeout: 30s, interval: 1s}\n";
  p.Write(units);
  StoppedRun run(p, {"apply", "product", "--auto-approve"}, "health check");
  REQUIRE(run.WaitStopped());
  auto stopped = LabCommand({"stop-docker", "3"});
  run.Continue();
  const int exit_code = run.Finish();
  auto restarted = LabCommand({"start-docker", "3"});
  REQUIRE(stopped.exit_code == 0);
  REQUIRE(restarted.exit_code == 0);
  INFO(run.output());
  CHECK(exit_code == 1);
  CHECK(p.Inspect(1, "core", "{{.State.Running}}") == "true");
  CHECK(p.Inspect(2, "w1", "{{.State.Running}}") == "true");
  CHECK(p.Inspect(2, "w2", "{{.State.Running}}") == "true");
  auto history = p.Jlrec({"history"});
  INFO(history.out);
  CHECK(Contains(history.out, "failed  create  lab3/" + p.Name("w3")));
  CHECK(Contains(history.out, "succeeded  create  lab2/" + p.Name("w1")));
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(p.Inspect(3, "w3", "{{.State.Running}}") == "true");
}

TEST_CASE("two concurrent applies: the second fails at once naming the holder", "[lab][apply]") {
  LabProject p("e2eapply7");
  auto units = ProductUnits();
  // A healthcheck that takes a while keeps the first apply busy.
  p.Write(
      units, "", "dev_new",
      "  healthcheck: {command: [\"/bin/sh\", \"-c\", \"sleep 2\"], timeout: 30s, interval: 1s}\n");
  pid_t pid = fork();
  if (pid == 0) {
    auto r = p.Jlrec({"apply", "product", "--auto-approve"});
    _exit(r.exit_code);
  }
  // Wait until the first apply holds the lock (its run shows in history).
  std::string held;
  for (int i = 0; i < 200 && !Contains(held, "running"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    held = p.Jlrec({"history"}).out;
  }
  auto second = p.Jlrec({"apply", "product", "--auto-approve"});
  int status = 0;
  waitpid(pid, &status, 0);
  INFO(second.out << second.err);
  CHECK(Contains(held, "running"));
  CHECK(second.exit_code == 1);
  CHECK(Contains(second.err, "another apply holds the lock"));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("SIGKILL in the middle of an apply, then a rerun converges without duplicates",
          "[lab][apply]") {
  LabProject p("e2eapply8");
  p.Write(
      ProductUnits(), "", "dev_new",
      "  healthcheck: {command: [\"/bin/sh\", \"-c\", \"sleep 1\"], timeout: 30s, interval: 1s}\n");
  pid_t pid =
      StartJlrec({"apply", "product", "--auto-approve", "--parallelism", "1", "-m", p.manifest()});
  // Kill it once the master exists but before every worker does.
  for (int i = 0; i < 300 && p.Inspect(1, "core", "{{.Id}}").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));

  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);  // something is left to do, and plan says exactly what
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  for (const auto& ref : kProduct) {
    auto count = LabDocker(ref.host, {"ps", "-aq", "--filter", "name=" + p.Name(ref.name)});
    CHECK(std::count(count.out.begin(), count.out.end(), '\n') == 1);
    CHECK(p.Inspect(ref.host, ref.name, "{{.State.Running}}") == "true");
  }
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
}
