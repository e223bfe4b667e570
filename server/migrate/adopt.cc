#include "server/migrate/adopt.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/migrate/history.h"
#include "server/migrate/verify.h"
#include "server/util/errors.h"

namespace schemagate::migrate {
namespace {

using Applied = std::set<std::pair<std::string, uint64_t>>;

// At most this many items of a list are quoted in a message (all of them
// travel as violations).
constexpr size_t kListedInMessage = 50;

absl::Status Refusal(absl::Status status, errors::ErrorKind kind, absl::string_view reason,
                     const std::vector<errors::Violation>& violations = {}) {
  return errors::WithViolations(
      errors::WithReason(errors::WithKind(std::move(status), kind), reason), violations);
}

// "\n  a\n  b" (the first kListedInMessage items, then "... and N more").
std::string Lines(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < kListedInMessage; ++i) {
    absl::StrAppend(&out, "\n  ", items[i]);
  }
  if (items.size() > kListedInMessage) {
    absl::StrAppend(&out, "\n  ... and ", items.size() - kListedInMessage, " more");
  }
  return out;
}

// Everything decided before anything is written; computed again under the
// lock when the history changed in between.
struct Plan {
  Applied applied;  // the history rows it was made from
  std::vector<std::string> adopted;
  std::vector<std::string> already_installed;
  std::vector<const v1::Migration*> migrations;  // apply order
  std::vector<std::string> not_from_old_tool;
  std::vector<UnmanagedTable> unmanaged;
  int tables_checked = 0;
};

class Adopter {
 public:
  Adopter(const catalog::Catalog& catalog, Connection* conn, const EngineOptions& engine,
          const AdoptOptions& options, const SourceTable& source)
      : catalog_(catalog),
        conn_(conn),
        engine_options_(engine),
        options_(options),
        source_(source),
        engine_(catalog, conn, engine) {}

  absl::StatusOr<Plan> MakePlan();
  absl::Status Record(History& history, const Plan& plan, const std::string& by);
  Engine& engine() { return engine_; }
  // The history rows, as (cluster, version).
  absl::StatusOr<Applied> ReadAppliedSet();

 private:
  absl::Status Select(const MigrationState& state, Plan* plan) const;
  absl::Status CheckDependencies(const Plan& plan) const;
  absl::Status CheckFormats(const Plan& plan) const;
  absl::Status CheckSourceCoverage(const Plan& plan) const;
  absl::Status CompareSchema(Plan* plan) const;

