// Plan reasons: a closed kind plus facts, worded in one place. Every kind has a name that
// parses back, every kind reads back from plan JSON with the same words, and the words come
// from the facts (not from text the diff wrote).
#include <catch2/catch.hpp>

#include <set>

#include "engine/plan.h"
#include "engine/plan_json.h"

using namespace jlrec;

namespace {

constexpr ReasonKind kEveryKind[] = {
    ReasonKind::kNone,           ReasonKind::kMissing,
    ReasonKind::kSpecChanged,    ReasonKind::kTagMoved,
    ReasonKind::kUnmanaged,      ReasonKind::kScriptChanged,
    ReasonKind::kScriptEdited,   ReasonKind::kScriptMissing,
    ReasonKind::kRestartPending, ReasonKind::kStopped,
    ReasonKind::kUnhealthy,      ReasonKind::kRestartLoop,
    ReasonKind::kFailed,         ReasonKind::kInterrupted,
    ReasonKind::kOrphan,         ReasonKind::kHostUnreachable,
    ReasonKind::kImageNotFound,  ReasonKind::kAdoptable,
};

PlanAction Entry(ActionKind kind, ReasonKind reason) {
  PlanAction a;
  a.kind = kind;
  a.reason_kind = reason;
  a.host = "h1";
  a.name = "app";
  a.groups = {"product"};
  a.fingerprint = {true, "c1", "sd", "sc", "running"};
  return a;
}

// One entry of each reason kind, with the facts the diff would give it.
std::vector<PlanAction> OneOfEach() {
  std::vector<PlanAction> out;
  auto add = [&](ActionKind k, ReasonKind r) -> PlanAction& {
    return out.emplace_back(Entry(k, r));
  };
  add(ActionKind::kCreate, ReasonKind::kMissing).fingerprint = {};
  add(ActionKind::kReplace, ReasonKind::kSpecChanged).changes = {{"image", "a:1", "a:2"},
                                                                 {"ports", "80", "81"}};
  add(ActionKind::kReplace, ReasonKind::kTagMoved).changes = {
      {"image", "sha256:aaaaaaaaaaaaaaaaaaaa", "sha256:bbbbbbbbbbbbbbbbbbbb"}};
  add(ActionKind::kConflict, ReasonKind::kUnmanaged).reason_facts.holder_project = "other";
  add(ActionKind::kUpdate, ReasonKind::kScriptChanged).reason_facts.from_cache = true;
  add(ActionKind::kUpdate, ReasonKind::kScriptEdited);
  add(ActionKind::kUpdate, ReasonKind::kScriptMissing);
  add(ActionKind::kUpdate, ReasonKind::kRestartPending);
  PlanAction& stopped = add(ActionKind::kStart, ReasonKind::kStopped);
  stopped.fingerprint.state = "exited";
  stopped.reason_facts.exit_code = 137;
  add(ActionKind::kUpdate, ReasonKind::kUnhealthy);
  PlanAction& loop = add(ActionKind::kUpdate, ReasonKind::kRestartLoop);
  loop.reason_facts.restart_count = 5;
  loop.reason_facts.exit_code = 2;
  PlanAction& failed = add(ActionKind::kReplace, ReasonKind::kFailed);
  failed.failure = ActionFailure{};
  failed.failure->action = "replace";
  failed.failure->run_id = 12;
  failed.failure->reason = "health check timed out after 3s";
  failed.reason_facts.now = ReasonKind::kUnhealthy;
  PlanAction& interrupted = add(ActionKind::kReplace, ReasonKind::kInterrupted);
  interrupted.previous = LiveContainer{};
  interrupted.previous->name = "app.jlrec-prev";
  interrupted.previous->state = "exited";
  interrupted.reason_facts.stopped_run = 7;
  add(ActionKind::kRemove, ReasonKind::kOrphan);
  add(ActionKind::kUnknown, ReasonKind::kHostUnreachable).reason_facts.detail = "timed out";
  PlanAction& image = add(ActionKind::kUnknown, ReasonKind::kImageNotFound);
  image.reason_facts.image = "127.0.0.1:5000/app:9";
  image.reason_facts.detail = "manifest unknown";
  add(ActionKind::kAdopt, ReasonKind::kAdoptable).adopt = true;
  return out;
}

}  // namespace

TEST_CASE("reason kinds: every kind has its own JSON name, which parses back") {
  std::set<std::string> names;
  for (ReasonKind k : kEveryKind) {
    INFO(static_cast<int>(k));
    CHECK(ParseReasonKind(ReasonKindName(k)) == k);
    CHECK(names.insert(ReasonKindName(k)).second);
    if (k != ReasonKind::kNone) CHECK(std::string(DriftClassOf(k)) != "");
  }
  CHECK_FALSE(ParseReasonKind("health check failed").has_value());
}

