// Truthful rollouts against the lab's real sshd + dockerd hosts (issue 13): failed deploys stay
// visible, a bad image never costs the running container, a killed jlrec leaves a state the
// next apply finishes, releases are recorded and can be rolled back.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "model/rfc3339.h"
#include "support/lab_project.h"

using namespace jlrec::testing;
using nlohmann::json;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A health check that passes only on the lab's base image version 1.
const char* kPassesOnImage1 =
    "    healthcheck: {command: [\"/bin/sh\", \"-c\", \"grep -q 'version 1' "
    "/etc/jlrec-lab-release\"], timeout: 3s, interval: 1s, retries: 1}\n";

// A health check that passes only when the running process (PID 1) started with
// RUNTIME_MODE=dev_new: it checks the process, not the file.
const char* kPassesOnDevNew =
    "    healthcheck: {command: [\"/bin/sh\", \"-c\", \"tr '\\\\0' '\\\\n' < /proc/1/environ | "
    "grep -qx RUNTIME_MODE=dev_new\"], timeout: 3s, interval: 1s, retries: 1}\n";

std::vector<LabUnit> One(const std::string& extra = "") {
  return {LabUnit{1, {"svc"}, {"product"}, true, extra}};
}

// Names of the containers on lab host `host` whose name starts with `prefix`, with state.
std::vector<std::string> ContainersOf(int host, const std::string& prefix) {
  auto r = LabDocker(
      host, {"ps", "-a", "--filter", "name=" + prefix, "--format", "{{.Names}} {{.State}}"});
  std::vector<std::string> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

void Converge(const LabProject& p) {
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// The environment of the container's PID 1, one VAR=value per line.
std::string ProcessEnv(const LabProject& p, int host, const std::string& name) {
  return LabDocker(host, {"exec", p.Name(name), "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ"})
      .out;
}

std::int64_t Nanos(const std::string& rfc3339) {
  auto t = jlrec::ParseRfc3339(rfc3339);
  REQUIRE(t.has_value());
  return *t;
}

}  // namespace

TEST_CASE("a create that fails its health gate stays in the plan and in drift until fixed",
          "[lab][rollout]") {
  LabProject p("e2eroll1");
  p.Write(One(
      "    healthcheck: {command: [\"/bin/sh\", \"-c\", \"test -f /tmp/never-ready\"], timeout: "
      "3s, interval: 1s, retries: 1}\n"));
  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  CHECK(applied.exit_code == 1);
  CHECK(Contains(applied.out, "health check timed out after 3s (last probe: exit code 1)"));

  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);
  CHECK(Contains(plan.out, "-/+ lab1/" + p.Name("svc")));
  CHECK(Contains(plan.out, "create failed at apply #"));
  CHECK(Contains(plan.out, "health check timed out after 3s"));
  CHECK_FALSE(Contains(plan.out, "match the manifest"));

  auto as_json = json::parse(p.Jlrec({"plan", "product", "--json"}).out);
  REQUIRE(as_json["actions"].size() == 1);
  CHECK(as_json["actions"][0]["reason_kind"] == "failed");
  CHECK(as_json["actions"][0]["failure"]["action"] == "create");
  CHECK(as_json["summary"]["failed"] == 1);

  auto drift = p.Jlrec({"drift"});
  INFO(drift.out << drift.err);
  CHECK(drift.exit_code == 2);
  CHECK(Contains(drift.out, "failed  lab1/" + p.Name("svc")));

  // Fixed in the manifest: the next apply replaces it and the failure is gone.
  p.Write(One("    healthcheck: {command: [\"/bin/true\"], timeout: 3s, interval: 1s}\n"));
  auto fixed = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(fixed.out << fixed.err);
  CHECK(fixed.exit_code == 0);
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
  CHECK(p.Jlrec({"drift", "--quiet"}).exit_code == 0);
}

