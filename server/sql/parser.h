// schemagate::sql — start here for SQL parsing.
//
// A thin, exception-free wrapper over libpg_query (PostgreSQL 15's own
// parser). Pure computation: no I/O, no database. Parse trees come as typed
// protobuf messages from pg_proto.h:
//
//   absl::StatusOr<sql::ProtoTree> tree = sql::ParseProto("SELECT 1; SELECT 2");
//   if (!tree.ok()) return tree.status();   // INVALID_ARGUMENT, "1:8: ..."
//   for (const sql::ProtoStatement& s : tree->statements) Use(*s.node, s.offset);
//
// This header has what works on SQL text: positions, statement ranges, the
// statements of a PL/pgSQL body, and the input checks every entry point
// makes.
//
// Thread safety: every function may be called from any thread concurrently
// (libpg_query keeps its memory contexts per thread).
#ifndef SCHEMAGATE_SERVER_SQL_PARSER_H_
#define SCHEMAGATE_SERVER_SQL_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schemagate::sql {

// A 1-based position in a text.
struct LineCol {
  int line = 1;
  int column = 1;
};

// The line and column of byte `offset` of `text` (clamped to the text).
// O(offset); use LineIndex for many lookups in one text.
LineCol PositionOf(absl::string_view text, size_t offset);

// Line starts of a text, for O(log n) PositionOf. `text` must outlive it.
class LineIndex {
 public:
  explicit LineIndex(absl::string_view text);
  LineCol PositionOf(size_t offset) const;

 private:
  absl::string_view text_;
  std::vector<size_t> starts_;
};

// The offset of the first token at or after `offset`: whitespace and SQL
// comments (-- and /* */) skipped, as a statement's range starts with them.
size_t SkipSpaceAndComments(absl::string_view text, size_t offset);

// The position of the first byte that is not valid UTF-8, if any.
bool FindInvalidUtf8(absl::string_view text, size_t* offset);

// The checks every parse entry point makes before libpg_query sees `sql`
// (which stops at a NUL byte): INVALID_ARGUMENT "LINE:COL: SQL contains a NUL
// byte (offset N)", and with `check_utf8` "LINE:COL: SQL is not valid UTF-8
// (offset N)".
absl::Status CheckParserInput(absl::string_view sql, bool check_utf8);

// libpg_query's error as INVALID_ARGUMENT "LINE:COL: <PostgreSQL's message>",
// LINE:COL the error cursor (`cursorpos`: 1-based byte offset, 0 for none).
// The message never quotes the input beyond what PostgreSQL's does.
absl::Status ParserError(absl::string_view sql, int cursorpos, const char* message);

// The byte ranges of the statements of `sql`, split by PostgreSQL's parser
// (so semicolons inside strings, dollar quotes and comments are handled).
// Empty statements are dropped. Errors: CheckParserInput() (NUL bytes
// only), ParserError().
struct StatementRange {
  size_t offset = 0;
  size_t length = 0;
};
absl::StatusOr<std::vector<StatementRange>> Split(absl::string_view sql);

// The SQL statements a PL/pgSQL body (a DO block's or a function's) runs,
// in the order they are written, every branch included: its embedded
// statements, and the text of `EXECUTE '<constant string>'`. Dynamic SQL
// built at run time (format(), concatenation of variables) is not listed.
// INVALID_ARGUMENT when the body is not valid PL/pgSQL.
absl::StatusOr<std::vector<std::string>> PlpgsqlStatements(absl::string_view body);

}  // namespace schemagate::sql

#endif  // SCHEMAGATE_SERVER_SQL_PARSER_H_
