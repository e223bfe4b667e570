#include "server/migrate/unmanaged.h"

#include "absl/strings/str_join.h"
#include "server/migrate/verify.h"

namespace schemagate::migrate {

OrphanOwners OrphansOf(const std::vector<ClusterRecord>& records, const catalog::Catalog& catalog) {
  OrphanOwners out;
  for (const ClusterRecord& r : records) {
    if (catalog.IsEnabled(r.name)) continue;
    for (const std::string& o : r.objects) out[o] = r.name;
  }
  return out;
}

std::optional<UnmanagedTable> UnmanagedOwner(const catalog::Catalog& catalog,
                                             const OrphanOwners& orphans,
                                             const std::string& table) {
  if (catalog.FindTable(table) != nullptr) return std::nullopt;
  catalog::TableLookup lookup = catalog.Lookup(table);
  UnmanagedTable out;
  out.table = table;
  if (auto o = orphans.find("table:" + table); o != orphans.end()) {
    out.cluster = o->second;
    out.compiled = catalog.IsCompiled(o->second);
    if (lookup.state == catalog::TableState::kClusterDisabled && lookup.cluster == o->second) {
      out.enable_features = lookup.enable_features;
    }
    return out;
  }
  if (lookup.state != catalog::TableState::kClusterDisabled) return std::nullopt;
  out.cluster = lookup.cluster;
  out.compiled = lookup.compiled;
  out.enable_features = lookup.enable_features;
  return out;
}

std::vector<UnmanagedTable> Unmanaged(const catalog::Catalog& catalog, const OrphanOwners& orphans,
                                      const std::vector<std::string>& tables) {
  std::vector<UnmanagedTable> out;
  for (const std::string& t : tables) {
    if (std::optional<UnmanagedTable> u = UnmanagedOwner(catalog, orphans, t)) {
      out.push_back(*std::move(u));
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ListTables(Connection* conn,
                                                    const std::vector<std::string>& schemas) {
  absl::StatusOr<Rows> rows = conn->Query(
      "SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || "
      "'.' || c.relname END AS t FROM pg_catalog.pg_class c JOIN "
      "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN "
      "('r', 'p') AND n.nspname = ANY (string_to_array($1, ',')) ORDER BY 1",
      {absl::StrJoin(schemas, ",")});
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  out.reserve(rows->rows.size());
  for (size_t i = 0; i < rows->rows.size(); ++i) out.push_back(rows->Text(i, 0));
  return out;
}

absl::StatusOr<std::vector<UnmanagedTable>> ReadUnmanaged(Connection* conn,
                                                          const catalog::Catalog& catalog,
                                                          const HistoryName& history,
                                                          const MigrationState* state) {
  absl::StatusOr<std::vector<std::string>> tables = ListTables(conn, CatalogSchemas(catalog));
  if (!tables.ok()) return tables.status();
  OrphanOwners orphans;
  if (state == nullptr || !state->orphaned.empty()) {
    History h(conn, history);
    absl::StatusOr<std::vector<ClusterRecord>> records = h.ReadClusters();
    if (!records.ok()) return records.status();
    orphans = OrphansOf(*records, catalog);
  }
  return Unmanaged(catalog, orphans, *tables);
}

}  // namespace schemagate::migrate
