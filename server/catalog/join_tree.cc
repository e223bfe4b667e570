// The join graph's Steiner-tree search (JoinGraph::Tree and its parts): the
// fewest joins connecting every table of a request — a greedy tree, cheap
// proofs of minimality, and an exact search over small candidate sets when
// the proofs fail — and the order its steps are written in. Paths between
// two tables, suggestions and the request/answer plumbing are in join.cc.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/catalog/join.h"
#include "server/catalog/join_search.h"

namespace schemagate::catalog {

using join_search::AddUnique;
using join_search::kRoot;
using join_search::Scratch;
using join_search::ScratchFor;

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

}  // namespace schemagate::catalog