TEST_CASE(
    "a replace whose new image fails its gate puts the old container back: same id, "
    "running, briefly down",
    "[lab][rollout]") {
  LabProject p("e2eroll2");
  p.Write(One(kPassesOnImage1));
  Converge(p);
  const std::string id = p.Inspect(1, "svc", "{{.Id}}");
  p.Write(One(kPassesOnImage1), p.lab().image2);
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out, "FAILED after"));
  CHECK(Contains(r.out, "rolled back"));
  CHECK(Contains(r.out, "1 failed (1 rolled back)"));
  // The same container, running the old image, under its name; nothing else left.
  CHECK(p.Inspect(1, "svc", "{{.Id}}") == id);
  CHECK(p.Inspect(1, "svc", "{{.State.Running}}") == "true");
  CHECK(p.Inspect(1, "svc", "{{.Config.Image}}") == p.lab().image1);
  CHECK(ContainersOf(1, p.Name("")) == std::vector<std::string>{p.Name("svc") + " running"});
  // Down only from its stop to its restart: the new container's start and gate (3 s), its
  // removal and the rename back.
  const auto down = Nanos(p.Inspect(1, "svc", "{{.State.StartedAt}}")) -
                    Nanos(p.Inspect(1, "svc", "{{.State.FinishedAt}}"));
  INFO("down for " << down / 1000000 << " ms");
  CHECK(down > 0);
  CHECK(down < std::int64_t{15} * 1000000000);

  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out);
  CHECK(plan.exit_code == 2);
  CHECK(Contains(plan.out, "replace failed at apply #"));
  CHECK(Contains(plan.out, "and was rolled back"));
  auto drift = p.Jlrec({"drift"});
  CHECK(drift.exit_code == 2);
  CHECK(Contains(drift.out, "failed  lab1/" + p.Name("svc")));
}

TEST_CASE("an update in place whose gate fails gets its previous /run.sh back, restarted",
          "[lab][rollout]") {
  LabProject p("e2eroll3");
  p.Write(One(kPassesOnDevNew));
  Converge(p);
  const std::string id = p.Inspect(1, "svc", "{{.Id}}");
  const std::string before = p.RunScript(1, "svc");
  p.Write(One(kPassesOnDevNew), "", "prod_new");
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out, "rolled back"));
  CHECK(p.Inspect(1, "svc", "{{.Id}}") == id);
  CHECK(p.Inspect(1, "svc", "{{.State.Running}}") == "true");
  CHECK(p.RunScript(1, "svc") == before);
  CHECK(Contains(ProcessEnv(p, 1, "svc"), "RUNTIME_MODE=dev_new\n"));
  // The script it replaced is kept beside it.
  auto kept = LabDocker(1, {"exec", p.Name("svc"), "cat", "/run.sh.jlrec-prev"});
  CHECK(kept.out == before);

  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out);
  CHECK(plan.exit_code == 2);
  CHECK(Contains(plan.out, "update failed at apply #"));
  CHECK(p.Jlrec({"drift"}).exit_code == 2);
}

