// Flags and set-up shared by schemagate's subcommands.
#ifndef SCHEMAGATE_SERVER_MAIN_COMMON_H_
#define SCHEMAGATE_SERVER_MAIN_COMMON_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/catalog/catalog.h"
#include "server/catalog/embedded.h"
#include "server/migrate/db.h"
#include "server/migrate/engine.h"
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
  absl::Duration connect_timeout = absl::Seconds(60);
  std::string history_table = "schemagate.migrations";

  void Register(cli::FlagSet& flags);
  // Connects (retrying until --connect-timeout, logging each retry).
  absl::StatusOr<std::unique_ptr<migrate::Connection>> Open() const;
  // The connection settings without connecting (the URL resolved from the
  // flag, the environment or the file; the password registered as a
  // secret). INVALID_ARGUMENT (kUsage) when no database is given.
  absl::StatusOr<migrate::ConnectOptions> ConnectOptionsForServer() const;
  absl::StatusOr<migrate::HistoryName> History() const;
};

// The embedded catalog, narrowed by --features when given. Errors carry
// ErrorKind::kUsage. (Inline, so the reference to EmbeddedCatalogBytes()
// is in each binary's own objects, linked before the embedded library.)
absl::StatusOr<catalog::Catalog> LoadCatalogFrom(absl::string_view bytes,
                                                 const CommonFlags& common,
                                                 bool narrow);
inline absl::StatusOr<catalog::Catalog> LoadCatalog(const CommonFlags& common,
                                                    bool narrow) {
  return LoadCatalogFrom(catalog::EmbeddedCatalogBytes(), common, narrow);
}

// Prints `status` as "schemagate <command>: error: <message>" and returns
// its exit code.
int Fail(const std::string& command, const absl::Status& status);

}  // namespace schemagate::commands

#endif  // SCHEMAGATE_SERVER_MAIN_COMMON_H_
