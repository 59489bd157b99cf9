// `jlrec ps` on the lab: the live containers of a group after an apply, with their role,
// image and uptime; a stopped one as exited, a container the manifest no longer wants as an
// orphan, and an unreachable host's containers as unknown (exit 1).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/finally.h"
#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

// The table line of container `name` ("" if none).
std::string LineOf(const std::string& table, const std::string& name) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);)
    if (line.find("  " + name + "  ") != std::string::npos) return line;
  return "";
}

}  // namespace

TEST_CASE("ps lists a group's live containers with state, role, image and uptime", "[lab][ps]") {
  LabProject p("e2eps");
  p.Write({LabUnit{1, {"core"}, {"product"}, true, ""},
           LabUnit{2, {"w1", "w2"}, {"product"}, false, ""},
           LabUnit{3, {"w3"}, {"product"}, false, ""}});
  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);

  auto r = p.Jlrec({"ps", "product"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("HOST  CONTAINER  ", 0) == 0);
  CHECK(r.out.find("GROUP    ROLE    STATE    HEALTH  IMAGE") != std::string::npos);
  const std::regex running("lab1  " + p.Name("core") + "  product  core    running  -       " +
                           p.lab().image1 + "  [0-9]+[sm]");
  CHECK(std::regex_match(LineOf(r.out, p.Name("core")), running));
  for (const auto& [host, name] : {std::pair{"lab2", "w1"}, {"lab2", "w2"}, {"lab3", "w3"}}) {
    const std::string line = LineOf(r.out, p.Name(name));
    CHECK(line.rfind(std::string(host) + "  " + p.Name(name), 0) == 0);
    CHECK(line.find("  worker  running  ") != std::string::npos);
  }

  // A stopped worker, a container of the project the manifest does not name, a dead host.
  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w2")}).exit_code == 0);
  REQUIRE(LabDocker(1, {"run", "-d", "--name", p.Name("old"), "--network", "host", "--label",
                        "jlrec.project=" + p.project(), "--label", "jlrec.host=lab1", "--label",
                        "jlrec.groups=product", p.lab().image1, "sleep", "600"})
              .exit_code == 0);
  REQUIRE(LabCommand({"stop-host", "3"}).exit_code == 0);
  Finally restart([] { LabCommand({"start-host", "3"}); });

  auto after = p.Jlrec({"ps"});
  INFO(after.out << after.err);
  CHECK(after.exit_code == 1);
  CHECK(std::regex_search(LineOf(after.out, p.Name("w2")),
                          std::regex("  worker  exited   -       \\S+  exited \\([0-9]+\\) "
                                     "[0-9]+s ago$")));
  CHECK(std::regex_search(LineOf(after.out, p.Name("old")),
                          std::regex("  running  .*  orphan: not in the manifest")));
  CHECK(std::regex_search(LineOf(after.out, p.Name("w3")),
                          std::regex("^lab3  \\S+ +product +worker  unknown  -       -  +-$")));
  CHECK(after.out.find("Host lab3 could not be read (its containers are unknown): ") !=
        std::string::npos);
  const std::string last = "jlrec: could not read 1 of 3 hosts\n";  // after the manifest's warning
  CHECK(after.err.substr(after.err.size() - std::min(after.err.size(), last.size())) == last);

  auto json = p.Jlrec({"ps", "--json"});
  CHECK(json.exit_code == 1);
  auto doc = nlohmann::json::parse(json.out);
  CHECK(doc["kind"] == "ps");
  CHECK(doc["project"] == p.project());
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& c : doc["containers"]) by_name[c["name"]] = c;
  CHECK(by_name[p.Name("core")]["state"] == "running");
  CHECK(by_name[p.Name("core")]["core"] == true);
  CHECK(by_name[p.Name("core")]["image"] == p.lab().image1);
  CHECK(by_name[p.Name("core")]["uptime_seconds"].get<int>() >= 0);
  CHECK(by_name[p.Name("w2")]["state"] == "exited");
  CHECK_FALSE(by_name[p.Name("w2")]["finished_at"].get<std::string>().empty());
  CHECK(by_name[p.Name("old")]["orphan"] == true);
  CHECK(by_name[p.Name("w3")]["state"] == "unknown");
  REQUIRE(doc["host_errors"].size() == 1);
  CHECK(doc["host_errors"][0]["host"] == "lab3");
}
