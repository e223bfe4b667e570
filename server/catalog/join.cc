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
#include "server/catalog/sql_names.h"

namespace schemagate::catalog {
namespace {

constexpr int kUnvisited = -2;
constexpr int kRoot = -1;

// Per-thread arrays indexed by node, cleared in O(1) by bumping an epoch,
// so a search costs what it visits, not the size of the graph.
class Scratch {
 public:
  void Reset(size_t n) {
    if (stamp_.size() < n) {
      stamp_.assign(n, 0);
      value_.resize(n);
    }
    if (++epoch_ == 0) {
      std::fill(stamp_.begin(), stamp_.end(), 0);
      epoch_ = 1;
    }
  }
  bool Has(uint32_t v) const { return stamp_[v] == epoch_; }
  int Get(uint32_t v) const { return stamp_[v] == epoch_ ? value_[v] : kUnvisited; }
  void Set(uint32_t v, int x) {
    stamp_[v] = epoch_;
    value_[v] = x;
  }

 private:
  std::vector<uint32_t> stamp_;
  std::vector<int> value_;
  uint32_t epoch_ = 0;
};

// The i-th scratch array of this thread.
Scratch& ScratchFor(size_t i, size_t n) {
  thread_local std::vector<std::unique_ptr<Scratch>> pool;
  while (pool.size() <= i) pool.push_back(std::make_unique<Scratch>());
  pool[i]->Reset(n);
  return *pool[i];
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

void AddUnique(std::vector<std::string>* out, const std::string& value) {
  if (std::find(out->begin(), out->end(), value) == out->end()) {
    out->push_back(value);
  }
}

}  // namespace

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

TableStatus TableResult::status() const {
  switch (lookup.state) {
    case TableState::kAvailable:
      return TableStatus::kAvailable;
    case TableState::kClusterDisabled:
      return TableStatus::kClusterDisabled;
    case TableState::kUnknown:
      return TableStatus::kUnknownTable;
  }
  return TableStatus::kUnknownTable;
}

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
      d = EditDistance(name, n.name);
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

bool JoinGraph::InducedConnected(const std::vector<uint32_t>& nodes, int extra) const {
  std::vector<uint32_t> all = nodes;
  if (extra >= 0) all.push_back(static_cast<uint32_t>(extra));
  Scratch& in = ScratchFor(1, nodes_.size());
  for (uint32_t v : all) in.Set(v, 0);
  std::vector<uint32_t> queue = {all[0]};
  in.Set(all[0], 1);
  for (size_t head = 0; head < queue.size(); ++head) {
    uint32_t u = queue[head];
    for (uint32_t i = offsets_[u]; i < offsets_[u + 1]; ++i) {
      const Adjacent& adj = adjacency_[i];
      if (in.Get(adj.node) != 0 || !edges_[adj.edge].enabled) continue;
      in.Set(adj.node, 1);
      queue.push_back(adj.node);
    }
  }
  return queue.size() == all.size();
}

// Greedy (Takahashi-Matsuyama): grows a tree from `root` by repeatedly
// adding the shortest path to the nearest remaining terminal.
JoinGraph::SteinerTree JoinGraph::GrowGreedy(const std::vector<uint32_t>& terminals,
                                             uint32_t root) const {
  const size_t n = nodes_.size();
  SteinerTree c;
  c.nodes.insert(root);
  std::set<uint32_t> remaining(terminals.begin(), terminals.end());
  remaining.erase(root);
  while (!remaining.empty()) {
    Scratch& parent = ScratchFor(0, n);
    std::vector<uint32_t> queue(c.nodes.begin(), c.nodes.end());
    for (uint32_t v : queue) parent.Set(v, kRoot);
    int found = -1;
    for (size_t head = 0; head < queue.size() && found < 0; ++head) {
      uint32_t u = queue[head];
      for (uint32_t i = offsets_[u]; i < offsets_[u + 1]; ++i) {
        const Adjacent& adj = adjacency_[i];
        if (parent.Has(adj.node) || !edges_[adj.edge].enabled || !nodes_[adj.node].enabled) {
          continue;
        }
        parent.Set(adj.node, static_cast<int>(adj.edge));
        if (remaining.count(adj.node)) {
          found = static_cast<int>(adj.node);
          break;
        }
        queue.push_back(adj.node);
      }
    }
    if (found < 0) {
      c.unreachable.assign(remaining.begin(), remaining.end());
      break;
    }
    for (uint32_t v = found; parent.Get(v) != kRoot;) {
      int e = parent.Get(v);
      c.tree_edges.push_back(e);
      c.nodes.insert(v);
      remaining.erase(v);
      v = edges_[e].from == v ? edges_[e].to : edges_[e].from;
    }
  }
  return c;
}

// Cheap proofs that a connected tree with `extras` tables beyond the
// terminals is minimal: no extra table, or one when the requested tables
// alone are not connected, or two when no single table connects them.
bool JoinGraph::ProvablyMinimal(const std::vector<uint32_t>& terminals, size_t extras) const {
  if (extras == 0) return true;
  if (InducedConnected(terminals, -1)) return false;
  if (extras == 1) return true;
  if (extras != 2) return false;
  std::set<uint32_t> terminal_set(terminals.begin(), terminals.end());
  std::set<uint32_t> tried;
  for (uint32_t t : terminals) {
    for (uint32_t i = offsets_[t]; i < offsets_[t + 1]; ++i) {
      const Adjacent& adj = adjacency_[i];
      if (terminal_set.count(adj.node) || !edges_[adj.edge].enabled || !nodes_[adj.node].enabled ||
          !tried.insert(adj.node).second) {
        continue;
      }
      if (InducedConnected(terminals, static_cast<int>(adj.node))) return false;
    }
  }
  return true;
}

// The tables that can lie on a tree of at most `max_edges` edges (within
// that distance of every terminal), in BFS order from the first terminal;
// false when there are too many for the exact search.
bool JoinGraph::ExactCandidates(const std::vector<uint32_t>& terminals, int max_edges,
                                std::vector<uint32_t>* candidates) const {
  const size_t n = nodes_.size();
  const size_t k = terminals.size();
  std::vector<uint32_t> order;
  Scratch& count = ScratchFor(2, n);
  for (size_t i = 0; i < k; ++i) {
    Scratch& dist = ScratchFor(3, n);
    std::vector<uint32_t> queue = {terminals[i]};
    dist.Set(terminals[i], 0);
    for (size_t head = 0; head < queue.size(); ++head) {
      uint32_t u = queue[head];
      int c = count.Get(u);
      if (c == static_cast<int>(i)) {
        count.Set(u, c + 1);
      } else if (i == 0) {
        count.Set(u, 1);
      }
      if (dist.Get(u) >= max_edges) continue;
      for (uint32_t j = offsets_[u]; j < offsets_[u + 1]; ++j) {
        const Adjacent& adj = adjacency_[j];
        if (dist.Has(adj.node) || !edges_[adj.edge].enabled || !nodes_[adj.node].enabled) {
          continue;
        }
        dist.Set(adj.node, dist.Get(u) + 1);
        queue.push_back(adj.node);
      }
    }
    if (i == 0) order = queue;
    if (queue.size() > 64 * static_cast<size_t>(kMaxExactCandidates)) return false;
  }
  for (uint32_t v : order) {
    if (count.Get(v) == static_cast<int>(k)) candidates->push_back(v);
  }
  return candidates->size() <= static_cast<size_t>(kMaxExactCandidates);
}

// Exact search (Steiner tree DP over terminal subsets) on `candidates`:
// a tree rooted at the first terminal with fewer than `greedy_edges`
// edges, if there is one.
std::optional<JoinGraph::SteinerTree> JoinGraph::ExactTree(const std::vector<uint32_t>& terminals,
                                                           const std::vector<uint32_t>& candidates,
                                                           int greedy_edges) const {
  const size_t k = terminals.size();
  const size_t c = candidates.size();
  std::map<uint32_t, int> local;
  for (size_t i = 0; i < c; ++i) local[candidates[i]] = static_cast<int>(i);
  const size_t full = (size_t{1} << k) - 1;
  constexpr int kInf = std::numeric_limits<int>::max() / 4;
  // dp[mask][v]: fewest edges of a tree spanning `mask` and v.
  std::vector<std::vector<int>> dp(full + 1, std::vector<int>(c, kInf));
  // how: -1 leaf, >= 0 an edge (from `from`), <= -2 a split -(sub + 2).
  std::vector<std::vector<int64_t>> how(full + 1, std::vector<int64_t>(c, -1));
  std::vector<std::vector<int>> from(full + 1, std::vector<int>(c, -1));
  for (size_t i = 0; i < k; ++i) dp[size_t{1} << i][local.at(terminals[i])] = 0;
  // Neighbours inside the candidate set, precomputed.
  std::vector<std::vector<std::pair<int, uint32_t>>> near(c);
  for (size_t v = 0; v < c; ++v) {
    uint32_t g = candidates[v];
    for (uint32_t j = offsets_[g]; j < offsets_[g + 1]; ++j) {
      const Adjacent& adj = adjacency_[j];
      auto it = local.find(adj.node);
      if (it != local.end() && edges_[adj.edge].enabled) {
        near[v].push_back({it->second, adj.edge});
      }
    }
  }
  for (size_t mask = 1; mask <= full; ++mask) {
    for (size_t sub = (mask - 1) & mask; sub > 0; sub = (sub - 1) & mask) {
      if (sub < (mask ^ sub)) continue;  // each split once
      for (size_t v = 0; v < c; ++v) {
        int cost = dp[sub][v] + dp[mask ^ sub][v];
        if (cost < dp[mask][v]) {
          dp[mask][v] = cost;
          how[mask][v] = -static_cast<int64_t>(sub) - 2;
        }
      }
    }
    // Unit-weight relaxation: BFS in cost buckets.
    std::vector<std::vector<uint32_t>> buckets;
    for (size_t v = 0; v < c; ++v) {
      if (dp[mask][v] >= kInf) continue;
      if (static_cast<size_t>(dp[mask][v]) >= buckets.size()) {
        buckets.resize(dp[mask][v] + 1);
      }
      buckets[dp[mask][v]].push_back(v);
    }
    for (size_t d = 0; d < buckets.size(); ++d) {
      for (size_t b = 0; b < buckets[d].size(); ++b) {
        uint32_t v = buckets[d][b];
        if (dp[mask][v] != static_cast<int>(d)) continue;
        for (auto [u, edge] : near[v]) {
          if (static_cast<int>(d) + 1 < dp[mask][u]) {
            dp[mask][u] = static_cast<int>(d) + 1;
            how[mask][u] = edge;
            from[mask][u] = static_cast<int>(v);
            if (buckets.size() <= d + 1) buckets.resize(d + 2);
            buckets[d + 1].push_back(u);
          }
        }
      }
    }
  }
  int root = local.at(terminals[0]);
  if (dp[full][root] >= greedy_edges) return std::nullopt;
  SteinerTree exact;
  std::vector<std::pair<size_t, int>> stack = {{full, root}};
  while (!stack.empty()) {
    auto [mask, v] = stack.back();
    stack.pop_back();
    exact.nodes.insert(candidates[v]);
    int64_t h = how[mask][v];
    if (h == -1) continue;
    if (h >= 0) {
      exact.tree_edges.push_back(static_cast<uint32_t>(h));
      stack.push_back({mask, from[mask][v]});
    } else {
      size_t sub = static_cast<size_t>(-h - 2);
      stack.push_back({sub, v});
      stack.push_back({mask ^ sub, v});
    }
  }
  return exact;
}

// Join order: breadth first from the first requested table over the tree.
void JoinGraph::OrderSteps(const std::vector<uint32_t>& terminals, const SteinerTree& tree,
                           const JoinRequest& request, TreeResult* result) const {
  std::set<uint32_t> terminal_set(terminals.begin(), terminals.end());
  std::map<std::pair<uint32_t, uint32_t>, std::string> chosen;
  for (const JoinPairRequest& p : request.pairs) {
    int a = Find(p.left), b = Find(p.right);
    if (a < 0 || b < 0 || p.foreign_key.empty()) continue;
    chosen[{std::min<uint32_t>(a, b), std::max<uint32_t>(a, b)}] = p.foreign_key;
  }
  std::map<uint32_t, std::vector<uint32_t>> tree_adj;
  for (uint32_t edge : tree.tree_edges) {
    tree_adj[edges_[edge].from].push_back(edges_[edge].to);
    tree_adj[edges_[edge].to].push_back(edges_[edge].from);
  }
  std::set<uint32_t> joined = {terminals[0]};
  std::vector<uint32_t> queue = {terminals[0]};
  for (size_t head = 0; head < queue.size(); ++head) {
    uint32_t u = queue[head];
    std::vector<uint32_t>& next = tree_adj[u];
    std::sort(next.begin(), next.end(),
              [&](uint32_t x, uint32_t y) { return nodes_[x].name < nodes_[y].name; });
    for (uint32_t v : next) {
      if (!joined.insert(v).second) continue;
      auto key = std::make_pair(std::min(u, v), std::max(u, v));
      auto c = chosen.find(key);
      result->steps.push_back(MakeStep(u, v, c == chosen.end() ? "" : c->second));
      if (!terminal_set.count(v)) result->extra_tables.push_back(nodes_[v].name);
      queue.push_back(v);
    }
  }
}

TreeResult JoinGraph::Tree(const std::vector<uint32_t>& terminals,
                           const JoinRequest& request) const {
  TreeResult result;
  result.root = nodes_[terminals[0]].name;
  auto extras = [&](const SteinerTree& c) { return c.nodes.size() - terminals.size(); };

  SteinerTree best = GrowGreedy(terminals, terminals[0]);
  for (size_t i = 1; i < terminals.size() && best.unreachable.empty() && extras(best) > 0; ++i) {
    SteinerTree c = GrowGreedy(terminals, terminals[i]);
    if (c.unreachable.empty() && c.nodes.size() < best.nodes.size()) best = std::move(c);
  }

  if (!best.unreachable.empty()) {
    result.connected = false;
    for (uint32_t t : best.unreachable) {
      result.unreachable.push_back(nodes_[t].name);
      for (const std::string& f : BlockingFeatures(terminals[0], t)) {
        AddUnique(&result.blocked_by_features, f);
      }
    }
    result.message =
        absl::StrCat(absl::StrJoin(result.unreachable, ", "), " cannot be joined to ", result.root,
                     " in this build",
                     result.blocked_by_features.empty()
                         ? " (no foreign-key path connects them)"
                         : absl::StrCat(" (they connect only through disabled features: ",
                                        absl::StrJoin(result.blocked_by_features, ", "), ")"));
    return result;
  }
  result.connected = true;
  result.optimal = ProvablyMinimal(terminals, extras(best));

  // Otherwise an exact search on the tables that can lie on a tree no
  // larger than the greedy one.
  std::vector<uint32_t> candidates;
  const int greedy_edges = static_cast<int>(best.tree_edges.size());
  if (!result.optimal && terminals.size() <= static_cast<size_t>(kMaxExactTerminals) &&
      ExactCandidates(terminals, greedy_edges, &candidates)) {
    if (std::optional<SteinerTree> exact = ExactTree(terminals, candidates, greedy_edges)) {
      best = *std::move(exact);
    }
    result.optimal = true;
  }
  OrderSteps(terminals, best, request, &result);
  return result;
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
