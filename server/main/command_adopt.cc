// `schemagate adopt`: take over a database another tool migrated
// (server/migrate/adopt.h). Parses flags, connects, asks the domain, prints.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "server/main/commands.h"
#include "server/main/common.h"
#include "server/migrate/adopt.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::commands {
namespace {

using nlohmann::ordered_json;

ordered_json ResultJson(const migrate::AdoptResult& r, const Session& session) {
  ordered_json recorded = ordered_json::array();
  for (const migrate::AdoptedMigration& m : r.recorded) {
    recorded.push_back({{"cluster", m.cluster},
                        {"version", m.version},
                        {"name", m.name},
                        {"path", m.path},
                        {"imported_from", m.imported_from}});
  }
  return {{"ok", true},
          {"database", session.conn->description()},
          {"history_table", absl::StrCat(session.history.schema, ".", session.history.table)},
          {"from", r.from},
          {"source_history_table", r.source_table},
          {"dry_run", r.dry_run},
          {"adopted", r.adopted},
          {"already_installed", r.already_installed},
          {"recorded", recorded},
          {"not_from_old_tool", r.not_from_old_tool},
          {"unmanaged", UnmanagedJson(r.unmanaged)},
          {"tables_checked", r.tables_checked},
          {"lock_wait_ms", absl::ToInt64Milliseconds(r.lock_wait)},
          {"duration_ms", absl::ToInt64Milliseconds(r.total)}};
}

void PrintResult(const migrate::AdoptResult& r) {
  for (const std::string& c : r.already_installed) {
    std::cout << "already installed: " << c << " (left as it is)\n";
  }
  if (r.nothing_to_adopt()) {
    std::cout << "nothing to adopt: every enabled cluster is installed\n";
  } else {
    const std::string verb = r.dry_run ? "would adopt" : "adopted";
    std::cout << verb << " " << absl::StrJoin(r.adopted, ", ") << ": " << r.recorded.size()
              << " migration(s) " << (r.dry_run ? "would be recorded" : "recorded")
              << " as applied";
    if (r.source_table.empty()) {
      std::cout << " (--from=none: no history check)";
    } else {
      std::cout << " (" << r.from << " history " << r.source_table << " covers them)";
    }
    std::cout << "; schema matches the catalog (" << r.tables_checked << " tables compared)\n";
    if (r.dry_run) {
      for (const migrate::AdoptedMigration& m : r.recorded) {
        std::cout << "  " << m.path;
        if (!m.imported_from.empty()) {
          std::cout << "  <- " << absl::StrJoin(m.imported_from, ", ");
        }
        std::cout << "\n";
      }
    }
    for (const std::string& p : r.not_from_old_tool) {
      std::cout << "not from the old tool (checked by the schema comparison only): " << p << "\n";
    }
  }
  PrintUnmanaged(r.unmanaged);
  std::cout << (r.dry_run ? "dry run: nothing was recorded; " : "") << "took " << Ms(r.total)
            << (r.lock_wait > absl::Milliseconds(100)
                    ? absl::StrCat(" (waited ", Ms(r.lock_wait), " for the migration lock)")
                    : "")
            << "\n";
  if (!r.dry_run && !r.nothing_to_adopt() && !r.source_table.empty()) {
    std::cout << "the old tool's table " << r.source_table
              << " was left untouched; drop it once no deployment runs the old tool\n";
  }
}

}  // namespace

