// The pure decisions of a rollback (rollback_plan.h): the steps, the
// clusters and migrations that block it, and the refusal message.
#include "server/migrate/rollback_plan.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/catalog/directives.h"
#include "server/catalog/features.h"
#include "server/util/errors.h"

namespace schemagate::migrate {

std::vector<const AppliedMigration*> RollbackSteps(const std::vector<AppliedMigration>& applied,
                                                   absl::string_view cluster, uint64_t to_version) {
  std::vector<const AppliedMigration*> steps;
  for (const AppliedMigration& a : applied) {
    if (a.cluster == cluster && a.version > to_version) steps.push_back(&a);
  }
  std::sort(steps.begin(), steps.end(), [](const AppliedMigration* a, const AppliedMigration* b) {
    return a->version > b->version;
  });
  return steps;
}

std::vector<std::string> RollbackBlockers(const catalog::Catalog& catalog,
                                          const std::vector<ClusterRecord>& records,
                                          const std::vector<AppliedMigration>& applied,
                                          absl::string_view cluster, uint64_t to_version) {
  // The earliest migration reverted: a dependent cluster that applied
  // anything after it may rely on it.
  int64_t earliest_seq = std::numeric_limits<int64_t>::max();
  for (const AppliedMigration& a : applied) {
    if (a.cluster == cluster && a.version > to_version) {
      earliest_seq = std::min(earliest_seq, a.seq);
    }
  }
  // Which clusters depend on this one: this build's catalog for compiled
  // clusters, the recorded manifests for the others.
  std::vector<catalog::ClusterSpec> specs;
  std::set<std::string> named;
  for (const v1::Cluster& c : catalog.compiled().clusters()) {
    specs.push_back({c.name(),
                     {c.depends_on().begin(), c.depends_on().end()},
                     {c.requires_features().begin(), c.requires_features().end()}});
    named.insert(c.name());
  }
  for (const ClusterRecord& r : records) {
    if (!named.count(r.name)) specs.push_back({r.name, r.depends_on, r.requires_features});
  }
  std::vector<std::string> blockers;
  for (const catalog::ClusterSpec& spec : specs) {
    if (spec.name == cluster) continue;
    std::vector<std::string> closure = catalog::DependencyClosure(specs, spec.name);
    if (std::find(closure.begin(), closure.end(), cluster) == closure.end()) continue;
    const bool enabled = catalog.IsEnabled(spec.name);
    bool has_history = false, applied_later = false;
    for (const AppliedMigration& a : applied) {
      if (a.cluster != spec.name) continue;
      has_history = true;
      applied_later = applied_later || a.seq > earliest_seq;
    }
    if (to_version == 0 ? (enabled || has_history) : applied_later) {
      blockers.push_back(absl::StrCat(spec.name, enabled ? " (enabled" : " (orphaned",
                                      has_history ? ", installed)" : ", not installed)"));
    }
  }
  // Explicit `requires` edges of applied migrations this build knows.
  for (const AppliedMigration& a : applied) {
    if (a.cluster == cluster) continue;
    const v1::Migration* m = catalog.FindMigration(a.cluster, a.version);
    if (m == nullptr) continue;
    for (const v1::MigrationRef& r : m->requires()) {
      if (r.cluster() == cluster && r.version() > to_version) {
        blockers.push_back(absl::StrCat(a.cluster, "/", a.version, " (requires ", r.cluster(), "/",
                                        r.version(), ")"));
      }
    }
  }
  return blockers;
}

absl::Status RollbackRefusal(absl::string_view cluster, uint64_t to_version,
                             const std::vector<std::string>& blockers,
                             const std::vector<const AppliedMigration*>& steps) {
  if (!blockers.empty()) {
    return errors::WithKind(
        absl::FailedPreconditionError(absl::StrCat(
            "refusing to roll back ", cluster, " to version ", to_version, ": ",
            absl::StrJoin(blockers, ", "), to_version == 0 ? " depend on it" : " may rely on it",
            "; roll those back first, or pass --force")),
        errors::ErrorKind::kIntegrity);
  }
  // A migration marked irreversible (its down.sql, as stored at apply time,
  // starts with `-- schemagate:irreversible <reason>`) stops the rollback
  // before anything runs.
  for (const AppliedMigration* a : steps) {
    std::string reason = catalog::IrreversibleReason(a->down_sql);
    if (reason.empty()) continue;
    return errors::WithKind(
        absl::FailedPreconditionError(
            absl::StrCat("refusing to roll back ", cluster, " to version ", to_version, ": ",
                         a->cluster, "/", a->version, " (", a->name, ") is irreversible: ", reason,
                         "; keep it (roll back to version ", a->version, " or later)")),
        errors::ErrorKind::kIntegrity);
  }
  return absl::OkStatus();
}

absl::Status CheckRollbackCluster(const catalog::Catalog& catalog,
                                  const std::vector<AppliedMigration>& applied,
                                  absl::string_view cluster) {
  bool known = std::any_of(applied.begin(), applied.end(),
                           [&](const AppliedMigration& a) { return a.cluster == cluster; });
  std::vector<std::string> names;
  for (const v1::Cluster& c : catalog.compiled().clusters()) {
    known = known || c.name() == cluster;
    names.push_back(c.name());
  }
  if (known) return absl::OkStatus();
  return errors::WithKind(
      absl::NotFoundError(absl::StrCat("unknown cluster \"", absl::CHexEscape(cluster),
                                       "\": not in this build and nothing applied for it in the "
                                       "history; this build's clusters: ",
                                       absl::StrJoin(names, ", "))),
      errors::ErrorKind::kUsage);
}

}  // namespace schemagate::migrate
