// Join validation over the gated foreign-key graph: may these tables appear
// together in this build, and how are they joined?
//
// The catalog's foreign keys are the joinable edges. An edge exists in a
// build only when both tables' clusters (and the cluster that created the
// key) are enabled: a core<->tasks edge is gated by tasks, a tasks<->people
// edge by both. The graph is built once from a Catalog (no database) with
// precomputed adjacency; every query is answered from memory.
//
//   JoinGraph graph(catalog);                      // catalog outlives graph
//   JoinResult r = graph.Join({.tables = {"tasks", "users"}});
//   r.pairs[0].status == PairStatus::kAmbiguous    // assignee_id, reporter_id
//   r.pairs[0].candidates[0].on == "tasks.assignee_id = users.id"
//
// Thread safety: immutable after construction; const methods may run
// concurrently.
#ifndef SCHEMAGATE_SERVER_CATALOG_JOIN_H_
#define SCHEMAGATE_SERVER_CATALOG_JOIN_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "server/catalog/catalog.h"

namespace schemagate::catalog {

// One foreign key used as a join condition.
struct JoinEdge {
  std::string foreign_key;  // constraint name
  std::string from_table;   // the table holding the key
  std::vector<std::string> from_columns;
  std::string to_table;  // the referenced table
  std::vector<std::string> to_columns;
  // How `on` names the two sides, as SQL: the table names (quoted where
  // PostgreSQL needs it: app."User Accounts"), except for a self-reference,
  // where the referenced side is named after the key column
  // ("parent_id" -> parent) so both sides can be told apart.
  std::string from_alias;
  std::string to_alias;
  // SQL: "tasks.assignee_id = users.id" (composite keys: "... AND ...");
  // identifiers quoted where needed (tasks."Owner" = app."User Accounts".id).
  std::string on;
  std::string cluster;  // the cluster that created the key
};

// Joining one more table to what is already joined.
struct JoinStep {
  std::string table;  // joined by this step
  std::string to;     // an already joined table
  JoinEdge edge;
  // The step as SQL: "JOIN tasks ON tasks.assignee_id = users.id", or for a
  // self-reference "JOIN orgs AS parent ON orgs.parent_id = parent.id".
  std::string sql;
  // Other foreign keys between the same two tables (the step is ambiguous
  // when non-empty and no key was chosen).
  std::vector<JoinEdge> alternatives;
};

enum class TableStatus {
  kAvailable,
  kUnknownTable,
  kClusterDisabled,
};

// A lookup's state as a request's answer names it.
TableStatus StatusOf(TableState state);

struct TableResult {
  std::string requested;
  TableLookup lookup;
  // For unknown tables: close matches among this build's tables.
  std::vector<std::string> suggestions;
  TableStatus status() const;
};

enum class PairStatus {
  kDirect,             // exactly one foreign key (or the chosen one)
  kAmbiguous,          // several foreign keys; choose one
  kPath,               // no direct key; `path` is a shortest chain
  kNoPath,             // not connected in this build
  kTableUnavailable,   // a side is unknown or disabled
  kUnknownForeignKey,  // the chosen key does not join these tables
};

struct PairResult {
  std::string left, right;
  PairStatus status = PairStatus::kNoPath;
  std::vector<JoinEdge> candidates;  // kDirect: one; kAmbiguous: all
  std::vector<JoinStep> path;        // kPath: left ... right, in order
  // kNoPath: features whose clusters lie on a connecting path in the full
  // tree (the tables connect only through them).
  std::vector<std::string> blocked_by_features;
  // kDirect and kPath: the join as SQL, from `left`:
  // "FROM users JOIN tasks ON tasks.assignee_id = users.id".
  std::string from_sql;
  std::string message;
};

struct TreeResult {
  bool connected = false;
  // True when the tree is known to have the fewest extra tables (exact
  // search); false when it is the best of several greedy trees (at most
  // twice the minimum), used when the search space is large.
  bool optimal = false;
  std::string root;                       // the first table of the join
  std::vector<JoinStep> steps;            // in a valid join order
  std::vector<std::string> extra_tables;  // joined only to connect others
  std::vector<std::string> unreachable;   // requested, not connected
  std::vector<std::string> blocked_by_features;
  // When connected: the tree as SQL, "FROM <root> JOIN ... JOIN ...".
  std::string from_sql;
  std::string message;
};

enum class JoinVerdict {
  kOk,           // every table available and connected unambiguously
  kAmbiguous,    // connected, but some join has several candidate keys
  kUnreachable,  // some tables cannot be connected in this build
  kInvalid,      // some table is unknown or in a disabled cluster
};

// "FROM <root> <step.sql> ...", names quoted as SQL needs them.
std::string FromClause(const std::string& root, const std::vector<JoinStep>& steps);

const char* ToString(TableStatus s);
const char* ToString(PairStatus s);
const char* ToString(JoinVerdict v);

struct JoinPairRequest {
  std::string left, right;
  std::string foreign_key;  // optional: choose among several keys
};

struct JoinRequest {
  std::vector<std::string> tables;
  std::vector<JoinPairRequest> pairs;
};

struct JoinResult {
  std::vector<TableResult> tables;
  std::vector<PairResult> pairs;
  TreeResult tree;  // for two or more distinct available tables
  JoinVerdict verdict = JoinVerdict::kOk;
};

class JoinGraph {
 public:
  // Limits of the exact tree search (see TreeResult::optimal).
  static constexpr int kMaxExactTerminals = 8;
  static constexpr int kMaxExactCandidates = 256;

