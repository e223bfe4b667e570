// schemagate::generator — start here for the build-time generator.
//
// Reads a migrations tree, checks it (shape, SQL that parses, the gating
// rule, ordering), derives the catalog for one feature set from PostgreSQL's
// own parser, and renders it as C++ source to embed in the binaries. Only
// the enabled clusters' SQL and definitions are embedded; other clusters of
// the tree appear only as keyed hashes of their table names and hex-encoded
// cluster names (see proto/schemagate/v1/catalog.proto).
//
//   Diagnostics diagnostics;
//   absl::StatusOr<TreeFiles> files = ReadTreeFiles("migrations");
//   SourceTree tree = ParseTree("migrations", *files, &diagnostics);
//   absl::StatusOr<v1::BuildCatalog> catalog =
//       Generate(tree, {"tasks"}, &diagnostics);   // errors: file:line: ...
//   std::string cc = EmitEmbeddedSource(*catalog);
//   auto headers = EmitSchemaHeaders(*catalog);   // schema_headers.h: the
//                                                 // consumers' C++ headers
//
// Thread-compatible; no global state.
#ifndef SCHEMAGATE_SERVER_GENERATOR_GENERATOR_H_
#define SCHEMAGATE_SERVER_GENERATOR_GENERATOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/catalog/checksum.h"
#include "server/catalog/features.h"
#include "server/generator/diagnostic.h"
#include "server/generator/schema_oracle.h"
#include "server/generator/tree.h"

namespace schemagate::generator {

// Checks the whole tree (every cluster, enabled or not, so a tree is valid
// or invalid independent of the features chosen) and builds the catalog of
// `features` (as written by users; "all" selects every plain cluster).
// Every problem found is added to `diagnostics`; any problem makes the
// result INVALID_ARGUMENT. `diagnostics` may already hold problems from
// ParseTree(), in which case only they are reported.
//
// The catalog comes from a static replay of the migrations' parse trees.
// Where that replay cannot know the result (a DO block or a function that
// changes the schema, CREATE TABLE AS of an untyped expression), each such
// statement is a warning — unless `oracle` is given: then the enabled
// clusters' migrations are applied to it, one by one, and the catalog's
// tables are read from it (exact; a migration that fails there is an
// error). `oracle` may be null; it is used only when needed. When
// `unmodelled` is given it receives the number of such statements.
absl::StatusOr<v1::BuildCatalog> Generate(const SourceTree& tree,
                                          const std::vector<std::string>& features,
                                          Diagnostics* diagnostics, SchemaOracle* oracle = nullptr,
                                          int* unmodelled = nullptr);

// The lock lint (docs/LINT.md): each statement's lock on tables that existed
// before its migration, and a finding where it blocks the application, fails
// at apply time or breaks the previous build's replicas. kWarn (the default)
// reports findings as warnings (apply-time failures are errors), kError
// makes every unacknowledged finding an error, kOff reports nothing. The
// locks of the enabled migrations are in the catalog (Migration.locks)
// whatever the mode.
enum class LintMode { kOff, kWarn, kError };
// "off", "warn", "error".
absl::StatusOr<LintMode> ParseLintMode(absl::string_view text);

struct GenerateOptions {
  SchemaOracle* oracle = nullptr;  // see above; may be null
  LintMode lint = LintMode::kWarn;
  int* unmodelled = nullptr;  // out: statements the static replay could not model
  // out: when given, a JSON report of the lint (every migration of the
  // tree: each statement's tables, those that existed before it, and the
  // locks and findings), for comparing linters (scripts/lint-compare.sh).
  std::string* lint_report = nullptr;
};
absl::StatusOr<v1::BuildCatalog> Generate(const SourceTree& tree,
                                          const std::vector<std::string>& features,
                                          Diagnostics* diagnostics, const GenerateOptions& options);

// Lowercase hex SHA-256 of `bytes` (server/catalog/checksum.h).
using catalog::Sha256Hex;

// C++ source defining schemagate::catalog::EmbeddedCatalogBytes() (declared
// in server/catalog/embedded.h) that returns `catalog` serialized. With
// `binary_path` (an absolute path where `catalog` is written serialized)
// the bytes are taken in by the assembler's .incbin, which costs nothing
// to compile at any size; without, they are a C++ array in the source.
std::string EmitEmbeddedSource(const v1::BuildCatalog& catalog, absl::string_view binary_path = "");

}  // namespace schemagate::generator

#endif  // SCHEMAGATE_SERVER_GENERATOR_GENERATOR_H_
