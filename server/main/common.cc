#include "server/main/common.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "server/catalog/embedded.h"
#include "server/migrate/conninfo.h"
#include "server/util/errors.h"
#include "server/util/log.h"

namespace schemagate::commands {

void CommonFlags::Register(cli::FlagSet& flags) {
  flags.List("features", &features,
             "narrow to these compiled-in features (comma-separated); never "
             "widens the build",
             "SCHEMAGATE_RUNTIME_FEATURES");
  flags.String("log-format", &log_format, "text or json", "SCHEMAGATE_LOG_FORMAT");
  flags.String("log-level", &log_level, "debug, info, warning or error", "SCHEMAGATE_LOG_LEVEL");
}

absl::Status CommonFlags::Apply() const {
  log::Options options;
  if (!log::ParseFormat(log_format, &options.format)) {
    return errors::WithKind(
        absl::InvalidArgumentError("--log-format must be text or json, got \"" + log_format + "\""),
        errors::ErrorKind::kUsage);
  }
  if (!log::ParseLevel(log_level, &options.level)) {
    return errors::WithKind(
        absl::InvalidArgumentError("--log-level must be debug, info, warning or error, got \"" +
                                   log_level + "\""),
        errors::ErrorKind::kUsage);
  }
  log::Configure(options);
  return absl::OkStatus();
}

void DatabaseFlags::Register(cli::FlagSet& flags) {
  flags.String("database-url", &url,
               "PostgreSQL connection URI or key=value string (libpq; several hosts "
               "with target_session_attrs=read-write for a replicated cluster); prefer "
               "the environment or --database-url-file so the password is not in the "
               "process list",
               "DATABASE_URL");
  flags.String("database-url-file", &url_file,
               "read the connection URI from this file (e.g. a mounted "
               "Kubernetes Secret)",
               "DATABASE_URL_FILE");
  flags.Duration("connect-timeout", &connect_timeout,
                 "keep retrying an unreachable database, or one that is not the primary "
                 "(a standby), with backoff this long: at start and, for migrate, after "
                 "the connection is lost mid-run (a failover)",
                 "SCHEMAGATE_CONNECT_TIMEOUT");
  flags.String("history-table", &history_table, "[schema.]table of the migration history",
               "SCHEMAGATE_HISTORY_TABLE");
}

absl::StatusOr<migrate::HistoryName> DatabaseFlags::History() const {
  absl::StatusOr<migrate::HistoryName> name = migrate::HistoryName::Parse(history_table);
  if (!name.ok()) {
    return errors::WithKind(name.status(), errors::ErrorKind::kUsage);
  }
  return name;
}

absl::StatusOr<migrate::ConnectOptions> DatabaseFlags::ConnectOptionsForServer() const {
  std::string target = url;
  if (!url_file.empty()) {
    std::ifstream in(url_file);
    if (!in) {
      return errors::WithKind(
          absl::InvalidArgumentError("cannot read --" + flag + "-file " + url_file),
          errors::ErrorKind::kUsage);
    }
    std::stringstream s;
    s << in.rdbuf();
    target = std::string(absl::StripAsciiWhitespace(s.str()));
  }
  if (target.empty()) {
    return errors::WithKind(
        absl::InvalidArgumentError(
            flag == "database-url" ? std::string("no database: set --database-url, DATABASE_URL or "
                                                 "--database-url-file")
                                   : "no database: set --" + flag + " or --" + flag + "-file"),
        errors::ErrorKind::kUsage);
  }
  // Registers the password (every form of it) as a secret; a URL libpq
  // cannot parse is bad usage, refused without quoting it.
  absl::StatusOr<migrate::ConnInfo> info = migrate::ConnInfo::Parse(target);
  if (!info.ok()) return errors::WithKind(info.status(), errors::ErrorKind::kUsage);
  if (needs_primary && info->RequestsStandby()) {
    return errors::WithKind(
        absl::InvalidArgumentError(
            absl::StrCat("the database URL asks for a standby (target_session_attrs=",
                         info->Get("target_session_attrs"),
                         "), which cannot be changed; use target_session_attrs=read-write (with "
                         "every host of the cluster) or the primary's address")),
        errors::ErrorKind::kUsage);
  }
  migrate::ConnectOptions options;
  options.url = target;
  options.timeout = connect_timeout;
  // Migrations need a writable primary; reads a primary, or the standby
  // the URL asks for.
  options.need = needs_primary             ? migrate::ConnectOptions::Need::kWritable
                 : info->RequestsStandby() ? migrate::ConnectOptions::Need::kAny
                                           : migrate::ConnectOptions::Need::kPrimary;
  options.on_retry = [](int attempt, const absl::Status& error, absl::Duration delay) {
    log::Warning("database not reachable; retrying",
                 {{"attempt", absl::StrCat(attempt)},
                  {"in", absl::FormatDuration(absl::Trunc(delay, absl::Milliseconds(1)))},
                  {"error", std::string(error.message())}});
  };
  return options;
}

absl::StatusOr<std::unique_ptr<migrate::Connection>> DatabaseFlags::Open() const {
  absl::StatusOr<migrate::ConnectOptions> options = ConnectOptionsForServer();
  if (!options.ok()) return options.status();
  absl::StatusOr<std::unique_ptr<migrate::Connection>> c = migrate::Connection::Open(*options);
  if (!c.ok()) {
    return errors::WithKind(c.status(), c.status().code() == absl::StatusCode::kInvalidArgument
                                            ? errors::ErrorKind::kUsage
                                            : errors::ErrorKind::kConnect);
  }
  return c;
}

void RegisterMaxBlockingRows(cli::FlagSet& flags, int64_t* target) {
  flags.Int("max-blocking-rows", target,
            "refuse (exit 5, before taking any lock) a plan with an "
            "unacknowledged blocking lock-lint finding on a table of more "
            "estimated rows than this (docs/LINT.md); -1: no limit",
            "SCHEMAGATE_MAX_BLOCKING_ROWS");
}

void EngineFlags::Register(cli::FlagSet& flags) {
  flags.Duration("lock-wait-timeout", &lock_wait,
                 "give up (exit 4) if another migrator holds the lock this long",
                 "SCHEMAGATE_LOCK_WAIT_TIMEOUT");
  flags.Duration("lock-timeout", &lock_timeout,
                 "PostgreSQL lock_timeout for each migration's statements (0 = "
                 "none), so DDL never queues behind a long query for long");
  flags.Int("lock-retries", &lock_retries, "retries of a migration that hit --lock-timeout");
  flags.String("lock-mode", &lock_mode,
               "session (default) or transaction (through PgBouncer "
               "transaction pooling; no-transaction migrations refused)",
               "SCHEMAGATE_LOCK_MODE");
  flags.Bool("allow-unknown-applied", &allow_unknown,
             "go on although the database has migrations this build lacks");
  RegisterMaxBlockingRows(flags, &max_blocking_rows);
}

absl::StatusOr<migrate::EngineOptions> EngineFlags::Options(
    const migrate::HistoryName& history) const {
  if (lock_mode != "session" && lock_mode != "transaction") {
    return errors::WithKind(
        absl::InvalidArgumentError("--lock-mode must be session or transaction"),
        errors::ErrorKind::kUsage);
  }
  if (lock_retries < 0) {
    return errors::WithKind(absl::InvalidArgumentError("--lock-retries must be >= 0"),
                            errors::ErrorKind::kUsage);
  }
  migrate::EngineOptions options;
  options.history = history;
  options.lock_wait_timeout = lock_wait;
  options.lock_timeout = lock_timeout;
  options.lock_retries = static_cast<int>(lock_retries);
  options.lock_mode =
      lock_mode == "transaction" ? migrate::LockMode::kTransaction : migrate::LockMode::kSession;
  options.allow_unknown_applied = allow_unknown;
  options.max_blocking_rows = max_blocking_rows;
  return options;
}

absl::StatusOr<catalog::Catalog> LoadCatalogFrom(absl::string_view bytes, const CommonFlags& common,
                                                 bool narrow) {
  absl::StatusOr<catalog::Catalog> compiled = catalog::Catalog::Load(bytes);
  if (!compiled.ok() || !narrow) return compiled;
  absl::StatusOr<catalog::Catalog> narrowed = compiled->Narrow(common.features);
  if (!narrowed.ok()) {
    return errors::WithKind(narrowed.status(), errors::ErrorKind::kUsage);
  }
  return narrowed;
}

void PrintUnmanaged(const std::vector<migrate::UnmanagedTable>& tables) {
  if (tables.empty()) return;
  std::cout << "unmanaged tables (their cluster is not enabled here; never touched):\n";
  for (const migrate::UnmanagedTable& t : tables) {
    std::cout << "  " << t.table << " (cluster " << t.cluster;
    if (t.compiled) {
      std::cout << ", compiled in, turned off by --features";
    } else if (!t.enable_features.empty()) {
      std::cout << ", needs a build with " << absl::StrJoin(t.enable_features, "+");
    }
    std::cout << ")\n";
  }
}

nlohmann::ordered_json UnmanagedJson(const std::vector<migrate::UnmanagedTable>& tables) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const migrate::UnmanagedTable& t : tables) {
    out.push_back({{"table", t.table},
                   {"cluster", t.cluster},
                   {"compiled", t.compiled},
                   {"enable_features", t.enable_features}});
  }
  return out;
}

