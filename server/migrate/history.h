// The history tables: every SQL statement that reads or writes them lives
// here. With the default name `schemagate.migrations`:
//   schemagate.migrations              one row per applied migration
//   schemagate.migrations_clusters     manifests of clusters seen by migrate
//   schemagate.migrations_in_progress  no-transaction migrations under way
//   schemagate.migrations_log          an audit trail (apply, rollback, repair,
//                                      adopt)
//   schemagate.migrations_adoptions    each `adopt`: the old tool and its
//                                      history table (left in place)
// The down.sql text is stored at apply time, so any build, even one without
// that cluster, can remove it on request.
#ifndef SCHEMAGATE_SERVER_MIGRATE_HISTORY_H_
#define SCHEMAGATE_SERVER_MIGRATE_HISTORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/catalog/catalog.h"
#include "server/migrate/db.h"
#include "server/migrate/state.h"

namespace schemagate::migrate {

// A parsed "schema.table" history name.
struct HistoryName {
  std::string schema = "schemagate";
  std::string table = "migrations";

  // PostgreSQL's identifier limit (NAMEDATALEN - 1).
  static constexpr size_t kMaxIdentifierBytes = 63;
  // INVALID_ARGUMENT unless `text` is [schema.]table of identifiers
  // ([a-z_][a-z0-9_]*, at most 50 characters each) whose NOTIFY channel
  // Channel() ("<schema>_<table>") fits in kMaxIdentifierBytes.
  static absl::StatusOr<HistoryName> Parse(absl::string_view text);
  std::string Qualified(absl::string_view suffix = "") const;
  // The advisory lock key and NOTIFY channel derived from the name.
  int64_t LockKey() const;
  std::string Channel() const;
};

struct ClusterRecord {
  std::string name;
  std::vector<std::string> depends_on;
  std::vector<std::string> requires_features;
  // What the cluster creates, so a build that does not know it can still
  // tell its objects apart from drift: "table:t", "column:t.c" (added to
  // another cluster's table), "fk:t.name".
  std::vector<std::string> objects;
};

// The records of the enabled clusters of `catalog`.
std::vector<ClusterRecord> ClusterRecords(const catalog::Catalog& catalog);

// A no-transaction migration under way (its objects outside any
// transaction, so a crash leaves them half done).
struct InProgress {
  std::string cluster;
  uint64_t version = 0;
  std::string name;
  std::string down_sql;
  // "apply", or "rollback" (its down.sql is running; the history row goes
  // in the same transaction as this mark).
  std::string action = "apply";
  // What the run was about to create ("+" RelationName::Encode()) or drop
  // ("-" ...), written before each statement; nullopt for a row written by
  // a version that did not keep it.
  std::optional<std::vector<std::string>> journal = std::vector<std::string>{};
};

// One `schemagate adopt` that recorded migrations.
struct Adoption {
  std::string source_format;  // "diesel", ..., "none"
  std::string source_table;   // "schema.table" of the old tool's history; "" for none
  std::vector<std::string> clusters;
  std::string at;  // ISO 8601
  std::string by;
};

class History {
 public:
  // `conn` must outlive the History.
  History(Connection* conn, HistoryName name) : conn_(conn), name_(std::move(name)) {}

  const HistoryName& name() const { return name_; }

  absl::StatusOr<bool> Exists();
  // Creates the schema and tables if missing (idempotent).
  absl::Status Ensure();
  // Every applied migration, by apply order. Empty when the table is missing.
  absl::StatusOr<std::vector<AppliedMigration>> ReadApplied();

  // One query: true when the history records exactly the migrations whose
  // catalog::AppliedSetDigest is `digest` (same clusters, versions and
  // checksums, no other) and no no-transaction migration is in progress,
  // so there is nothing to do. False otherwise, also when the tables are
  // missing or the server cannot compute it (sha256() is PostgreSQL 11+):
  // then the caller reads the history in full. UNAVAILABLE when the
  // connection is lost.
  absl::StatusOr<bool> MatchesAppliedDigest(const std::string& digest);

  absl::Status Insert(const AppliedMigration& m);
  // What Insert, Log("apply", ...) and Notify do for an applied migration,
  // as one SQL statement (literals, no parameters) for a script run in one
  // round trip (Connection::ExecuteScript). With m.duration_ms < 0 the server
  // measures the duration, from the start of the transaction.
  std::string RecordAppliedSql(const AppliedMigration& m, const std::string& log_detail,
                               const std::string& notify_payload) const;
  // Inserts every row in one statement (adopt records thousands at once).
  absl::Status InsertMany(const std::vector<AppliedMigration>& rows);
  absl::Status Delete(const std::string& cluster, uint64_t version);
  absl::Status UpdateChecksum(const std::string& cluster, uint64_t version,
                              const std::string& checksum, const std::string& name,
                              const std::string& down_sql);

  absl::StatusOr<std::vector<ClusterRecord>> ReadClusters();
  absl::Status UpsertClusters(const std::vector<ClusterRecord>& clusters);
  absl::Status DeleteCluster(const std::string& cluster);

  absl::StatusOr<std::vector<InProgress>> ReadInProgress();
  absl::Status MarkInProgress(const InProgress& m);
  // Appends `entries` to the journal of an in-progress mark.
  absl::Status AppendJournal(const std::string& cluster, uint64_t version,
                             const std::vector<std::string>& entries);
  absl::Status ClearInProgress(const std::string& cluster, uint64_t version);

  // Every adoption, oldest first. Empty when the table is missing.
  absl::StatusOr<std::vector<Adoption>> ReadAdoptions();
  absl::Status RecordAdoption(const Adoption& a);

  absl::Status Log(const std::string& action, const std::string& cluster, uint64_t version,
                   const std::string& detail, const std::string& by);
  struct LogEntry {
    std::string action;
    std::string cluster;
    uint64_t version = 0;
    std::string detail;
    std::string by;
  };
  // Log() for many entries, in one statement.
  absl::Status LogMany(const std::vector<LogEntry>& entries);
  // pg_notify on Channel() with `payload` (delivered at commit).
  absl::Status Notify(const std::string& payload);

 private:
  Connection* conn_;
  HistoryName name_;
};

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_HISTORY_H_
