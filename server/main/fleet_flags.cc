#include "server/main/fleet_flags.h"

#include "absl/strings/str_cat.h"
#include "server/main/common.h"
#include "server/util/errors.h"

namespace schemagate::commands {

void TargetSetFlags::Register(cli::FlagSet& flags) {
  flags.String("targets", &file,
               "the target set: a text-format schemagate.v1.TargetSet file "
               "(target { id database_url_file features labels wave }; docs/FLEETS.md)",
               "SCHEMAGATE_TARGETS");
  flags.String("targets-query", &query,
               "targets from SQL run on the control database, returning the columns "
               "id, database_url or database_url_file, features, labels, wave (merged "
               "with --targets when both are given)",
               "SCHEMAGATE_TARGETS_QUERY");
  flags.String("control-database-url", &control_url,
               "the control database of --targets-query (libpq URI; prefer "
               "--control-database-url-file)",
               "SCHEMAGATE_CONTROL_DATABASE_URL");
  flags.String("control-database-url-file", &control_url_file,
               "read the control database's URI from this file",
               "SCHEMAGATE_CONTROL_DATABASE_URL_FILE");
}

absl::StatusOr<fleet::TargetSource> TargetSetFlags::Source(absl::Duration connect_timeout,
                                                           absl::Duration statement_timeout) const {
  fleet::TargetSource source;
  source.file = file;
  source.query = query;
  source.statement_timeout = statement_timeout;
  const bool control = !control_url.empty() || !control_url_file.empty();
  if (query.empty() && control) {
    return errors::WithKind(
        absl::InvalidArgumentError("--control-database-url(-file) needs --targets-query"),
        errors::ErrorKind::kUsage);
  }
  if (!query.empty()) {
    DatabaseFlags db;
    db.url = control_url;
    db.url_file = control_url_file;
    db.flag = "control-database-url";
    db.connect_timeout = connect_timeout;
    absl::StatusOr<migrate::ConnectOptions> options = db.ConnectOptionsForServer();
    if (!options.ok()) return options.status();
    source.control = *std::move(options);
    source.control.application_name = "schemagate-targets";
  }
  return source;
}

}  // namespace schemagate::commands
