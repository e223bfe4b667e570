// Applying the pending migrations on one connection (one pass of Apply,
// engine_failover.cc runs the passes): under the session lock, each
// migration in a transaction of its own (ApplyOne, retried on lock_timeout)
// or the whole plan in one (--single-transaction); or, with
// --lock-mode=transaction, each under a transaction-scoped lock
// (ApplyPerTransaction). Recording an applied migration: its history row,
// log entry, notification, and a COMMIT whose outcome may be in doubt.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/migrate/engine.h"
#include "server/migrate/internal/engine_common.h"
#include "server/migrate/plan_locks.h"

namespace schemagate::migrate {
namespace {

absl::Status StoppedBetweenMigrations(size_t applied) {
  return absl::CancelledError(absl::StrCat("stopped on request after ", applied,
                                           " migration(s); the rest are still pending"));
}

}  // namespace

AppliedMigration Engine::RowOf(const v1::Migration& m, int64_t duration_ms) const {
  AppliedMigration row;
  row.cluster = m.cluster();
  row.version = m.version();
  row.name = m.name();
  row.checksum = m.up_sha256();
  row.down_sql = m.down_sql();
  row.no_transaction = m.no_transaction();
  row.duration_ms = duration_ms;
  row.applied_by = options_.applied_by;
  return row;
}

absl::Status Engine::RecordApplied(History& history, const v1::Migration& m, absl::Duration took,
                                   bool checksum_in_log, bool notify) {
  absl::Status s = history.Insert(RowOf(m, absl::ToInt64Milliseconds(took)));
  if (s.ok()) {
    s = history.Log("apply", m.cluster(), m.version(), internal::ApplyLogDetail(m, checksum_in_log),
                    options_.applied_by);
  }
  if (s.ok() && notify) s = history.Notify(internal::AppliedNotification(m));
  return s;
}

absl::Status Engine::CommitApplied(const std::vector<StepResult>& steps) {
  absl::Status s = conn_->Commit();
  // Sent, but no answer: committed or not, only the history can say.
  if (!s.ok() && conn_->broken()) in_doubt_.insert(in_doubt_.end(), steps.begin(), steps.end());
  return s;
}

absl::Status Engine::ApplyOne(History& history, const v1::Migration& m, const Progress& progress,
                              const StopRequested& stop, bool durable, StepResult* result) {
  const std::string what = internal::MigrationWhat(m);
  absl::Duration pause = absl::Milliseconds(200);
  for (int attempt = 0;; ++attempt) {
    Emit(progress, {Event::kStarted, m.cluster(), m.version(), m.name(), absl::ZeroDuration(), ""});
    const absl::Time start = absl::Now();
    // A transactional migration runs in one round trip: statements, history
    // row and COMMIT in one script.
    absl::Status s;
    if (m.no_transaction()) {
      // Its mark, journal entries and statements each commit on their own.
      // Like the transactional migrations before the run's last one, they
      // need not wait for the WAL flush: WAL is written in order, so a
      // server crash that lost the mark lost every later commit with it,
      // and the run's last commit (or the flush after a failure or a stop)
      // makes them durable.
      const bool relaxed = !durable && conn_->Execute("SET synchronous_commit = off").ok();
      s = RunNoTransaction(history, m);
      if (relaxed && !conn_->broken()) (void)conn_->Execute("RESET synchronous_commit");
    } else {
      s = RunScript(history, m, durable, what);
    }
    const absl::Duration took = absl::Now() - start;
    if (s.ok() && m.no_transaction()) {
      // Recorded, and its mark cleared, once all its statements ran.
      if (!conn_->in_transaction()) s = BeginUnderLock();
      if (s.ok() && !durable) s = conn_->Execute("SET LOCAL synchronous_commit = off");
      if (s.ok()) s = history.ClearInProgress(m.cluster(), m.version());
      if (s.ok()) s = RecordApplied(history, m, took, /*checksum_in_log=*/true, /*notify=*/true);
      if (s.ok()) s = CommitApplied({{m.cluster(), m.version(), m.name(), took}});
    }
    if (s.ok()) {
      *result = {m.cluster(), m.version(), m.name(), took};
      Emit(progress, {Event::kFinished, m.cluster(), m.version(), m.name(), took, ""});
      return absl::OkStatus();
    }
    (void)conn_->Rollback();
    if (errors::KindOf(s) == errors::ErrorKind::kUsage) {
      return s;  // e.g. the lock's session changed
    }
    // A failover, or a server that is not the primary: not a failed
    // migration (nothing of it stays unless its commit is in the history).
    if (PrimaryLost(s)) return LostPrimaryError(s, what);
    if (s.code() == absl::StatusCode::kUnavailable) {
      return errors::WithKind(
          absl::UnavailableError(
              absl::StrCat(s.message(), " (", what, " was not recorded; rerun to converge)")),
          errors::ErrorKind::kConnect);
    }
    if (internal::IsLockTimeout(s) && attempt < options_.lock_retries) {
      Emit(progress, {Event::kRetrying, m.cluster(), m.version(), m.name(), pause,
                      absl::StrCat("lock_timeout (", absl::FormatDuration(options_.lock_timeout),
                                   ") hit: a long transaction holds a lock; "
                                   "attempt ",
                                   attempt + 2, " of ", options_.lock_retries + 1)});
      if (!internal::Pause(pause, stop)) {
        return absl::CancelledError(absl::StrCat("stopped on request while ", what,
                                                 " waited to be retried; it was not applied"));
      }
      pause = std::min(pause * 2, absl::Seconds(10));
      continue;
    }
    std::string message(s.message());
    if (internal::IsLockTimeout(s)) {
      absl::StrAppend(&message, " — gave up after ", attempt + 1,
                      " attempts; find the blocking session in pg_stat_activity "
                      "or raise --lock-timeout");
    }
    if (!m.no_transaction()) {
      absl::StrAppend(&message, "; the migration was rolled back and left no trace");
    }
    Emit(progress, {Event::kFailed, m.cluster(), m.version(), m.name(), took, message});
    return errors::WithKind(absl::Status(s.code(), message), errors::ErrorKind::kMigrationFailed);
  }
}

absl::Status Engine::ApplySingleTransaction(const ApplyOptions& options, History& history,
                                            const std::vector<const v1::Migration*>& pending,
                                            ApplyResult* result) {
  for (const v1::Migration* m : pending) {
    if (m->no_transaction()) {
      return errors::WithKind(absl::FailedPreconditionError(
                                  absl::StrCat("--single-transaction cannot apply ", m->up_path(),
                                               ": it is a no-transaction migration")),
                              errors::ErrorKind::kMigrationFailed);
    }
  }
  absl::Status s = BeginUnderLock();
  if (!s.ok()) return s;
  s = SetLockTimeout(LockTimeoutScope::kTransaction);
  const size_t first = result->applied.size();  // this pass's start
  for (const v1::Migration* m : pending) {
    if (!s.ok()) break;
    Emit(options.progress,
         {Event::kStarted, m->cluster(), m->version(), m->name(), absl::ZeroDuration(), ""});
    const absl::Time t0 = absl::Now();
    s = RunStatements(m->up_sql(), m->up_path(), internal::MigrationWhat(*m));
    const absl::Duration took = absl::Now() - t0;
    if (s.ok()) s = RecordApplied(history, *m, took, /*checksum_in_log=*/false, /*notify=*/false);
    if (s.ok()) {
      Emit(options.progress, {Event::kFinished, m->cluster(), m->version(), m->name(), took, ""});
      result->applied.push_back({m->cluster(), m->version(), m->name(), took});
    }
  }
  if (s.ok()) s = history.Notify("applied");
  // All or nothing, and which one only the history can say.
  if (s.ok()) s = CommitApplied({result->applied.begin() + first, result->applied.end()});
  if (s.ok()) return s;
  (void)conn_->Rollback();
  result->applied.resize(first);
  if (PrimaryLost(s)) return LostPrimaryError(s, "the --single-transaction plan");
  std::string message =
      absl::StrCat(s.message(), "; --single-transaction: the whole plan was rolled back");
  Emit(options.progress, {Event::kFailed, "", 0, "", absl::ZeroDuration(), message});
  return errors::WithKind(absl::Status(s.code(), message),
                          s.code() == absl::StatusCode::kUnavailable
                              ? errors::ErrorKind::kConnect
                              : errors::ErrorKind::kMigrationFailed);
}

absl::Status Engine::ApplyPerTransaction(const ApplyOptions& options, ApplyResult* result) {
  // PgBouncer transaction pooling: no session state survives a transaction,
  // so each migration takes a transaction-scoped lock and re-reads the
  // history under it.
  const absl::Time start = absl::Now();
  History history(conn_, options_.history);
  {
    absl::StatusOr<MigrationState> state = ReadState();
    if (!state.ok()) return state.status();
    for (const v1::Migration* m : state->pending) {
      if (m->no_transaction()) {
        return errors::WithKind(absl::FailedPreconditionError(absl::StrCat(
                                    "migration ", m->up_path(),
                                    " is no-transaction, which cannot run through a "
                                    "transaction-pooling connection (--lock-mode=transaction); "
                                    "run migrate once with a direct connection to PostgreSQL")),
                                errors::ErrorKind::kMigrationFailed);
      }
    }
  }
  if (absl::Status s = CheckBlockingLocks(); !s.ok()) return s;
  internal::LockPoller poller(internal::kTransactionLockPolling);
  bool reported = false;  // kLockWaiting is reported once per run
  while (true) {
    // Between migrations and while waiting: a stop request ends the run
    // here, the rest still pending.
    if (options.stop && options.stop()) return StoppedBetweenMigrations(result->applied.size());
    absl::Status s =
        AcquireTransactionLock(options.progress, options.stop, start, &poller, &reported);
    if (!s.ok()) return s;
    // Under the lock: resolve what a lost connection left in doubt, create
    // the history if needed and pick the next step.
    if (s = ResolvePending(options.progress, result); !s.ok()) {
      (void)conn_->Rollback();
      return s;
    }
    if (s = history.Ensure(); !s.ok()) {
      (void)conn_->Rollback();
      return s;
    }
    absl::StatusOr<MigrationState> state = ReadState();
    if (!state.ok()) {
      (void)conn_->Rollback();
      return state.status();
    }
    if (s = CheckIntegrity(*state); !s.ok()) {
      (void)conn_->Rollback();
      return s;
    }
    if (state->pending.empty()) {
      if (s = conn_->Commit(); !s.ok()) return s;
      break;
    }
    const v1::Migration& m = *state->pending.front();
    if (m.no_transaction()) {
      (void)conn_->Rollback();
      return errors::WithKind(
          absl::FailedPreconditionError(absl::StrCat("migration ", m.up_path(),
                                                     " is no-transaction and cannot run with "
                                                     "--lock-mode=transaction")),
          errors::ErrorKind::kMigrationFailed);
    }
    const std::string what = internal::MigrationWhat(m);
    const absl::Time t0 = absl::Now();
    Emit(options.progress,
         {Event::kStarted, m.cluster(), m.version(), m.name(), absl::ZeroDuration(), ""});
    s = SetLockTimeout(LockTimeoutScope::kTransaction);
    if (s.ok()) s = RunStatements(m.up_sql(), m.up_path(), what);
    const absl::Duration took = absl::Now() - t0;
    if (s.ok()) s = RecordApplied(history, m, took, /*checksum_in_log=*/false, /*notify=*/true);
    if (s.ok()) s = CommitApplied({{m.cluster(), m.version(), m.name(), took}});
    if (!s.ok()) {
      (void)conn_->Rollback();
      if (PrimaryLost(s)) return LostPrimaryError(s, what);
      Emit(options.progress,
           {Event::kFailed, m.cluster(), m.version(), m.name(), took, std::string(s.message())});
      return errors::WithKind(s, errors::KindOf(s) == errors::ErrorKind::kUnknown
                                     ? errors::ErrorKind::kMigrationFailed
                                     : errors::KindOf(s));
    }
    Emit(options.progress, {Event::kFinished, m.cluster(), m.version(), m.name(), took, ""});
    result->applied.push_back({m.cluster(), m.version(), m.name(), took});
  }
  return absl::OkStatus();
}

absl::Status Engine::ApplyOnce(const ApplyOptions& options, ApplyResult* out) {
  internal::CallTimeoutLifted unbounded(conn_);
  if (options_.lock_mode == LockMode::kTransaction) {
    return ApplyPerTransaction(options, out);
  }
  ApplyResult& result = *out;
  History history(conn_, options_.history);

  // Fast path, no lock: a database that is up to date needs one read.
  absl::StatusOr<bool> done = NothingToApply(history);
  if (!done.ok()) return done.status();
  // (Everything recorded: a commit in doubt committed, without the lock.)
  if (*done) return ResolvePending(options.progress, &result);
  if (absl::Status s = CheckBlockingLocks(); !s.ok()) return s;

  absl::Duration waited;
  absl::Status s = AcquireSessionLock(options.progress, &waited, options.stop);
  result.lock_wait += waited;
  if (!s.ok()) return s;
  LockGuard unlock(this);
  if (s = ResolvePending(options.progress, &result); !s.ok()) return s;
  if (lock_contended_) {
    // The migrator we waited for has most likely done the work: then let go
    // at once, so that many migrators started together finish together
    // instead of each taking its turn through the locked path below.
    done = NothingToApply(history);
    if (!done.ok()) return done.status();
    if (*done) return absl::OkStatus();
  }
  if (s = history.Ensure(); !s.ok()) return s;
  if (s = RecoverInterrupted(history, options.progress); !s.ok()) return s;
  absl::StatusOr<MigrationState> state = ReadState();
  if (!state.ok()) return state.status();
  if (s = CheckIntegrity(*state); !s.ok()) return s;

  std::vector<ClusterRecord> records = ClusterRecords(catalog_);
  if (s = history.UpsertClusters(records); !s.ok()) return s;

  if (options.single_transaction && !state->pending.empty()) {
    return ApplySingleTransaction(options, history, state->pending, &result);
  }
  for (size_t i = 0; i < state->pending.size(); ++i) {
    if (options.stop && options.stop()) {
      (void)conn_->Execute("SELECT pg_catalog.txid_current()");
      return StoppedBetweenMigrations(result.applied.size());
    }
    StepResult step;
    const bool last = i + 1 == state->pending.size();
    s = ApplyOne(history, *state->pending[i], options.progress, options.stop, last, &step);
    if (!s.ok()) {
      // Make what did apply durable before reporting the failure.
      if (!conn_->broken()) (void)conn_->Execute("SELECT pg_catalog.txid_current()");
      return s;
    }
    result.applied.push_back(step);
  }
  return absl::OkStatus();
}

}  // namespace schemagate::migrate
