#include "server/catalog/order.h"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace schemagate::catalog {
namespace {

// Finds one cycle in the directed graph restricted to `alive` nodes and
// returns it as a node list whose first and last elements are equal.
std::vector<size_t> FindCycle(const std::vector<std::vector<size_t>>& edges,
                              const std::vector<bool>& alive) {
  const size_t n = edges.size();
  std::vector<int> color(n, 0);  // 0 new, 1 on stack, 2 done
  std::vector<size_t> parent(n, n);
  for (size_t start = 0; start < n; ++start) {
    if (!alive[start] || color[start] != 0) continue;
    // Iterative DFS: (node, next edge index).
    std::vector<std::pair<size_t, size_t>> stack = {{start, 0}};
    color[start] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < edges[node].size()) {
        size_t to = edges[node][next++];
        if (!alive[to]) continue;
        if (color[to] == 1) {
          std::vector<size_t> cycle = {to};
          for (size_t at = node; at != to; at = parent[at]) cycle.push_back(at);
          cycle.push_back(to);
          std::reverse(cycle.begin(), cycle.end());
          return cycle;
        }
        if (color[to] == 0) {
          color[to] = 1;
          parent[to] = node;
          stack.push_back({to, 0});
        }
      } else {
        color[node] = 2;
        stack.pop_back();
      }
    }
  }
  return {};
}

// A directed graph over nodes 0..n-1 (an edge runs from a node to one that
// must come after it), sorted by Kahn's algorithm.
class Graph {
 public:
  explicit Graph(size_t n) : edges_(n), indegree_(n, 0) {}

  void AddEdge(size_t from, size_t to) {
    if (from == to) return;
    edges_[from].push_back(to);
    ++indegree_[to];
  }

  // The nodes in an order that respects every edge, taking among the ready
  // nodes the one `later` ranks first (later(a, b): a comes after b). On a
  // cycle returns false with the nodes of one cycle in *cycle (its first and
  // last elements equal).
  template <typename Later>
  bool Sort(Later later, std::vector<size_t>* order, std::vector<size_t>* cycle) const {
    const size_t n = edges_.size();
    std::vector<int> indegree = indegree_;
    std::priority_queue<size_t, std::vector<size_t>, Later> ready(later);
    for (size_t i = 0; i < n; ++i) {
      if (indegree[i] == 0) ready.push(i);
    }
    order->clear();
    order->reserve(n);
    std::vector<bool> alive(n, true);
    while (!ready.empty()) {
      size_t i = ready.top();
      ready.pop();
      alive[i] = false;
      order->push_back(i);
      for (size_t to : edges_[i]) {
        if (--indegree[to] == 0) ready.push(to);
      }
    }
    if (order->size() == n) return true;
    *cycle = FindCycle(edges_, alive);
    return false;
  }

 private:
  std::vector<std::vector<size_t>> edges_;
  std::vector<int> indegree_;
};

}  // namespace

std::string ToString(const MigrationKey& key) {
  return absl::StrCat(key.cluster, "/", key.version);
}

absl::StatusOr<std::vector<std::string>> ClusterOrder(const std::vector<ClusterSpec>& clusters) {
  std::map<std::string, size_t> index;
  for (const ClusterSpec& c : clusters) index.emplace(c.name, index.size());
  const size_t n = clusters.size();
  Graph graph(n);  // dependency -> dependent
  auto core = index.find(std::string(kCoreCluster));
  for (size_t i = 0; i < n; ++i) {
    std::set<size_t> deps;
    for (const std::string& dep : clusters[i].depends_on) {
      auto it = index.find(dep);
      if (it != index.end()) deps.insert(it->second);
    }
    if (core != index.end() && core->second != i) deps.insert(core->second);
    for (size_t d : deps) graph.AddEdge(d, i);
  }
  auto rank = [&](size_t i) {
    return std::make_pair(clusters[i].name != kCoreCluster, clusters[i].name);
  };
  auto later = [&](size_t a, size_t b) { return rank(a) > rank(b); };
  std::vector<size_t> sorted, cycle;
  if (!graph.Sort(later, &sorted, &cycle)) {
    std::vector<std::string> names;
    for (size_t i : cycle) names.push_back(clusters[i].name);
    return absl::InvalidArgumentError("dependency cycle: " + absl::StrJoin(names, " -> "));
  }
  std::vector<std::string> order;
  order.reserve(n);
  for (size_t i : sorted) order.push_back(clusters[i].name);
  return order;
}

absl::StatusOr<std::vector<MigrationKey>> ApplyOrder(const std::vector<ClusterSpec>& clusters,
                                                     const std::vector<MigrationNode>& migrations) {
  absl::StatusOr<std::vector<std::string>> cluster_order = ClusterOrder(clusters);
  if (!cluster_order.ok()) return cluster_order.status();
  std::map<std::string, size_t> cluster_rank;
  for (const std::string& name : *cluster_order) {
    cluster_rank.emplace(name, cluster_rank.size());
  }

  const size_t n = migrations.size();
  std::map<MigrationKey, size_t> index;
  // Per cluster, its migrations' indexes sorted by version.
  std::map<std::string, std::vector<size_t>> by_cluster;
  for (size_t i = 0; i < n; ++i) {
    index.emplace(migrations[i].key, i);
    by_cluster[migrations[i].key.cluster].push_back(i);
  }
  for (auto& [name, list] : by_cluster) {
    std::sort(list.begin(), list.end(), [&](size_t a, size_t b) {
      return migrations[a].key.version < migrations[b].key.version;
    });
  }

  Graph graph(n);
  for (auto& [name, list] : by_cluster) {
    for (size_t k = 1; k < list.size(); ++k) graph.AddEdge(list[k - 1], list[k]);
  }
  for (const ClusterSpec& c : clusters) {
    auto mine = by_cluster.find(c.name);
    if (mine == by_cluster.end() || mine->second.empty()) continue;
    std::set<std::string> deps(c.depends_on.begin(), c.depends_on.end());
    if (c.name != kCoreCluster) deps.insert(std::string(kCoreCluster));
    for (const std::string& dep : deps) {
      auto theirs = by_cluster.find(dep);
      if (theirs == by_cluster.end() || theirs->second.empty()) continue;
      graph.AddEdge(theirs->second.back(), mine->second.front());
    }
  }
  for (size_t i = 0; i < n; ++i) {
    for (const MigrationKey& req : migrations[i].requires_) {
      auto it = index.find(req);
      if (it != index.end()) graph.AddEdge(it->second, i);
    }
  }

  auto rank = [&](size_t i) {
    auto it = cluster_rank.find(migrations[i].key.cluster);
    size_t r = it == cluster_rank.end() ? cluster_rank.size() : it->second;
    return std::make_tuple(r, migrations[i].key.cluster, migrations[i].key.version);
  };
  auto later = [&](size_t a, size_t b) { return rank(a) > rank(b); };
  std::vector<size_t> sorted, cycle;
  if (!graph.Sort(later, &sorted, &cycle)) {
    std::vector<std::string> names;
    for (size_t i : cycle) names.push_back(ToString(migrations[i].key));
    return absl::InvalidArgumentError("ordering cycle: " + absl::StrJoin(names, " -> "));
  }
  std::vector<MigrationKey> order;
  order.reserve(n);
  for (size_t i : sorted) order.push_back(migrations[i].key);
  return order;
}

}  // namespace schemagate::catalog
