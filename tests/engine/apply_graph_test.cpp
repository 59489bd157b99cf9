#include "engine/apply_graph.h"

#include <algorithm>
#include <sstream>

#include <catch2/catch.hpp>

#include "apply_test_helpers.h"

namespace jlrec {
namespace {

using testing::Action;
using testing::MakePlan;

ApplyGraph Build(const Plan& plan) {
  Result<ApplyGraph> g = BuildApplyGraph(plan);
  INFO(g.status().ToString());
  REQUIRE(g.ok());
  return std::move(g).value();
}

// Position of action `ref` in TopologicalOrder.
std::size_t PositionIn(const std::vector<std::size_t>& order, const Plan& plan,
                       const std::string& ref) {
  for (std::size_t i = 0; i < order.size(); ++i)
    if (plan.actions[order[i]].Ref() == ref) return i;
  FAIL("no action on " << ref);
  return 0;
}

TEST_CASE("an empty plan gives an empty graph", "[apply_graph]") {
  ApplyGraph g = Build(MakePlan({}));
  CHECK(g.size() == 0);
  CHECK(TopologicalOrder(g).empty());
}

TEST_CASE("the graph's vertices are the plan's executable actions, in plan order",
          "[apply_graph]") {
  PlanAction conflict = Action(ActionKind::kCreate, "lab1/hand_made");
  conflict.kind = ActionKind::kConflict;
  PlanAction unknown = Action(ActionKind::kCreate, "lab3/unseen");
  unknown.kind = ActionKind::kUnknown;
  Plan plan = MakePlan({Action(ActionKind::kCreate, "lab1/a"), conflict,
                        Action(ActionKind::kUpdate, "lab2/b"), unknown,
                        Action(ActionKind::kRemove, "lab2/old")});
  ApplyGraph g = Build(plan);
  REQUIRE(g.size() == 3);
  CHECK(g.dag[0].ref == "lab1/a");
  CHECK(g.dag[0].action == 0);
  CHECK(g.dag[1].ref == "lab2/b");
  CHECK(g.dag[1].action == 2);
  CHECK(g.dag[2].ref == "lab2/old");
  CHECK(g.dag[2].kind == ActionKind::kRemove);
  CHECK_FALSE(g.Find("lab1/hand_made"));
  CHECK_FALSE(g.Find("lab3/unseen"));
}

TEST_CASE("every action on a group's core precedes every action on its other containers",
          "[apply_graph]") {
  Plan plan =
      MakePlan({Action(ActionKind::kCreate, "lab2/w1"),
                Action(ActionKind::kUpdate, "lab1/core", /*core=*/true),
                Action(ActionKind::kReplace, "lab3/w2"), Action(ActionKind::kStart, "lab1/w3"),
                Action(ActionKind::kCreate, "lab1/other_core", true, {"test"}),
                Action(ActionKind::kCreate, "lab2/other_worker", false, {"test"})});
  ApplyGraph g = Build(plan);
  for (const char* worker : {"lab2/w1", "lab3/w2", "lab1/w3"}) {
    CHECK(g.HasEdge("lab1/core", worker));
    CHECK_FALSE(g.HasEdge("lab1/other_core", worker));  // another group's master
  }
  CHECK(g.HasEdge("lab1/other_core", "lab2/other_worker"));
  CHECK_FALSE(g.HasEdge("lab1/core", "lab2/other_worker"));
  CHECK_FALSE(g.HasEdge("lab2/w1", "lab3/w2"));  // workers stay parallel

  // Even though a worker comes first in the plan, the walk order puts the core first.
  std::vector<std::size_t> order = TopologicalOrder(g);
  CHECK(PositionIn(order, plan, "lab1/core") < PositionIn(order, plan, "lab2/w1"));
}

TEST_CASE("a container in two groups waits for the core of each", "[apply_graph]") {
  Plan plan = MakePlan({Action(ActionKind::kCreate, "lab1/core_a", true, {"a"}),
                        Action(ActionKind::kCreate, "lab2/core_b", true, {"b"}),
                        Action(ActionKind::kCreate, "lab3/shared", false, {"a", "b"})});
  ApplyGraph g = Build(plan);
  CHECK(g.HasEdge("lab1/core_a", "lab3/shared"));
  CHECK(g.HasEdge("lab2/core_b", "lab3/shared"));
  std::vector<std::string> preds = g.Predecessors("lab3/shared");
  std::sort(preds.begin(), preds.end());
  CHECK(preds == std::vector<std::string>{"lab1/core_a", "lab2/core_b"});
}

TEST_CASE("depends_on adds an edge when both ends are in the plan", "[apply_graph]") {
  PlanAction db = Action(ActionKind::kCreate, "lab2/db");
  PlanAction app = Action(ActionKind::kCreate, "lab1/app");
  app.desired->depends_on = {"lab2/db", "lab3/cache"};  // lab3/cache already matches
  Plan plan = MakePlan({app, db});
  ApplyGraph g = Build(plan);
  CHECK(g.HasEdge("lab2/db", "lab1/app"));
  CHECK(g.Predecessors("lab1/app") == std::vector<std::string>{"lab2/db"});
  std::vector<std::size_t> order = TopologicalOrder(g);
  CHECK(PositionIn(order, plan, "lab2/db") < PositionIn(order, plan, "lab1/app"));
}

TEST_CASE("an orphan's remove runs after everything its host brings up", "[apply_graph]") {
  Plan plan = MakePlan(
      {Action(ActionKind::kRemove, "lab1/old"), Action(ActionKind::kCreate, "lab1/new"),
       Action(ActionKind::kReplace, "lab1/r"), Action(ActionKind::kUpdate, "lab1/u"),
       Action(ActionKind::kStart, "lab1/s"), Action(ActionKind::kCreate, "lab2/elsewhere")});
  ApplyGraph g = Build(plan);
  for (const char* up : {"lab1/new", "lab1/r", "lab1/u", "lab1/s"})
    CHECK(g.HasEdge(up, "lab1/old"));
  CHECK_FALSE(g.HasEdge("lab2/elsewhere", "lab1/old"));
  // The remove, first in the plan, runs after the other lab1 actions.
  CHECK(TopologicalOrder(g) == std::vector<std::size_t>{1, 2, 3, 4, 0, 5});
}

TEST_CASE("removing a moved master does not hold up the workers (no false cycle)",
          "[apply_graph]") {
  PlanAction old_core = Action(ActionKind::kRemove, "lab1/core_old", /*core=*/true);
  Plan plan = MakePlan({Action(ActionKind::kCreate, "lab2/core_new", true), old_core,
                        Action(ActionKind::kCreate, "lab1/worker")});
  ApplyGraph g = Build(plan);
  CHECK(g.HasEdge("lab2/core_new", "lab1/worker"));
  CHECK(g.HasEdge("lab1/worker", "lab1/core_old"));
  CHECK_FALSE(g.HasEdge("lab1/core_old", "lab1/worker"));
}

TEST_CASE("a dependency cycle is rejected, naming the cycle", "[apply_graph]") {
  SECTION("through depends_on") {
    PlanAction a = Action(ActionKind::kCreate, "lab1/a");
    PlanAction b = Action(ActionKind::kCreate, "lab2/b");
    a.desired->depends_on = {"lab2/b"};
    b.desired->depends_on = {"lab1/a"};
    Result<ApplyGraph> g = BuildApplyGraph(MakePlan({a, b}));
    REQUIRE_FALSE(g.ok());
    CHECK(g.status().code() == Status::Code::kInvalidArgument);
    CHECK(g.status().message() == "dependency cycle: lab1/a -> lab2/b -> lab1/a");
  }
  SECTION("a core that depends on its own worker") {
    PlanAction core = Action(ActionKind::kUpdate, "lab1/core", true);
    core.desired->depends_on = {"lab3/w"};
    Result<ApplyGraph> g = BuildApplyGraph(MakePlan({core, Action(ActionKind::kUpdate, "lab3/w")}));
    REQUIRE_FALSE(g.ok());
    CHECK(g.status().message() == "dependency cycle: lab1/core -> lab3/w -> lab1/core");
  }
  SECTION("a container that depends on itself") {
    PlanAction a = Action(ActionKind::kCreate, "lab1/a");
    a.desired->depends_on = {"lab1/a"};
    Result<ApplyGraph> g = BuildApplyGraph(MakePlan({a}));
    REQUIRE_FALSE(g.ok());
    CHECK(g.status().message() == "dependency cycle: lab1/a -> lab1/a");
  }
}

TEST_CASE("a malformed plan is rejected before anything runs", "[apply_graph]") {
  SECTION("the same container twice") {
    Result<ApplyGraph> g = BuildApplyGraph(
        MakePlan({Action(ActionKind::kCreate, "lab1/a"), Action(ActionKind::kUpdate, "lab1/a")}));
    REQUIRE_FALSE(g.ok());
    CHECK(g.status().message() == "malformed plan: lab1/a has more than one action");
  }
  SECTION("a replace without the live container") {
    PlanAction r = Action(ActionKind::kReplace, "lab1/a");
    r.live.reset();
    Result<ApplyGraph> g = BuildApplyGraph(MakePlan({r}));
    REQUIRE_FALSE(g.ok());
    CHECK(g.status().message() == "malformed plan: replace lab1/a has no live container id");
  }
  SECTION("a create without the desired container") {
    PlanAction c = Action(ActionKind::kCreate, "lab1/a");
    c.desired.reset();
    Result<ApplyGraph> g = BuildApplyGraph(MakePlan({c}));
    REQUIRE_FALSE(g.ok());
    CHECK(g.status().code() == Status::Code::kInvalidArgument);
  }
}

TEST_CASE("the topological order keeps plan order among independent actions", "[apply_graph]") {
  Plan plan =
      MakePlan({Action(ActionKind::kCreate, "lab1/w1"), Action(ActionKind::kCreate, "lab2/w2"),
                Action(ActionKind::kCreate, "lab3/core", true),
                Action(ActionKind::kCreate, "lab1/x", false, {"test"})});
  CHECK(TopologicalOrder(Build(plan)) == std::vector<std::size_t>{2, 0, 1, 3});
}

TEST_CASE("the DOT output labels each action with its symbol, kind and container",
          "[apply_graph]") {
  PlanAction app = Action(ActionKind::kUpdate, "lab2/app");
  app.desired->depends_on = {"lab1/jl_core_1"};
  Plan plan = MakePlan({Action(ActionKind::kCreate, "lab1/jl_core_1", true), app,
                        Action(ActionKind::kRemove, "lab2/old")});
  std::ostringstream dot;
  WriteDot(Build(plan), dot);
  const std::string s = dot.str();
  CHECK(s.rfind("digraph G {", 0) == 0);
  CHECK(s.find("\"+ create\\nlab1/jl_core_1\"") != std::string::npos);
  CHECK(s.find("\"~ update\\nlab2/app\"") != std::string::npos);
  CHECK(s.find("\"- remove\\nlab2/old\"") != std::string::npos);
  CHECK(s.find("0->1") != std::string::npos);  // core first (also depends_on: one edge)
  CHECK(s.find("1->2") != std::string::npos);  // remove last
  CHECK(s.find("style=dotted") != std::string::npos);
}

}  // namespace
}  // namespace jlrec
