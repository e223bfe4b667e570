#include "server/main/catalog_json.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "server/catalog/order.h"

namespace schemagate::commands {

using catalog::Catalog;
using catalog::JoinEdge;
using catalog::JoinResult;
using catalog::JoinStep;
using catalog::PairResult;
using catalog::QueryCondition;
using catalog::QueryResult;
using catalog::QueryTable;
using catalog::TableResult;
using catalog::TableState;
using catalog::ToString;

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
  nlohmann::ordered_json out = {{"version", m.version()},
                                {"name", m.name()},
                                {"sha256", m.up_sha256()},
                                {"no_transaction", m.no_transaction()},
                                {"requires", std::move(requires_list)},
                                {"path", m.up_path()}};
  // Only for imported migrations: "diesel 20200101000000", ...
  if (!m.imported_from().empty()) {
    nlohmann::ordered_json from = nlohmann::ordered_json::array();
    for (const v1::ImportedFrom& f : m.imported_from()) {
      from.push_back(f.format() + " " + f.version());
    }
    out["imported_from"] = std::move(from);
  }
  return out;
}

nlohmann::ordered_json EdgeJson(const JoinEdge& e) {
  return {{"foreign_key", e.foreign_key},
          {"from_table", e.from_table},
          {"from_columns", Strings(e.from_columns)},
          {"to_table", e.to_table},
          {"to_columns", Strings(e.to_columns)},
          {"from_alias", e.from_alias},
          {"to_alias", e.to_alias},
          {"on", e.on}};
}

nlohmann::ordered_json StepJson(const JoinStep& s) {
  nlohmann::ordered_json out = {{"table", s.table}, {"join_to", s.to}};
  nlohmann::ordered_json edge = EdgeJson(s.edge);  // outlives the loop
  for (auto& [k, v] : edge.items()) out[k] = v;
  out["sql"] = s.sql;
  nlohmann::ordered_json alternatives = nlohmann::ordered_json::array();
  for (const JoinEdge& e : s.alternatives) alternatives.push_back(EdgeJson(e));
  out["alternatives"] = alternatives;
  return out;
}

const char* StateName(TableState s) {
  switch (s) {
    case TableState::kAvailable:
      return "available";
    case TableState::kClusterDisabled:
      return "cluster_disabled";
    case TableState::kUnknown:
      return "unknown_table";
  }
  return "unknown_table";
}

}  // namespace

nlohmann::ordered_json JoinJson(const JoinResult& result) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::array();
  for (const TableResult& t : result.tables) {
    tables.push_back({{"name", t.requested},
                      {"state", StateName(t.lookup.state)},
                      {"table", t.lookup.name},
                      {"cluster", t.lookup.cluster},
                      {"enable_features", Strings(t.lookup.enable_features)},
                      {"compiled", t.lookup.compiled},
                      {"suggestions", Strings(t.suggestions)}});
  }
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (const PairResult& p : result.pairs) {
    nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
    for (const JoinEdge& e : p.candidates) candidates.push_back(EdgeJson(e));
    nlohmann::ordered_json path = nlohmann::ordered_json::array();
    for (const JoinStep& s : p.path) path.push_back(StepJson(s));
    pairs.push_back({{"left", p.left},
                     {"right", p.right},
                     {"status", ToString(p.status)},
                     {"message", p.message},
                     {"candidates", candidates},
                     {"path", path},
                     {"blocked_by_features", Strings(p.blocked_by_features)},
                     {"from_sql", p.from_sql}});
  }
  nlohmann::ordered_json steps = nlohmann::ordered_json::array();
  for (const JoinStep& s : result.tree.steps) steps.push_back(StepJson(s));
  return {{"verdict", ToString(result.verdict)},
          {"tables", tables},
          {"pairs", pairs},
          {"tree",
           {{"connected", result.tree.connected},
            {"optimal", result.tree.optimal},
            {"root", result.tree.root},
            {"steps", steps},
            {"extra_tables", Strings(result.tree.extra_tables)},
            {"unreachable", Strings(result.tree.unreachable)},
            {"blocked_by_features", Strings(result.tree.blocked_by_features)},
            {"message", result.tree.message},
            {"from_sql", result.tree.from_sql}}}};
}

nlohmann::ordered_json QueryJson(const QueryResult& result) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::array();
  for (const QueryTable& t : result.tables) {
    tables.push_back({{"name", t.name},
                      {"table", t.lookup.name},
                      {"state", StateName(t.lookup.state)},
                      {"cluster", t.lookup.cluster},
                      {"enable_features", Strings(t.lookup.enable_features)},
                      {"role", t.role},
                      {"aliases", Strings(t.aliases)},
                      {"statement", t.statement},
                      {"line", t.line},
                      {"column", t.column},
                      {"suggestions", Strings(t.suggestions)}});
  }
  nlohmann::ordered_json conditions = nlohmann::ordered_json::array();
  for (const QueryCondition& c : result.conditions) {
    conditions.push_back({{"left", c.left_table + "." + c.left_column},
                          {"right", c.right_table + "." + c.right_column},
                          {"text", c.text},
                          {"matches_foreign_key", c.matches_foreign_key},
                          {"foreign_key", c.foreign_key},
                          {"statement", c.statement},
                          {"line", c.line},
                          {"column", c.column}});
  }
  return {{"verdict", ToString(result.verdict)},
          {"statements", result.statements},
          {"tables", tables},
          {"conditions", conditions},
          {"messages", Strings(result.messages)}};
}

nlohmann::ordered_json CatalogJson(const Catalog& catalog,
                                   const std::vector<std::string>& selected) {
  const v1::BuildCatalog& enabled = catalog.enabled();
  auto shown = [&selected](const std::string& cluster) {
    return selected.empty() ||
           std::find(selected.begin(), selected.end(), cluster) != selected.end();
  };
  std::map<std::string, std::vector<const v1::Table*>> tables_by_cluster;
  for (const v1::Table& t : enabled.tables()) {
    tables_by_cluster[t.cluster()].push_back(&t);
  }
  nlohmann::ordered_json clusters = nlohmann::ordered_json::array();
  for (const v1::Cluster& c : enabled.clusters()) {
    if (!shown(c.name())) continue;
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
    if (!shown(r.cluster())) continue;
    order.push_back(ToString({r.cluster(), r.version()}));
  }
  return {{"features", Strings(enabled.features())},
          {"requested_features", Strings(enabled.requested_features())},
          {"clusters", std::move(clusters)},
          {"apply_order", std::move(order)},
          {"digest", enabled.digest()}};
}

}  // namespace schemagate::commands
