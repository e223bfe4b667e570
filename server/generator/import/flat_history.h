// Flat migration histories of other tools, read and ordered exactly as each
// tool orders them:
//   diesel          <version>_<name>/up.sql (+ down.sql, metadata.toml);
//                   version = the folder name before the first '_' with
//                   '-' removed (2017-09-23-182408_x -> "20170923182408"),
//                   ordered as strings (Diesel's MigrationVersion is a
//                   string and its harness sorts pending migrations by it);
//                   metadata.toml `run_in_transaction` (a metadata.toml
//                   without the key means false, as Diesel 2 reads it).
//   golang-migrate  <version>_<name>.up.<ext> / .down.<ext>; version an
//                   unsigned integer, ordered numerically.
//   flyway          V<version>__<description>.sql (U<version>__ = undo),
//                   searched recursively; version parts separated by '.' or
//                   '_', compared numerically part by part with missing
//                   parts as 0 ("1" == "1.0"); R__ repeatable migrations run
//                   after every versioned one, ordered by description.
//   sql             <number>[_<name>].sql, optional .up.sql / .down.sql;
//                   ordered numerically.
// ReadFlatFiles() is the only function here that touches the file system.
#ifndef SCHEMAGATE_SERVER_GENERATOR_IMPORT_FLAT_HISTORY_H_
#define SCHEMAGATE_SERVER_GENERATOR_IMPORT_FLAT_HISTORY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/generator/diagnostic.h"

namespace schemagate::generator::import {

enum class FlatFormat { kDiesel, kGolangMigrate, kFlyway, kSql };

// "diesel", "golang-migrate", "flyway", "sql" (the names used in
// `schemagate:imported-from` and on the command line).
const char* FormatName(FlatFormat format);
// INVALID_ARGUMENT naming the valid formats otherwise.
absl::StatusOr<FlatFormat> ParseFlatFormat(absl::string_view name);

struct FlatMigration {
  std::string version;    // as the tool records it in its history table
  std::string name;       // the slug or description of the file name
  std::string up_path;    // display paths: <source>/<relative path>
  std::string down_path;  // "" when there is no down file
  std::string up_sql;
  std::string down_sql;
  bool has_down = false;
  // false: the tool runs it outside a transaction (Diesel's metadata.toml).
  bool run_in_transaction = true;
  bool repeatable = false;  // Flyway R__ migrations
};

// The files of a flat folder: path relative to it ('/'-separated) ->
// contents. Only files the format can name are read.
using FlatFiles = std::map<std::string, std::string>;

// Reads the files of `dir` that `format` uses (recursively for Flyway).
// NOT_FOUND when `dir` is not a directory; UNAVAILABLE on read errors.
absl::StatusOr<FlatFiles> ReadFlatFiles(const std::string& dir, FlatFormat format);

// The flat history in the tool's own order. Problems (duplicate versions,
// a Diesel folder without up.sql, a down file without its up file, a
// version that does not fit the tool's rules) go to `diagnostics` as
// `file: error: ...`; what could be read is returned. `root` prefixes the
// display paths.
std::vector<FlatMigration> OrderFlat(FlatFormat format, const std::string& root,
                                     const FlatFiles& files, Diagnostics* diagnostics);

// Flyway's version comparison: numeric parts, missing parts are 0.
// Negative, zero or positive as a < b, a == b, a > b.
int CompareFlywayVersions(absl::string_view a, absl::string_view b);

}  // namespace schemagate::generator::import

#endif  // SCHEMAGATE_SERVER_GENERATOR_IMPORT_FLAT_HISTORY_H_