  const catalog::Catalog& catalog_;
  Connection* conn_;
  const EngineOptions& engine_options_;
  const AdoptOptions& options_;
  const SourceTable source_;
  Engine engine_;
  std::vector<std::string> installed_;  // enabled clusters with history rows
};

absl::StatusOr<Applied> Adopter::ReadAppliedSet() {
  History history(conn_, engine_options_.history);
  absl::StatusOr<std::vector<AppliedMigration>> rows = history.ReadApplied();
  if (!rows.ok()) return rows.status();
  Applied out;
  for (const AppliedMigration& a : *rows) out.insert({a.cluster, a.version});
  return out;
}

absl::Status Adopter::Select(const MigrationState& state, Plan* plan) const {
  auto installed = [&](const ClusterState* c) {
    return c != nullptr && (c->applied > 0 || !c->unknown_applied.empty());
  };
  std::set<std::string> wanted;
  std::vector<std::string> problems;
  for (const std::string& name : options_.clusters) {
    if (!wanted.insert(name).second) continue;
    if (catalog_.IsEnabled(name)) continue;
    std::vector<std::string> enabled;
    for (const v1::Cluster& c : catalog_.enabled().clusters()) enabled.push_back(c.name());
    problems.push_back(absl::StrCat(
        "cluster \"", absl::CHexEscape(name), "\" is not enabled ",
        catalog_.IsCompiled(name) ? "on this run (compiled in; see --features)" : "in this build",
        "; enabled clusters: ", absl::StrJoin(enabled, ", ")));
  }
  if (!problems.empty()) {
    return Refusal(
        absl::InvalidArgumentError(absl::StrCat("cannot adopt: ", absl::StrJoin(problems, "; "))),
        errors::ErrorKind::kUsage, "CLUSTER_NOT_ENABLED");
  }
  std::vector<std::string> partial;
  for (const v1::Cluster& c : catalog_.enabled().clusters()) {
    const ClusterState* cs = state.Find(c.name());
    const bool named = wanted.count(c.name()) > 0;
    if (!wanted.empty() && !named) continue;
    if (!installed(cs)) {
      if (c.migrations_size() > 0) plan->adopted.push_back(c.name());
      continue;
    }
    if (!named) continue;  // installed: not part of the default set
    if (cs->pending == 0) {
      plan->already_installed.push_back(c.name());
    } else {
      partial.push_back(absl::StrCat(c.name(), " (", cs->applied, " of ", cs->applied + cs->pending,
                                     " migrations recorded)"));
    }
  }
  if (!partial.empty()) {
    return Refusal(absl::FailedPreconditionError(absl::StrCat(
                       "refusing to adopt: schemagate already installed part of ",
                       absl::StrJoin(partial, ", "),
                       "; adopt takes over clusters schemagate has not installed yet. Run "
                       "`schemagate migrate` to apply the rest")),
                   errors::ErrorKind::kIntegrity, "CLUSTER_PARTIALLY_INSTALLED");
  }
  std::set<std::string> adopted(plan->adopted.begin(), plan->adopted.end());
  for (const v1::Migration* m : catalog_.ApplyOrder()) {
    if (!adopted.count(m->cluster())) continue;
    plan->migrations.push_back(m);
    if (m->imported_from().empty()) plan->not_from_old_tool.push_back(m->up_path());
  }
  return absl::OkStatus();
}

absl::Status Adopter::CheckDependencies(const Plan& plan) const {
  std::set<std::string> adopted(plan.adopted.begin(), plan.adopted.end());
  std::set<std::string> installed(installed_.begin(), installed_.end());
  std::vector<std::string> missing;
  std::set<std::string> suggest;
  for (const std::string& name : plan.adopted) {
    const v1::Cluster* c = catalog_.FindCluster(name);
    for (const std::string& dep : c->depends_on()) {
      if (adopted.count(dep) || installed.count(dep)) continue;
      missing.push_back(absl::StrCat(name, " depends on ", dep));
      suggest.insert(dep);
    }
  }
  for (const v1::Migration* m : plan.migrations) {
    for (const v1::MigrationRef& r : m->requires()) {
      if (adopted.count(r.cluster()) || !catalog_.IsEnabled(r.cluster())) continue;
      if (plan.applied.count({r.cluster(), r.version()})) continue;
      missing.push_back(
          absl::StrCat(catalog::MigrationPath(*m), " requires ", r.cluster(), "/", r.version()));
      suggest.insert(r.cluster());
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return Refusal(absl::InvalidArgumentError(absl::StrCat(
                     "cannot adopt: ", absl::StrJoin(missing, "; "),
                     ", which is neither installed nor adopted in this run; add --cluster ",
                     absl::StrJoin(suggest, " --cluster "))),
                 errors::ErrorKind::kUsage, "DEPENDENCY_NOT_ADOPTED");
}

absl::Status Adopter::CheckFormats(const Plan& plan) const {
  if (options_.from == SourceFormat::kNone) return absl::OkStatus();
  const std::string from = SourceFormatName(options_.from);
  std::vector<std::string> other;
  std::set<std::string> formats;
  for (const v1::Migration* m : plan.migrations) {
    for (const v1::ImportedFrom& f : m->imported_from()) {
      if (f.format() == from) continue;
      other.push_back(
          absl::StrCat(m->up_path(), " (imported from ", f.format(), " ", f.version(), ")"));
      formats.insert(f.format());
    }
  }
  if (other.empty()) return absl::OkStatus();
  return Refusal(absl::InvalidArgumentError(
                     absl::StrCat("cannot adopt with --from=", from, ": ", other.size(),
                                  " migration(s) of the adopted clusters were imported from ",
                                  absl::StrJoin(formats, ", "), ", not ", from, ":", Lines(other),
                                  "\nadopt with the tool that migrated this "
                                  "database (--from), or --from=none to skip the history check")),
                 errors::ErrorKind::kUsage, "SOURCE_FORMAT_MISMATCH");
}

absl::Status Adopter::CheckSourceCoverage(const Plan& plan) const {
  if (options_.from == SourceFormat::kNone) return absl::OkStatus();
  absl::StatusOr<SourceHistory> history = ReadSourceHistory(conn_, options_.from, source_);
  if (!history.ok()) return history.status();
  if (absl::Status s = CheckSourceHistory(*history); !s.ok()) return s;
  std::vector<MissingSource> missing = Uncovered(*history, plan.migrations);
  if (missing.empty()) return absl::OkStatus();
  std::vector<std::string> lines;
  std::vector<errors::Violation> violations;
  for (const MissingSource& m : missing) {
    lines.push_back(absl::StrCat(m.format, " ", m.version, " (", m.migration, ")"));
    violations.push_back({"SOURCE_HISTORY", absl::StrCat(m.format, " ", m.version),
                          absl::StrCat("not recorded in ", source_.Display(), "; ", m.migration,
                                       " was imported from it")});
  }
  return Refusal(absl::FailedPreconditionError(absl::StrCat(
                     "refusing to adopt: ", missing.size(),
                     " flat migration(s) that the adopted clusters were imported from are "
                     "not recorded in ",
                     source_.Display(), " (", SourceFormatName(options_.from),
                     "), so this database may lack what they create:", Lines(lines),
                     "\nrun the old tool's pending migrations first, or adopt only clusters "
                     "it covers (--cluster); nothing was recorded")),
                 errors::ErrorKind::kIntegrity, "SOURCE_HISTORY_INCOMPLETE", violations);
}

absl::Status Adopter::CompareSchema(Plan* plan) const {
  absl::StatusOr<std::vector<v1::Table>> live = Introspect(conn_, CatalogSchemas(catalog_));
  if (!live.ok()) return live.status();
  History history(conn_, engine_options_.history);
  absl::StatusOr<KnownObjects> known = ReadKnownObjects(history, catalog_);
  if (!known.ok()) return known.status();
  VerifyOptions options;
  options.ignore_extra_tables = options_.ignore_extra_tables;
  options.only_clusters.insert(plan->adopted.begin(), plan->adopted.end());
  options.only_clusters.insert(installed_.begin(), installed_.end());
  options.foreign_history = known->foreign_history;
  if (options_.from != SourceFormat::kNone) {
    options.foreign_history[source_.CatalogName()] =
        absl::StrCat(SourceFormatName(options_.from), " history");
  }
  VerifyReport report = Compare(catalog_, *live, options, known->orphans);
  plan->tables_checked = report.tables_checked;
  std::vector<std::string> names;
  for (const v1::Table& t : *live) names.push_back(t.name());
  plan->unmanaged = Unmanaged(catalog_, known->orphans, names);
  if (report.ok()) return absl::OkStatus();
  std::vector<std::string> lines;
  std::vector<errors::Violation> violations;
  for (const Drift& d : report.drift) {
    lines.push_back(d.ToString());
    violations.push_back(
        {"DRIFT", d.object.empty() ? d.table : d.table + "." + d.object, d.ToString()});
  }
  return Refusal(absl::FailedPreconditionError(absl::StrCat(
                     "refusing to adopt: the database differs from the catalog of ",
                     absl::StrJoin(plan->adopted, ", "), " (", report.drift.size(),
                     " difference(s); ", report.tables_checked, " tables compared):", Lines(lines),
                     "\nmake the schema match the build (or the build match the schema) and "
                     "adopt again; nothing was recorded")),
                 errors::ErrorKind::kDrift, "SCHEMA_DRIFT", violations);
}

absl::StatusOr<Plan> Adopter::MakePlan() {
  History history(conn_, engine_options_.history);
  absl::StatusOr<std::vector<AppliedMigration>> rows = history.ReadApplied();
  if (!rows.ok()) return rows.status();
  const MigrationState state = ComputeState(catalog_, *rows);
  Plan plan;
  for (const AppliedMigration& a : *rows) plan.applied.insert({a.cluster, a.version});
  installed_.clear();
  std::vector<std::string> behind;
  for (const ClusterState& c : state.clusters) {
    if (!c.enabled || c.applied == 0) continue;
    installed_.push_back(c.name);
    if (c.pending > 0) {
      behind.push_back(absl::StrCat(c.name, " (", c.pending, " pending)"));
    }
  }
  if (absl::Status s = Select(state, &plan); !s.ok()) return s;
  if (plan.adopted.empty()) {
    // Nothing to adopt: still say which tables are not managed here.
    absl::StatusOr<std::vector<UnmanagedTable>> unmanaged =
        ReadUnmanaged(conn_, catalog_, engine_options_.history, nullptr);
    if (!unmanaged.ok()) return unmanaged.status();
    plan.unmanaged = *std::move(unmanaged);
    return plan;
  }
  if (absl::Status s = engine_.CheckIntegrity(state, "adopt"); !s.ok()) return s;
  if (!behind.empty()) {
    return Refusal(absl::FailedPreconditionError(absl::StrCat(
                       "refusing to adopt: installed cluster(s) ", absl::StrJoin(behind, ", "),
                       " are behind this build, so their tables cannot be compared with "
                       "the catalog; bring them up to date first (schemagate migrate "
                       "--features=<the installed features>), then adopt")),
                   errors::ErrorKind::kIntegrity, "INSTALLED_CLUSTER_BEHIND");
  }
  if (absl::Status s = CheckDependencies(plan); !s.ok()) return s;
  if (absl::Status s = CheckFormats(plan); !s.ok()) return s;
  if (absl::Status s = CheckSourceCoverage(plan); !s.ok()) return s;
  if (absl::Status s = CompareSchema(&plan); !s.ok()) return s;
  return plan;
}

absl::Status Adopter::Record(History& history, const Plan& plan, const std::string& by) {
  std::vector<AppliedMigration> rows;
  std::vector<History::LogEntry> log;
  rows.reserve(plan.migrations.size());
  log.reserve(plan.migrations.size());
  const std::string from = SourceFormatName(options_.from);
  for (const v1::Migration* m : plan.migrations) {
    AppliedMigration row;
    row.cluster = m->cluster();
    row.version = m->version();
    row.name = m->name();
    row.checksum = m->up_sha256();
    row.down_sql = m->down_sql();
    row.no_transaction = m->no_transaction();
    row.duration_ms = 0;
    row.applied_by = by;
    rows.push_back(std::move(row));
    std::vector<std::string> sources;
    for (const v1::ImportedFrom& f : m->imported_from()) {
      sources.push_back(absl::StrCat(f.format(), " ", f.version()));
    }
    log.push_back({"adopt", m->cluster(), m->version(),
                   absl::StrCat(m->name(), " sha256 ", m->up_sha256(), "; ",
                                sources.empty() ? "not from the old tool"
                                                : "from " + absl::StrJoin(sources, ", ")),
                   by});
  }
  absl::Status s = history.InsertMany(rows);
  if (s.ok()) s = history.LogMany(log);
  if (s.ok()) s = history.UpsertClusters(ClusterRecords(catalog_));
  if (s.ok()) {
    s = history.RecordAdoption({from, options_.from == SourceFormat::kNone ? "" : source_.Display(),
                                plan.adopted, "", by});
  }
  if (s.ok()) {
    s = history.Notify(absl::StrCat("adopted ", absl::StrJoin(plan.adopted, ",")));
  }
  return s;
}

void Fill(const Plan& plan, AdoptResult* result) {
  result->adopted = plan.adopted;
  result->already_installed = plan.already_installed;
  result->not_from_old_tool = plan.not_from_old_tool;
  result->unmanaged = plan.unmanaged;
  result->tables_checked = plan.tables_checked;
  result->recorded.clear();
  for (const v1::Migration* m : plan.migrations) {
    AdoptedMigration a{m->cluster(), m->version(), m->name(), m->up_path(), {}};
    for (const v1::ImportedFrom& f : m->imported_from()) {
      a.imported_from.push_back(absl::StrCat(f.format(), " ", f.version()));
    }
    result->recorded.push_back(std::move(a));
  }
}

}  // namespace

absl::StatusOr<AdoptResult> Adopt(const catalog::Catalog& catalog, Connection* conn,
                                  const EngineOptions& engine, const AdoptOptions& options) {
  const absl::Time start = absl::Now();
  SourceTable source = SourceTable::Default(options.from);
  if (options.from != SourceFormat::kNone && !options.source_table.empty()) {
    absl::StatusOr<SourceTable> parsed = SourceTable::Parse(options.source_table);
    if (!parsed.ok()) return parsed.status();
    source = *parsed;
  }
  if (engine.lock_mode == LockMode::kTransaction && !options.dry_run) {
    return errors::WithKind(
        absl::InvalidArgumentError("adopt needs a session lock; run it with a direct "
                                   "connection (--lock-mode=session)"),
        errors::ErrorKind::kUsage);
  }
  AdoptResult result;
  result.from = SourceFormatName(options.from);
  result.source_table = options.from == SourceFormat::kNone ? "" : source.Display();
  result.dry_run = options.dry_run;
  Adopter adopter(catalog, conn, engine, options, source);
  absl::StatusOr<Plan> plan = adopter.MakePlan();
  if (!plan.ok()) return plan.status();
  Fill(*plan, &result);
  if (plan->adopted.empty() || options.dry_run) {
    result.total = absl::Now() - start;
    return result;
  }
  const std::string by = engine.applied_by.empty() ? AppliedBy(absl::StrCat("adopt:", result.from))
                                                   : engine.applied_by;
  absl::Status s = adopter.engine().RunLocked(
      options.progress, options.stop,
      [&](History& history) -> absl::Status {
        // Another adopt or migrate may have run while this one checked and
        // waited for the lock: decide again on what the history says now.
        absl::StatusOr<Applied> now = adopter.ReadAppliedSet();
        if (!now.ok()) return now.status();
        if (*now != plan->applied) {
          absl::StatusOr<Plan> again = adopter.MakePlan();
          if (!again.ok()) return again.status();
          // Clusters this run meant to adopt that someone installed meanwhile.
          std::set<std::string> still(again->adopted.begin(), again->adopted.end());
          std::vector<std::string> taken = again->already_installed;
          for (const std::string& c : plan->adopted) {
            if (!still.count(c)) taken.push_back(c);
          }
          *plan = *std::move(again);
          plan->already_installed = taken;
          Fill(*plan, &result);
          if (plan->adopted.empty()) return absl::OkStatus();
        }
        return adopter.Record(history, *plan, by);
      },
      &result.lock_wait);
  if (!s.ok()) return s;
  result.total = absl::Now() - start;
  return result;
}

}  // namespace schemagate::migrate
