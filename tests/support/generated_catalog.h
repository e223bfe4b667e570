// Synthetic catalogs for tests and benchmarks: many clusters and tables
// with foreign keys, without a migrations tree.
#ifndef SCHEMAGATE_TESTS_SUPPORT_GENERATED_CATALOG_H_
#define SCHEMAGATE_TESTS_SUPPORT_GENERATED_CATALOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "schemagate/v1/catalog.pb.h"

namespace schemagate::test {

struct GeneratedCatalogOptions {
  int clusters = 50;  // cluster 0 is "core"
  int tables = 5000;  // spread over the clusters
  int foreign_keys_per_table = 2;
  // Probability that a foreign key points into a dependency cluster (core
  // or the cluster before) rather than the table's own cluster.
  double cross_cluster = 0.3;
  uint64_t seed = 1;
};

// Tables are "c<k>_t<i>" in cluster "c<k>" (k = 0 is "core"), each with an
// "id" primary key and foreign-key columns "fk<j>_id"; cluster k depends on
// core and on cluster k-1. Every cluster is compiled and enabled.
v1::BuildCatalog GenerateCatalog(const GeneratedCatalogOptions& options);

// Adds a table to `catalog` (in `cluster`) with the given foreign keys
// (column, referenced table) and an "id" primary key.
void AddTable(v1::BuildCatalog* catalog, const std::string& cluster, const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& fks,
              const std::string& fk_cluster = "");

// Adds a cluster (plain when requires_features is empty).
void AddCluster(v1::BuildCatalog* catalog, const std::string& name,
                const std::vector<std::string>& depends_on,
                const std::vector<std::string>& requires_features = {});

}  // namespace schemagate::test

#endif  // SCHEMAGATE_TESTS_SUPPORT_GENERATED_CATALOG_H_
