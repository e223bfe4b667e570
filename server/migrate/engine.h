// schemagate::migrate — start here for applying migrations.
//
// The engine brings a database to the build's enabled clusters, exactly once
// even with many concurrent migrators, and never leaves a half-applied
// migration:
//   - each migration runs in one transaction together with its history row
//     (a failure leaves no trace), statement by statement so an error names
//     the file and line;
//   - `no-transaction` migrations run statement by statement outside a
//     transaction and are recorded only on success. One that creates an
//     object that exists already is refused before anything runs. They are
//     marked "in progress" first, with a journal of what each statement is
//     about to create or drop, and a failed or interrupted one is undone
//     with the statements of its down.sql that undo exactly that (at once,
//     or by the next migrate after a crash). Rolling one back is marked too,
//     so a kill between its down.sql and its history row is finished by
//     the next run;
//   - concurrency: a session-level advisory lock, taken by polling
//     pg_try_advisory_lock, so a waiter holds no transaction or snapshot (a
//     CREATE INDEX CONCURRENTLY in the holder cannot deadlock against it) and
//     a killed holder's lock dies with its connection. With
//     LockMode::kTransaction (PgBouncer transaction pooling) each migration
//     takes pg_try_advisory_xact_lock in its own transaction instead, and
//     no-transaction migrations are refused;
//   - DDL lock safety: lock_timeout on every migration, retried with backoff.
//
//   Engine engine(catalog, connection.get(), EngineOptions{});
//   absl::StatusOr<ApplyResult> r = engine.Apply({.progress = Print});
//   return errors::ExitCodeFor(r.status());
//
// Thread-compatible: one Engine per connection, used by one thread.
// (The implementation is split by idea; engine.cc's first comment lists the
// files. Rollback's decisions are pure functions in rollback_plan.h.)
#ifndef SCHEMAGATE_SERVER_MIGRATE_ENGINE_H_
#define SCHEMAGATE_SERVER_MIGRATE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/catalog/catalog.h"
#include "server/migrate/db.h"
#include "server/migrate/history.h"
#include "server/migrate/objects.h"
#include "server/migrate/state.h"
#include "server/util/errors.h"

