// `jlrec drift` with a lab host that cannot be reached: its containers are unknown, counted
// apart from the drift found on the other hosts, and the check exits 1.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/finally.h"
#include "support/lab_project.h"

using namespace jlrec::testing;

TEST_CASE("drift with an unreachable host reports its containers as unknown, not drifted",
          "[lab][drift][drift-unknown]") {
  LabProject p("e2eunknown");
  p.Write({LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""},
           LabUnit{3, {"w3", "w4"}, {"product"}, false, ""}});
  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);  // drift on lab2
  REQUIRE(LabCommand({"stop-host", "3"}).exit_code == 0);                   // lab3 unreachable
  Finally restart([] { LabCommand({"start-host", "3"}); });

  auto r = p.Jlrec({"drift"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);  // not 2: two containers are unknown
  CHECK(r.out.find("stopped  lab2/" + p.Name("w1")) != std::string::npos);
  CHECK(r.out.find("unknown  lab3/" + p.Name("w3") + "  [product]\n") != std::string::npos);
  CHECK(r.out.find("unknown  lab3/" + p.Name("w4") + "  [product]\n") != std::string::npos);
  CHECK(r.out.find("error  lab3") != std::string::npos);
  CHECK(r.out.find(": error: 1 drifted, 2 unknown (host lab3 unreachable: ") != std::string::npos);
  CHECK(r.out.find("), 1 in sync\n") != std::string::npos);

  auto json = p.Jlrec({"drift", "--json"});
  CHECK(json.exit_code == 1);
  auto doc = nlohmann::json::parse(json.out);
  CHECK(doc["result"] == "error");
  CHECK(doc["summary"]["drifted"] == 1);
  CHECK(doc["summary"]["unknown"] == 2);
  CHECK(doc["summary"]["in_sync"] == 1);
  CHECK(doc["findings"].size() == 1);
  CHECK(doc["unknown"].size() == 2);
  CHECK(doc["host_errors"][0]["host"] == "lab3");
}
