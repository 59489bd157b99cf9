// What the built jlrec prints with --json on the lab, validated against docs/schemas: plans
// that create, update, start, remove and cannot know (an unreachable host), a saved plan,
// drift reports in sync, drifted and in error, and the cached state `show` prints. (The schemas'
// own checks, and a document that breaks them being refused: tests/engine/json_schema_test.cpp.)
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

const std::string kSource = JLREC_SOURCE_DIR;

// Validates the documents at `paths` against docs/schemas/`schema`; every one must be valid.
void RequireValid(const std::string& schema, const std::vector<std::string>& paths) {
  const std::string schema_path = kSource + "/docs/schemas/" + schema;
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   kSource + "/tests/support/validate_json_schema.py", schema_path};
  argv.insert(argv.end(), paths.begin(), paths.end());
  auto r = RunProcess(argv);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::to_string(paths.size()) + " of " + std::to_string(paths.size()) +
                     " valid against " + schema_path + "\n");
}

// Runs `jlrec args...` on the project, expects `exit_code`, keeps stdout as `name` in the
// project's folder and returns the path; the document is parsed so a test can look in it.
std::string Keep(const LabProject& p, const std::string& name, std::vector<std::string> args,
                 int exit_code, nlohmann::json* doc = nullptr) {
  auto r = p.Jlrec(std::move(args));
  INFO(name << ": " << r.out << r.err);
  CHECK(r.exit_code == exit_code);
  const std::string path = p.dir() + "/" + name;
  std::ofstream(path) << r.out;
  if (doc) *doc = nlohmann::json::parse(r.out);
  return path;
}

// The manifest with host `lab9` added (a port nothing listens on: refused at once) and a
// container `u1` on it, so a plan and a check have something they cannot know.
void AddUnreachableHost(const LabProject& p) {
  std::ifstream in(p.manifest());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string host =
      "  lab9: {address: 127.0.0.2, port: 1, user: root, identity_file: " + p.lab().identity_file +
      "}\n";
  text.insert(text.find("groups:\n"), host);
  text += "  - host: lab9\n    dockers: [" + p.Name("u1") + "]\n    group: [product]\n";
  std::ofstream(p.manifest()) << text;
}

}  // namespace

TEST_CASE(
    "plan --json, drift --json and show --json from the built jlrec validate against docs/schemas",
    "[lab][schema]") {
  LabProject p("e2eschema");
  std::vector<LabUnit> units = {LabUnit{1, {"core"}, {"product"}, true, ""},
                                LabUnit{2, {"w1", "w2"}, {"product"}, false, ""},
                                LabUnit{3, {"w3"}, {"product"}, false, ""}};
  p.Write(units);
  std::vector<std::string> plans, reports;
  nlohmann::json doc;

  // Nothing there yet: four creates, saved too; the check finds them missing.
  plans.push_back(Keep(p, "create.json", {"plan", "product", "--json"}, 0, &doc));
  CHECK(doc["summary"]["create"] == 4);
  plans.push_back(p.dir() + "/saved.plan");
  auto saved = p.Jlrec({"plan", "product", "--out", plans.back()});
  REQUIRE(saved.exit_code == 0);
  reports.push_back(Keep(p, "missing.json", {"drift", "--json"}, 2, &doc));
  CHECK(doc["summary"]["by_kind"]["missing"] == 4);

  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  plans.push_back(Keep(p, "in-sync.json", {"plan", "product", "--json", "--verbose"}, 0, &doc));
  CHECK(doc["unchanged"].size() == 4);
  reports.push_back(Keep(p, "in-sync-report.json", {"drift", "--json"}, 0, &doc));
  CHECK(doc["result"] == "in_sync");
  std::vector<std::string> shown = {Keep(p, "show.json", {"show", "--json"}, 0, &doc)};
  CHECK(doc["hosts"].size() == 3);

  // w1 stopped, w2's /run.sh edited by hand, w3 no longer wanted, w4 new.
  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);
  REQUIRE(
      LabDocker(2, {"exec", p.Name("w2"), "sh", "-c", "echo '# by hand' >> /run.sh"}).exit_code ==
      0);
  units[2] = LabUnit{3, {"w4"}, {"product"}, false, ""};
  p.Write(units);
  plans.push_back(Keep(p, "drifted.json", {"plan", "product", "--json"}, 0, &doc));
  CHECK(doc["summary"]["create"] == 1);
  CHECK(doc["summary"]["update"] == 1);
  CHECK(doc["summary"]["start"] == 1);
  CHECK(doc["summary"]["orphaned"] == 1);
  plans.push_back(Keep(p, "prune.json", {"plan", "product", "--json", "--prune"}, 0, &doc));
  CHECK(doc["summary"]["remove"] == 1);
  reports.push_back(Keep(p, "drift.json", {"drift", "--json"}, 2, &doc));
  CHECK(doc["result"] == "drift");
  CHECK(doc["summary"]["drifted"] == 4);

  // And a host that cannot be reached: its container is unknown, the result an error.
  AddUnreachableHost(p);
  plans.push_back(Keep(p, "unknown.json", {"plan", "product", "--json"}, 1, &doc));
  CHECK(doc["summary"]["unknown"] == 1);
  CHECK(doc["host_errors"][0]["host"] == "lab9");
  reports.push_back(Keep(p, "error.json", {"drift", "--json"}, 1, &doc));
  CHECK(doc["result"] == "error");
  CHECK(doc["unknown"].size() == 1);
  shown.push_back(Keep(p, "show-unreachable.json", {"show", "--json"}, 0, &doc));
  CHECK(doc["hosts"].size() == 4);

  RequireValid("plan.schema.json", plans);
  RequireValid("drift.schema.json", reports);
  RequireValid("show.schema.json", shown);
}
