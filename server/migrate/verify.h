// Drift detection: the compiled catalog against the live database, read
// through pg_catalog. Introspect() is the I/O half; Compare() is pure.
#ifndef SCHEMAGATE_SERVER_MIGRATE_VERIFY_H_
#define SCHEMAGATE_SERVER_MIGRATE_VERIFY_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/catalog/catalog.h"
#include "server/migrate/db.h"
#include "server/migrate/history.h"
#include "server/migrate/unmanaged.h"

namespace schemagate::migrate {

struct Drift {
  std::string kind;  // "missing table", "extra column", "column type", ...
  std::string table;
  std::string object;  // column or constraint name; "" for tables
  std::string expected;
  std::string actual;

  std::string ToString() const;
};

struct VerifyOptions {
  // Tables in the catalog's schemas that no cluster of the tree knows are
  // drift unless this is set (a database shared with other applications).
  bool ignore_extra_tables = false;
  // When not empty, only what these clusters own is compared (adopt: the
  // clusters it adopts plus the installed ones): tables of other enabled
  // clusters are neither expected nor extra, and neither are the columns
  // and foreign keys those clusters add to compared tables.
  std::set<std::string> only_clusters;
  // History tables of the tools a database was adopted from ("t" or
  // "s.t", as Introspect names them) -> the tool: neither drift nor
  // managed; listed in VerifyReport::foreign_history.
  std::map<std::string, std::string> foreign_history;
};

struct VerifyReport {
  std::vector<Drift> drift;
  // Present in the database, belonging to clusters not enabled here.
  std::vector<std::string> orphaned_objects;
  // Old tools' history tables found (VerifyOptions::foreign_history):
  // "__diesel_schema_migrations (diesel)".
  std::vector<std::string> foreign_history;
  int tables_checked = 0;
  bool ok() const { return drift.empty(); }
};

// Tables (columns, primary keys, foreign keys) of `schemas` as PostgreSQL
// has them, named like the catalog ("t" in public, "s.t" elsewhere).
absl::StatusOr<std::vector<v1::Table>> Introspect(Connection* conn,
                                                  const std::vector<std::string>& schemas);

// What the history records about objects that are not drift: the objects
// of clusters not enabled here (from the cluster records) and the history
// tables of the tools the database was adopted from.
struct KnownObjects {
  OrphanOwners orphans;
  std::map<std::string, std::string> foreign_history;  // as VerifyOptions
};
// Reads both (empty when the history does not exist yet).
absl::StatusOr<KnownObjects> ReadKnownObjects(History& history, const catalog::Catalog& catalog);

// The enabled catalog against `live`. Objects of clusters that are not
// enabled (known from the compiled catalog, `orphans`, or the absent-table
// index) are reported as orphaned, not as drift.
VerifyReport Compare(const catalog::Catalog& catalog, const std::vector<v1::Table>& live,
                     const VerifyOptions& options, const OrphanOwners& orphans = {});

// Verify as the verify command and VerifySchema run it: the live tables of
// the catalog's schemas against the catalog, with the orphans and the old
// tools' history tables the history `name` records (options'
// foreign_history is filled from it). Errors: the reads'.
absl::StatusOr<VerifyReport> VerifyLive(Connection* conn, const catalog::Catalog& catalog,
                                        const HistoryName& name, VerifyOptions options);

// The schemas the catalog's tables live in ("public" and any other).
std::vector<std::string> CatalogSchemas(const catalog::Catalog& catalog);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_VERIFY_H_
