// `jlrec drift` against the lab: the unattended check cron runs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

std::vector<LabUnit> Units() {
  return {LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""},
          LabUnit{3, {"w3"}, {"product"}, false, ""}};
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void Converge(const LabProject& p) {
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("drift in sync exits 0 and prints nothing with --quiet", "[lab][drift]") {
  LabProject p("e2edrift1");
  p.Write(Units());
  Converge(p);
  auto r = p.Jlrec({"drift", "--quiet"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
}

TEST_CASE("drift finds a stopped container and an edited /run.sh, exit 2", "[lab][drift]") {
  LabProject p("e2edrift2");
  p.Write(Units());
  Converge(p);
  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);
  REQUIRE(
      LabDocker(3, {"exec", p.Name("w3"), "sh", "-c", "echo '# edited' >> /run.sh"}).exit_code ==
      0);
  auto r = p.Jlrec({"drift", "--quiet"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.out, "stopped  lab2/" + p.Name("w1")));
  CHECK(Contains(r.out, "script_changed  lab3/" + p.Name("w3")));
  CHECK(Contains(r.out, "2 drifted"));
}

TEST_CASE("drift with a stopped host exits 1 naming it", "[lab][drift]") {
  LabProject p("e2edrift3");
  p.Write(Units());
  Converge(p);
  REQUIRE(LabCommand({"stop-host", "3"}).exit_code == 0);
  auto r = p.Jlrec({"drift"});
  auto restarted = LabCommand({"start-host", "3"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out, "error  lab3"));
  REQUIRE(restarted.exit_code == 0);
}

TEST_CASE("drift fixed by apply: history shows when it appeared and when it was fixed",
          "[lab][drift]") {
  LabProject p("e2edrift4");
  p.Write(Units());
  Converge(p);
  CHECK(p.Jlrec({"drift", "--quiet"}).exit_code == 0);
  REQUIRE(LabDocker(1, {"stop", "-t", "1", p.Name("core")}).exit_code == 0);
  CHECK(p.Jlrec({"drift", "--quiet"}).exit_code == 2);
  Converge(p);
  CHECK(p.Jlrec({"drift", "--quiet"}).exit_code == 0);
  auto h = p.Jlrec({"history", "--drift", "--json"});
  INFO(h.out << h.err);
  REQUIRE(h.exit_code == 0);
  auto doc = nlohmann::json::parse(h.out);
  REQUIRE(doc.size() == 3);  // newest first
  CHECK(doc[0]["result"] == "in_sync");
  CHECK(doc[1]["result"] == "drift");
  CHECK(doc[1]["findings"][0]["kind"] == "stopped");
  CHECK(doc[1]["findings"][0]["container"] == "lab1/" + p.Name("core"));
  CHECK(doc[2]["result"] == "in_sync");
}

TEST_CASE(
    "the notify command receives the JSON report on drift, and its failure never hides the exit "
    "code",
    "[lab][drift]") {
  LabProject p("e2edrift5");
  p.Write(Units());  // nothing applied: everything is missing
  std::string out = p.dir() + "/report.json";
  auto r = p.Jlrec({"drift", "--quiet", "--notify-cmd", "cat > '" + out + "'"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  std::ifstream in(out);
  auto doc = nlohmann::json::parse(in);
  CHECK(doc["kind"] == "drift-report");
  CHECK(doc["format_version"] == 1);
  CHECK(doc["result"] == "drift");
  CHECK(doc["findings"].size() == 3);
  CHECK(doc["findings"][0]["kind"] == "missing");
  auto failing = p.Jlrec({"drift", "--quiet", "--notify-cmd", "exit 7"});
  CHECK(failing.exit_code == 2);
  CHECK(Contains(failing.err, "--notify-cmd failed (exited with status 7)"));
}

TEST_CASE("the global timeout bounds a check stuck on a hung (SIGSTOPped) host and names it",
          "[lab][drift]") {
  LabProject p("e2edrift6");
  p.Write(Units());
  Converge(p);
  REQUIRE(LabCommand({"pause-host", "2"}).exit_code == 0);
  auto t0 = std::chrono::steady_clock::now();
  auto r = p.Jlrec({"drift", "--timeout", "3", "--connect-timeout", "60"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto resumed = LabCommand({"resume-host", "2"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out, "error  lab2"));
  // Either the deadline ends the wait, or the connect it capped does, a moment before it.
  CHECK((Contains(r.out, "timed out") || Contains(r.out, "no SSH handshake within")));
  CHECK(secs < 50);  // bounded by --timeout, far below the 60 s connect timeout
  // The refresh capped the hung host's connect at the deadline: its worker was joined, the
  // process did not leave under it.
  CHECK_FALSE(Contains(r.err, "refresh workers still busy"));
  REQUIRE(resumed.exit_code == 0);
}

TEST_CASE("two concurrent drift checks of one project don't both run", "[lab][drift]") {
  LabProject p("e2edrift7");
  p.Write(Units());
  Converge(p);
  // The first check hangs on a paused host while the second starts.
  REQUIRE(LabCommand({"pause-host", "3"}).exit_code == 0);
  pid_t pid = fork();
  if (pid == 0) {
    auto r = p.Jlrec({"drift", "--timeout", "6", "--quiet"});
    _exit(r.exit_code);
  }
  // Wait until the first holds the drift lock (`unlock` without --force only reports).
  for (int i = 0; i < 300; ++i) {
    if (Contains(p.Jlrec({"unlock", "--lock", "drift"}).out, "locked by")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto second = p.Jlrec({"drift", "--quiet"});
  int status = 0;
  waitpid(pid, &status, 0);
  auto resumed = LabCommand({"resume-host", "3"});
  INFO(second.out << second.err);
  CHECK(second.exit_code == 1);
  CHECK(Contains(second.err, "another drift check of project " + p.project() + " is running"));
  CHECK(WEXITSTATUS(status) == 1);  // the first one timed out on the paused host
  REQUIRE(resumed.exit_code == 0);
}