namespace schemagate::migrate {
namespace internal {
class LockPoller;
}  // namespace internal

enum class LockMode {
  kSession,      // one advisory lock for the whole run (default)
  kTransaction,  // per-migration transaction locks (PgBouncer transaction pooling)
};

struct Event {
  enum Kind {
    kLockWaiting,   // another migrator holds the lock
    kLockAcquired,  // duration: how long it was waited for
    kLockGaveUp,    // the wait ended without the lock: message "timeout"
                    // (--lock-wait-timeout), "cancelled" or "error" (the
                    // database); duration waited
    kStarted,       // a migration (or rollback step) began
    kFinished,
    kFailed,
    kRetrying,   // lock_timeout hit; retrying after a pause
    kCleanedUp,  // an interrupted no-transaction migration was undone
    kRepaired,
    kReconnecting,  // the connection was lost, or is not to the primary
    kReconnected,   // to the primary again (message: where, after how long)
    kResolved,      // a commit in doubt, or lost with the old primary, read
                    // from the new primary's history (message: the outcome)
  };
  Kind kind;
  std::string cluster;
  uint64_t version = 0;
  std::string name;
  absl::Duration duration;
  std::string message;
  // "cluster/0002_name" (the migration's folder), when about one.
  std::string ref;
};
using Progress = std::function<void(const Event&)>;

struct EngineOptions {
  HistoryName history;
  // How long to wait for another migrator's lock before giving up.
  absl::Duration lock_wait_timeout = absl::Minutes(10);
  // lock_timeout for each migration's statements (0 = no limit), and how
  // many times a migration that hit it is retried.
  absl::Duration lock_timeout = absl::Seconds(5);
  int lock_retries = 5;
  LockMode lock_mode = LockMode::kSession;
  bool allow_unknown_applied = false;
  // Recorded with each history row; default "schemagate@<host>".
  std::string applied_by;
  // Apply refuses, before taking any lock, a plan with an unacknowledged
  // blocking lock-lint finding on a table of more estimated rows than this
  // (plan_locks.h: kMigrationFailed, BLOCKING_LOCK_ON_LARGE_TABLE).
  // Negative: no limit.
  int64_t max_blocking_rows = -1;
  // High availability. Called by Apply when its connection is lost mid-run
  // (a failover or switchover, a restart, a broken network) or turns out
  // not to be the primary (a read-only error, SQLSTATE 25006, from a server
  // in recovery or with default_transaction_read_only on), with that
  // error: returns a connection to the primary, retrying with backoff for
  // as long as the caller allows (migrate: --connect-timeout). The caller
  // owns it; it must stay valid until the engine is destroyed or calls
  // again. Apply then resolves the commit that was in doubt, and checks
  // that the migrations it committed are still there (asynchronous
  // replication may have lost them with the old primary), by reading the
  // history on the new primary — never by guessing — and continues from
  // the first migration not recorded. Unset: Apply stops with UNAVAILABLE
  // (kConnect) and a rerun converges.
  std::function<absl::StatusOr<Connection*>(const absl::Status& why)> reconnect;
  // Reconnections allowed in a row without a migration applied in between
  // (a migration that brings the server down each time stops the run).
  int max_reconnects = 5;
  // Called with every event of every run of an engine made with these
  // options, before the run's own progress callback (metrics). Must be
  // thread-safe where the options are shared, and must not block.
  Progress observer;
};

// Polled between migrations, while waiting for the migration lock and
// before retrying a migration that hit lock_timeout: return true to stop
// (the run ends with CANCELLED after the current migration; use
// Connection::Cancel() to stop a running statement too).
using StopRequested = std::function<bool()>;

struct ApplyOptions {
  // Apply the whole plan in one transaction (refused when it holds a
  // no-transaction migration).
  bool single_transaction = false;
  Progress progress;
  StopRequested stop;
};

struct StepResult {
  std::string cluster;
  uint64_t version = 0;
  std::string name;
  absl::Duration duration;
};

struct ApplyResult {
  std::vector<StepResult> applied;
  absl::Duration lock_wait;
  absl::Duration total;
};

struct RollbackOptions {
  std::string cluster;
  uint64_t to_version = 0;  // keep migrations <= this; 0 removes the cluster
  // Skip the dependency checks (a dependent cluster applied later).
  bool force = false;
  bool dry_run = false;  // report the steps, change nothing
  Progress progress;
  StopRequested stop;  // polled while waiting for the lock
};

struct RollbackResult {
  std::vector<StepResult> reverted;  // newest first
};

struct RepairOptions {
  std::string cluster;  // empty: every cluster
  bool dry_run = false;
  Progress progress;
  StopRequested stop;  // polled while waiting for the lock
};

struct RepairResult {
  std::vector<ChecksumMismatch> repaired;
};

// "<actor>@<host name>", as recorded in applied_by ("schemagate@web-1",
// "adopt:diesel@web-1").
std::string AppliedBy(absl::string_view actor);

class Engine {
 public:
  // `catalog` and `conn` must outlive the engine.
  Engine(const catalog::Catalog& catalog, Connection* conn, EngineOptions options);

  // Reads the history against the build. Changes nothing (does not even
  // create the history table).
  absl::StatusOr<MigrationState> ReadState();

  // Applies every pending migration. Errors: kIntegrity (checksum mismatch,
  // unknown applied), kLockWait, kMigrationFailed (the failing migration is
  // rolled back, earlier ones stay), UNAVAILABLE (kConnect: the connection
  // was lost or is not to the primary, and options.reconnect is unset or
  // found no primary). A lost connection or a standby is never reported as
  // a failed migration. `applied` lists the migrations this call applied
  // that the history records at the end (a migration whose commit a
  // failover lost, and which was then applied again, is listed once).
  absl::StatusOr<ApplyResult> Apply(const ApplyOptions& options);

  // Reverts migrations of one cluster (enabled or orphaned) newer than
  // `to_version`, newest first, each with the down.sql stored at apply time.
  absl::StatusOr<RollbackResult> Rollback(const RollbackOptions& options);

  // Records the current checksum (and name, down.sql) of applied
  // migrations whose up.sql changed. Unknown applied migrations are left.
  absl::StatusOr<RepairResult> Repair(const RepairOptions& options);

