// Unmanaged tables: tables present in the database whose cluster is not
// enabled here (compiled in but turned off with --features, not compiled
// into this build, or an orphan known only from the history's cluster
// records). schemagate never touches them; status, ListClusters,
// GetMigrationStatus and adopt list them. UnmanagedOwner() and Unmanaged()
// are pure; ListTables() is one cheap catalog query.
#ifndef SCHEMAGATE_SERVER_MIGRATE_UNMANAGED_H_
#define SCHEMAGATE_SERVER_MIGRATE_UNMANAGED_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/catalog/catalog.h"
#include "server/migrate/db.h"
#include "server/migrate/history.h"
#include "server/migrate/state.h"

namespace schemagate::migrate {

// Objects ("table:t", "column:t.c", "fk:t.name") of clusters not enabled
// here, mapped to their cluster; from the history's cluster records.
using OrphanOwners = std::map<std::string, std::string>;

// The objects of the records of clusters not enabled in `catalog`.
OrphanOwners OrphansOf(const std::vector<ClusterRecord>& records, const catalog::Catalog& catalog);

struct UnmanagedTable {
  std::string table;    // "t" in public, "s.t" elsewhere
  std::string cluster;  // the cluster that owns it, not enabled here
  // Compiled into this binary (turned off by --features): --features can
  // enable it; otherwise a build with enable_features is needed.
  bool compiled = false;
  // Features that would enable its cluster (empty for an orphan this
  // build's tree does not know).
  std::vector<std::string> enable_features;
};

// `table` (as Introspect names it) when it belongs to a cluster that is not
// enabled: an orphan record first, then the catalog (kClusterDisabled).
// nullopt for tables of enabled clusters and for tables nobody knows.
std::optional<UnmanagedTable> UnmanagedOwner(const catalog::Catalog& catalog,
                                             const OrphanOwners& orphans, const std::string& table);

// The unmanaged ones among `tables`, in their order.
std::vector<UnmanagedTable> Unmanaged(const catalog::Catalog& catalog, const OrphanOwners& orphans,
                                      const std::vector<std::string>& tables);

// Names of the tables (and partitioned tables) in `schemas`, as Introspect
// names them, sorted.
absl::StatusOr<std::vector<std::string>> ListTables(Connection* conn,
                                                    const std::vector<std::string>& schemas);

// The database's unmanaged tables: ListTables() over the catalog's schemas
// and, only when `state` has orphaned clusters (or is null), the history's
// cluster records for their objects.
absl::StatusOr<std::vector<UnmanagedTable>> ReadUnmanaged(Connection* conn,
                                                          const catalog::Catalog& catalog,
                                                          const HistoryName& history,
                                                          const MigrationState* state);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_UNMANAGED_H_
