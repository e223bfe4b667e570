// The migration lock, in both lock modes: the session-level advisory lock
// (taken by polling, released verifiably, its owning session checked before
// each transaction) and the per-migration transaction lock of
// --lock-mode=transaction; RunLocked, for work done under it.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/migrate/engine.h"
#include "server/migrate/internal/engine_common.h"
#include "server/util/failpoint.h"

namespace schemagate::migrate {

using internal::LockPoller;

absl::Status Engine::AcquireSessionLock(const Progress& progress, absl::Duration* waited,
                                        const StopRequested& stop) {
  const absl::Time start = absl::Now();
  absl::Status s = TryAcquireSessionLock(progress, waited, stop, start);
  // Every way out without the lock (timeout, stop, a database error) ends
  // the wait for observers.
  if (!s.ok()) return GiveUpWaiting(progress, start, s);
  return s;
}

absl::Status Engine::TryAcquireSessionLock(const Progress& progress, absl::Duration* waited,
                                           const StopRequested& stop, absl::Time start) {
  lock_contended_ = false;
  const std::string key = absl::StrCat(options_.history.LockKey());
  LockPoller poller(internal::kSessionLockPolling);
  bool reported = false;
  // Failpoint "lock-sleep=<seconds>": the locking statement sleeps after
  // taking the lock (tests cancel it right then).
  const std::string sleep = failpoint::Value("lock-sleep");
  // PostgreSQL 14+: a statement whose client vanished (kill -9) is
  // cancelled within a second, so the session lock dies promptly.
  (void)conn_->Execute("SET client_connection_check_interval = 1000");
  // A non-blocking attempt: between attempts this session holds no
  // transaction and no snapshot.
  auto attempt = [&]() -> absl::StatusOr<LockPoller::Attempt> {
    // One statement, so the token lands in the session that got the lock.
    // A session that already holds the lock is not ours (we never take it
    // twice): a pooling proxy handed us another client's server session.
    // Refuse rather than share it (advisory locks are re-entrant).
    const std::string token = absl::StrCat(absl::Hex(poller.Random(), absl::kZeroPad16));
    std::vector<std::string> params = {key, token};
    if (!sleep.empty()) params.push_back(sleep);
    absl::StatusOr<Rows> r = conn_->Query(
        absl::StrCat("WITH held AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM "
                     "pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted AND "
                     "pid = pg_catalog.pg_backend_pid() AND objsubid = 1 AND "
                     "((classid::bigint << 32) | objid::bigint) = $1::bigint) AS h) "
                     "SELECT h, CASE WHEN NOT h AND pg_catalog.pg_try_advisory_lock($1::bigint) "
                     "THEN pg_catalog.set_config('schemagate.lock_token', $2, false) END",
                     sleep.empty() ? "" : ", pg_catalog.pg_sleep($3::float8)", " FROM held"),
        params);
    if (!r.ok()) {
      // The statement may have failed after pg_try_advisory_lock took the
      // lock (a cancel, a statement_timeout): a session lock survives the
      // statement's failure, and nothing tells whether it was taken. Close
      // the session, so no lock can outlive this call in a pooled
      // connection.
      conn_->Close();
      return r.status();
    }
    if (r->Text(0, 0) == "t") return SessionSharedError();
    if (r->Text(0, 1) != token) return LockPoller::Attempt::kHeld;
    locked_ = true;
    lock_token_ = token;
    return LockPoller::Attempt::kTaken;
  };
  auto on_held = [&] {
    lock_contended_ = true;
    if (!reported) {
      reported = true;
      Emit(progress, {Event::kLockWaiting, "", 0, "", absl::Now() - start,
                      "another migrator holds the lock; waiting"});
    }
  };
  absl::Status s = poller.Wait(attempt, start + options_.lock_wait_timeout, stop, on_held,
                               LockWaitTimeout(), StoppedWaiting());
  if (!s.ok()) return s;
  *waited = absl::Now() - start;
  Emit(progress, {Event::kLockAcquired, "", 0, "", *waited, ""});
  return absl::OkStatus();
}

absl::Status Engine::AcquireTransactionLock(const Progress& progress, const StopRequested& stop,
                                            absl::Time run_start, internal::LockPoller* poller,
                                            bool* reported) {
  const std::string key = absl::StrCat(options_.history.LockKey());
  bool waiting = false;  // this migration's lock is contended
  absl::Time wait_start;
  auto attempt = [&]() -> absl::StatusOr<LockPoller::Attempt> {
    absl::Status s = conn_->Begin();
    absl::StatusOr<Rows> got;
    if (s.ok()) {
      got = conn_->Query("SELECT pg_try_advisory_xact_lock($1::bigint)", {key});
      s = got.status();
    }
    if (!s.ok()) {
      (void)conn_->Rollback();
      return s;
    }
    if (got->Text(0, 0) == "t") return LockPoller::Attempt::kTaken;
    (void)conn_->Rollback();
    return LockPoller::Attempt::kHeld;
  };
  auto on_held = [&] {
    if (!waiting) {
      waiting = true;
      wait_start = absl::Now();
    }
    if (!*reported) {  // once per run
      *reported = true;
      Emit(progress, {Event::kLockWaiting, "", 0, "", absl::Now() - run_start,
                      "another migrator holds the lock; waiting"});
    }
  };
  absl::Status s = poller->Wait(attempt, run_start + options_.lock_wait_timeout, stop, on_held,
                                LockWaitTimeout(), StoppedWaiting());
  if (!s.ok()) return waiting ? GiveUpWaiting(progress, wait_start, s) : s;
  if (waiting) Emit(progress, {Event::kLockAcquired, "", 0, "", absl::Now() - wait_start, ""});
  return absl::OkStatus();
}

absl::Status Engine::LockWaitTimeout() const {
  return errors::WithKind(absl::DeadlineExceededError(absl::StrCat(
                              "another migrator held the migration lock for longer than "
                              "--lock-wait-timeout=",
                              absl::FormatDuration(options_.lock_wait_timeout),
                              "; nothing was applied by this process")),
                          errors::ErrorKind::kLockWait);
}

absl::Status Engine::GiveUpWaiting(const Progress& progress, absl::Time start,
                                   absl::Status why) const {
  const char* reason = errors::KindOf(why) == errors::ErrorKind::kLockWait ? "timeout"
                       : why.code() == absl::StatusCode::kCancelled        ? "cancelled"
                                                                           : "error";
  Emit(progress, {Event::kLockGaveUp, "", 0, "", absl::Now() - start, reason});
  return why;
}

absl::Status Engine::StoppedWaiting() {
  return absl::CancelledError(
      "cancelled while waiting for the migration lock; nothing was applied by "
      "this call");
}

void Engine::ReleaseSessionLock() {
  if (!locked_) return;
  locked_ = false;
  if (conn_->broken()) return;  // the lock died with the connection
  (void)conn_->Rollback();
  // Failpoint "unlock-sleep=<seconds>": the unlocking statement sleeps
  // before it unlocks (tests cancel it right then).
  const std::string sleep = failpoint::Value("unlock-sleep");
  // Unlocks only in the session that holds our token. After a pooling
  // proxy moved us to another server session, each attempt may land on
  // another one: a few tries give the lock back instead of leaving it in
  // the proxy's pool.
  const int attempts = lock_lost_ ? 16 : 1;
  bool released = false;
  for (int i = 0; i < attempts && !released; ++i) {
    std::vector<std::string> params = {absl::StrCat(options_.history.LockKey()), lock_token_};
    if (!sleep.empty()) params.push_back(sleep);
    absl::StatusOr<Rows> r = conn_->Query(
        absl::StrCat("SELECT ", sleep.empty() ? "" : "pg_catalog.pg_sleep($3::float8), ",
                     "CASE WHEN pg_catalog.current_setting('schemagate.lock_token', "
                     "true) = $2 THEN pg_catalog.pg_advisory_unlock($1::bigint) AND "
                     "pg_catalog.set_config('schemagate.lock_token', '', false) = '' END"),
        params);
    if (!r.ok()) break;
    released = r->Text(0, r->columns.size() - 1) == "t";
  }
  lock_lost_ = false;
  // An unlock that did not verifiably happen (cancelled, failed, or the
  // session lost): close the session, which releases any lock it holds,
  // rather than let a pool hand out a connection that keeps the lock.
  if (!released) conn_->Close();
}

absl::Status Engine::SessionSharedError() {
  return errors::WithKind(absl::FailedPreconditionError(
                              "the database session behind this connection changed between "
                              "transactions, as through a transaction-pooling proxy (PgBouncer "
                              "pool_mode=transaction), so the migration lock cannot be held "
                              "safely; use --lock-mode=transaction there, or connect directly or "
                              "through session pooling"),
                          errors::ErrorKind::kUsage);
}

absl::Status Engine::CheckLockOwner() {
  if (!locked_) return absl::OkStatus();
  absl::StatusOr<Rows> r =
      conn_->Query("SELECT pg_catalog.current_setting('schemagate.lock_token', true)");
  if (!r.ok()) return r.status();
  if (r->Text(0, 0) == lock_token_) return absl::OkStatus();
  lock_lost_ = true;
  return SessionSharedError();
}

absl::Status Engine::BeginUnderLock() {
  absl::Status s = conn_->Begin();
  if (s.ok()) s = CheckLockOwner();
  if (!s.ok()) (void)conn_->Rollback();
  return s;
}

absl::Status Engine::RunLocked(const Progress& progress, const StopRequested& stop,
                               const std::function<absl::Status(History&)>& body,
                               absl::Duration* lock_wait) {
  if (options_.lock_mode == LockMode::kTransaction) {
    return internal::SessionLockRequired("this operation");
  }
  History history(conn_, options_.history);
  internal::CallTimeoutLifted unbounded(conn_);
  absl::Status s = AcquireSessionLock(progress, lock_wait, stop);
  if (!s.ok()) return s;
  LockGuard unlock(this);
  if (s = BeginUnderLock(); !s.ok()) return s;
  if (s = history.Ensure(); s.ok()) s = body(history);
  if (s.ok()) s = conn_->Commit();
  if (!s.ok()) (void)conn_->Rollback();
  return s;
}

}  // namespace schemagate::migrate
