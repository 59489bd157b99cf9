// What a refresh may skip, and what it must still catch (issue 20): on an unchanged host a
// plan lists the containers and stats their /run.sh, taking the rest from the state cache;
// anything the daemon logged about a container since, or a daemon whose event log no longer
// reaches back that far, makes it inspect again.
#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "support/lab_env.h"
#include "support/lab_project.h"
#include "support/subprocess.h"

using namespace jlrec::testing;

namespace {

std::vector<LabUnit> Units() {
  LabUnit core{1, {"core"}, {"product"}, true, ""};
  LabUnit w{2, {"w1", "w2"}, {"product"}, false, ""};
  LabUnit w3{3, {"w3"}, {"product"}, false, ""};
  return {core, w, w3};
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// What `jlrec plan -v` said of `host`'s round trips.
struct Rounds {
  int requests = -1, sequential = -1, inspected = -1, reused = -1;
};

Rounds RoundsOf(const std::string& log, const std::string& host) {
  std::smatch m;
  const std::regex line("round trips: " + host +
                        " requests=(\\d+) sequential=(\\d+) connect_ms=[0-9.]+ "
                        "requests_ms=[0-9.]+ streams=\\d+ inspected=(\\d+) reused=(\\d+)");
  Rounds r;
  if (std::regex_search(log, m, line)) {
    r.requests = std::stoi(m[1]);
    r.sequential = std::stoi(m[2]);
    r.inspected = std::stoi(m[3]);
    r.reused = std::stoi(m[4]);
  }
  return r;
}

ProcessResult PlanVerbose(const LabProject& p) {
  return p.Jlrec({"plan", "product", "--detailed-exitcode", "-v"});
}

void ApplyAndSettle(const LabProject& p) {
  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  // The next read asks the daemon for events since this one began (less a few seconds of
  // slack for the host's clock): the apply's own events must be older than that, or the
  // containers they touched are inspected once more.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  // This plan records the steady state.
  auto settled = PlanVerbose(p);
  INFO(settled.out << settled.err);
  REQUIRE(settled.exit_code == 0);
}

}  // namespace

TEST_CASE("an unchanged host is planned from its list and its stats, nothing inspected",
          "[lab][plan][rounds]") {
  LabProject p("rounds1");
  p.Write(Units());
  ApplyAndSettle(p);
  auto r = PlanVerbose(p);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  const Rounds lab2 = RoundsOf(r.err, "lab2");
  CHECK(lab2.inspected == 0);
  CHECK(lab2.reused == 2);
  // The list with the event log, the stats of the known containers and their image: one
  // pipelined round, no second one. (The registry check runs beside it on a connection of
  // its own: on the host that asks, its channel then its request make a chain of two.)
  CHECK(lab2.sequential >= 1);
  CHECK(lab2.sequential <= 2);
  CHECK(Contains(r.err, "round trips over 3 hosts (medians)"));
}

TEST_CASE("what a reused inspect would hide is caught: docker update, a restart, a recreate",
          "[lab][plan][rounds]") {
  LabProject p("rounds2");
  p.Write(Units());
  ApplyAndSettle(p);

  SECTION("a restart policy changed by docker update is planned") {
    REQUIRE(LabDocker(2, {"update", "--restart", "always", p.Name("w1")}).exit_code == 0);
    // The event log is asked up to the host's clock as jlrec knows it (its Date headers: whole
    // seconds, so up to a second early): an update in the last second shows in the next plan.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    auto r = PlanVerbose(p);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.out, "lab2/" + p.Name("w1")));
    CHECK(Contains(r.out, "restart"));
    CHECK(RoundsOf(r.err, "lab2").inspected == 1);
    CHECK(RoundsOf(r.err, "lab2").reused == 1);
  }
  SECTION("a container restarted by hand is read with its new start") {
    REQUIRE(LabDocker(2, {"restart", "-t", "1", p.Name("w2")}).exit_code == 0);
    auto r = PlanVerbose(p);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(RoundsOf(r.err, "lab2").inspected == 1);
    CHECK(RoundsOf(r.err, "lab2").reused == 1);
  }
  SECTION("a container recreated by hand under the same labels is inspected, not trusted") {
    // The same name and every label jlrec wrote, but a new container: its id is new.
    const std::string labels =
        LabDocker(2, {"inspect", "-f", "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}\n{{end}}",
                      p.Name("w1")})
            .out;
    std::vector<std::string> run = {"run", "-d", "--name", p.Name("w1"), "--network", "host"};
    for (std::size_t start = 0, nl; (nl = labels.find('\n', start)) != std::string::npos;
         start = nl + 1)
      if (nl > start) {
        run.push_back("--label");
        run.push_back(labels.substr(start, nl - start));
      }
    run.push_back(p.lab().image1);
    run.push_back("sleep");
    run.push_back("600");
    REQUIRE(LabDocker(2, {"rm", "-f", p.Name("w1")}).exit_code == 0);
    REQUIRE(LabDocker(2, run).exit_code == 0);
    auto r = PlanVerbose(p);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.out, "lab2/" + p.Name("w1")));
    CHECK(RoundsOf(r.err, "lab2").inspected == 1);
  }
  SECTION("a hand-edited /run.sh is caught by its stat") {
    REQUIRE(LabDocker(3, {"exec", p.Name("w3"), "sh", "-c", "echo '# hand edit' >> /run.sh"})
                .exit_code == 0);
    auto r = PlanVerbose(p);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.out, "~ lab3/" + p.Name("w3")));
  }
}

TEST_CASE("a daemon whose event log no longer reaches back to the last read is inspected in full",
          "[lab][plan][rounds]") {
  LabProject p("rounds3");
  p.Write(Units());
  ApplyAndSettle(p);
  // The update's event is pushed out of the daemon's last 256 by 300 others.
  REQUIRE(LabDocker(3, {"update", "--restart", "always", p.Name("w3")}).exit_code == 0);
  const std::string noise = p.Name("noise");
  REQUIRE(LabDocker(3, {"run", "-d", "--name", noise, "--network", "host", p.lab().image1, "sleep",
                        "600"})
              .exit_code == 0);
  // Straight at the socket: 300 docker commands would take half a minute.
  const std::string socket = ReadLabEnv().Host(3).docker_socket;
  auto flood = RunProcess({"/bin/sh", "-c",
                           "i=0; while [ $i -lt 150 ]; do i=$((i+1)); for a in pause unpause; do "
                           "curl -sf -o /dev/null -X POST --unix-socket \"$1\" "
                           "\"http://docker/containers/$2/$a\" || exit 1; done; done",
                           "flood", socket, noise});
  REQUIRE(flood.exit_code == 0);
  auto r = PlanVerbose(p);
  LabDocker(3, {"rm", "-f", noise});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.out, "lab3/" + p.Name("w3")));
  CHECK(RoundsOf(r.err, "lab3").inspected == 1);
  CHECK(RoundsOf(r.err, "lab3").reused == 0);
}
