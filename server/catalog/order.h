// The order of a fresh install (docs/GATING.md, "Order"):
//   - within a cluster, by version;
//   - all of a dependency's migrations before the first migration of a
//     cluster that depends on it (core is an implied dependency of all);
//   - explicit `-- schemagate:requires c/v` edges on top;
// ties broken by cluster order (dependencies first, then by name) and
// version, so the order is deterministic. A cycle is an error naming it.
// On an existing database only pending migrations run, in this same order.
// Pure; thread-compatible.
#ifndef SCHEMAGATE_SERVER_CATALOG_ORDER_H_
#define SCHEMAGATE_SERVER_CATALOG_ORDER_H_

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "server/catalog/features.h"

namespace schemagate::catalog {

struct MigrationKey {
  std::string cluster;
  uint64_t version = 0;

  friend bool operator==(const MigrationKey& a, const MigrationKey& b) {
    return a.cluster == b.cluster && a.version == b.version;
  }
  friend bool operator<(const MigrationKey& a, const MigrationKey& b) {
    return std::tie(a.cluster, a.version) < std::tie(b.cluster, b.version);
  }
};

// "cluster/version" with the version as a plain number.
std::string ToString(const MigrationKey& key);

struct MigrationNode {
  MigrationKey key;
  std::vector<MigrationKey> requires_;  // `requires` is a C++20 keyword
};

// Orders clusters so that every cluster follows its dependencies (and core),
// ties by name. Depends_on names outside `clusters` are ignored.
// INVALID_ARGUMENT on a cycle ("dependency cycle: a -> b -> a").
absl::StatusOr<std::vector<std::string>> ClusterOrder(const std::vector<ClusterSpec>& clusters);

// Orders `migrations` (of the clusters in `clusters`) for a fresh install.
// Requires edges whose target is not among `migrations` are ignored (the
// target's cluster is not enabled). INVALID_ARGUMENT on a cycle, naming it
// ("ordering cycle: tasks/2 -> core/4 -> tasks/1 -> tasks/2").
absl::StatusOr<std::vector<MigrationKey>> ApplyOrder(const std::vector<ClusterSpec>& clusters,
                                                     const std::vector<MigrationNode>& migrations);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_ORDER_H_
