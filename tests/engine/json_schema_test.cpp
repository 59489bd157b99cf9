// docs/schemas: the JSON Schemas of plan and drift JSON hold what the writers write, their
// closed sets are the C++ enums' names, and a document that breaks them is refused. The lab's
// real `jlrec plan --json` and `jlrec drift --json` are validated in json_schema_lab_test.cpp.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/drift_report.h"
#include "engine/plan_json.h"
#include "support/subprocess.h"

using jlrec::testing::RunProcess;
using nlohmann::json;

namespace jlrec {
namespace {

const std::string kSource = JLREC_SOURCE_DIR;
const std::string kPlanSchema = kSource + "/docs/schemas/plan.schema.json";
const std::string kDriftSchema = kSource + "/docs/schemas/drift.schema.json";

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

std::set<std::string> Enum(const json& schema) {
  return schema.at("enum").get<std::set<std::string>>();
}

// Every ReasonKind and ActionKind (each enum's last value ends the loop: a kind added after it
// must move the bound, as the static_asserts of their tables in engine/ remind).
std::vector<ReasonKind> ReasonKinds() {
  std::vector<ReasonKind> out;
  for (int k = 0; k <= static_cast<int>(ReasonKind::kAdoptable); ++k)
    out.push_back(static_cast<ReasonKind>(k));
  return out;
}
std::vector<ActionKind> ActionKinds() {
  std::vector<ActionKind> out;
  for (int k = 0; k <= static_cast<int>(ActionKind::kAdopt); ++k)
    out.push_back(static_cast<ActionKind>(k));
  return out;
}

// A folder for the documents handed to the validator; removed with it.
class Documents {
 public:
  Documents() {
    char tmpl[] = "/tmp/jlrec-schema-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
  }
  ~Documents() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Documents(const Documents&) = delete;
  Documents& operator=(const Documents&) = delete;
  /// Writes `doc` as `name`; returns its path.
  std::string Add(const std::string& name, const json& doc) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << doc.dump(2);
    return path;
  }

 private:
  std::string dir_;
};

// Runs tests/support/validate_json_schema.py: exit 0 when every document is valid.
jlrec::testing::ProcessResult Validate(const std::string& schema,
                                       const std::vector<std::string>& documents) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   kSource + "/tests/support/validate_json_schema.py", schema};
  argv.insert(argv.end(), documents.begin(), documents.end());
  return RunProcess(argv);
}

PlanAction Entry(ActionKind kind, ReasonKind reason, const std::string& name) {
  PlanAction a;
  a.kind = kind;
  a.reason_kind = reason;
  a.host = "lab1";
  a.name = name;
  a.groups = {"product"};
  a.fingerprint = {true, "c0ffee", "sha256:spec", "sha256:script", "running"};
  if (kind != ActionKind::kRemove) {
    DesiredContainer d;
    d.host = a.host;
    d.name = name;
    d.spec.image = "registry.example/app:1";
    d.spec_digest = "sha256:want-spec";
    d.script_digest = "sha256:want-script";
    a.desired = d;
  }
  return a;
}

