// The apply graph (after Terraform's apply graph): a DAG whose vertices are the plan's
// executable actions and whose edges say which action must finish first. It is built from
// the plan, never from the manifest, so apply touches only what the plan changes.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "engine/plan.h"
#include "model/status.h"

namespace jlrec {

/// Why an edge exists; the edge u -> v means v starts only after u succeeded.
enum class ApplyEdgeReason {
  kCoreFirst,   ///< u is on a core container of a group v's container belongs to
  kDependsOn,   ///< v's unit lists u's container in depends_on
  kRemoveLast,  ///< v removes an orphan on the host u brings up
};

/// One vertex: one executable action of the plan.
struct ApplyVertex {
  std::size_t action = 0;  ///< index into Plan::actions
  ActionKind kind = ActionKind::kNoop;
  std::string host;  ///< host key
  std::string ref;   ///< "host/container"
};

/// One edge's property.
struct ApplyEdge {
  ApplyEdgeReason reason = ApplyEdgeReason::kCoreFirst;
};

/// The DAG itself. setS out-edges: an ordering stated by two rules is one edge (the first
/// rule's reason wins); bidirectionalS: the executor counts predecessors.
using ApplyDag =
    boost::adjacency_list<boost::setS, boost::vecS, boost::bidirectionalS, ApplyVertex, ApplyEdge>;
/// A vertex handle of ApplyDag (a dense index 0..N-1, in plan order).
using ApplyVertexId = ApplyDag::vertex_descriptor;

/// The apply graph of one plan. Vertex i is the i-th executable action in plan order.
struct ApplyGraph {
  ApplyDag dag;
  std::unordered_map<std::string, ApplyVertexId> vertex_by_ref;  ///< "host/container" -> v

  /// Number of actions in the graph.
  std::size_t size() const { return boost::num_vertices(dag); }
  /// The vertex of the action on container `ref`, if that action is in the graph.
  std::optional<ApplyVertexId> Find(const std::string& ref) const;
  /// True when the action on `from_ref` must finish before the one on `to_ref` starts
  /// (a direct edge; transitive orderings are not edges).
  bool HasEdge(const std::string& from_ref, const std::string& to_ref) const;
  /// The refs of the direct predecessors of `ref` (empty when `ref` is not in the graph).
  std::vector<std::string> Predecessors(const std::string& ref) const;
};

/// Builds the apply graph of `plan` in small ordered steps: one vertex per executable
/// action; core-first edges within every group the actions belong to; depends_on edges
/// when both ends are in the plan; orphan removes after everything else on their host.
/// kInvalidArgument for a malformed plan (an action missing the desired or live state its
/// kind needs, a container twice) or a cycle, e.g. "dependency cycle: lab1/a -> lab2/b ->
/// lab1/a".
Result<ApplyGraph> BuildApplyGraph(const Plan& plan);

/// The plan action indices in an order that respects every edge; among actions that are
/// ready together, the one earlier in the plan comes first (deterministic).
std::vector<std::size_t> TopologicalOrder(const ApplyGraph& graph);

/// Writes `graph` in Graphviz DOT (boost::write_graphviz): one box per action labelled
/// like "+ create\nlab1/jl_core_1", coloured by kind; depends_on edges dashed, remove
/// edges dotted. For `jlrec graph GROUP | dot -Tsvg`.
void WriteDot(const ApplyGraph& graph, std::ostream& out);

}  // namespace jlrec