  explicit JoinGraph(const Catalog& catalog);

  JoinResult Join(const JoinRequest& request) const;

  // Every enabled foreign key between `a` and `b` (either direction).
  std::vector<JoinEdge> Direct(absl::string_view a, absl::string_view b) const;

  // Close matches for an unknown table name (edit distance, prefixes).
  std::vector<std::string> Suggest(absl::string_view name, size_t max = 3) const;

  // Shortest chain of enabled foreign keys from `a` to `b` (empty when not
  // connected or a == b). Deterministic: ties go to table names in order.
  std::vector<JoinStep> ShortestPath(absl::string_view a, absl::string_view b) const;

  // The enabled foreign key that `a.a_column = b.b_column` follows (one
  // column pair of it, either direction), or "".
  std::string MatchForeignKey(absl::string_view a, absl::string_view a_column, absl::string_view b,
                              absl::string_view b_column) const;

  size_t table_count() const { return nodes_.size(); }
  size_t edge_count() const { return edges_.size(); }

  const Catalog& catalog() const { return catalog_; }

 private:
  struct Node {
    std::string name;
    std::string cluster;  // hex-decoded for absent tables
    bool enabled = false;
    bool absent = false;  // not compiled in: known by key only
    std::vector<std::string> enable_features;
  };
  struct Edge {
    uint32_t from = 0, to = 0;
    const v1::ForeignKey* fk = nullptr;  // null for absent edges
    bool enabled = false;
  };
  struct Adjacent {
    uint32_t node;
    uint32_t edge;
  };

  int Find(absl::string_view name) const;
  JoinEdge MakeEdge(const Edge& e) const;
  std::vector<uint32_t> EdgesBetween(uint32_t a, uint32_t b) const;
  JoinStep MakeStep(uint32_t from_node, uint32_t to_node, const std::string& chosen_key) const;
  // Edges of a shortest path from `source` to `target` over enabled edges
  // (or all edges when `all`), in order; empty when none.
  std::vector<uint32_t> PathEdges(uint32_t source, uint32_t target, bool all) const;
  // Is the subgraph induced by `nodes` (plus `extra` when >= 0) connected?
  bool InducedConnected(const std::vector<uint32_t>& nodes, int extra) const;
  std::vector<std::string> BlockingFeatures(uint32_t a, uint32_t b) const;

  // The join tree of two or more tables (`terminals`), a Steiner tree over
  // the enabled foreign keys: a greedy tree, proven minimal or replaced by
  // an exact search's when the search space is small enough.
  TreeResult Tree(const std::vector<uint32_t>& terminals, const JoinRequest& request) const;
  struct SteinerTree {
    std::vector<uint32_t> tree_edges;
    std::set<uint32_t> nodes;
    std::vector<uint32_t> unreachable;  // terminals it could not reach
  };
  SteinerTree GrowGreedy(const std::vector<uint32_t>& terminals, uint32_t root) const;
  bool ProvablyMinimal(const std::vector<uint32_t>& terminals, size_t extras) const;
  bool ExactCandidates(const std::vector<uint32_t>& terminals, int max_edges,
                       std::vector<uint32_t>* candidates) const;
  std::optional<SteinerTree> ExactTree(const std::vector<uint32_t>& terminals,
                                       const std::vector<uint32_t>& candidates,
                                       int greedy_edges) const;
  void OrderSteps(const std::vector<uint32_t>& terminals, const SteinerTree& tree,
                  const JoinRequest& request, TreeResult* result) const;

  const Catalog& catalog_;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  // CSR adjacency over all edges, neighbours sorted by name.
  std::vector<uint32_t> offsets_;
  std::vector<Adjacent> adjacency_;
  absl::flat_hash_map<std::string, uint32_t> by_name_;
  absl::flat_hash_map<uint64_t, uint32_t> by_key_;
};

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_JOIN_H_
