#include "engine/apply_graph.h"

#include <functional>
#include <map>
#include <queue>
#include <set>

#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/graphviz.hpp>

namespace jlrec {

namespace {

using Edge = ApplyDag::edge_descriptor;

bool NeedsDesired(ActionKind kind) { return kind != ActionKind::kRemove; }
// A replace that finishes an interrupted one may have no container under the name yet: its
// previous container (NAME.jlrec-prev) is what it works from.
bool NeedsLive(const PlanAction& a) {
  return a.kind != ActionKind::kCreate && !(a.kind == ActionKind::kReplace && a.previous);
}

// Step 1: one vertex per executable action, in plan order, after checking that each
// carries what the executor will need (a hand-made or corrupted plan fails here, not
// halfway through an apply).
Status AddActionVertices(const Plan& plan, ApplyGraph& graph) {
  for (std::size_t i = 0; i < plan.actions.size(); ++i) {
    const PlanAction& a = plan.actions[i];
    if (!IsExecutable(a.kind)) continue;
    const std::string ref = a.Ref();
    const std::string what = std::string(ActionName(a.kind)) + " " + ref;
    if (NeedsDesired(a.kind) && !a.desired)
      return Status::InvalidArgument("malformed plan: " + what + " has no desired state");
    if (a.desired && a.desired->Ref() != ref)
      return Status::InvalidArgument("malformed plan: " + what + " carries the desired state of " +
                                     a.desired->Ref());
    if (NeedsLive(a) && (!a.live || a.live->id.empty()))
      return Status::InvalidArgument("malformed plan: " + what + " has no live container id");
    if (graph.vertex_by_ref.count(ref))
      return Status::InvalidArgument("malformed plan: " + ref + " has more than one action");
    const ApplyVertexId v = boost::add_vertex(ApplyVertex{i, a.kind, a.host, ref}, graph.dag);
    graph.vertex_by_ref.emplace(ref, v);
  }
  return Status::Ok();
}

// Step 2: within every group, each action on a core container precedes each action on
// that group's other containers, so a master is up (and gated) before its workers are
// touched, and never down at the same time as them. Orphan removes take no part: the
// orphan is no longer wanted, and ordering it before workers would fight step 4.
Status AddCoreFirstEdges(const Plan& plan, ApplyGraph& graph) {
  struct Members {
    std::vector<ApplyVertexId> cores, others;
  };
  std::map<std::string, Members> groups;
  for (ApplyVertexId v : boost::make_iterator_range(boost::vertices(graph.dag))) {
    const PlanAction& a = plan.actions[graph.dag[v].action];
    if (a.kind == ActionKind::kRemove) continue;
    for (const std::string& g : a.desired->groups)
      (a.desired->core ? groups[g].cores : groups[g].others).push_back(v);
  }
  for (const auto& [name, m] : groups)
    for (ApplyVertexId core : m.cores)
      for (ApplyVertexId other : m.others)
        boost::add_edge(core, other, ApplyEdge{ApplyEdgeReason::kCoreFirst}, graph.dag);
  return Status::Ok();
}

// Step 3: depends_on edges. A dependency with no action in the plan is already where the
// manifest wants it, so there is nothing to wait for.
Status AddDependsOnEdges(const Plan& plan, ApplyGraph& graph) {
  for (ApplyVertexId v : boost::make_iterator_range(boost::vertices(graph.dag))) {
    const PlanAction& a = plan.actions[graph.dag[v].action];
    if (!a.desired) continue;
    for (const std::string& dep : a.desired->depends_on)
      if (auto u = graph.Find(dep))
        boost::add_edge(*u, v, ApplyEdge{ApplyEdgeReason::kDependsOn}, graph.dag);
  }
  return Status::Ok();
}

// Step 4: an orphan is removed only after everything its host must bring up, so a
// container that moved is running in its new place before the old one goes.
Status AddRemoveLastEdges(const Plan& /*plan*/, ApplyGraph& graph) {
  std::map<std::string, std::vector<ApplyVertexId>> removes, others;
  for (ApplyVertexId v : boost::make_iterator_range(boost::vertices(graph.dag))) {
    const ApplyVertex& x = graph.dag[v];
    (x.kind == ActionKind::kRemove ? removes : others)[x.host].push_back(v);
  }
  for (const auto& [host, rs] : removes)
    for (ApplyVertexId r : rs)
      for (ApplyVertexId u : others[host])
        boost::add_edge(u, r, ApplyEdge{ApplyEdgeReason::kRemoveLast}, graph.dag);
  return Status::Ok();
}

// Records the first back edge of a depth-first search and the tree it was found in: the
// back edge u -> v closes the cycle v -> ... -> u -> v along tree edges.
struct CycleFinder : boost::default_dfs_visitor {
  std::vector<ApplyVertexId>* parent;
  std::optional<std::pair<ApplyVertexId, ApplyVertexId>>* back;
  void tree_edge(Edge e, const ApplyDag& g) const {
    (*parent)[boost::target(e, g)] = boost::source(e, g);
  }
  void back_edge(Edge e, const ApplyDag& g) const {
    if (!*back) *back = std::make_pair(boost::source(e, g), boost::target(e, g));
  }
};

// Step 5: the walk needs a DAG; a cycle is named so the operator can break it.
Status RejectCycles(const Plan& /*plan*/, ApplyGraph& graph) {
  std::vector<ApplyVertexId> parent(graph.size());
  std::optional<std::pair<ApplyVertexId, ApplyVertexId>> back;
  CycleFinder finder;
  finder.parent = &parent;
  finder.back = &back;
  boost::depth_first_search(graph.dag, boost::visitor(finder));
  if (!back) return Status::Ok();
  const auto [last, first] = *back;
  std::vector<ApplyVertexId> path = {last};
  for (ApplyVertexId v = last; v != first; v = parent[v]) path.push_back(parent[v]);
  std::string msg = "dependency cycle: ";
  for (auto it = path.rbegin(); it != path.rend(); ++it) msg += graph.dag[*it].ref + " -> ";
  msg += graph.dag[first].ref;
  return Status::InvalidArgument(msg);
}

const char* KindColor(ActionKind kind) {
  switch (kind) {
    case ActionKind::kCreate:
      return "darkgreen";
    case ActionKind::kReplace:
      return "darkorange";
    case ActionKind::kUpdate:
      return "blue";
    case ActionKind::kStart:
      return "forestgreen";
    case ActionKind::kRemove:
      return "red";
    default:
      return "black";
  }
}

struct DotVertexWriter {
  const ApplyDag* dag;
  void operator()(std::ostream& out, ApplyVertexId v) const {
    const ApplyVertex& x = (*dag)[v];
    // "\n" stays a two-character escape: DOT turns it into a line break in the label.
    const std::string label =
        std::string(ActionSymbol(x.kind)) + " " + ActionName(x.kind) + "\\n" + x.ref;
    out << "[label=" << boost::escape_dot_string(label) << ", color=" << KindColor(x.kind) << "]";
  }
};

struct DotEdgeWriter {
  const ApplyDag* dag;
  void operator()(std::ostream& out, Edge e) const {
    switch ((*dag)[e].reason) {
      case ApplyEdgeReason::kCoreFirst:
        out << "[tooltip=\"core first\"]";
        break;
      case ApplyEdgeReason::kDependsOn:
        out << "[style=dashed, tooltip=\"depends_on\"]";
        break;
      case ApplyEdgeReason::kRemoveLast:
        out << "[style=dotted, tooltip=\"remove last\"]";
        break;
    }
  }
};

struct DotGraphWriter {
  void operator()(std::ostream& out) const {
    out << "rankdir=TB;\nnode [shape=box, fontname=\"monospace\"];\n";
  }
};

}  // namespace

std::optional<ApplyVertexId> ApplyGraph::Find(const std::string& ref) const {
  auto it = vertex_by_ref.find(ref);
  if (it == vertex_by_ref.end()) return std::nullopt;
  return it->second;
}

bool ApplyGraph::HasEdge(const std::string& from_ref, const std::string& to_ref) const {
  auto u = Find(from_ref), v = Find(to_ref);
  return u && v && boost::edge(*u, *v, dag).second;
}

std::vector<std::string> ApplyGraph::Predecessors(const std::string& ref) const {
  std::vector<std::string> out;
  auto v = Find(ref);
  if (!v) return out;
  for (Edge e : boost::make_iterator_range(boost::in_edges(*v, dag)))
    out.push_back(dag[boost::source(e, dag)].ref);
  return out;
}

Result<ApplyGraph> BuildApplyGraph(const Plan& plan) {
  using Step = std::function<Status(const Plan&, ApplyGraph&)>;
  static const Step kSteps[] = {AddActionVertices, AddCoreFirstEdges, AddDependsOnEdges,
                                AddRemoveLastEdges, RejectCycles};
  ApplyGraph graph;
  for (const Step& step : kSteps)
    if (Status s = step(plan, graph); !s.ok()) return s;
  return graph;
}

std::vector<std::size_t> TopologicalOrder(const ApplyGraph& graph) {
  const ApplyDag& dag = graph.dag;
  std::vector<std::size_t> waiting(graph.size());
  // Vertex ids follow plan order, so the smallest ready id is the earliest in the plan.
  std::priority_queue<ApplyVertexId, std::vector<ApplyVertexId>, std::greater<>> ready;
  for (ApplyVertexId v : boost::make_iterator_range(boost::vertices(dag))) {
    waiting[v] = boost::in_degree(v, dag);
    if (waiting[v] == 0) ready.push(v);
  }
  std::vector<std::size_t> order;
  order.reserve(graph.size());
  while (!ready.empty()) {
    const ApplyVertexId v = ready.top();
    ready.pop();
    order.push_back(dag[v].action);
    for (Edge e : boost::make_iterator_range(boost::out_edges(v, dag)))
      if (--waiting[boost::target(e, dag)] == 0) ready.push(boost::target(e, dag));
  }
  return order;
}

void WriteDot(const ApplyGraph& graph, std::ostream& out) {
  boost::write_graphviz(out, graph.dag, DotVertexWriter{&graph.dag}, DotEdgeWriter{&graph.dag},
                        DotGraphWriter{});
}

}  // namespace jlrec
