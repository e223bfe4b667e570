#include "tests/support/generated_catalog.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "server/catalog/catalog.h"

namespace schemagate::test {

void AddCluster(v1::BuildCatalog* catalog, const std::string& name,
                const std::vector<std::string>& depends_on,
                const std::vector<std::string>& requires_features) {
  v1::Cluster* c = catalog->add_clusters();
  c->set_name(name);
  for (const std::string& d : depends_on) c->add_depends_on(d);
  for (const std::string& f : requires_features) c->add_requires_features(f);
  c->set_bridge(!requires_features.empty());
  if (requires_features.empty()) {
    catalog->add_features(name);
    catalog->add_requested_features(name);
  }
  catalog->set_format(catalog::kCatalogFormat);
}

void AddTable(v1::BuildCatalog* catalog, const std::string& cluster, const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& fks,
              const std::string& fk_cluster) {
  v1::Table* t = catalog->add_tables();
  t->set_name(name);
  t->set_cluster(cluster);
  v1::Column* id = t->add_columns();
  id->set_name("id");
  id->set_type("bigint");
  id->set_cluster(cluster);
  t->add_primary_key("id");
  for (const auto& [column, target] : fks) {
    const std::string owner = fk_cluster.empty() ? cluster : fk_cluster;
    v1::Column* c = t->add_columns();
    c->set_name(column);
    c->set_type("bigint");
    c->set_nullable(true);
    c->set_cluster(owner);
    v1::ForeignKey* fk = t->add_foreign_keys();
    fk->set_name(absl::StrCat(name, "_", column, "_fkey"));
    fk->add_columns(column);
    fk->set_references_table(target);
    fk->add_references_columns("id");
    fk->set_cluster(owner);
    fk->set_on_delete("a");
    fk->set_on_update("a");
  }
  for (v1::Cluster& c : *catalog->mutable_clusters()) {
    if (c.name() == cluster) c.add_tables(name);
  }
}

v1::BuildCatalog GenerateCatalog(const GeneratedCatalogOptions& o) {
  v1::BuildCatalog catalog;
  std::mt19937_64 rng(o.seed);
  auto cluster_name = [](int k) { return k == 0 ? std::string("core") : absl::StrCat("c", k); };
  for (int k = 0; k < o.clusters; ++k) {
    std::vector<std::string> deps;
    if (k > 0) deps.push_back("core");
    if (k > 1) deps.push_back(cluster_name(k - 1));
    AddCluster(&catalog, cluster_name(k), deps);
  }
  std::vector<std::vector<std::string>> by_cluster(o.clusters);
  const int per_cluster = std::max(1, o.tables / o.clusters);
  int made = 0;
  for (int k = 0; k < o.clusters; ++k) {
    int count = k + 1 == o.clusters ? o.tables - made : per_cluster;
    for (int i = 0; i < count; ++i, ++made) {
      std::string name = absl::StrCat(cluster_name(k), "_t", i);
      std::vector<std::pair<std::string, std::string>> fks;
      for (int j = 0; j < o.foreign_keys_per_table; ++j) {
        std::uniform_real_distribution<double> coin(0, 1);
        const std::vector<std::string>* pool = &by_cluster[k];
        if (k > 0 && (pool->empty() || coin(rng) < o.cross_cluster)) {
          int target_cluster = k > 1 && coin(rng) < 0.5 ? k - 1 : 0;
          pool = &by_cluster[target_cluster];
        }
        if (pool->empty()) continue;
        std::uniform_int_distribution<size_t> pick(0, pool->size() - 1);
        fks.emplace_back(absl::StrCat("fk", j, "_id"), (*pool)[pick(rng)]);
      }
      AddTable(&catalog, cluster_name(k), name, fks);
      by_cluster[k].push_back(name);
    }
  }
  return catalog;
}

}  // namespace schemagate::test
