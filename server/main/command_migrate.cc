// The one-shot database subcommands: migrate, plan, status, verify,
// rollback, repair. Each parses flags, connects, asks the engine and prints.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "server/main/commands.h"
#include "server/main/common.h"
#include "server/main/migrate_output.h"
#include "server/metrics/metrics.h"
#include "server/metrics/migration.h"
#include "server/migrate/engine.h"
#include "server/migrate/plan_locks.h"
#include "server/migrate/unmanaged.h"
#include "server/migrate/verify.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::commands {
namespace {

using nlohmann::ordered_json;

// --metrics-file: the migration metrics of one `migrate` run (engine
// events, then the run's outcome), written when it ends, whatever the
// outcome, for node_exporter's textfile collector.
class RunMetrics {
 public:
  explicit RunMetrics(std::string path)
      : path_(std::move(path)),
        registry_(std::make_shared<prometheus::Registry>()),
        migrations_(*registry_),
        start_(absl::Now()) {}

  bool enabled() const { return !path_.empty(); }
  void Observe(const migrate::Event& e) { migrations_.Observe(e); }

  // Whether the file can be written, before anything is applied
  // (INVALID_ARGUMENT naming it; exit 2).
  absl::Status CheckWritable() const {
    const std::string tmp = path_ + ".tmp";
    std::ofstream probe(tmp, std::ios::binary | std::ios::trunc);
    const bool ok = static_cast<bool>(probe);
    probe.close();
    std::remove(tmp.c_str());
    if (ok) return absl::OkStatus();
    return errors::WithKind(absl::InvalidArgumentError(absl::StrCat(
                                "--metrics-file ", path_, ": cannot create a file in its folder")),
                            errors::ErrorKind::kUsage);
  }

  // Writes the file; returns `exit_code` (a failure to write is logged:
  // the migrations' outcome stands).
  int Finish(int exit_code, const std::string& features, size_t applied) {
    if (!enabled()) return exit_code;
    metrics::AddBuildInfo(*registry_, {metrics::kVersion, features});
    const absl::Time end = absl::Now();
    auto gauge = [&](const char* name, const char* help, double value) {
      prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({}).Set(value);
    };
    gauge("schemagate_migrate_last_run_timestamp_seconds",
          "When the last `schemagate migrate` run ended (Unix time).",
          absl::ToDoubleSeconds(end - absl::UnixEpoch()));
    gauge("schemagate_migrate_last_run_duration_seconds",
          "How long the last `schemagate migrate` run took, connecting included.",
          absl::ToDoubleSeconds(end - start_));
    gauge("schemagate_migrate_last_run_success",
          "1 when the last `schemagate migrate` run left the database up to date (exit 0).",
          exit_code == exit_codes::kOk ? 1 : 0);
    gauge("schemagate_migrate_last_run_exit_code",
          "The exit code of the last `schemagate migrate` run (docs/OPERATIONS.md, "
          "\"Exit codes\").",
          exit_code);
    gauge("schemagate_migrate_last_run_applied_migrations",
          "Migrations the last `schemagate migrate` run applied.", static_cast<double>(applied));
    if (absl::Status s = metrics::WriteTextfile({registry_}, path_); !s.ok()) {
      log::Error("cannot write the metrics file", {{"error", std::string(s.message())}});
    }
    return exit_code;
  }

 private:
  const std::string path_;
  std::shared_ptr<prometheus::Registry> registry_;
  metrics::MigrationMetrics migrations_;
  const absl::Time start_;
};

}  // namespace

