// Migration state: the history table read against the build's catalog.
// Pure (no I/O), so every case is unit-tested without a database.
#ifndef SCHEMAGATE_SERVER_MIGRATE_STATE_H_
#define SCHEMAGATE_SERVER_MIGRATE_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "server/catalog/catalog.h"

namespace schemagate::migrate {

// One row of the history table.
struct AppliedMigration {
  std::string cluster;
  uint64_t version = 0;
  std::string name;
  std::string checksum;  // hex SHA-256 of up.sql when it was applied
  std::string down_sql;  // down.sql when it was applied
  bool no_transaction = false;
  std::string applied_at;  // ISO 8601
  int64_t duration_ms = 0;
  std::string applied_by;
  int64_t seq = 0;  // apply order
};

enum class ClusterStatus {
  kUpToDate,
  kPending,           // installed, newer migrations to apply
  kNotInstalled,      // enabled, nothing applied yet
  kOrphaned,          // applied in the database, not enabled here
  kChecksumMismatch,  // an applied migration's up.sql changed
  kUnknownApplied,    // the database has a migration this build lacks
};

// "up to date", "pending", ... as shown by `status`.
const char* ToString(ClusterStatus status);

struct ChecksumMismatch {
  std::string cluster;
  uint64_t version = 0;
  std::string path;              // tree-relative up.sql path
  std::string applied_checksum;  // in the history table
  std::string build_checksum;    // of the file in this build
};

struct ClusterState {
  std::string name;
  bool enabled = false;
  bool compiled = false;
  bool bridge = false;
  ClusterStatus status = ClusterStatus::kUpToDate;
  uint64_t applied_version = 0;  // highest applied version (0: none)
  uint64_t latest_version = 0;   // highest version in this build
  int applied = 0;
  int pending = 0;
  std::vector<ChecksumMismatch> mismatches;
  std::vector<AppliedMigration> unknown_applied;

  // Every migration of this build applied and none edited: the tables this
  // build expects are in place. Up to date, or only ahead of the build
  // (unknown applied, from a newer build in a rolling upgrade).
  bool ready() const { return enabled && pending == 0 && mismatches.empty(); }
};

struct MigrationState {
  // Enabled clusters in dependency order, then orphaned ones by name.
  std::vector<ClusterState> clusters;
  // Pending migrations of enabled clusters, in apply order.
  std::vector<const v1::Migration*> pending;
  std::vector<ChecksumMismatch> mismatches;
  std::vector<AppliedMigration> unknown_applied;
  std::vector<std::string> orphaned;
  bool history_exists = false;

  bool up_to_date() const {
    return pending.empty() && mismatches.empty() && unknown_applied.empty();
  }
  // As ClusterState::ready(), for every enabled cluster: what serving needs.
  // migrate still refuses a database that is ahead (unknown_applied).
  bool ready() const { return pending.empty() && mismatches.empty(); }
  const ClusterState* Find(const std::string& cluster) const;
};

MigrationState ComputeState(const catalog::Catalog& catalog,
                            const std::vector<AppliedMigration>& history);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_STATE_H_
