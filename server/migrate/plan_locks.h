// Plan time for the lock lint (docs/LINT.md): the locks each pending
// migration takes — recorded in the catalog by the build's lint
// (Migration.locks) — beside the live size of each locked table, read from
// pg_class, so that "ACCESS EXCLUSIVE on tasks (2.1M rows, 800 MB) while
// ALTER COLUMN TYPE rewrites it" is visible before anything runs; and the
// `--max-blocking-rows` guard that refuses a plan with an unacknowledged
// blocking finding on a table above a row count.
//
//   absl::StatusOr<std::vector<PlannedLock>> locks = PlanLocks(conn, state.pending);
//   if (absl::Status s = CheckBlockingRows(*locks, 100000); !s.ok()) ...
//
// Row counts are PostgreSQL's estimates (what its planner uses): pg_class
// reltuples scaled to the table's current size, or the statistics
// collector's live-tuple count for a table never analyzed or vacuumed;
// partitioned tables sum their partitions. No table is scanned.
//
// Thread safety: PlanLocks uses `conn` (one thread at a time);
// CheckBlockingRows is pure.
#ifndef SCHEMAGATE_SERVER_MIGRATE_PLAN_LOCKS_H_
#define SCHEMAGATE_SERVER_MIGRATE_PLAN_LOCKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/migrate/db.h"

namespace schemagate::migrate {

struct LiveTableSize {
  bool exists = false;  // false: not in the database (yet): 0 rows
  int64_t rows = 0;     // estimated
  int64_t bytes = 0;    // with indexes and TOAST
};

struct PlannedLock {
  const v1::Migration* migration = nullptr;
  v1::TableLock lock;
  LiveTableSize size;
};

// The live sizes of `tables` (catalog names: "users" in public,
// "schema.name" elsewhere).
absl::StatusOr<std::map<std::string, LiveTableSize>> ReadTableSizes(
    Connection* conn, const std::vector<std::string>& tables);

// Every lock of every migration of `pending`, in plan order, with its
// table's size.
absl::StatusOr<std::vector<PlannedLock>> PlanLocks(
    Connection* conn, const std::vector<const v1::Migration*>& pending);

// OK unless a lock of `locks` is a blocking finding that is not
// acknowledged (-- schemagate:allow) on a table of more than `max_rows`
// estimated rows: then FAILED_PRECONDITION (kind kMigrationFailed, reason
// BLOCKING_LOCK_ON_LARGE_TABLE) naming each such migration, table, rule
// and size, each also a violation. `max_rows` < 0: no limit.
absl::Status CheckBlockingRows(const std::vector<PlannedLock>& locks, int64_t max_rows);

// "2.1M rows, 800 MB" / "not created yet"; for messages and `plan`.
std::string DescribeSize(const LiveTableSize& size);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_PLAN_LOCKS_H_
