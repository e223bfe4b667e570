// High availability: Apply runs passes of ApplyOnce (engine_apply.cc) and,
// when the connection is lost or is not to the primary (PrimaryLost),
// reconnects through EngineOptions::reconnect and resolves, from the new
// primary's history, the commits that were in doubt and the migrations a
// failover may have lost (Resolve), before going on.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/migrate/engine.h"
#include "server/migrate/internal/engine_common.h"

namespace schemagate::migrate {
namespace {

// Marks an error that means "the connection to the primary is gone" (a
// failover, a standby), so Apply reconnects instead of reporting it.
constexpr char kPrimaryLostPayload[] = "schemagate/primary-lost";

}  // namespace

absl::StatusOr<ApplyResult> Engine::Apply(const ApplyOptions& options) {
  if (options_.lock_mode == LockMode::kTransaction && options.single_transaction) {
    return errors::WithKind(
        absl::InvalidArgumentError("--single-transaction and --lock-mode=transaction "
                                   "cannot be combined"),
        errors::ErrorKind::kUsage);
  }
  const absl::Time start = absl::Now();
  ApplyResult result;
  in_doubt_.clear();
  resolve_pending_ = false;
  int losses = 0;  // in a row, without a migration applied in between
  absl::Time lost_at;
  while (true) {
    const size_t before = result.applied.size();
    absl::Status s = ApplyOnce(options, &result);
    if (s.ok()) {
      result.total = absl::Now() - start;
      return result;
    }
    if ((options.stop && options.stop()) || !PrimaryLost(s)) return s;
    if (result.applied.size() > before) losses = 0;
    if (errors::KindOf(s) != errors::ErrorKind::kConnect ||
        s.code() != absl::StatusCode::kUnavailable) {
      s = LostPrimaryError(s, "");
    }
    std::string doubt;
    for (const StepResult& d : in_doubt_) {
      absl::StrAppend(&doubt, doubt.empty() ? "" : ", ", d.cluster, "/", d.version, " (", d.name,
                      ")");
    }
    if (!doubt.empty()) {
      doubt = absl::StrCat("; the commit of ", doubt,
                           " is in doubt: the next run reads the history to know");
    }
    if (!options_.reconnect || ++losses > options_.max_reconnects) {
      return errors::WithKind(
          absl::Status(s.code(), absl::StrCat(s.message(),
                                              options_.reconnect
                                                  ? absl::StrCat("; gave up after ", losses - 1,
                                                                 " reconnections without "
                                                                 "progress")
                                                  : "",
                                              doubt, "; rerun to converge")),
          errors::ErrorKind::kConnect);
    }
    lost_at = absl::Now();
    const std::string was = conn_->description();
    Emit(options.progress, {Event::kReconnecting, "", 0, "", absl::ZeroDuration(),
                            absl::StrCat(s.message(), "; waiting for a primary")});
    absl::StatusOr<Connection*> next = options_.reconnect(s);
    if (!next.ok()) {
      if (options.stop && options.stop()) return absl::CancelledError(next.status().message());
      return errors::WithKind(absl::UnavailableError(absl::StrCat(
                                  s.message(), "; no primary answered: ", next.status().message(),
                                  doubt, "; rerun to converge")),
                              errors::ErrorKind::kConnect);
    }
    conn_ = *next;
    Emit(options.progress,
         {Event::kReconnected, "", 0, "", absl::Now() - lost_at,
          absl::StrCat("connected to the primary ", conn_->description(),
                       conn_->description() == was ? "" : absl::StrCat(" (was ", was, ")"),
                       "; continuing from the first migration its history does not "
                       "record")});
    // Resolved by the next pass, under the migration lock: on the same
    // server (a broken network rather than a failover) the old session may
    // still be finishing that COMMIT, and it holds the lock until it ends.
    resolve_pending_ = true;
  }
}

absl::Status Engine::ResolvePending(const Progress& progress, ApplyResult* result) {
  if (!resolve_pending_) return absl::OkStatus();
  absl::Status s = Resolve(progress, result);
  if (s.ok()) resolve_pending_ = false;
  return s;
}

bool Engine::PrimaryLost(const absl::Status& s) {
  if (s.ok() || s.code() == absl::StatusCode::kCancelled) return false;
  if (s.GetPayload(kPrimaryLostPayload).has_value() || conn_->broken()) return true;
  if (SqlState(s) != "25006") return false;
  // "cannot execute ... in a read-only transaction": the server's doing (a
  // standby, or default_transaction_read_only as fencing), or the
  // migration's own SET TRANSACTION READ ONLY?
  (void)conn_->Rollback();
  absl::StatusOr<Rows> r = conn_->Query(
      "SELECT pg_catalog.pg_is_in_recovery() OR "
      "pg_catalog.current_setting('default_transaction_read_only')::bool");
  return !r.ok() || r->Text(0, 0) == "t";
}

absl::Status Engine::LostPrimaryError(const absl::Status& s, const std::string& what) const {
  std::string message(s.message());
  if (!conn_->broken()) {
    message =
        absl::StrCat(conn_->description(),
                     " is not the primary (read-only: a standby, or "
                     "default_transaction_read_only)",
                     what.empty() ? "" : " during ", what, ": ", internal::FirstLine(s.message()));
  } else if (what.empty()) {
  } else if (!in_doubt_.empty()) {
    absl::StrAppend(&message, " (", what, ": the outcome of its COMMIT is unknown)");
  } else {
    absl::StrAppend(&message, " (", what, " was not recorded)");
  }
  absl::Status out = errors::WithKind(absl::UnavailableError(message), errors::ErrorKind::kConnect);
  out.SetPayload(kPrimaryLostPayload, absl::Cord("1"));
  return out;
}

absl::Status Engine::Resolve(const Progress& progress, ApplyResult* result) {
  History history(conn_, options_.history);
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  if (!applied.ok()) return applied.status();
  std::set<std::pair<std::string, uint64_t>> recorded;
  for (const AppliedMigration& a : *applied) recorded.insert({a.cluster, a.version});
  const std::string where = conn_->description();
  // Committed (and acknowledged) on the old primary, absent here: the
  // commit did not reach the new primary before the failover.
  std::vector<StepResult> kept;
  for (const StepResult& step : result->applied) {
    if (recorded.count({step.cluster, step.version})) {
      kept.push_back(step);
      continue;
    }
    Emit(progress, {Event::kResolved, step.cluster, step.version, step.name, absl::ZeroDuration(),
                    absl::StrCat("committed on the previous primary but not in the history "
                                 "of ",
                                 where,
                                 ": lost with the old primary (asynchronous "
                                 "replication), together with everything it did; applying "
                                 "it again")});
  }
  result->applied = std::move(kept);
  for (const StepResult& step : in_doubt_) {
    const bool committed = recorded.count({step.cluster, step.version}) > 0;
    if (committed) result->applied.push_back(step);
    Emit(progress,
         {Event::kResolved, step.cluster, step.version, step.name, step.duration,
          committed ? absl::StrCat("its COMMIT was in doubt when the connection was lost; "
                                   "the history of ",
                                   where, " records it: committed")
                    : absl::StrCat("its COMMIT was in doubt when the connection was lost; "
                                   "the history of ",
                                   where,
                                   " does not record it: not "
                                   "committed (or lost with the old primary), so nothing "
                                   "of it is there; applying it again")});
  }
  in_doubt_.clear();
  return absl::OkStatus();
}

}  // namespace schemagate::migrate