  // Runs `body` in one transaction under the migration lock, for work that
  // records history without running migrations (adopt): takes the session
  // lock as Apply does (waiting up to lock_wait_timeout, then kLockWait;
  // `progress` sees kLockWaiting/kLockAcquired; CANCELLED as soon as
  // `stop` says so while waiting), begins a transaction in
  // the locking session, creates the history tables if missing, runs
  // `body`, and commits when it returns OK (rolls back otherwise, and
  // returns its status). `body` must not commit. Session lock mode only
  // (kUsage otherwise).
  absl::Status RunLocked(const Progress& progress, const StopRequested& stop,
                         const std::function<absl::Status(History&)>& body,
                         absl::Duration* lock_wait);

  // FAILED_PRECONDITION (kIntegrity) when `state` has checksum mismatches
  // or (unless allow_unknown_applied) unknown applied migrations: what
  // migrate refuses, with `verb` ("migrate", "adopt") in the message.
  absl::Status CheckIntegrity(const MigrationState& state,
                              absl::string_view verb = "migrate") const;

 private:
  class LockGuard;

  // Sets lock_contended_ when another migrator held the lock first.
  // CANCELLED as soon as `stop` says so while waiting. When the locking
  // statement fails, whether the lock was taken is unknown: the connection
  // is closed (Connection::Close), which releases it.
  absl::Status AcquireSessionLock(const Progress& progress, absl::Duration* waited,
                                  const StopRequested& stop);
  absl::Status LockWaitTimeout() const;
  // EngineOptions::max_blocking_rows against the pending plan (a read, no
  // lock).
  absl::Status CheckBlockingLocks();
  static absl::Status StoppedWaiting();
  // The loop of AcquireSessionLock (which reports how it ended).
  absl::Status TryAcquireSessionLock(const Progress& progress, absl::Duration* waited,
                                     const StopRequested& stop, absl::Time start);
  // Emits kLockGaveUp (waited since `start`) and returns `why`.
  absl::Status GiveUpWaiting(const Progress& progress, absl::Time start, absl::Status why) const;
  // --lock-mode=transaction: begins a transaction and takes the
  // transaction-scoped lock in it (kept open on success), polling with
  // `poller` until the run's lock_wait_timeout (from `run_start`). Emits
  // kLockWaiting once per run (`reported`), and kLockAcquired or
  // kLockGaveUp when this call waited.
  absl::Status AcquireTransactionLock(const Progress& progress, const StopRequested& stop,
                                      absl::Time run_start, internal::LockPoller* poller,
                                      bool* reported);
  // True when every enabled migration is applied and none is recorded as
  // in progress: nothing for this process to do (one read of the history).
  absl::StatusOr<bool> NothingToApply(History& history);
  // Unlocks and checks that it did; otherwise (a cancelled or failed
  // unlock) closes the connection, so the lock cannot outlive the call in a
  // pooled connection.
  void ReleaseSessionLock();
  // Opens a transaction and, while holding the session lock, checks that
  // it runs in the very database session that took the lock (a token set
  // with the lock). Through a transaction-pooling proxy each transaction
  // may land on another server session, where the lock is not held (or is
  // another migrator's): that is refused instead of racing.
  absl::Status BeginUnderLock();
  absl::Status CheckLockOwner();
  static absl::Status SessionSharedError();
  absl::Status RecoverInterrupted(History& history, const Progress& progress);
  // `durable`: commit with synchronous_commit on. Earlier migrations of a
  // run commit asynchronously; the run's last commit flushes the WAL up to
  // it, which makes all of them durable at once (atomicity is unaffected:
  // a crash can only lose whole, unrecorded migrations, which the next run
  // applies again).
  absl::Status ApplyOne(History& history, const v1::Migration& m, const Progress& progress,
                        const StopRequested& stop, bool durable, StepResult* result);
  // The history row of `m` as this engine records it.
  AppliedMigration RowOf(const v1::Migration& m, int64_t duration_ms) const;
  // In the open transaction: the history row of `m`, its "apply" log entry
  // (with its checksum when `checksum_in_log`) and, when `notify`, its
  // notification.
  absl::Status RecordApplied(History& history, const v1::Migration& m, absl::Duration took,
                             bool checksum_in_log, bool notify);
  // Commits the open transaction that records `steps`. When the COMMIT was
  // sent but no answer came (the connection broke), they are in doubt
  // (in_doubt_) until Resolve reads the history.
  absl::Status CommitApplied(const std::vector<StepResult>& steps);
  // In the open transaction: deletes the history row, logs `action` with
  // `detail` and notifies "rolled back <cluster> <version>".
  absl::Status RecordRolledBack(History& history, const std::string& cluster, uint64_t version,
                                const std::string& action, const std::string& detail);
  // Sets lock_timeout (options_.lock_timeout; nothing when it is zero) for
  // the open transaction (SET LOCAL) or the session (SET).
  enum class LockTimeoutScope { kSession, kTransaction };
  absl::Status SetLockTimeout(LockTimeoutScope scope);
  // Runs a transactional migration in one round trip: BEGIN, the lock
  // owner check, lock_timeout, its statements, its history row, log entry
  // and notification, COMMIT, as one script. A failure is reported as
  // RunStatements reports it (file:line of the failing statement, found
  // from the statements that completed and PostgreSQL's error position);
  // nothing of the migration remains.
  absl::Status RunScript(History& history, const v1::Migration& m, bool durable,
                         const std::string& what);
  // Called before each statement (its index in the file and its text); an
  // error stops the run.
  using BeforeStatement = std::function<absl::Status(size_t, absl::string_view)>;
  absl::Status RunStatements(const std::string& sql, const std::string& path,
                             const std::string& what, const BeforeStatement& before = nullptr);
  // Runs the statements of `down_sql` that undo what a no-transaction run
  // did according to its `journal` (a DROP of what it created, a CREATE of
  // what it dropped that is still gone), each on its own, errors ignored;
  // without a journal (a mark of an older version), all of them.
  // `report` says what ran. Fails only when the connection is lost.
  absl::Status Undo(const std::string& down_sql,
                    const std::optional<std::vector<std::string>>& journal, std::string* report);
  absl::StatusOr<bool> RelationExists(const RelationName& relation);
  absl::Status RunNoTransaction(History& history, const v1::Migration& m);
  // One pass of Apply on the current connection, adding to `result`.
  absl::Status ApplyOnce(const ApplyOptions& options, ApplyResult* result);
  absl::Status ApplyPerTransaction(const ApplyOptions& options, ApplyResult* result);
  // --single-transaction: `pending` in one transaction, all or nothing.
  absl::Status ApplySingleTransaction(const ApplyOptions& options, History& history,
                                      const std::vector<const v1::Migration*>& pending,
                                      ApplyResult* result);
  // True when `s` means that the connection is gone or not to the primary
  // (checked on the server for a read-only error: a migration's own
  // SET TRANSACTION READ ONLY is a failed migration, not a standby).
  bool PrimaryLost(const absl::Status& s);
  // UNAVAILABLE (kConnect), marked as a lost primary, for `s` during `what`.
  absl::Status LostPrimaryError(const absl::Status& s, const std::string& what) const;
  // After a reconnection: the commits in doubt and the migrations this run
  // committed, against the history of the new primary (events kResolved;
  // `result->applied` keeps the recorded ones only).
  absl::Status Resolve(const Progress& progress, ApplyResult* result);
  // Resolve once after a reconnection (resolve_pending_), called under the
  // migration lock: a COMMIT still running in the old session (same server,
  // the network broke) holds it, so its outcome is final when read.
  absl::Status ResolvePending(const Progress& progress, ApplyResult* result);
  void Emit(const Progress& p, Event e) const;

  const catalog::Catalog& catalog_;
  Connection* conn_;
  EngineOptions options_;
  bool locked_ = false;
  std::string lock_token_;  // set in the locking session (schemagate.lock_token)
  bool lock_lost_ = false;  // a transaction ran in another server session
  bool lock_contended_ = false;
  // Migrations whose COMMIT was sent when the connection broke: their
  // outcome is read from the history after reconnecting.
  std::vector<StepResult> in_doubt_;
  bool resolve_pending_ = false;  // reconnected; Resolve not run yet
};

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_ENGINE_H_
