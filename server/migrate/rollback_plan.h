// What rolling back one cluster would revert, and what stands in its way:
// the pure decisions of Engine::Rollback (no database), made from the
// history rows, the recorded cluster manifests and this build's catalog.
//
//   std::vector<const AppliedMigration*> steps = RollbackSteps(applied, "tasks", 1);
//   std::vector<std::string> blockers =
//       RollbackBlockers(catalog, records, applied, "tasks", 1);
//   absl::Status refusal = RollbackRefusal("tasks", 1, blockers, steps);
//
// Thread-safe (no state). The returned pointers point into `applied`.
#ifndef SCHEMAGATE_SERVER_MIGRATE_ROLLBACK_PLAN_H_
#define SCHEMAGATE_SERVER_MIGRATE_ROLLBACK_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/catalog/catalog.h"
#include "server/migrate/history.h"
#include "server/migrate/state.h"

namespace schemagate::migrate {

// The applied migrations of `cluster` newer than `to_version`, newest
// (highest version) first: the order they are reverted in.
std::vector<const AppliedMigration*> RollbackSteps(const std::vector<AppliedMigration>& applied,
                                                   absl::string_view cluster, uint64_t to_version);

// What may rely on the migrations of `cluster` newer than `to_version`,
// one description each, in this order:
//   - each other cluster whose dependency closure holds `cluster` — this
//     build's clusters as compiled, then the clusters only `records` know
//     (orphaned: applied by another build), in their order — that blocks:
//     with to_version 0 (removing the cluster) one that is enabled or has
//     history; otherwise one with a migration applied after the earliest
//     migration reverted (a higher seq). "mail (enabled, installed)",
//     "old (orphaned, not installed)" (a compiled cluster that is not
//     enabled counts as orphaned);
//   - each applied migration of another cluster that this build knows and
//     whose `requires` names a migration of `cluster` newer than
//     `to_version`, in history order: "mail/2 (requires tasks/3)".
// Empty when nothing blocks.
std::vector<std::string> RollbackBlockers(const catalog::Catalog& catalog,
                                          const std::vector<ClusterRecord>& records,
                                          const std::vector<AppliedMigration>& applied,
                                          absl::string_view cluster, uint64_t to_version);

// Why the rollback of `cluster` to `to_version` must not start: the
// blockers (unless empty), else the first of `steps` whose stored down.sql
// is marked irreversible (catalog::IrreversibleReason). FAILED_PRECONDITION
// (kIntegrity) naming them; OK when the rollback may run.
absl::Status RollbackRefusal(absl::string_view cluster, uint64_t to_version,
                             const std::vector<std::string>& blockers,
                             const std::vector<const AppliedMigration*>& steps);

// NOT_FOUND (kUsage) when `cluster` is neither a cluster of this build nor
// recorded in `applied`: a rollback of a name nobody knows (most likely a
// typo), listing this build's clusters. OK otherwise.
absl::Status CheckRollbackCluster(const catalog::Catalog& catalog,
                                  const std::vector<AppliedMigration>& applied,
                                  absl::string_view cluster);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_ROLLBACK_PLAN_H_