TEST_CASE("drift finds an unhealthy, a restart-looping and an exited container", "[lab][rollout]") {
  LabProject p("e2eroll4");
  p.Write({LabUnit{1,
                   {"sick"},
                   {"product"},
                   true,
                   "    healthcheck: {command: [\"/bin/sh\", \"-c\", \"test ! -f /tmp/broken\"], "
                   "timeout: 5s, interval: 1s, retries: 1}\n"},
           LabUnit{2,
                   {"loop"},
                   {"product"},
                   false,
                   "    command: [\"/bin/sh\", \"-c\", \"sleep 1; exit 3\"]\n"
                   "    restart: always\n"},
           LabUnit{3,
                   {"quits"},
                   {"product"},
                   false,
                   "    command: [\"/bin/sh\", \"-c\", \"sleep 2; exit 7\"]\n"
                   "    restart: \"no\"\n"}});
  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  REQUIRE(LabDocker(1, {"exec", p.Name("sick"), "touch", "/tmp/broken"}).exit_code == 0);
  // Docker's own probes: unhealthy after one failed probe; the loop restarts every ~1-2 s.
  std::string health;
  for (int i = 0; i < 100 && health != "unhealthy"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    health = p.Inspect(1, "sick", "{{.State.Health.Status}}");
  }
  REQUIRE(health == "unhealthy");
  for (int i = 0; i < 150 && std::stoi("0" + p.Inspect(2, "loop", "{{.RestartCount}}")) < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 100 && p.Inspect(3, "quits", "{{.State.Status}}") != "exited"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

  auto drift = p.Jlrec({"drift"});
  INFO(drift.out << drift.err);
  CHECK(drift.exit_code == 2);
  CHECK(Contains(drift.out, "unhealthy  lab1/" + p.Name("sick")));
  CHECK(Contains(drift.out, "restart_loop  lab2/" + p.Name("loop")));
  // Its exit code is known while Docker restarts it; once it runs again Docker has zeroed it.
  CHECK((Contains(drift.out, "last exit code 3") || !Contains(drift.out, "last exit code")));
  CHECK(Contains(drift.out, "stopped  lab3/" + p.Name("quits")));
  CHECK(Contains(drift.out, "(exit code 7)"));
  auto plan = p.Jlrec({"plan", "product"});
  CHECK(Contains(plan.out, "~ lab1/" + p.Name("sick")));
  CHECK(Contains(plan.out, "restart"));
  CHECK(Contains(plan.out, "> lab3/" + p.Name("quits")));
}

namespace {

// Runs `jlrec apply product` with JLREC_FAULT_INJECT=kill-before:`step`; returns its status.
int ApplyKilledBefore(const LabProject& p, const std::string& step) {
  auto r = p.Jlrec({"apply", "product", "--auto-approve"}, "",
                   {{"JLREC_FAULT_INJECT", "kill-before:" + step}});
  return r.exit_code;
}

}  // namespace

TEST_CASE(
    "SIGKILL at each step of a replace: the next plan sees it, the next apply finishes it, "
    "never two copies and none lost",
    "[lab][rollout]") {
  const std::vector<std::string> steps = {"rename previous", "create",         "upload /run.sh",
                                          "stop previous",   "start",          "wait for running",
                                          "health check",    "remove previous"};
  for (const std::string& step : steps) {
    DYNAMIC_SECTION("killed before " << step) {
      LabProject p("e2eroll5");
      p.Write(One("    healthcheck: {command: [\"/bin/true\"], timeout: 10s, interval: 1s}\n"));
      Converge(p);
      p.Write(One("    healthcheck: {command: [\"/bin/true\"], timeout: 10s, interval: 1s}\n"),
              p.lab().image2);
      CHECK(ApplyKilledBefore(p, step) == 128 + SIGKILL);
      // Whatever the step, at most one copy runs.
      auto left = ContainersOf(1, p.Name("svc"));
      INFO("left: " << left.size());
      int running = 0;
      for (const auto& c : left) running += Contains(c, " running");
      CHECK(running <= 1);

      auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
      INFO(plan.out << plan.err);
      CHECK(plan.exit_code == 2);
      auto r = p.Jlrec({"apply", "product", "--auto-approve"});
      INFO(r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(ContainersOf(1, p.Name("svc")) == std::vector<std::string>{p.Name("svc") + " running"});
      CHECK(p.Inspect(1, "svc", "{{.Config.Image}}") == p.lab().image2);
      CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
    }
  }
}

TEST_CASE(
    "SIGKILL at each step of a replace's rollback: the next apply puts the old container "
    "back",
    "[lab][rollout]") {
  const std::vector<std::string> steps = {"stop new", "remove new", "restore previous",
                                          "start previous"};
  for (const std::string& step : steps) {
    DYNAMIC_SECTION("killed before " << step) {
      LabProject p("e2eroll6");
      p.Write(One(kPassesOnImage1));
      Converge(p);
      const std::string id = p.Inspect(1, "svc", "{{.Id}}");
      p.Write(One(kPassesOnImage1), p.lab().image2);
      CHECK(ApplyKilledBefore(p, step) == 128 + SIGKILL);
      int running = 0;
      for (const auto& c : ContainersOf(1, p.Name("svc"))) running += Contains(c, " running");
      CHECK(running <= 1);
      CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 2);
      // The new image still fails: the apply ends in the old container, back in place.
      auto r = p.Jlrec({"apply", "product", "--auto-approve"});
      INFO(r.out << r.err);
      CHECK(r.exit_code == 1);
      CHECK(ContainersOf(1, p.Name("svc")) == std::vector<std::string>{p.Name("svc") + " running"});
      CHECK(p.Inspect(1, "svc", "{{.Id}}") == id);
      CHECK(p.Inspect(1, "svc", "{{.Config.Image}}") == p.lab().image1);
    }
  }
}

TEST_CASE("an update killed between its upload and its restart is planned as a pending restart",
          "[lab][rollout]") {
  LabProject p("e2eroll7");
  p.Write(One());
  Converge(p);
  // The process must have started at least a second before the upload (one-second mtimes).
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  p.Write(One(), "", "prod_new");
  CHECK(ApplyKilledBefore(p, "restart") == 128 + SIGKILL);
  CHECK(Contains(p.RunScript(1, "svc"), "RUNTIME_MODE='prod_new'"));
  CHECK(Contains(ProcessEnv(p, 1, "svc"), "RUNTIME_MODE=dev_new\n"));

  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);
  CHECK(Contains(plan.out, "~ lab1/" + p.Name("svc")));
  CHECK(Contains(plan.out, "restart pending"));
  auto drift = p.Jlrec({"drift"});
  CHECK(drift.exit_code == 2);
  CHECK(Contains(drift.out, "restart_pending  lab1/" + p.Name("svc")));
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(ProcessEnv(p, 1, "svc"), "RUNTIME_MODE=prod_new\n"));
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
  // The journal says what became of the killed run: the apply after it closed it.
  auto history = json::parse(p.Jlrec({"history", "--json"}).out);
  REQUIRE(history.size() == 3);
  CHECK(history[1]["result"] == "interrupted");
  CHECK(history[1]["actions"][0]["result"] == "running");
}