std::string Ms(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d), "ms"); }

void PrintProgress(const migrate::Event& e) {
  using migrate::Event;
  const std::string& ref = e.ref;
  switch (e.kind) {
    case Event::kLockWaiting:
      log::Info(e.message);
      break;
    case Event::kLockAcquired:
      log::Debug("migration lock acquired", {{"waited", Ms(e.duration)}});
      break;
    case Event::kLockGaveUp:
      log::Debug("stopped waiting for the migration lock",
                 {{"waited", Ms(e.duration)}, {"reason", e.message}});
      break;
    case Event::kStarted:
      log::Debug(e.message.empty() ? "applying" : e.message, {{"migration", ref}});
      break;
    case Event::kFinished:
      log::Info(e.message.empty() ? "applied" : e.message,
                {{"migration", ref}, {"duration", Ms(e.duration)}});
      break;
    case Event::kFailed:
      log::Error("failed", {{"migration", ref}, {"error", e.message}});
      break;
    case Event::kRetrying:
      log::Warning("retrying", {{"migration", ref}, {"reason", e.message}});
      break;
    case Event::kCleanedUp:
      log::Warning(e.message, {{"migration", ref}});
      break;
    case Event::kRepaired:
      log::Info("repaired", {{"migration", ref}, {"detail", e.message}});
      break;
    case Event::kReconnecting:
      log::Warning("connection to the primary lost; reconnecting (up to --connect-timeout)",
                   {{"error", e.message}});
      break;
    case Event::kReconnected:
      log::Info(e.message, {{"after", Ms(e.duration)}});
      break;
    case Event::kResolved:
      log::Warning(e.message, {{"migration", ref}});
      break;
  }
}

void Setup::Register(cli::FlagSet& flags, bool with_json) {
  db.Register(flags);
  common.Register(flags);
  if (with_json) flags.Bool("json", &json, "print the result as JSON");
}

int Fail(const std::string& command, const absl::Status& status) {
  std::cerr << command << ": error: " << log::Scrub(status.message()) << "\n";
  return errors::ExitCodeFor(status);
}

}  // namespace schemagate::commands
