// The engine's core (engine.h): construction and events, reading the state
// of the database against the build, the integrity checks every run makes
// before it changes anything (checksums, unknown applied migrations,
// blocking locks on large tables), and Repair, which records changed
// checksums. The rest of Engine, one idea per file:
//   engine_lock.cc            the migration lock (session and transaction)
//   engine_apply.cc           one pass of Apply; recording an applied migration
//   engine_statements.cc      running a migration's SQL; lock_timeout; error lines
//   engine_no_transaction.cc  no-transaction migrations, undo and crash recovery
//   engine_failover.cc        Apply: reconnecting and resolving commits in doubt
//   engine_rollback.cc        Rollback (its decisions: rollback_plan.h)
#include "server/migrate/engine.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/migrate/internal/engine_common.h"
#include "server/migrate/plan_locks.h"

namespace schemagate::migrate {
namespace {

std::string Ref(const std::string& cluster, uint64_t version, const std::string& name) {
  return name.empty() ? absl::StrCat(cluster, "/", version)
                      : absl::StrCat(cluster, "/", version, " (", name, ")");
}

}  // namespace

std::string AppliedBy(absl::string_view actor) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return absl::StrCat(actor, "@", host);
}

Engine::Engine(const catalog::Catalog& catalog, Connection* conn, EngineOptions options)
    : catalog_(catalog), conn_(conn), options_(std::move(options)) {
  if (options_.applied_by.empty()) options_.applied_by = AppliedBy("schemagate");
}

void Engine::Emit(const Progress& p, Event e) const {
  if (!p && !options_.observer) return;
  if (e.ref.empty() && !e.cluster.empty()) {
    const v1::Migration* m = catalog_.FindMigration(e.cluster, e.version);
    e.ref = m != nullptr
                ? catalog::MigrationPath(*m)
                : absl::StrCat(e.cluster, "/", e.version, e.name.empty() ? "" : "_", e.name);
  }
  if (options_.observer) options_.observer(e);
  if (p) p(e);
}

absl::StatusOr<MigrationState> Engine::ReadState() {
  History history(conn_, options_.history);
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  if (!applied.ok()) return applied.status();
  MigrationState state = ComputeState(catalog_, *applied);
  absl::StatusOr<bool> exists = history.Exists();
  state.history_exists = exists.ok() && *exists;
  return state;
}

absl::StatusOr<bool> Engine::NothingToApply(History& history) {
  // One query when the history is exactly the build's migrations.
  absl::StatusOr<bool> same = history.MatchesAppliedDigest(catalog_.applied_digest());
  if (!same.ok()) return same.status();
  if (*same) return true;
  absl::StatusOr<MigrationState> state = ReadState();
  if (!state.ok()) return state.status();
  if (!state->history_exists || !state->up_to_date()) return false;
  absl::StatusOr<std::vector<InProgress>> in_progress = history.ReadInProgress();
  return in_progress.ok() && in_progress->empty();
}

absl::Status Engine::CheckIntegrity(const MigrationState& state, absl::string_view verb) const {
  std::vector<std::string> problems;
  for (const ChecksumMismatch& m : state.mismatches) {
    problems.push_back(
        absl::StrCat(m.path, " was changed after it was applied (applied sha256 ",
                     m.applied_checksum, ", file sha256 ", m.build_checksum,
                     "); restore the applied file, or run `schemagate repair` to record "
                     "the new checksum if the change is intended"));
  }
  if (!state.unknown_applied.empty() && !options_.allow_unknown_applied) {
    std::vector<std::string> unknown;
    for (const AppliedMigration& a : state.unknown_applied) {
      unknown.push_back(Ref(a.cluster, a.version, a.name));
    }
    problems.push_back(
        absl::StrCat("the database has applied migrations this build does not know (a "
                     "newer build ran?): ",
                     absl::StrJoin(unknown, ", "),
                     "; deploy that build, or pass --allow-unknown-applied to go on "
                     "(nothing is ever deleted implicitly)"));
  }
  if (problems.empty()) return absl::OkStatus();
  return errors::WithKind(absl::FailedPreconditionError(absl::StrCat(
                              "refusing to ", verb, ": ", absl::StrJoin(problems, "; "))),
                          errors::ErrorKind::kIntegrity);
}

absl::Status Engine::CheckBlockingLocks() {
  if (options_.max_blocking_rows < 0) return absl::OkStatus();
  absl::StatusOr<MigrationState> state = ReadState();
  if (!state.ok()) return state.status();
  absl::StatusOr<std::vector<PlannedLock>> locks = PlanLocks(conn_, state->pending);
  if (!locks.ok()) return locks.status();
  return CheckBlockingRows(*locks, options_.max_blocking_rows);
}

absl::StatusOr<RepairResult> Engine::Repair(const RepairOptions& options) {
  internal::CallTimeoutLifted unbounded(conn_);
  RepairResult result;
  History history(conn_, options_.history);
  if (options.dry_run) {
    absl::StatusOr<MigrationState> state = ReadState();
    if (!state.ok()) return state.status();
    for (const ChecksumMismatch& m : state->mismatches) {
      if (options.cluster.empty() || options.cluster == m.cluster) {
        result.repaired.push_back(m);
      }
    }
    return result;
  }
  absl::Duration waited;
  absl::Status s = AcquireSessionLock(options.progress, &waited, options.stop);
  if (!s.ok()) return s;
  LockGuard unlock(this);
  if (s = history.Ensure(); !s.ok()) return s;
  absl::StatusOr<MigrationState> state = ReadState();
  if (!state.ok()) return state.status();
  if (!options.cluster.empty() && !catalog_.IsEnabled(options.cluster)) {
    return errors::WithKind(
        absl::InvalidArgumentError(absl::StrCat("cluster \"", options.cluster,
                                                "\" is not enabled in this build; only enabled "
                                                "clusters' checksums can be repaired")),
        errors::ErrorKind::kUsage);
  }
  if (s = BeginUnderLock(); !s.ok()) return s;
  for (const ChecksumMismatch& m : state->mismatches) {
    if (!options.cluster.empty() && options.cluster != m.cluster) continue;
    const v1::Migration* mig = catalog_.FindMigration(m.cluster, m.version);
    if (mig == nullptr) continue;
    s = history.UpdateChecksum(m.cluster, m.version, mig->up_sha256(), mig->name(),
                               mig->down_sql());
    if (s.ok()) {
      s = history.Log("repair", m.cluster, m.version,
                      absl::StrCat("checksum ", m.applied_checksum, " -> ", m.build_checksum),
                      options_.applied_by);
    }
    if (!s.ok()) break;
    Emit(options.progress,
         {Event::kRepaired, m.cluster, m.version, mig->name(), absl::ZeroDuration(),
          absl::StrCat("recorded sha256 ", m.build_checksum, " (was ", m.applied_checksum, ")")});
    result.repaired.push_back(m);
  }
  if (s.ok()) s = history.Notify("repaired");
  if (s.ok()) s = conn_->Commit();
  if (!s.ok()) {
    (void)conn_->Rollback();
    return s;
  }
  return result;
}

}  // namespace schemagate::migrate