TEST_CASE("an update whose upload is answered late by a paused daemon is never 'in sync'",
          "[lab][rollout]") {
  LabProject p("e2eroll8");
  p.Write(One());
  Converge(p);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  p.Write(One(), "", "prod_new");
  // jlrec stops itself right before the upload; the daemon is paused; jlrec goes on, its
  // upload waits for an answer that comes only after its request timeout.
  pid_t pid = StartJlrec({"apply", "product", "--auto-approve", "--request-timeout", "2", "-m",
                          p.manifest(), "--no-color"},
                         {{"JLREC_FAULT_INJECT", "stop-before:upload /run.sh"}});
  int status = 0;
  REQUIRE(waitpid(pid, &status, WUNTRACED) == pid);
  REQUIRE(WIFSTOPPED(status));
  REQUIRE(LabCommand({"pause-docker", "1"}).exit_code == 0);
  kill(pid, SIGCONT);
  waitpid(pid, &status, 0);
  auto resumed = LabCommand({"resume-docker", "1"});
  REQUIRE(resumed.exit_code == 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  // Let the daemon work through what it queued while paused.
  std::this_thread::sleep_for(std::chrono::seconds(2));

  // Whatever the daemon did with the late upload, the running process has the old
  // environment, and neither plan nor drift may call that in sync.
  CHECK(Contains(ProcessEnv(p, 1, "svc"), "RUNTIME_MODE=dev_new\n"));
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);
  CHECK((Contains(plan.out, "restart pending") || Contains(plan.out, "/run.sh differs")));
  CHECK(p.Jlrec({"drift"}).exit_code == 2);
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(ProcessEnv(p, 1, "svc"), "RUNTIME_MODE=prod_new\n"));
}

