// The flags that name a target set (docs/FLEETS.md), shared by `schemagate
// fleet` and `schemagate serve --targets`: --targets FILE, --targets-query
// SQL with --control-database-url / --control-database-url-file.
#ifndef SCHEMAGATE_SERVER_MAIN_FLEET_FLAGS_H_
#define SCHEMAGATE_SERVER_MAIN_FLEET_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/fleet/targets.h"
#include "server/util/cli.h"

namespace schemagate::commands {

struct TargetSetFlags {
  std::string file;
  std::string query;
  std::string control_url;
  std::string control_url_file;

  void Register(cli::FlagSet& flags);
  bool given() const { return !file.empty() || !query.empty(); }
  // The source (the control database's password registered as a secret).
  // kUsage when --targets-query has no control database, or the reverse.
  absl::StatusOr<fleet::TargetSource> Source(absl::Duration connect_timeout,
                                             absl::Duration statement_timeout) const;
};

}  // namespace schemagate::commands

#endif  // SCHEMAGATE_SERVER_MAIN_FLEET_FLAGS_H_
