// schemagate::import — start here for `schemagate-gen import`: another
// tool's flat migration history (Diesel, golang-migrate, Flyway, numbered
// SQL files) and an import map in, a schemagate tree out.
//
//   Diagnostics diagnostics;
//   absl::StatusOr<FlatFiles> files = ReadFlatFiles("migrations", FlatFormat::kDiesel);
//   ImportResult r = Import({FlatFormat::kDiesel, "migrations", *files,
//                            "map.textproto", map_text}, &diagnostics);
//   if (diagnostics.empty()) WriteTree(r.tree, "tree");   // else: nothing
//   std::cout << ReportText(r.report, diagnostics);
//
// Every statement of every up and down file is assigned to the cluster that
// owns what it touches (assign.h); a flat migration that touches several
// clusters becomes one migration per cluster, each recording where it came
// from (`-- schemagate:imported-from`). The result is checked by the
// generator itself (every feature set must build) before it is returned.
// Pure apart from ReadFlatFiles() and WriteTree(); thread-compatible.
#ifndef SCHEMAGATE_SERVER_GENERATOR_IMPORT_IMPORT_H_
#define SCHEMAGATE_SERVER_GENERATOR_IMPORT_IMPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/generator/diagnostic.h"
#include "server/generator/import/flat_history.h"
#include "server/generator/tree.h"

namespace schemagate::generator::import {

struct ImportRequest {
  FlatFormat format = FlatFormat::kSql;
  std::string source;  // display path of the flat folder
  FlatFiles files;
  std::string map_path;
  std::string map_text;
};

struct ImportedMigration {
  std::string dir;  // "tasks/0005_add_due"
  std::string cluster;
  uint64_t version = 0;
  std::string from_version;  // the flat migration's version
  std::string from_path;     // its up file
  int statements = 0;
  bool no_transaction = false;
  std::string irreversible;            // the reason, when it cannot be rolled back
  std::vector<std::string> requires_;  // "mail/0005"
};

struct InferredDependency {
  std::string cluster;   // the dependency
  std::string evidence;  // "file:line: CREATE TABLE tasks references users"
};

struct ClusterReport {
  std::string name;
  std::string description;
  bool bridge = false;
  bool explicit_dependencies = false;  // depends_on given in the map
  std::vector<std::string> depends_on;
  std::vector<InferredDependency> inferred;
  std::vector<std::string> tables;      // final names, creation order
  std::vector<std::string> migrations;  // dirs
};

struct CrossForeignKey {
  std::string table, table_cluster;
  std::string references, references_cluster;
  std::string constraint;
  std::string at;  // file:line
};

// A statement whose cluster was chosen from evidence that may be wrong:
// the tables named in a DO block or function body, a string constant, or
// a choice between clusters that do not depend on each other yet.
struct Guess {
  std::string at;    // file:line
  std::string what;  // "DO", "CREATE FUNCTION touch_updated_at", ...
  std::string cluster;
  std::string reason;
};

struct ImportReport {
  std::string format;
  std::string source;
  std::string map;
  int flat_migrations = 0;
  int statements = 0;
  std::vector<ClusterReport> clusters;        // in dependency order
  std::vector<ImportedMigration> migrations;  // in apply order of the flat history
  std::vector<CrossForeignKey> cross_feature_foreign_keys;
  std::vector<Guess> guesses;
};

struct ImportResult {
  TreeFiles tree;  // relative paths -> contents; empty on errors
  ImportReport report;
};

// Imports `request`. Errors and warnings go to `diagnostics` (file:line:
// error: ...); on any error the returned tree is empty.
ImportResult Import(const ImportRequest& request, Diagnostics* diagnostics);

// The report as text (clusters, dependencies, cross-feature keys, guesses,
// then every problem as file:line: error/warning: ...) and as JSON.
std::string ReportText(const ImportReport& report, const Diagnostics& diagnostics);
std::string ReportJson(const ImportReport& report, const Diagnostics& diagnostics);

// Writes `tree` into `dir`, which must not exist or be empty: into a
// temporary sibling first, renamed into place at the end, so a failure
// leaves nothing partial. FAILED_PRECONDITION when `dir` holds files;
// UNAVAILABLE on I/O errors.
absl::Status WriteTree(const TreeFiles& tree, const std::string& dir);

}  // namespace schemagate::generator::import

#endif  // SCHEMAGATE_SERVER_GENERATOR_IMPORT_IMPORT_H_