// A plan with an entry of every reason kind and every optional member the writer has: facts,
// a failure, a previous container, a moved tag, an adoption, orphans, host errors, warnings.
Plan EveryKindOfEntry() {
  Plan plan;
  plan.project = "jiliang";
  plan.groups = {"product", "test"};
  plan.manifest_digest = "9f2c";
  plan.oldest_observation = 1795000000;
  auto add = [&](ActionKind k, ReasonKind r, const std::string& name) -> PlanAction& {
    return plan.actions.emplace_back(Entry(k, r, name));
  };
  add(ActionKind::kCreate, ReasonKind::kMissing, "new").fingerprint = {};
  add(ActionKind::kReplace, ReasonKind::kSpecChanged, "spec").changes = {{"ports", "80", "81"}};
  PlanAction& moved = add(ActionKind::kReplace, ReasonKind::kTagMoved, "moved");
  moved.changes = {{"image", "sha256:aaaa", "sha256:bbbb"}};
  moved.pinned_image = "registry.example/app@sha256:bbbb";
  add(ActionKind::kConflict, ReasonKind::kUnmanaged, "held").reason_facts.holder_project = "other";
  PlanAction& env = add(ActionKind::kUpdate, ReasonKind::kScriptChanged, "env");
  env.changes = {{"env.DB_PASSWORD", "(sensitive)", "(sensitive)"}, {"script", "3b1f", "a04c"}};
  add(ActionKind::kUpdate, ReasonKind::kScriptEdited, "edited");
  add(ActionKind::kUpdate, ReasonKind::kScriptMissing, "noscript");
  add(ActionKind::kUpdate, ReasonKind::kRestartPending, "pending");
  PlanAction& stopped = add(ActionKind::kStart, ReasonKind::kStopped, "stopped");
  stopped.fingerprint.state = "exited";
  stopped.reason_facts.exit_code = 137;
  add(ActionKind::kUpdate, ReasonKind::kUnhealthy, "sick");
  PlanAction& loop = add(ActionKind::kUpdate, ReasonKind::kRestartLoop, "loop");
  loop.reason_facts.restart_count = 5;
  loop.reason_facts.exit_code = 2;
  PlanAction& failed = add(ActionKind::kReplace, ReasonKind::kFailed, "failed");
  failed.failure = ActionFailure{"lab1",
                                 "failed",
                                 "replace",
                                 "c0ffee",
                                 "sha256:want-spec",
                                 "sha256:want-script",
                                 "health check timed out",
                                 true,
                                 12,
                                 1795000000};
  failed.reason_facts.now = ReasonKind::kUnhealthy;
  PlanAction& interrupted = add(ActionKind::kReplace, ReasonKind::kInterrupted, "cut");
  interrupted.previous = LiveContainer{};
  interrupted.previous->id = "beef";
  interrupted.previous->name = "cut.jlrec-prev";
  interrupted.previous->state = "exited";
  interrupted.reason_facts.stopped_run = 7;
  add(ActionKind::kRemove, ReasonKind::kOrphan, "gone");
  add(ActionKind::kUnknown, ReasonKind::kHostUnreachable, "far").reason_facts.detail = "refused";
  PlanAction& image = add(ActionKind::kUnknown, ReasonKind::kImageNotFound, "noimage");
  image.reason_facts.image = "registry.example/app:9";
  image.reason_facts.detail = "manifest unknown";
  add(ActionKind::kAdopt, ReasonKind::kAdoptable, "legacy").adopt = true;
  PlanAction& orphan =
      plan.orphans.emplace_back(Entry(ActionKind::kNoop, ReasonKind::kOrphan, "old"));
  orphan.desired.reset();
  plan.noops = {{"lab2", "core", {"product"}, true}};
  plan.host_errors = {{"lab3", "connect to 127.0.0.4:2222: Connection refused"}};
  plan.warnings = {"could not check the registry digest of registry.example/app:1"};
  return plan;
}

// What `drift` finds on a fleet with drift and nothing unknown.
Plan OnlyDrift() {
  Plan plan;
  plan.project = "jiliang";
  plan.groups = {"product"};
  PlanAction& stopped =
      plan.actions.emplace_back(Entry(ActionKind::kStart, ReasonKind::kStopped, "w1"));
  stopped.fingerprint.state = "exited";
  plan.actions.push_back(Entry(ActionKind::kReplace, ReasonKind::kSpecChanged, "w2"));
  plan.actions.back().changes = {{"image", "app:1", "app:2"}};
  plan.orphans.push_back(Entry(ActionKind::kNoop, ReasonKind::kOrphan, "old"));
  plan.noops = {{"lab2", "core", {"product"}, true}};
  return plan;
}

Plan InSync() {
  Plan plan;
  plan.project = "jiliang";
  plan.groups = {"product"};
  plan.noops = {{"lab2", "core", {"product"}, true}};
  return plan;
}

json Drift(const Plan& plan) { return DriftReportToJson(plan, DriftFindingsOf(plan), 1795000000); }

}  // namespace

TEST_CASE("the schemas' closed sets are the names of the C++ enums they come from", "[schema]") {
  const json plan = ReadJson(kPlanSchema);
  const json& defs = plan.at("$defs");
  std::set<std::string> reasons, actions, symbols, classes;
  for (auto k : ReasonKinds()) {
    reasons.insert(ReasonKindName(k));
    if (k != ReasonKind::kNone && k != ReasonKind::kHostUnreachable)
      classes.insert(DriftClassOf(k));
  }
  for (auto k : ActionKinds()) {
    actions.insert(ActionName(k));
    symbols.insert(ActionSymbol(k));
  }
  CHECK(Enum(defs.at("reason_kind")) == reasons);
  CHECK(Enum(defs.at("action_kind")) == actions);
  CHECK(Enum(defs.at("action").at("properties").at("symbol")) == symbols);
  // Each action's symbol, as the schema pairs them.
  std::map<std::string, std::string> pairs;
  for (const auto& rule : defs.at("action").at("allOf"))
    pairs[rule.at("if").at("properties").at("action").at("const")] =
        rule.at("then").at("properties").at("symbol").at("const");
  std::map<std::string, std::string> want;
  for (auto k : ActionKinds()) want[ActionName(k)] = ActionSymbol(k);
  CHECK(pairs == want);

  const json drift = ReadJson(kDriftSchema);
  CHECK(Enum(drift.at("$defs").at("drift_class")) == classes);
  CHECK(drift.at("properties").at("unknown").at("items").at("properties").at("kind").at("const") ==
        DriftClassOf(ReasonKind::kHostUnreachable));
  CHECK(drift.at("properties").at("format_version").at("const") == kPlanFormatVersion);
  CHECK(plan.at("properties").at("format_version").at("const") == kPlanFormatVersion);
}

