// Rolling back a cluster: under the session lock, what rollback_plan.h
// decides (the steps, what blocks them, irreversible migrations) is checked
// before anything runs, then each migration is reverted with the down.sql
// stored at apply time, newest first, and recorded as rolled back
// (RecordRolledBack). A no-transaction one is marked first, so a kill
// part-way is finished by the next run (engine_no_transaction.cc).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/migrate/engine.h"
#include "server/migrate/internal/engine_common.h"
#include "server/migrate/rollback_plan.h"

namespace schemagate::migrate {

absl::Status Engine::RecordRolledBack(History& history, const std::string& cluster,
                                      uint64_t version, const std::string& action,
                                      const std::string& detail) {
  absl::Status s = history.Delete(cluster, version);
  if (s.ok()) s = history.Log(action, cluster, version, detail, options_.applied_by);
  if (s.ok()) s = history.Notify(internal::RolledBackNotification(cluster, version));
  return s;
}

absl::StatusOr<RollbackResult> Engine::Rollback(const RollbackOptions& options) {
  internal::CallTimeoutLifted unbounded(conn_);
  if (options_.lock_mode == LockMode::kTransaction) {
    return internal::SessionLockRequired("rollback");
  }
  History history(conn_, options_.history);
  absl::Duration waited;
  absl::Status s = AcquireSessionLock(options.progress, &waited, options.stop);
  if (!s.ok()) return s;
  LockGuard unlock(this);
  if (s = history.Ensure(); !s.ok()) return s;
  if (s = RecoverInterrupted(history, options.progress); !s.ok()) return s;
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  if (!applied.ok()) return applied.status();

  const std::vector<const AppliedMigration*> steps =
      RollbackSteps(*applied, options.cluster, options.to_version);
  RollbackResult result;
  if (steps.empty()) {
    // Nothing to revert is fine for a known cluster; a name that neither
    // this build nor the history knows is most likely a typo.
    if (s = CheckRollbackCluster(catalog_, *applied, options.cluster); !s.ok()) return s;
    return result;
  }
  std::vector<std::string> blockers;
  if (!options.force) {
    absl::StatusOr<std::vector<ClusterRecord>> records = history.ReadClusters();
    if (!records.ok()) return records.status();
    blockers = RollbackBlockers(catalog_, *records, *applied, options.cluster, options.to_version);
  }
  if (s = RollbackRefusal(options.cluster, options.to_version, blockers, steps); !s.ok()) {
    return s;
  }

  for (const AppliedMigration* a : steps) {
    const std::string what =
        absl::StrCat("rollback of ", a->cluster, "/", a->version, " (", a->name, ")");
    if (options.dry_run) {
      result.reverted.push_back({a->cluster, a->version, a->name, absl::ZeroDuration()});
      continue;
    }
    Emit(options.progress,
         {Event::kStarted, a->cluster, a->version, a->name, absl::ZeroDuration(), "rolling back"});
    const absl::Time t0 = absl::Now();
    const std::string path = absl::StrCat(a->cluster, "/", a->version, "_", a->name, "/down.sql");
    if (a->no_transaction) {
      // Mark, run, record (as apply does): a kill between its down.sql and
      // the deletion of its row leaves the mark, and the next migrate or
      // rollback finishes the rollback instead of trusting the row.
      s = CheckLockOwner();
      if (s.ok()) {
        InProgress mark{a->cluster, a->version, a->name, a->down_sql};
        mark.action = "rollback";
        s = history.MarkInProgress(mark);
      }
      if (s.ok()) s = RunStatements(a->down_sql, path, what);
      if (s.ok()) s = BeginUnderLock();
      if (s.ok()) s = history.ClearInProgress(a->cluster, a->version);
    } else {
      s = BeginUnderLock();
      if (s.ok()) s = SetLockTimeout(LockTimeoutScope::kTransaction);
      if (s.ok()) s = RunStatements(a->down_sql, path, what);
    }
    if (s.ok()) s = RecordRolledBack(history, a->cluster, a->version, "rollback", a->name);
    if (s.ok()) s = conn_->Commit();
    const absl::Duration took = absl::Now() - t0;
    if (!s.ok()) {
      (void)conn_->Rollback();
      if (a->no_transaction && errors::KindOf(s) != errors::ErrorKind::kUsage) {
        s = absl::Status(s.code(), absl::StrCat(s.message(),
                                                "; its down.sql ran outside a transaction and "
                                                "stopped part-way: the migration stays marked as "
                                                "being rolled back, and the next migrate or "
                                                "rollback finishes the rollback"));
      }
      Emit(options.progress,
           {Event::kFailed, a->cluster, a->version, a->name, took, std::string(s.message())});
      if (errors::KindOf(s) == errors::ErrorKind::kUsage) return s;
      return errors::WithKind(s, s.code() == absl::StatusCode::kUnavailable
                                     ? errors::ErrorKind::kConnect
                                     : errors::ErrorKind::kMigrationFailed);
    }
    Emit(options.progress,
         {Event::kFinished, a->cluster, a->version, a->name, took, "rolled back"});
    result.reverted.push_back({a->cluster, a->version, a->name, took});
  }
  if (!options.dry_run && options.to_version == 0) {
    bool left = std::any_of(applied->begin(), applied->end(), [&](const AppliedMigration& a) {
      return a.cluster == options.cluster && a.version <= options.to_version;
    });
    if (!left) (void)history.DeleteCluster(options.cluster);
  }
  return result;
}

}  // namespace schemagate::migrate
