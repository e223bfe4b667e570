// The join graph: tables as nodes, enabled foreign keys as edges; paths
// between two tables, table-name suggestions, and JoinGraph::Join (the
// request/answer plumbing). The tree over many tables is join_tree.cc.
#include "server/catalog/join.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/catalog/edit_distance.h"
#include "server/catalog/join_search.h"
#include "server/catalog/sql_names.h"

namespace schemagate::catalog {

using join_search::AddUnique;
using join_search::kRoot;
using join_search::Scratch;
using join_search::ScratchFor;

const char* ToString(TableStatus s) {
  switch (s) {
    case TableStatus::kAvailable:
      return "available";
    case TableStatus::kUnknownTable:
      return "unknown_table";
    case TableStatus::kClusterDisabled:
      return "cluster_disabled";
  }
  return "unknown_table";
}

const char* ToString(PairStatus s) {
  switch (s) {
    case PairStatus::kDirect:
      return "direct";
    case PairStatus::kAmbiguous:
      return "ambiguous";
    case PairStatus::kPath:
      return "path";
    case PairStatus::kNoPath:
      return "no_path";
    case PairStatus::kTableUnavailable:
      return "table_unavailable";
    case PairStatus::kUnknownForeignKey:
      return "unknown_foreign_key";
  }
  return "no_path";
}

const char* ToString(JoinVerdict v) {
  switch (v) {
    case JoinVerdict::kOk:
      return "ok";
    case JoinVerdict::kAmbiguous:
      return "ambiguous";
    case JoinVerdict::kUnreachable:
      return "unreachable";
    case JoinVerdict::kInvalid:
      return "invalid";
  }
  return "invalid";
}

TableStatus StatusOf(TableState state) {
  switch (state) {
    case TableState::kAvailable:
      return TableStatus::kAvailable;
    case TableState::kClusterDisabled:
      return TableStatus::kClusterDisabled;
    case TableState::kUnknown:
      return TableStatus::kUnknownTable;
  }
  return TableStatus::kUnknownTable;
}

TableStatus TableResult::status() const { return StatusOf(lookup.state); }

JoinGraph::JoinGraph(const Catalog& catalog) : catalog_(catalog) {
  const v1::BuildCatalog& compiled = catalog.compiled();
  nodes_.reserve(compiled.tables_size() + compiled.absent_tables_size());
  for (const v1::Table& t : compiled.tables()) {
    Node n;
    n.name = t.name();
    n.cluster = t.cluster();
    n.enabled = catalog.IsEnabled(t.cluster());
    if (!n.enabled) n.enable_features = catalog.Lookup(t.name()).enable_features;
    by_name_.emplace(n.name, nodes_.size());
    by_key_.emplace(TableKey(n.name), nodes_.size());
    nodes_.push_back(std::move(n));
  }
  for (const v1::AbsentTable& a : compiled.absent_tables()) {
    if (by_key_.contains(a.key()) ||
        static_cast<int>(a.cluster()) >= compiled.absent_clusters_size()) {
      continue;
    }
    const v1::AbsentCluster& c = compiled.absent_clusters(a.cluster());
    Node n;
    n.absent = true;
    n.cluster = HexDecode(c.name_hex());
    for (const std::string& f : c.enable_features_hex()) {
      n.enable_features.push_back(HexDecode(f));
    }
    by_key_.emplace(a.key(), nodes_.size());
    nodes_.push_back(std::move(n));
  }
  for (const v1::Table& t : compiled.tables()) {
    uint32_t from = by_name_.at(t.name());
    for (const v1::ForeignKey& fk : t.foreign_keys()) {
      auto to = by_name_.find(fk.references_table());
      if (to == by_name_.end()) continue;
      Edge e;
      e.from = from;
      e.to = to->second;
      e.fk = &fk;
      e.enabled =
          nodes_[from].enabled && nodes_[to->second].enabled && catalog.IsEnabled(fk.cluster());
      edges_.push_back(e);
    }
  }
  for (const v1::AbsentEdge& a : compiled.absent_edges()) {
    auto from = by_key_.find(a.from_key());
    auto to = by_key_.find(a.to_key());
    if (from == by_key_.end() || to == by_key_.end()) continue;
    edges_.push_back({from->second, to->second, nullptr, false});
  }
  // CSR adjacency, neighbours by name so that every search is deterministic.
  std::vector<std::vector<Adjacent>> lists(nodes_.size());
  for (uint32_t i = 0; i < edges_.size(); ++i) {
    lists[edges_[i].from].push_back({edges_[i].to, i});
    if (edges_[i].from != edges_[i].to) {
      lists[edges_[i].to].push_back({edges_[i].from, i});
    }
  }
  offsets_.reserve(nodes_.size() + 1);
  offsets_.push_back(0);
  for (auto& list : lists) {
    std::sort(list.begin(), list.end(), [&](const Adjacent& x, const Adjacent& y) {
      const Node& a = nodes_[x.node];
      const Node& b = nodes_[y.node];
      if (a.name != b.name) return a.name < b.name;
      if (x.node != y.node) return x.node < y.node;
      return x.edge < y.edge;
    });
    adjacency_.insert(adjacency_.end(), list.begin(), list.end());
    offsets_.push_back(adjacency_.size());
  }
}

int JoinGraph::Find(absl::string_view name) const {
  std::string normalized = NormalizeTableName(name);
  auto it = by_name_.find(normalized);
  if (it == by_name_.end()) {
    it = by_name_.find(absl::AsciiStrToLower(normalized));
  }
  return it == by_name_.end() ? -1 : static_cast<int>(it->second);
}

JoinEdge JoinGraph::MakeEdge(const Edge& e) const {
  JoinEdge out;
  const v1::ForeignKey& fk = *e.fk;
  out.foreign_key = fk.name();
  out.from_table = nodes_[e.from].name;
  out.to_table = nodes_[e.to].name;
  out.from_columns.assign(fk.columns().begin(), fk.columns().end());
  out.to_columns.assign(fk.references_columns().begin(), fk.references_columns().end());
  out.cluster = fk.cluster();
  // The ON clause is SQL: names PostgreSQL would fold or read as keywords
  // are quoted ("app.User Accounts" -> app."User Accounts").
  out.from_alias = SqlTableName(out.from_table);
  out.to_alias = SqlTableName(out.to_table);
  if (e.from == e.to) {
    out.to_alias = SelfJoinAlias(out.from_columns.empty() ? "" : out.from_columns[0], out.to_table);
  }
  std::vector<std::string> parts;
  for (size_t i = 0; i < out.from_columns.size() && i < out.to_columns.size(); ++i) {
    parts.push_back(absl::StrCat(out.from_alias, ".", SqlIdentifier(out.from_columns[i]), " = ",
                                 out.to_alias, ".", SqlIdentifier(out.to_columns[i])));
  }
  out.on = absl::StrJoin(parts, " AND ");
  return out;
}

std::vector<uint32_t> JoinGraph::EdgesBetween(uint32_t a, uint32_t b) const {
  std::vector<uint32_t> out;
  for (uint32_t i = offsets_[a]; i < offsets_[a + 1]; ++i) {
    const Adjacent& adj = adjacency_[i];
    if (adj.node == b && edges_[adj.edge].enabled) out.push_back(adj.edge);
  }
  return out;
}

std::vector<JoinEdge> JoinGraph::Direct(absl::string_view a, absl::string_view b) const {
  std::vector<JoinEdge> out;
  int x = Find(a), y = Find(b);
  if (x < 0 || y < 0) return out;
  for (uint32_t e : EdgesBetween(x, y)) out.push_back(MakeEdge(edges_[e]));
  return out;
}

std::string FromClause(const std::string& root, const std::vector<JoinStep>& steps) {
  std::string out = absl::StrCat("FROM ", SqlTableName(root));
  for (const JoinStep& s : steps) absl::StrAppend(&out, " ", s.sql);
  return out;
}

JoinStep JoinGraph::MakeStep(uint32_t from_node, uint32_t to_node,
                             const std::string& chosen_key) const {
  JoinStep step;
  step.table = nodes_[to_node].name;
  step.to = nodes_[from_node].name;
  std::vector<uint32_t> edges = EdgesBetween(from_node, to_node);
  size_t pick = 0;
  if (!chosen_key.empty()) {
    for (size_t i = 0; i < edges.size(); ++i) {
      if (edges_[edges[i]].fk->name() == chosen_key) pick = i;
    }
  }
  for (size_t i = 0; i < edges.size(); ++i) {
    JoinEdge e = MakeEdge(edges_[edges[i]]);
    if (i == pick) {
      step.edge = std::move(e);
    } else if (chosen_key.empty()) {
      step.alternatives.push_back(std::move(e));
    }
  }
  if (!edges.empty()) {
    // A self-reference joins the table again under the referenced side's
    // alias, the one the ON clause uses.
    bool self = from_node == to_node;
    step.sql =
        absl::StrCat("JOIN ", SqlTableName(step.table),
                     self ? absl::StrCat(" AS ", step.edge.to_alias) : "", " ON ", step.edge.on);
  }
  return step;
}

std::vector<uint32_t> JoinGraph::PathEdges(uint32_t source, uint32_t target, bool all) const {
  std::vector<uint32_t> path;
  if (source == target) return path;
  Scratch& parent = ScratchFor(0, nodes_.size());
  std::vector<uint32_t> queue = {source};
  parent.Set(source, kRoot);
  bool found = false;
  for (size_t head = 0; head < queue.size() && !found; ++head) {
    uint32_t u = queue[head];
    for (uint32_t i = offsets_[u]; i < offsets_[u + 1]; ++i) {
      const Adjacent& adj = adjacency_[i];
      if (parent.Has(adj.node)) continue;
      if (!all && (!edges_[adj.edge].enabled || !nodes_[adj.node].enabled)) {
        continue;
      }
      parent.Set(adj.node, static_cast<int>(adj.edge));
      if (adj.node == target) {
        found = true;
        break;
      }
      queue.push_back(adj.node);
    }
  }
  if (!found) return path;
  for (uint32_t v = target; parent.Get(v) != kRoot;) {
    const Edge& e = edges_[parent.Get(v)];
    path.push_back(parent.Get(v));
    v = e.from == v ? e.to : e.from;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

std::string JoinGraph::MatchForeignKey(absl::string_view a, absl::string_view a_column,
                                       absl::string_view b, absl::string_view b_column) const {
  int x = Find(a), y = Find(b);
  if (x < 0 || y < 0) return "";
  for (uint32_t e : EdgesBetween(x, y)) {
    const Edge& edge = edges_[e];
    const v1::ForeignKey& fk = *edge.fk;
    for (int i = 0; i < fk.columns_size() && i < fk.references_columns_size(); ++i) {
      bool forward = static_cast<int>(edge.from) == x && fk.columns(i) == a_column &&
                     fk.references_columns(i) == b_column;
      bool backward = static_cast<int>(edge.from) == y && fk.columns(i) == b_column &&
                      fk.references_columns(i) == a_column;
      if (forward || backward) return fk.name();
    }
  }
  return "";
}

std::vector<JoinStep> JoinGraph::ShortestPath(absl::string_view a, absl::string_view b) const {
  std::vector<JoinStep> steps;
  int x = Find(a), y = Find(b);
  if (x < 0 || y < 0 || x == y || !nodes_[x].enabled || !nodes_[y].enabled) {
    return steps;
  }
  uint32_t at = static_cast<uint32_t>(x);
  for (uint32_t e : PathEdges(x, y, false)) {
    uint32_t next = edges_[e].from == at ? edges_[e].to : edges_[e].from;
    steps.push_back(MakeStep(at, next, ""));
    at = next;
  }
  return steps;
}

std::vector<std::string> JoinGraph::BlockingFeatures(uint32_t a, uint32_t b) const {
  std::vector<std::string> features;
  uint32_t at = a;
  for (uint32_t index : PathEdges(a, b, true)) {
    const Edge& e = edges_[index];
    uint32_t next = e.from == at ? e.to : e.from;
    if (!nodes_[next].enabled) {
      for (const std::string& f : nodes_[next].enable_features) AddUnique(&features, f);
    }
    if (e.fk != nullptr && !catalog_.IsEnabled(e.fk->cluster())) {
      for (const v1::Cluster& c : catalog_.compiled().clusters()) {
        if (c.name() != e.fk->cluster()) continue;
        if (c.requires_features().empty()) {
          AddUnique(&features, c.name());
        } else {
          for (const std::string& f : c.requires_features()) {
            if (!catalog_.IsEnabled(f)) AddUnique(&features, f);
          }
        }
      }
    }
    at = next;
  }
  return features;
}

std::vector<std::string> JoinGraph::Suggest(absl::string_view raw, size_t max) const {
  std::string name = absl::AsciiStrToLower(NormalizeTableName(raw));
  std::vector<std::pair<size_t, std::string>> scored;
  if (name.empty()) return {};
  size_t limit = std::max<size_t>(2, name.size() / 4);
  for (const Node& n : nodes_) {
    if (n.absent) continue;
    size_t diff =
        n.name.size() > name.size() ? n.name.size() - name.size() : name.size() - n.name.size();
    size_t d;
    if (diff <= limit) {
      d = EditDistanceAtMost(name, n.name, limit);
    } else if (name.size() >= 4 && absl::StrContains(n.name, name)) {
      d = limit;  // "contacts" -> "crm_contacts"
    } else {
      continue;
    }
    if (d <= limit) scored.emplace_back(d, n.name);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (auto& [d, n] : scored) {
    if (out.size() >= max) break;
    out.push_back(n);
  }
  return out;
}

JoinResult JoinGraph::Join(const JoinRequest& request) const {
  JoinResult result;
  std::vector<std::string> names = request.tables;
  for (const JoinPairRequest& p : request.pairs) {
    for (const std::string& t : {p.left, p.right}) {
      if (std::find(names.begin(), names.end(), t) == names.end()) {
        names.push_back(t);
      }
    }
  }
  bool all_available = true;
  std::vector<uint32_t> terminals;
  for (const std::string& name : names) {
    TableResult t;
    t.requested = name;
    t.lookup = catalog_.Lookup(name);
    if (t.lookup.state == TableState::kUnknown) t.suggestions = Suggest(name);
    if (t.lookup.state == TableState::kAvailable) {
      uint32_t id = static_cast<uint32_t>(Find(t.lookup.name));
      if (std::find(terminals.begin(), terminals.end(), id) == terminals.end()) {
        terminals.push_back(id);
      }
    } else {
      all_available = false;
    }
    result.tables.push_back(std::move(t));
  }

  std::vector<JoinPairRequest> pairs = request.pairs;
  if (pairs.empty() && request.tables.size() == 2) {
    pairs.push_back({request.tables[0], request.tables[1], ""});
  }
  bool ambiguous = false, unreachable = false;
  for (const JoinPairRequest& p : pairs) {
    PairResult pr;
    pr.left = p.left;
    pr.right = p.right;
    int a = Find(p.left), b = Find(p.right);
    bool a_ok = a >= 0 && nodes_[a].enabled;
    bool b_ok = b >= 0 && nodes_[b].enabled;
    if (!a_ok || !b_ok) {
      pr.status = PairStatus::kTableUnavailable;
      pr.message = absl::StrCat(!a_ok ? p.left : p.right, " is not available in this build");
      result.pairs.push_back(std::move(pr));
      continue;
    }
    std::vector<uint32_t> edges = EdgesBetween(a, b);
    if (!p.foreign_key.empty()) {
      auto it = std::find_if(edges.begin(), edges.end(),
                             [&](uint32_t e) { return edges_[e].fk->name() == p.foreign_key; });
      if (it == edges.end()) {
        pr.status = PairStatus::kUnknownForeignKey;
        std::vector<std::string> valid;
        for (uint32_t e : edges) valid.push_back(edges_[e].fk->name());
        pr.message = absl::StrCat(
            "foreign key \"", p.foreign_key, "\" does not join ", p.left, " and ", p.right,
            valid.empty() ? "" : absl::StrCat("; candidates: ", absl::StrJoin(valid, ", ")));
        ambiguous = true;
      } else {
        pr.status = PairStatus::kDirect;
        pr.candidates.push_back(MakeEdge(edges_[*it]));
      }
    } else if (edges.size() == 1) {
      pr.status = PairStatus::kDirect;
      pr.candidates.push_back(MakeEdge(edges_[edges[0]]));
    } else if (edges.size() > 1) {
      pr.status = PairStatus::kAmbiguous;
      for (uint32_t e : edges) pr.candidates.push_back(MakeEdge(edges_[e]));
      std::vector<std::string> keys;
      for (const JoinEdge& e : pr.candidates) keys.push_back(e.foreign_key);
      pr.message = absl::StrCat(edges.size(), " foreign keys join ", p.left, " and ", p.right, " (",
                                absl::StrJoin(keys, ", "), "); choose one");
      ambiguous = true;
    } else if (a == b) {
      pr.status = PairStatus::kNoPath;
      pr.message = absl::StrCat(p.left, " has no self-referencing foreign key");
      unreachable = true;
    } else {
      pr.path = ShortestPath(p.left, p.right);
      if (!pr.path.empty()) {
        pr.status = PairStatus::kPath;
        for (const JoinStep& s : pr.path) ambiguous = ambiguous || !s.alternatives.empty();
        pr.message =
            absl::StrCat("no direct foreign key; shortest path has ", pr.path.size(), " joins");
      } else {
        pr.status = PairStatus::kNoPath;
        pr.blocked_by_features = BlockingFeatures(a, b);
        pr.message =
            pr.blocked_by_features.empty()
                ? absl::StrCat(p.left, " and ", p.right, " are not connected by foreign keys")
                : absl::StrCat(p.left, " and ", p.right,
                               " connect only through disabled features: ",
                               absl::StrJoin(pr.blocked_by_features, ", "));
        unreachable = true;
      }
    }
    result.pairs.push_back(std::move(pr));
  }

  const PairResult* only_pair =
      terminals.size() == 2 && result.pairs.size() == 1 ? &result.pairs[0] : nullptr;
  if (only_pair != nullptr &&
      (only_pair->status == PairStatus::kDirect || only_pair->status == PairStatus::kAmbiguous ||
       only_pair->status == PairStatus::kPath) &&
      static_cast<uint32_t>(Find(only_pair->left)) == terminals[0]) {
    // Two tables: the pair's answer is the tree.
    TreeResult& tree = result.tree;
    tree.connected = true;
    tree.optimal = true;
    tree.root = nodes_[terminals[0]].name;
    if (only_pair->status == PairStatus::kPath) {
      tree.steps = only_pair->path;
      for (size_t i = 0; i + 1 < tree.steps.size(); ++i) {
        tree.extra_tables.push_back(tree.steps[i].table);
      }
    } else {
      const std::string chosen = request.pairs.empty() ? "" : request.pairs[0].foreign_key;
      tree.steps.push_back(MakeStep(terminals[0], terminals[1], chosen));
    }
  } else if (terminals.size() >= 2) {
    result.tree = Tree(terminals, request);
    if (!result.tree.connected) unreachable = true;
    for (const JoinStep& s : result.tree.steps) {
      ambiguous = ambiguous || !s.alternatives.empty();
    }
  } else if (terminals.size() == 1) {
    result.tree.connected = true;
    result.tree.optimal = true;
    result.tree.root = nodes_[terminals[0]].name;
  }

  // The answers as a ready FROM clause.
  for (PairResult& p : result.pairs) {
    int x = Find(p.left), y = Find(p.right);
    if (x < 0 || y < 0) continue;
    if (p.status == PairStatus::kPath && !p.path.empty()) {
      p.from_sql = FromClause(nodes_[x].name, p.path);
    } else if (p.status == PairStatus::kDirect && p.candidates.size() == 1) {
      const JoinEdge& e = p.candidates[0];
      p.from_sql = absl::StrCat("FROM ", SqlTableName(nodes_[x].name), " JOIN ",
                                SqlTableName(nodes_[y].name),
                                x == y ? absl::StrCat(" AS ", e.to_alias) : "", " ON ", e.on);
    }
  }
  if (result.tree.connected && !result.tree.root.empty()) {
    result.tree.from_sql = FromClause(result.tree.root, result.tree.steps);
  }

  if (!all_available) {
    result.verdict = JoinVerdict::kInvalid;
  } else if (unreachable) {
    result.verdict = JoinVerdict::kUnreachable;
  } else if (ambiguous) {
    result.verdict = JoinVerdict::kAmbiguous;
  } else {
    result.verdict = JoinVerdict::kOk;
  }
  return result;
}

}  // namespace schemagate::catalog
