// `-- schemagate:<verb> <arguments>` directives of migration files: the one
// scanner that the generator (which checks them) and the engine (which
// reads `irreversible` from a down.sql stored in the history) share.
// Pure; thread-safe.
//
//   for (const DirectiveLine& d : ScanDirectives(up_sql)) {
//     if (d.verb == "no-transaction" && d.in_header) ...
//   }
#ifndef SCHEMAGATE_SERVER_CATALOG_DIRECTIVES_H_
#define SCHEMAGATE_SERVER_CATALOG_DIRECTIVES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace schemagate::catalog {

struct DirectiveLine {
  int line = 0;      // 1-based
  std::string verb;  // "requires", "no-transaction", "imported-from", ...
  std::string args;  // the rest of the line, trimmed
  // In the leading block of blank and `--` comment lines, where directives
  // are read; a directive below the first statement is an error.
  bool in_header = true;
};

// Every `-- schemagate:` comment line of `sql`, in order.
std::vector<DirectiveLine> ScanDirectives(absl::string_view sql);

// The reason given by `-- schemagate:irreversible <reason>` at the top of a
// down.sql, or "" when the migration can be rolled back.
std::string IrreversibleReason(absl::string_view down_sql);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_DIRECTIVES_H_