TEST_CASE("every apply is a release record, rollback brings back the first image's digest",
          "[lab][rollout]") {
  LabProject p("e2eroll9");
  p.Write(One());
  SECTION("no earlier release: refused") {
    Converge(p);
    auto r = p.Jlrec({"rollback", "product", "--auto-approve"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(Contains(r.err, "no earlier release of group 'product'"));
  }
  SECTION("two applies with different tags, then a rollback") {
    Converge(p);
    const std::string digest1 =
        LabDocker(1, {"image", "inspect", "-f", "{{index .RepoDigests 0}}", p.lab().image1}).out;
    p.Write(One(), p.lab().image2);
    Converge(p);
    CHECK(p.Inspect(1, "svc", "{{.Config.Image}}") == p.lab().image2);

    auto history = json::parse(p.Jlrec({"history", "--json"}).out);
    REQUIRE(history.size() == 2);
    const json& latest = history[0];
    CHECK(latest["kind"] == "apply");
    CHECK(Contains(latest["owner"].get<std::string>(), "@"));
    CHECK(latest["jlrec_version"] != "");
    CHECK(latest["manifest_digest"].get<std::string>().size() == 64);
    REQUIRE(latest["release"].size() == 1);
    CHECK(latest["release"][0]["image"] == p.lab().image2);
    CHECK(latest["release"][0]["image_digest"].get<std::string>().rfind("sha256:", 0) == 0);
    CHECK(latest["release"][0]["script_digest"].get<std::string>().size() == 64);
    CHECK(latest["release"][0]["outcome"] == "succeeded");
    CHECK(history[1]["release"][0]["image_digest"].get<std::string>() ==
          digest1.substr(digest1.find('@') + 1, 71));
    CHECK_FALSE(Contains(history.dump(), "s3cr3t-value"));

    auto r = p.Jlrec({"rollback", "product", "--auto-approve"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(Contains(r.out, "Rollback of group product to the release of apply #"));
    CHECK(Contains(r.out, "The manifest still names " + p.lab().image2));
    // Back on the first image, by digest.
    std::string image = p.Inspect(1, "svc", "{{.Config.Image}}");
    CHECK(image == digest1.substr(0, digest1.find('\n')));
    auto release = LabDocker(1, {"exec", p.Name("svc"), "cat", "/etc/jlrec-lab-release"});
    CHECK(release.out == "jlrec-lab base image version 1\n");
    // The manifest still names :2, so drift reports the group until it is changed.
    auto drift = p.Jlrec({"drift"});
    CHECK(drift.exit_code == 2);
    CHECK(Contains(drift.out, "spec_changed  lab1/" + p.Name("svc")));
    auto after = json::parse(p.Jlrec({"history", "--json"}).out);
    CHECK(after[0]["kind"] == "rollback");
  }
}

TEST_CASE("an image tag that exists nowhere fails plan with exit 1 and apply touches nothing",
          "[lab][rollout]") {
  LabProject p("e2eroll10");
  const std::string missing = p.lab().image1.substr(0, p.lab().image1.rfind(':')) + ":no-such-tag";
  p.Write(One(), missing);
  auto plan = p.Jlrec({"plan", "product"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 1);
  CHECK(Contains(plan.out, "? lab1/" + p.Name("svc")));
  CHECK(Contains(plan.out, "image not found: " + missing));
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "refusing to apply"));
  CHECK(ContainersOf(1, p.Name("")).empty());

  // A registry that cannot be reached is only a warning: the daemon may have the image.
  p.Write(One(), "127.0.0.1:5999/jlrec-lab/base:1");
  auto unreachable = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(unreachable.out << unreachable.err);
  CHECK(unreachable.exit_code == 2);
  CHECK(Contains(unreachable.out,
                 "Warning: could not check the registry digest of "
                 "127.0.0.1:5999/jlrec-lab/base:1 on lab1"));
}

TEST_CASE("a replace of a container jlrec did not manage, killed midway, is found and finished",
          "[lab][rollout]") {
  LabProject p("e2eroll11");
  p.Write(One());
  // Made by hand (the legacy script's way): no jlrec labels.
  REQUIRE(LabDocker(1, {"run", "-d", "--name", p.Name("svc"), "--network", "host", p.lab().image1,
                        "sleep", "600"})
              .exit_code == 0);
  auto killed = p.Jlrec({"apply", "product", "--auto-approve", "--replace-unmanaged"}, "",
                        {{"JLREC_FAULT_INJECT", "kill-before:stop previous"}});
  CHECK(killed.exit_code == 128 + SIGKILL);
  // The hand-made container, renamed and still running, carries no label: the refresh finds
  // it by name because the new container under the name is not running.
  CHECK(
      ContainersOf(1, p.Name("svc")) ==
      std::vector<std::string>{p.Name("svc") + " created", p.Name("svc") + ".jlrec-prev running"});
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);
  CHECK(Contains(plan.out, "replace (finish interrupted)"));
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(ContainersOf(1, p.Name("svc")) == std::vector<std::string>{p.Name("svc") + " running"});
  CHECK(p.Inspect(1, "svc", "{{index .Config.Labels \"jlrec.project\"}}") == p.project());
}
