// The migrations tree: reading it from disk and checking its shape.
//
// Format (the contract for any application's tree; docs/TREE_FORMAT.md):
//   <root>/<cluster>/cluster.textproto       schemagate.v1.ClusterManifest
//   <root>/<cluster>/<version>_<name>/up.sql
//   <root>/<cluster>/<version>_<name>/down.sql
// Directives in comment lines at the top of up.sql:
//   -- schemagate:requires <cluster>/<version>
//   -- schemagate:no-transaction
//   -- schemagate:imported-from <format> <version>
// and at the top of down.sql:
//   -- schemagate:irreversible <reason>
//
// ReadTreeFiles() is the only function here that touches the file system;
// ParseTree() is pure, so tests can feed it an in-memory tree.
#ifndef SCHEMAGATE_SERVER_GENERATOR_TREE_H_
#define SCHEMAGATE_SERVER_GENERATOR_TREE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "schemagate/v1/manifest.pb.h"
#include "server/catalog/order.h"
#include "server/generator/diagnostic.h"

namespace schemagate::generator {

// The raw contents of a tree: paths relative to the root, '/'-separated.
struct TreeFiles {
  std::map<std::string, std::string> files;
  std::set<std::string> dirs;
};

// Reads <root>/<cluster>/cluster.textproto and
// <root>/<cluster>/<migration>/{up,down}.sql, and records every directory
// at depth 1 and 2 (hidden entries, starting with '.', are skipped).
// NOT_FOUND when `root` is not a directory; UNAVAILABLE on read errors.
absl::StatusOr<TreeFiles> ReadTreeFiles(const std::string& root);

// A flat migration of another tool (`schemagate:imported-from`).
struct ImportedFromRef {
  std::string format;   // diesel, golang-migrate, flyway, sql
  std::string version;  // as that tool records it
};

struct Directives {
  std::vector<catalog::MigrationKey> requires_;
  std::vector<int> requires_lines;  // 1-based line of each requires_
  bool no_transaction = false;
  std::vector<ImportedFromRef> imported_from;
};

// Directives of a down.sql: only `schemagate:irreversible <reason>`.
struct DownDirectives {
  std::string irreversible;  // the reason; empty when reversible
};

// Reads the directives of an up.sql: the leading block of blank lines and
// `--` comment lines. Errors (file:line): an unknown `schemagate:`
// directive, a malformed argument, a directive below the first statement.
Directives ParseDirectives(absl::string_view up_sql, const std::string& path,
                           Diagnostics* diagnostics);
// The same for a down.sql, where only `irreversible` (with a reason) is
// allowed.
DownDirectives ParseDownDirectives(absl::string_view down_sql, const std::string& path,
                                   Diagnostics* diagnostics);

struct SourceMigration {
  uint64_t version = 0;
  std::string version_text;  // "0002"
  std::string name;          // slug
  std::string rel_dir;       // "tasks/0002_priority"
  std::string up_path;       // display path: root + "/" + rel
  std::string down_path;
  std::string up_sql;
  std::string down_sql;
  Directives directives;
  DownDirectives down_directives;
};

struct SourceCluster {
  std::string name;  // the folder name
  std::string manifest_path;
  v1::ClusterManifest manifest;
  // 1-based lines of fields in the manifest, for messages (0 = unknown).
  int name_line = 0;
  std::vector<int> depends_on_lines;
  std::vector<int> requires_features_lines;
  std::vector<SourceMigration> migrations;  // by version
};

struct SourceTree {
  std::string root;                     // display path, e.g. "migrations"
  std::vector<SourceCluster> clusters;  // by name

  const SourceCluster* Find(absl::string_view name) const;
};

// Checks the tree's shape and manifests: cluster and migration folder names,
// manifests that parse and name their folder, depends_on and
// requires_features naming existing clusters, no dependency on a bridge, no
// duplicate versions, up.sql and down.sql present, UTF-8 text, directives
// well-formed and `requires` naming migrations that exist. Problems go to
// `diagnostics` (file:line); the returned tree holds what could be read.
SourceTree ParseTree(const std::string& root, const TreeFiles& files, Diagnostics* diagnostics);

// Is `name` a valid cluster name ([a-z][a-z0-9_]*, at most 48 bytes)?
bool IsValidClusterName(absl::string_view name);

}  // namespace schemagate::generator

#endif  // SCHEMAGATE_SERVER_GENERATOR_TREE_H_