TEST_CASE("reason text: every kind but a no-op has words, and they read back from plan JSON") {
  Plan plan;
  plan.project = "jiliang";
  plan.groups = {"product"};
  plan.manifest_digest = "m1";
  plan.actions = OneOfEach();
  std::set<ReasonKind> covered;
  for (const auto& a : plan.actions) covered.insert(a.reason_kind);
  CHECK(covered.size() + 1 == std::size(kEveryKind));  // all but kNone

  auto back = PlanFromJson(PlanToJson(plan, false));
  REQUIRE(back.ok());
  REQUIRE(back->actions.size() == plan.actions.size());
  for (size_t i = 0; i < plan.actions.size(); ++i) {
    const PlanAction& a = plan.actions[i];
    INFO(ReasonKindName(a.reason_kind));
    CHECK_FALSE(ReasonText(a).empty());
    CHECK(back->actions[i].reason_kind == a.reason_kind);
    CHECK(back->actions[i].reason_facts == a.reason_facts);
    CHECK(ReasonText(back->actions[i]) == ReasonText(a));
  }
  CHECK(ReasonText(Entry(ActionKind::kNoop, ReasonKind::kNone)) == "");
}

TEST_CASE("reason text: the words come from the facts") {
  PlanAction stopped = Entry(ActionKind::kStart, ReasonKind::kStopped);
  stopped.fingerprint.state = "exited";
  stopped.reason_facts.exit_code = 137;
  CHECK(ReasonText(stopped) == "container is exited (exit code 137)");
  stopped.fingerprint.state = "created";
  CHECK(ReasonText(stopped) == "container is created");

  PlanAction loop = Entry(ActionKind::kUpdate, ReasonKind::kRestartLoop);
  loop.reason_facts.restart_count = 4;
  loop.reason_facts.exit_code = 1;
  // Running again: Docker zeroed its exit code at the start, so none is claimed.
  CHECK(ReasonText(loop) ==
        "Docker restarted it 4 times since its last start: its process keeps exiting");
  loop.fingerprint.state = "restarting";
  CHECK(ReasonText(loop) ==
        "Docker keeps restarting it: its process exited 4 times since its last start (last "
        "exit code 1)");

  PlanAction unmanaged = Entry(ActionKind::kConflict, ReasonKind::kUnmanaged);
  unmanaged.reason_facts.holder_project = "jiliang";
  unmanaged.reason_facts.holder_host = "h2";
  CHECK(ReasonText(unmanaged).find("managed for host 'h2'") != std::string::npos);
  unmanaged.kind = ActionKind::kReplace;
  unmanaged.reason_facts = {};
  CHECK(ReasonText(unmanaged) ==
        "existing container is not managed by jlrec (no jlrec labels); replacing "
        "(--replace-unmanaged)");

  PlanAction script = Entry(ActionKind::kUpdate, ReasonKind::kScriptChanged);
  script.changes = {{"script", "aaa", "bbb"}};
  CHECK(ReasonText(script) == "/run.sh differs (template or script body changed)");
  script.changes.insert(script.changes.begin(), {"env.RUNTIME_MODE", "dev", "prod"});
  CHECK(ReasonText(script) == "/run.sh differs: environment changed");
}

TEST_CASE("reason text: a failure says what failed and what the host shows now") {
  PlanAction a = Entry(ActionKind::kUpdate, ReasonKind::kFailed);
  a.failure = ActionFailure{};
  a.failure->action = "update";
  a.failure->run_id = 3;
  a.failure->rolled_back = true;
  a.failure->reason = "health check failed";
  CHECK(ReasonText(a) == "update failed at apply #3 and was rolled back: health check failed");
  a.reason_facts.now = ReasonKind::kScriptEdited;
  a.adopt = true;
  CHECK(ReasonText(a) ==
        "update failed at apply #3 and was rolled back: health check failed (now: made outside "
        "jlrec and matches the manifest: adopted, then /run.sh was edited in the container "
        "since jlrec wrote it)");
}

TEST_CASE("reason text: an adoption held back for want of --adopt says so") {
  PlanAction a = Entry(ActionKind::kAdopt, ReasonKind::kAdoptable);
  a.adopt = true;
  CHECK(ReasonText(a).find("adopted as it is") != std::string::npos);
  a.kind = ActionKind::kConflict;
  a.adopt = false;
  CHECK(ReasonText(a).find("but not adopted: apply adopts only with --adopt") != std::string::npos);
}