int Migrate(const Args& args) {
  Setup setup;
  EngineFlags engine_flags;
  bool single = false, dry_run = false;
  std::string metrics_file;
  cli::FlagSet flags("schemagate migrate",
                     "Applies every pending migration of the enabled clusters, "
                     "in order, each in one transaction with its history row. "
                     "Safe to run from many processes at once: exactly one "
                     "applies, the others wait and exit 0.");
  setup.Register(flags, true);
  engine_flags.Register(flags);
  flags.Bool("single-transaction", &single,
             "apply the whole plan in one transaction (all or nothing)");
  flags.Bool("dry-run", &dry_run, "print the plan and change nothing");
  flags.String("metrics-file", &metrics_file,
               "write this run's migration metrics to this file when it ends, "
               "whatever the outcome (Prometheus text format, replaced atomically: "
               "for node_exporter's textfile collector)",
               "SCHEMAGATE_METRICS_FILE");
  flags.SetEpilog(exit_codes::kHelp);
  if (int code = flags.Finish(flags.Parse(args), 0, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate migrate";
  // Checked before connecting: a bad flag is exit 2 whatever the database.
  if (absl::Status s = engine_flags.Options({}).status(); !s.ok()) return Fail(cmd, s);
  setup.db.needs_primary = true;
  RunMetrics run_metrics(metrics_file);
  // What the build recorded, read without decoding the catalog: the
  // compiled features (for schemagate_build_info) and the applied-set
  // digest (the no-op check below).
  const absl::StatusOr<catalog::CatalogSummary> summary =
      catalog::Summarize(catalog::EmbeddedCatalogBytes());
  std::string features;  // the compiled ones, for schemagate_build_info
  if (run_metrics.enabled()) {
    if (absl::Status s = run_metrics.CheckWritable(); !s.ok()) return Fail(cmd, s);
    if (summary.ok()) features = absl::StrJoin(summary->features, ",");
  }
  size_t applied = 0;
  auto done = [&](int code) { return run_metrics.Finish(code, features, applied); };
  // Whether there is anything to do is decided before the catalog is
  // decoded: one query compares the history with the digest the build
  // recorded (catalog::Summarize reads it without parsing the catalog),
  // so an up-to-date database costs about one connection at any tree size.
  const absl::Time started = absl::Now();
  const bool early = !dry_run && !flags.IsSet("features");
  absl::StatusOr<Session> session = Start(setup, flags, early);
  if (!session.ok()) return done(Fail(cmd, session.status()));
  auto report = [&](const migrate::ApplyResult& result) {
    applied = result.applied.size();
    if (setup.json) {
      ordered_json applied = ordered_json::array();
      for (const migrate::StepResult& s : result.applied) {
        applied.push_back({{"cluster", s.cluster},
                           {"version", s.version},
                           {"name", s.name},
                           {"duration_ms", absl::ToInt64Milliseconds(s.duration)}});
      }
      std::cout << ordered_json({{"applied", applied},
                                 {"lock_wait_ms", absl::ToInt64Milliseconds(result.lock_wait)},
                                 {"duration_ms", absl::ToInt64Milliseconds(result.total)},
                                 {"up_to_date", true}})
                       .dump()
                << "\n";
    }
    if (result.applied.empty()) {
      log::Info("database is up to date; nothing to apply",
                {{"database", session->conn->description()}});
    } else {
      log::Info("database is up to date",
                {{"applied", absl::StrCat(result.applied.size())}, {"duration", Ms(result.total)}});
    }
    return done(exit_codes::kOk);
  };
  if (early) {
    if (summary.ok() && summary->format == catalog::kCatalogFormat &&
        !summary->applied_digest.empty()) {
      migrate::History history(session->conn.get(), session->history);
      absl::StatusOr<bool> same = history.MatchesAppliedDigest(summary->applied_digest);
      // An error (the primary lost, say) is left to the engine, which
      // reads the same and reconnects.
      if (same.ok() && *same) {
        migrate::ApplyResult nothing;
        nothing.total = absl::Now() - started;
        return report(nothing);
      }
    }
    if (absl::Status s = LoadSessionCatalog(*session, setup, flags); !s.ok()) {
      return done(Fail(cmd, s));
    }
  }
  absl::StatusOr<migrate::EngineOptions> engine_options = engine_flags.Options(session->history);
  if (!engine_options.ok()) return done(Fail(cmd, engine_options.status()));
  migrate::EngineOptions options = *std::move(engine_options);
  // A failover mid-run: wait for the new primary (up to --connect-timeout)
  // and go on there.
  options.reconnect = [&](const absl::Status&) -> absl::StatusOr<migrate::Connection*> {
    absl::StatusOr<std::unique_ptr<migrate::Connection>> next = setup.db.Open();
    if (!next.ok()) return next.status();
    session->conn = *std::move(next);
    return session->conn.get();
  };
  if (run_metrics.enabled()) {
    options.observer = [&run_metrics](const migrate::Event& e) { run_metrics.Observe(e); };
  }
  migrate::Engine engine(*session->catalog, session->conn.get(), options);
  if (dry_run) {
    absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
    if (!state.ok()) return done(Fail(cmd, state.status()));
    for (const v1::Migration* m : state->pending) {
      std::cout << m->cluster() << "/" << m->version_text() << "_" << m->name() << "\n";
    }
    return done(exit_codes::kOk);
  }
  absl::StatusOr<migrate::ApplyResult> result = engine.Apply({single, &PrintProgress});
  if (!result.ok()) return done(Fail(cmd, result.status()));
  return report(*result);
}

int Plan(const Args& args) {
  Setup setup;
  bool with_sql = false;
  int64_t max_blocking_rows = -1;
  cli::FlagSet flags("schemagate plan",
                     "Prints the pending migrations in the order migrate would "
                     "apply them, each with the tables it locks (lock level, "
                     "the lock lint's finding, the live table's estimated rows "
                     "and size). Changes nothing.");
  setup.Register(flags, true);
  flags.Bool("sql", &with_sql, "also print each migration's SQL");
  RegisterMaxBlockingRows(flags, &max_blocking_rows);
  flags.SetEpilog(exit_codes::kHelp);
  if (int code = flags.Finish(flags.Parse(args), 0, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate plan";
  absl::StatusOr<Session> session = Start(setup, flags);
  if (!session.ok()) return Fail(cmd, session.status());
  migrate::Engine engine = session->Engine();
  absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
  if (!state.ok()) return Fail(cmd, state.status());
  absl::StatusOr<std::vector<migrate::PlannedLock>> locks =
      migrate::PlanLocks(session->conn.get(), state->pending);
  if (!locks.ok()) return Fail(cmd, locks.status());
  // Locks by migration, in plan order.
  std::map<const v1::Migration*, std::vector<const migrate::PlannedLock*>> by_migration;
  for (const migrate::PlannedLock& l : *locks) by_migration[l.migration].push_back(&l);
  const absl::Status refused = migrate::CheckBlockingRows(*locks, max_blocking_rows);
  if (setup.json) {
    ordered_json plan = ordered_json::array();
    for (const v1::Migration* m : state->pending) {
      ordered_json step = {{"cluster", m->cluster()},
                           {"version", m->version()},
                           {"name", m->name()},
                           {"path", m->up_path()},
                           {"no_transaction", m->no_transaction()},
                           {"sha256", m->up_sha256()}};
      ordered_json step_locks = ordered_json::array();
      for (const migrate::PlannedLock* l : by_migration[m]) {
        step_locks.push_back({{"table", l->lock.table()},
                              {"lock", l->lock.lock()},
                              {"line", l->lock.line()},
                              {"statement", l->lock.statement()},
                              {"rule", l->lock.rule()},
                              {"blocking", l->lock.blocking()},
                              {"acknowledged", l->lock.acknowledged()},
                              {"reason", l->lock.reason()},
                              {"message", l->lock.message()},
                              {"table_exists", l->size.exists},
                              {"estimated_rows", l->size.rows},
                              {"total_bytes", l->size.bytes}});
      }
      step["locks"] = step_locks;
      if (with_sql) step["sql"] = m->up_sql();
      plan.push_back(step);
    }
    ordered_json out = {{"pending", plan}};
    if (max_blocking_rows >= 0) {
      out["max_blocking_rows"] = max_blocking_rows;
      out["refused"] = !refused.ok();
    }
    std::cout << out.dump(2) << "\n";
    return refused.ok() ? exit_codes::kOk : errors::ExitCodeFor(refused);
  }
  if (state->pending.empty()) {
    std::cout << "nothing to apply: the database is up to date\n";
  }
  int n = 0;
  for (const v1::Migration* m : state->pending) {
    std::cout << absl::StrFormat("%3d. %s/%s_%s%s\n", ++n, m->cluster(), m->version_text(),
                                 m->name(), m->no_transaction() ? "  (no-transaction)" : "");
    for (const migrate::PlannedLock* l : by_migration[m]) {
      // A table created earlier in the plan is empty when this runs.
      if (l->size.exists) std::cout << "       " << DescribeLock(*l) << "\n";
    }
    if (with_sql) {
      std::cout << "-- " << m->up_path() << "\n" << m->up_sql();
      if (!m->up_sql().empty() && m->up_sql().back() != '\n') std::cout << "\n";
      std::cout << "\n";
    }
  }
  if (!refused.ok()) return Fail(cmd, refused);
  return exit_codes::kOk;
}

int Status(const Args& args) {
  Setup setup;
  cli::FlagSet flags("schemagate status",
                     "Shows each cluster's state against this build: up to date, pending N, "
                     "not installed, orphaned (applied, not enabled here; never touched), "
                     "checksum mismatch, unknown applied. Changes nothing.");
  setup.Register(flags, true);
  flags.SetEpilog(exit_codes::kHelp);
  if (int code = flags.Finish(flags.Parse(args), 0, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate status";
  absl::StatusOr<Session> session = Start(setup, flags);
  if (!session.ok()) return Fail(cmd, session.status());
  migrate::Engine engine = session->Engine();
  absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
  if (!state.ok()) return Fail(cmd, state.status());
  absl::StatusOr<std::vector<migrate::UnmanagedTable>> unmanaged =
      migrate::ReadUnmanaged(session->conn.get(), *session->catalog, session->history, &*state);
  if (!unmanaged.ok()) return Fail(cmd, unmanaged.status());
  if (setup.json) {
    ordered_json out = StateJson(*state, *session);
    out["unmanaged"] = UnmanagedJson(*unmanaged);
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "database " << session->conn->description() << ", history "
              << session->history.schema << "." << session->history.table
              << (state->history_exists ? "" : " (not created yet)") << "\n";
    PrintStateTable(*state);
    PrintUnmanaged(*unmanaged);
    std::cout << (state->up_to_date()
                      ? "up to date\n"
                      : absl::StrCat(state->pending.size(), " migration(s) pending\n"));
  }
  return exit_codes::kOk;
}

int Verify(const Args& args) {
  Setup setup;
  bool ignore_extra = false;
  cli::FlagSet flags("schemagate verify",
                     "Compares the enabled clusters' catalog with the live database "
                     "(pg_catalog): missing or extra tables, columns, primary and foreign "
                     "keys, column types and nullability. Exits 7 on drift. The catalog is "
                     "the schema with every migration of the build applied: pending "
                     "migrations are listed, and what they create counts as missing.");
  setup.Register(flags, true);
  flags.Bool("ignore-extra-tables", &ignore_extra,
             "do not count tables that no cluster knows as drift");
  flags.SetEpilog(exit_codes::kHelp);
  if (int code = flags.Finish(flags.Parse(args), 0, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate verify";
  absl::StatusOr<Session> session = Start(setup, flags);
  if (!session.ok()) return Fail(cmd, session.status());
  migrate::VerifyOptions options;
  options.ignore_extra_tables = ignore_extra;
  absl::StatusOr<migrate::VerifyReport> verified =
      migrate::VerifyLive(session->conn.get(), *session->catalog, session->history, options);
  if (!verified.ok()) return Fail(cmd, verified.status());
  const migrate::VerifyReport& report = *verified;
  // The catalog is the schema with every migration of the build applied: a
  // database behind the build shows what is pending as drift, so say so.
  migrate::Engine engine = session->Engine();
  absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
  if (!state.ok()) return Fail(cmd, state.status());
  std::vector<std::string> pending;
  for (const v1::Migration* m : state->pending) {
    pending.push_back(catalog::MigrationPath(*m));
  }
  if (setup.json) {
    ordered_json drift = ordered_json::array();
    for (const migrate::Drift& d : report.drift) {
      drift.push_back({{"kind", d.kind},
                       {"table", d.table},
                       {"object", d.object},
                       {"expected", d.expected},
                       {"actual", d.actual}});
    }
    std::cout << ordered_json({{"ok", report.ok()},
                               {"tables_checked", report.tables_checked},
                               {"drift", drift},
                               {"orphaned", report.orphaned_objects},
                               {"foreign_history", report.foreign_history},
                               {"pending", pending}})
                     .dump(2)
              << "\n";
  } else {
    for (const migrate::Drift& d : report.drift) {
      std::cout << "drift: " << d.ToString() << "\n";
    }
    for (const std::string& o : report.orphaned_objects) {
      std::cout << "orphaned (not enabled here, left alone): " << o << "\n";
    }
    for (const std::string& f : report.foreign_history) {
      std::cout << "old tool's history table (left alone; drop it once the old "
                   "tool is gone): "
                << f << "\n";
    }
    std::cout << (report.ok() ? "no drift" : absl::StrCat(report.drift.size(), " difference(s)"))
              << ": " << report.tables_checked << " tables checked\n";
    if (!pending.empty()) {
      std::cout << "note: " << pending.size()
                << " migration(s) of this build not applied yet (first: " << pending[0]
                << "): drift is measured against the fully migrated schema, so what "
                   "they create shows as missing; run `schemagate migrate` first\n";
    }
  }
  return report.ok() ? exit_codes::kOk : exit_codes::kDrift;
}

int Rollback(const Args& args) {
  Setup setup;
  std::string cluster, to_text;
  bool force = false, dry_run = false;
  cli::FlagSet flags("schemagate rollback",
                     "Reverts one cluster's migrations newer than --to, newest first, each "
                     "with the down.sql stored when it was applied (so an orphaned cluster "
                     "this build does not even know can be removed). --to 0 removes the "
                     "cluster; refused while a cluster that depends on it is enabled or "
                     "installed.");
  setup.Register(flags, true);
  flags.String("cluster", &cluster, "the cluster to roll back (required)");
  flags.String("to", &to_text,
               "keep migrations up to this version (required; 0 "
               "removes the cluster)");
  flags.Bool("force", &force, "skip the dependent-cluster checks");
  flags.Bool("dry-run", &dry_run, "list what would be reverted");
  flags.SetEpilog(exit_codes::kHelp);
  if (int code = flags.Finish(flags.Parse(args), 0, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate rollback";
  uint64_t to = 0;
  if (cluster.empty() || to_text.empty() || !absl::SimpleAtoi(to_text, &to)) {
    return Fail(cmd, errors::WithKind(absl::InvalidArgumentError(
                                          "--cluster and --to (a version number) are required"),
                                      errors::ErrorKind::kUsage));
  }
  setup.db.needs_primary = true;
  absl::StatusOr<Session> session = Start(setup, flags);
  if (!session.ok()) return Fail(cmd, session.status());
  migrate::Engine engine = session->Engine();
  absl::StatusOr<migrate::RollbackResult> result =
      engine.Rollback({cluster, to, force, dry_run, &PrintProgress});
  if (!result.ok()) return Fail(cmd, result.status());
  if (setup.json) {
    ordered_json steps = ordered_json::array();
    for (const migrate::StepResult& s : result->reverted) {
      steps.push_back({{"cluster", s.cluster}, {"version", s.version}, {"name", s.name}});
    }
    std::cout << ordered_json({{"reverted", steps}, {"dry_run", dry_run}}).dump() << "\n";
  } else if (result->reverted.empty()) {
    std::cout << "nothing to roll back: " << cluster << " has no applied migration above version "
              << to << "\n";
  } else {
    for (const migrate::StepResult& s : result->reverted) {
      std::cout << (dry_run ? "would revert " : "reverted ") << s.cluster << "/" << s.version
                << " (" << s.name << ")\n";
    }
  }
  return exit_codes::kOk;
}

int Repair(const Args& args) {
  Setup setup;
  std::string cluster;
  bool dry_run = false;
  cli::FlagSet flags("schemagate repair",
                     "Records the current checksum of applied migrations whose up.sql was "
                     "edited on purpose (and their current name and down.sql). Logged in "
                     "the history's audit table. Unknown applied migrations are left alone.");
  setup.Register(flags, true);
  flags.String("cluster", &cluster, "only this cluster");
  flags.Bool("dry-run", &dry_run, "list what would be repaired");
  flags.SetEpilog(exit_codes::kHelp);
  if (int code = flags.Finish(flags.Parse(args), 0, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate repair";
  setup.db.needs_primary = true;
  absl::StatusOr<Session> session = Start(setup, flags);
  if (!session.ok()) return Fail(cmd, session.status());
  migrate::Engine engine = session->Engine();
  absl::StatusOr<migrate::RepairResult> result = engine.Repair({cluster, dry_run, &PrintProgress});
  if (!result.ok()) return Fail(cmd, result.status());
  if (setup.json) {
    ordered_json steps = ordered_json::array();
    for (const migrate::ChecksumMismatch& m : result->repaired) {
      steps.push_back({{"cluster", m.cluster},
                       {"version", m.version},
                       {"path", m.path},
                       {"old_sha256", m.applied_checksum},
                       {"new_sha256", m.build_checksum}});
    }
    std::cout << ordered_json({{"repaired", steps}, {"dry_run", dry_run}}).dump() << "\n";
  } else if (result->repaired.empty()) {
    std::cout << "nothing to repair: every applied checksum matches\n";
  } else {
    for (const migrate::ChecksumMismatch& m : result->repaired) {
      std::cout << (dry_run ? "would record " : "recorded ") << m.path << " sha256 "
                << m.build_checksum << " (was " << m.applied_checksum << ")\n";
    }
  }
  return exit_codes::kOk;
}

}  // namespace schemagate::commands