TEST_CASE(
    "plan and drift JSON of every reason kind and optional member validate against the schemas",
    "[schema]") {
  Documents docs;
  const Plan every = EveryKindOfEntry();
  auto plans = Validate(kPlanSchema, {docs.Add("every.json", PlanToJson(every, false)),
                                      docs.Add("verbose.json", PlanToJson(every, true)),
                                      docs.Add("drift-plan.json", PlanToJson(OnlyDrift(), false)),
                                      docs.Add("in-sync.json", PlanToJson(InSync(), true))});
  INFO(plans.out << plans.err);
  CHECK(plans.exit_code == 0);
  CHECK(plans.out == "4 of 4 valid against " + kPlanSchema + "\n");

  REQUIRE(Drift(every)["result"] == "error");
  REQUIRE(Drift(OnlyDrift())["result"] == "drift");
  REQUIRE(Drift(InSync())["result"] == "in_sync");
  auto reports = Validate(kDriftSchema, {docs.Add("error.json", Drift(every)),
                                         docs.Add("drift.json", Drift(OnlyDrift())),
                                         docs.Add("in-sync-report.json", Drift(InSync()))});
  INFO(reports.out << reports.err);
  CHECK(reports.exit_code == 0);
  CHECK(reports.out == "3 of 3 valid against " + kDriftSchema + "\n");
}

TEST_CASE("a document that breaks the schema is refused with where and why", "[schema]") {
  Documents docs;
  json plan = PlanToJson(EveryKindOfEntry(), false);
  json extra = plan, unknown_reason = plan, missing = plan, wrong_symbol = plan;
  extra["actions"][0]["attributes"] = json::object();  // a field the format does not have
  unknown_reason["actions"][1]["reason_kind"] = "bogus";
  missing.erase("summary");
  wrong_symbol["actions"][0]["symbol"] = "~";  // a create is `+`
  auto r = Validate(kPlanSchema,
                    {docs.Add("valid.json", plan), docs.Add("extra.json", extra),
                     docs.Add("reason.json", unknown_reason), docs.Add("missing.json", missing),
                     docs.Add("symbol.json", wrong_symbol)});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("extra.json: at /actions/0: Additional properties are not "
                                    "allowed ('attributes' was unexpected)"));
  CHECK_THAT(r.out,
             Catch::Contains("reason.json: at /actions/1/reason_kind: 'bogus' is not one of"));
  CHECK_THAT(r.out, Catch::Contains("missing.json: at /: 'summary' is a required property"));
  CHECK_THAT(r.out, Catch::Contains("symbol.json: at /actions/0/symbol: '+' was expected"));
  CHECK(r.out.find("valid.json: at") == std::string::npos);
  CHECK_THAT(r.out, Catch::EndsWith("1 of 5 valid against " + kPlanSchema + "\n"));

  json report = Drift(InSync());
  report["findings"].push_back({{"kind", "stopped"},
                                {"host", "lab1"},
                                {"container", "w1"},
                                {"groups", {"product"}},
                                {"detail", "exited"}});
  json by_kind = Drift(OnlyDrift());
  by_kind["summary"]["by_kind"]["sleepy"] = 1;
  auto d = Validate(kDriftSchema, {docs.Add("in-sync-with-finding.json", report),
                                   docs.Add("by-kind.json", by_kind)});
  CHECK(d.exit_code == 1);
  CHECK_THAT(d.out, Catch::Contains("in-sync-with-finding.json: at /findings: "));
  CHECK_THAT(d.out, Catch::Contains("by-kind.json: at /summary/by_kind: "));
  CHECK_THAT(d.out, Catch::EndsWith("0 of 2 valid against " + kDriftSchema + "\n"));
}

}  // namespace jlrec