int Adopt(const Args& args) {
  Setup setup;
  std::string from, source_table;
  std::vector<std::string> clusters;
  bool dry_run = false, ignore_extra = false, allow_unknown = false;
  absl::Duration lock_wait = absl::Minutes(10);
  cli::FlagSet flags("schemagate adopt",
                     "Takes over a database that another tool migrated: checks that the old "
                     "tool's history records every flat migration the adopted clusters were "
                     "imported from (-- schemagate:imported-from), that the live schema "
                     "equals the catalog of the adopted and installed clusters, then records "
                     "the adopted clusters' migrations as applied without running them, in "
                     "one transaction under the migration lock. Adopts every enabled cluster "
                     "that is not installed yet, or those named with --cluster. The old "
                     "tool's table and all data are left untouched; tables of clusters not "
                     "enabled here are listed as unmanaged. Running it again is a no-op.");
  setup.Register(flags, true);
  flags.String("from", &from,
               "the tool that migrated the database: diesel, golang-migrate, "
               "flyway, or none (no history check; the schema is still compared)");
  flags.List("cluster", &clusters,
             "adopt only this enabled cluster (repeatable or comma-separated); its "
             "dependencies must be installed or adopted in the same run");
  flags.String("source-history-table", &source_table,
               "[schema.]table of the old tool's history (default: "
               "__diesel_schema_migrations, schema_migrations or "
               "flyway_schema_history in public)");
  flags.Bool("dry-run", &dry_run, "check everything and print what would be recorded");
  flags.Bool("ignore-extra-tables", &ignore_extra,
             "do not count tables that no cluster knows as drift");
  flags.Bool("allow-unknown-applied", &allow_unknown,
             "go on although the history has migrations this build lacks");
  flags.Duration("lock-wait-timeout", &lock_wait,
                 "give up (exit 4) if another migrator holds the lock this long",
                 "SCHEMAGATE_LOCK_WAIT_TIMEOUT");
  flags.SetEpilog(exit_codes::kHelp);
  if (int code = flags.Finish(flags.Parse(args), 0, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate adopt";
  if (from.empty()) {
    return Fail(cmd,
                errors::WithKind(absl::InvalidArgumentError(
                                     "--from is required: diesel, golang-migrate, flyway or none"),
                                 errors::ErrorKind::kUsage));
  }
  absl::StatusOr<migrate::SourceFormat> format = migrate::ParseSourceFormat(from);
  if (!format.ok()) return Fail(cmd, format.status());
  if (*format == migrate::SourceFormat::kNone && !source_table.empty()) {
    return Fail(cmd,
                errors::WithKind(absl::InvalidArgumentError("--source-history-table needs --from "
                                                            "diesel, golang-migrate or flyway"),
                                 errors::ErrorKind::kUsage));
  }
  setup.db.needs_primary = true;
  absl::StatusOr<Session> session = Start(setup, flags);
  if (!session.ok()) return Fail(cmd, session.status());
  migrate::EngineOptions engine;
  engine.history = session->history;
  engine.lock_wait_timeout = lock_wait;
  engine.allow_unknown_applied = allow_unknown;
  migrate::AdoptOptions options;
  options.from = *format;
  options.clusters = clusters;
  options.source_table = source_table;
  options.dry_run = dry_run;
  options.ignore_extra_tables = ignore_extra;
  options.progress = &PrintProgress;
  absl::StatusOr<migrate::AdoptResult> result =
      migrate::Adopt(*session->catalog, session->conn.get(), engine, options);
  if (!result.ok()) {
    if (setup.json) {
      ordered_json violations = ordered_json::array();
      for (const errors::Violation& v : errors::ViolationsOf(result.status())) {
        violations.push_back(
            {{"type", v.type}, {"subject", v.subject}, {"description", v.description}});
      }
      std::cout << ordered_json({{"ok", false},
                                 {"reason", errors::ReasonOf(result.status())},
                                 {"error", log::Scrub(result.status().message())},
                                 {"violations", violations}})
                       .dump(2)
                << "\n";
    }
    return Fail(cmd, result.status());
  }
  if (setup.json) {
    std::cout << ResultJson(*result, *session).dump(2) << "\n";
  } else {
    PrintResult(*result);
  }
  if (!result->dry_run && !result->nothing_to_adopt()) {
    log::Info("adopted", {{"clusters", absl::StrJoin(result->adopted, ",")},
                          {"recorded", absl::StrCat(result->recorded.size())},
                          {"from", result->from},
                          {"duration", Ms(result->total)}});
  }
  return exit_codes::kOk;
}

}  // namespace schemagate::commands
