// Adopt: take over a database that another tool (Diesel, golang-migrate,
// Flyway) migrated. Adopt proves three things and then records the adopted
// clusters' migrations as applied, without running them:
//   1. the clusters to adopt are enabled and not installed yet (a cluster
//      with some history rows is refused), and each dependency is installed
//      or adopted in the same run;
//   2. the old tool's history records every flat migration the adopted
//      migrations were imported from (`-- schemagate:imported-from`), and is
//      neither dirty (golang-migrate) nor failed (Flyway);
//   3. the live schema equals the catalog of what the adopted and the
//      installed clusters own (verify's comparison; other enabled clusters'
//      objects and the old tool's history table are left out).
// Then, in one transaction under the migration lock (Engine::RunLocked), it
// checks again that nobody installed the clusters meanwhile, creates the
// history tables if missing, inserts one history row per migration
// (checksum, down.sql, applied_by "adopt:<tool>@<host>", duration 0), the
// cluster records, "adopt" log rows and the adoption itself, and notifies
// servers. The old tool's table and all data are left untouched; tables of
// clusters not enabled here are reported as unmanaged and never touched.
// Running it again is a no-op.
//
//   AdoptOptions options;
//   options.from = SourceFormat::kDiesel;
//   absl::StatusOr<AdoptResult> r = Adopt(catalog, conn.get(), engine_options, options);
//   if (!r.ok()) return errors::ExitCodeFor(r.status());  // 6 history, 7 drift, ...
//
// Errors (absl::Status with errors::ErrorKind, a reason and violations):
//   kUsage      a cluster not enabled, a dependency neither installed nor
//               adopted, an imported-from of another tool than `from`, a bad
//               --source-history-table or one without the tool's columns;
//   kIntegrity  a cluster partially installed; an installed cluster behind
//               the build or edited; the old tool's history missing
//               (SOURCE_HISTORY_MISSING), dirty (SOURCE_HISTORY_DIRTY),
//               failed (SOURCE_HISTORY_FAILED) or not covering the build
//               (SOURCE_HISTORY_INCOMPLETE, one violation per version);
//   kDrift      the schema differs (SCHEMA_DRIFT, one violation per drift);
//   kLockWait, kConnect as for migrate.
// Nothing is recorded on any error.
//
// Thread-compatible: one call per connection at a time.
#ifndef SCHEMAGATE_SERVER_MIGRATE_ADOPT_H_
#define SCHEMAGATE_SERVER_MIGRATE_ADOPT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/catalog/catalog.h"
#include "server/migrate/db.h"
#include "server/migrate/engine.h"
#include "server/migrate/source_history.h"
#include "server/migrate/unmanaged.h"

namespace schemagate::migrate {

struct AdoptOptions {
  SourceFormat from = SourceFormat::kNone;
  // Adopt only these (each must be enabled). Empty: every enabled cluster
  // that has no history rows yet.
  std::vector<std::string> clusters;
  // [schema.]table of the old tool's history; "" for the tool's default
  // (SourceTable::Default). Ignored with kNone.
  std::string source_table;
  // Check everything, record nothing.
  bool dry_run = false;
  // Tables no cluster of the tree knows are not drift (as verify's flag).
  bool ignore_extra_tables = false;
  // Lock waiting / acquired events.
  Progress progress;
  // Polled while waiting for the migration lock (CANCELLED when it says so).
  StopRequested stop;
};

struct AdoptedMigration {
  std::string cluster;
  uint64_t version = 0;
  std::string name;
  std::string path;  // up.sql, tree-relative
  // "diesel 20200101000000", ...: the flat migrations it came from.
  std::vector<std::string> imported_from;
};

struct AdoptResult {
  std::string from;          // "diesel", ..., "none"
  std::string source_table;  // "public.__diesel_schema_migrations"; "" for none
  // Adopted clusters (or that would be, with dry_run), in dependency order.
  std::vector<std::string> adopted;
  // Named with --cluster, or found, already installed: left as they are.
  std::vector<std::string> already_installed;
  // The migrations recorded as applied (or that would be), in apply order.
  std::vector<AdoptedMigration> recorded;
  // up.sql paths of adopted migrations with no imported-from (written after
  // the import): covered by the schema comparison only.
  std::vector<std::string> not_from_old_tool;
  std::vector<UnmanagedTable> unmanaged;
  int tables_checked = 0;
  bool dry_run = false;
  absl::Duration lock_wait;
  absl::Duration total;

  bool nothing_to_adopt() const { return adopted.empty(); }
};

// `catalog` and `conn` are used during the call only. `engine` supplies the
// history name, lock wait timeout and lock mode (session only);
// engine.applied_by, when empty, becomes "adopt:<from>@<host>".
absl::StatusOr<AdoptResult> Adopt(const catalog::Catalog& catalog, Connection* conn,
                                  const EngineOptions& engine, const AdoptOptions& options);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_ADOPT_H_
