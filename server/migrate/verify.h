// Drift detection: the compiled catalog against the live database, read
// through pg_catalog. Introspect() is the I/O half; Compare() is pure.
#ifndef SCHEMAGATE_SERVER_MIGRATE_VERIFY_H_
#define SCHEMAGATE_SERVER_MIGRATE_VERIFY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/catalog/catalog.h"
#include "server/migrate/db.h"

namespace schemagate::migrate {

struct Drift {
  std::string kind;    // "missing table", "extra column", "column type", ...
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
};

struct VerifyReport {
  std::vector<Drift> drift;
  // Present in the database, belonging to clusters not enabled here.
  std::vector<std::string> orphaned_objects;
  int tables_checked = 0;
  bool ok() const { return drift.empty(); }
};

// Tables (columns, primary keys, foreign keys) of `schemas` as PostgreSQL
// has them, named like the catalog ("t" in public, "s.t" elsewhere).
absl::StatusOr<std::vector<v1::Table>> Introspect(
    Connection* conn, const std::vector<std::string>& schemas);

// Objects ("table:t", "column:t.c", "fk:t.name") of clusters not enabled
// here, mapped to their cluster; from the history's cluster records.
using OrphanOwners = std::map<std::string, std::string>;

// The enabled catalog against `live`. Objects of clusters that are not
// enabled (known from the compiled catalog, `orphans`, or the absent-table
// index) are reported as orphaned, not as drift.
VerifyReport Compare(const catalog::Catalog& catalog,
                     const std::vector<v1::Table>& live,
                     const VerifyOptions& options,
                     const OrphanOwners& orphans = {});

// The schemas the catalog's tables live in ("public" and any other).
std::vector<std::string> CatalogSchemas(const catalog::Catalog& catalog);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_VERIFY_H_
