// Flags and set-up shared by schemagate's subcommands.
#ifndef SCHEMAGATE_SERVER_MAIN_COMMON_H_
#define SCHEMAGATE_SERVER_MAIN_COMMON_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/catalog/catalog.h"
#include "server/catalog/embedded.h"
#include "server/migrate/db.h"
#include "server/migrate/engine.h"
#include "server/migrate/unmanaged.h"
#include "server/util/cli.h"

namespace schemagate::commands {

// --features (runtime narrowing), --log-format, --log-level.
struct CommonFlags {
  std::vector<std::string> features;
  std::string log_format = "text";
  std::string log_level = "info";

  void Register(cli::FlagSet& flags);
  // Configures logging; INVALID_ARGUMENT on a bad value.
  absl::Status Apply() const;
};

// --database-url / DATABASE_URL, --database-url-file, --connect-timeout,
// --history-table.
struct DatabaseFlags {
  std::string url;
  std::string url_file;
  // The flags' name in messages ("--database-url", "--database-url-file").
  std::string flag = "database-url";
  absl::Duration connect_timeout = absl::Seconds(60);
  std::string history_table = "schemagate.migrations";
  // Set by the commands that change the database (migrate, rollback,
  // repair, adopt): a URL whose target_session_attrs asks for a standby is
  // refused (kUsage). Otherwise such a URL makes reads accept a standby,
  // and any other URL wants the primary (a standby is waited out).
  bool needs_primary = false;

  void Register(cli::FlagSet& flags);
  // Connects (retrying until --connect-timeout, logging each retry).
  absl::StatusOr<std::unique_ptr<migrate::Connection>> Open() const;
  // The connection settings without connecting (the URL resolved from the
  // flag, the environment or the file; the password registered as a
  // secret). INVALID_ARGUMENT (kUsage) when no database is given.
  absl::StatusOr<migrate::ConnectOptions> ConnectOptionsForServer() const;
  absl::StatusOr<migrate::HistoryName> History() const;
};

// The engine's flags of every command that applies migrations (migrate,
// fleet migrate): --lock-wait-timeout, --lock-timeout, --lock-retries,
// --lock-mode, --allow-unknown-applied, --max-blocking-rows.
struct EngineFlags {
  absl::Duration lock_wait = absl::Minutes(10);
  absl::Duration lock_timeout = absl::Seconds(5);
  int64_t lock_retries = 5;
  int64_t max_blocking_rows = -1;
  std::string lock_mode = "session";
  bool allow_unknown = false;

  void Register(cli::FlagSet& flags);
  // The engine's options for `history`; kUsage on a bad value.
  absl::StatusOr<migrate::EngineOptions> Options(const migrate::HistoryName& history) const;
};

// --max-blocking-rows (plan, migrate, fleet migrate).
void RegisterMaxBlockingRows(cli::FlagSet& flags, int64_t* target);

// Unmanaged tables (server/migrate/unmanaged.h) for status and adopt: one
// line each under a heading (nothing when there are none), and as JSON
// [{"table", "cluster", "compiled", "enable_features"}].
void PrintUnmanaged(const std::vector<migrate::UnmanagedTable>& tables);
nlohmann::ordered_json UnmanagedJson(const std::vector<migrate::UnmanagedTable>& tables);

// "123ms".
std::string Ms(absl::Duration d);

// Logs engine progress (lock waits, each migration) for the one-shot
// commands.
void PrintProgress(const migrate::Event& e);

// Flags shared by every database subcommand: the database, --features,
// logging and (optionally) --json.
struct Setup {
  CommonFlags common;
  DatabaseFlags db;
  bool json = false;

  void Register(cli::FlagSet& flags, bool with_json);
};

// What a database subcommand works with.
struct Session {
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<migrate::Connection> conn;
  migrate::HistoryName history;

  // An engine on this session's catalog, connection and history (other
  // options default), for the commands that read or repair.
  migrate::Engine Engine() const {
    migrate::EngineOptions options;
    options.history = history;
    return migrate::Engine(*catalog, conn.get(), options);
  }
};

// The embedded catalog, narrowed by --features when given. Errors carry
// ErrorKind::kUsage. (Inline, so the reference to EmbeddedCatalogBytes()
// is in each binary's own objects, linked before the embedded library.)
absl::StatusOr<catalog::Catalog> LoadCatalogFrom(absl::string_view bytes, const CommonFlags& common,
                                                 bool narrow);
inline absl::StatusOr<catalog::Catalog> LoadCatalog(const CommonFlags& common, bool narrow) {
  return LoadCatalogFrom(catalog::EmbeddedCatalogBytes(), common, narrow);
}

// Applies the logging flags, loads the catalog (narrowed when --features
// was given), parses --history-table and connects. (Inline for the same
// reason as LoadCatalog.)
// With `defer_catalog` the session has no catalog yet: LoadSessionCatalog
// adds it (for a command that may finish without it, see Migrate).
inline absl::StatusOr<Session> Start(const Setup& setup, const cli::FlagSet& flags,
                                     bool defer_catalog = false) {
  if (absl::Status s = setup.common.Apply(); !s.ok()) return s;
  std::unique_ptr<catalog::Catalog> loaded;
  if (!defer_catalog) {
    absl::StatusOr<catalog::Catalog> catalog = LoadCatalog(setup.common, flags.IsSet("features"));
    if (!catalog.ok()) return catalog.status();
    loaded = std::make_unique<catalog::Catalog>(*std::move(catalog));
  }
  absl::StatusOr<migrate::HistoryName> history = setup.db.History();
  if (!history.ok()) return history.status();
  absl::StatusOr<std::unique_ptr<migrate::Connection>> conn = setup.db.Open();
  if (!conn.ok()) return conn.status();
  Session session;
  session.catalog = std::move(loaded);
  session.conn = *std::move(conn);
  session.history = *history;
  return session;
}
inline absl::Status LoadSessionCatalog(Session& session, const Setup& setup,
                                       const cli::FlagSet& flags) {
  if (session.catalog != nullptr) return absl::OkStatus();
  absl::StatusOr<catalog::Catalog> catalog = LoadCatalog(setup.common, flags.IsSet("features"));
  if (!catalog.ok()) return catalog.status();
  session.catalog = std::make_unique<catalog::Catalog>(*std::move(catalog));
  return absl::OkStatus();
}

// Prints `status` as "schemagate <command>: error: <message>" and returns
// its exit code.
int Fail(const std::string& command, const absl::Status& status);

}  // namespace schemagate::commands

#endif  // SCHEMAGATE_SERVER_MAIN_COMMON_H_
