#include "server/catalog/json.h"

#include <map>
#include <string>
#include <vector>

#include "server/catalog/order.h"

namespace schemagate::catalog {
namespace {

template <typename Repeated>
nlohmann::ordered_json Strings(const Repeated& items) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& s : items) out.push_back(s);
  return out;
}

nlohmann::ordered_json TableJson(const v1::Table& table) {
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (const v1::Column& c : table.columns()) {
    columns.push_back({{"name", c.name()},
                       {"type", c.type()},
                       {"nullable", c.nullable()},
                       {"cluster", c.cluster()}});
  }
  nlohmann::ordered_json fks = nlohmann::ordered_json::array();
  for (const v1::ForeignKey& fk : table.foreign_keys()) {
    fks.push_back({{"name", fk.name()},
                   {"columns", Strings(fk.columns())},
                   {"references_table", fk.references_table()},
                   {"references_columns", Strings(fk.references_columns())},
                   {"on_delete", fk.on_delete()},
                   {"on_update", fk.on_update()},
                   {"cluster", fk.cluster()}});
  }
  nlohmann::ordered_json indexes = nlohmann::ordered_json::array();
  for (const v1::Index& ix : table.indexes()) {
    indexes.push_back({{"name", ix.name()},
                       {"columns", Strings(ix.columns())},
                       {"unique", ix.unique()},
                       {"primary", ix.primary()},
                       {"cluster", ix.cluster()}});
  }
  return {{"name", table.name()},
          {"cluster", table.cluster()},
          {"columns", std::move(columns)},
          {"primary_key", Strings(table.primary_key())},
          {"foreign_keys", std::move(fks)},
          {"indexes", std::move(indexes)},
          {"created_by", table.created_by()}};
}

nlohmann::ordered_json MigrationJson(const v1::Migration& m) {
  nlohmann::ordered_json requires_list = nlohmann::ordered_json::array();
  for (const v1::MigrationRef& r : m.requires()) {
    requires_list.push_back(ToString({r.cluster(), r.version()}));
  }
  return {{"version", m.version()},
          {"name", m.name()},
          {"sha256", m.up_sha256()},
          {"no_transaction", m.no_transaction()},
          {"requires", std::move(requires_list)},
          {"path", m.up_path()}};
}

}  // namespace

nlohmann::ordered_json CatalogJson(const Catalog& catalog) {
  const v1::BuildCatalog& enabled = catalog.enabled();
  std::map<std::string, std::vector<const v1::Table*>> tables_by_cluster;
  for (const v1::Table& t : enabled.tables()) {
    tables_by_cluster[t.cluster()].push_back(&t);
  }
  nlohmann::ordered_json clusters = nlohmann::ordered_json::array();
  for (const v1::Cluster& c : enabled.clusters()) {
    nlohmann::ordered_json tables = nlohmann::ordered_json::array();
    for (const v1::Table* t : tables_by_cluster[c.name()]) {
      tables.push_back(TableJson(*t));
    }
    nlohmann::ordered_json migrations = nlohmann::ordered_json::array();
    for (const v1::Migration& m : c.migrations()) {
      migrations.push_back(MigrationJson(m));
    }
    clusters.push_back({{"name", c.name()},
                        {"description", c.description()},
                        {"depends_on", Strings(c.depends_on())},
                        {"requires_features", Strings(c.requires_features())},
                        {"bridge", c.bridge()},
                        {"tables", std::move(tables)},
                        {"migrations", std::move(migrations)}});
  }
  nlohmann::ordered_json order = nlohmann::ordered_json::array();
  for (const v1::MigrationRef& r : enabled.apply_order()) {
    order.push_back(ToString({r.cluster(), r.version()}));
  }
  return {{"features", Strings(enabled.features())},
          {"requested_features", Strings(enabled.requested_features())},
          {"clusters", std::move(clusters)},
          {"apply_order", std::move(order)},
          {"digest", enabled.digest()}};
}

}  // namespace schemagate::catalog
