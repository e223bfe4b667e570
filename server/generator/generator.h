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

#include "absl/strings/string_view.h"
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/catalog/checksum.h"
#include "server/catalog/features.h"
#include "server/generator/diagnostic.h"
#include "server/generator/tree.h"

namespace schemagate::generator {

// Checks the whole tree (every cluster, enabled or not, so a tree is valid
// or invalid independent of the features chosen) and builds the catalog of
// `features` (as written by users; "all" selects every plain cluster).
// Every problem found is added to `diagnostics`; any problem makes the
// result INVALID_ARGUMENT. `diagnostics` may already hold problems from
// ParseTree(), in which case only they are reported.
absl::StatusOr<v1::BuildCatalog> Generate(
    const SourceTree& tree, const std::vector<std::string>& features,
    Diagnostics* diagnostics);

// Lowercase hex SHA-256 of `bytes` (server/catalog/checksum.h).
using catalog::Sha256Hex;

// C++ source defining schemagate::catalog::EmbeddedCatalogBytes() (declared
// in server/catalog/embedded.h) that returns `catalog` serialized.
std::string EmitEmbeddedSource(const v1::BuildCatalog& catalog);

}  // namespace schemagate::generator

#endif  // SCHEMAGATE_SERVER_GENERATOR_GENERATOR_H_
