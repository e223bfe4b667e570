// PostgreSQL parse trees as typed protobuf messages (libpg_query's
// pg_query.proto, generated for the lite runtime into
// "pg_query/pg_query.pb.h"), so field names are checked by the compiler.
// Every parse-tree consumer uses these: the generator, imports, and the
// request path's query check (server/catalog/query.cc).
//
//   absl::StatusOr<sql::ProtoTree> tree = sql::ParseProto("SELECT 1");
//   for (const sql::ProtoStatement& s : tree->statements) {
//     if (s.node->has_create_stmt()) ...   // s.offset/length: its text
//   }
//
// Thread safety: as parser.h (any thread, concurrently).
#ifndef SCHEMAGATE_SERVER_SQL_PG_PROTO_H_
#define SCHEMAGATE_SERVER_SQL_PG_PROTO_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/arena.h"
#include "pg_query/pg_query.pb.h"
#include "server/sql/parser.h"

namespace schemagate::sql {

struct ProtoStatement {
  const pg_query::Node* node = nullptr;  // points into ProtoTree::result
  // Byte range of the statement in the parsed text (leading whitespace and
  // comments after the previous statement included, as PostgreSQL does).
  size_t offset = 0;
  size_t length = 0;
};

// Move-only; statement nodes stay valid when it moves.
struct ProtoTree {
  // The messages live on the arena (a few blocks instead of one allocation
  // per node); `result` points into it.
  std::unique_ptr<google::protobuf::Arena> arena;
  const pg_query::ParseResult* result = nullptr;
  std::vector<ProtoStatement> statements;
};

// The deepest parse tree ParseProto() reads, in protobuf message levels.
// PostgreSQL's parser stops at ~10,000 levels of its own (its Bison stack),
// which libpg_query's protobuf form nests at most twice as deep; protobuf's
// default limit (100) would refuse ordinary SQL.
inline constexpr int kMaxProtoTreeDepth = 25000;

// Parses `sql` (any number of statements). Errors (parser.h):
// CheckParserInput() refuses NUL bytes and invalid UTF-8 with their
// position; ParserError() is INVALID_ARGUMENT "LINE:COL: <PostgreSQL's
// message>". Node `location` fields are byte offsets into `sql`.
// INTERNAL only if libpg_query's output does not read as a ParseResult.
absl::StatusOr<ProtoTree> ParseProto(absl::string_view sql);

// The tokens of `sql` as PostgreSQL's scanner sees them (works on text that
// does not parse). Errors: INVALID_ARGUMENT "LINE:COL: message".
absl::StatusOr<pg_query::ScanResult> Scan(absl::string_view sql);

// Byte ranges of the statements of `sql`, split by the scanner: works on
// text that does not parse (PostgreSQL's parser is not consulted).
using ScannedRange = StatementRange;
absl::StatusOr<std::vector<ScannedRange>> SplitWithScanner(absl::string_view sql);

// The text of a String node list ("public", "users") as a catalog name:
// "users" in public, "schema.name" elsewhere ("" for an empty list).
std::string QualifiedName(const google::protobuf::RepeatedPtrField<pg_query::Node>& names);
// The same for a RangeVar.
std::string RelationName(const pg_query::RangeVar& rel);
// The string of a String node ("" for any other node).
std::string StringOf(const pg_query::Node& node);

}  // namespace schemagate::sql

#endif  // SCHEMAGATE_SERVER_SQL_PG_PROTO_H_
