// schemagate::sql — start here for SQL parsing.
//
// A thin, exception-free wrapper over libpg_query (PostgreSQL 15's own
// parser). Pure computation: no I/O, no database.
//
//   absl::StatusOr<sql::ParseTree> tree = sql::Parse("SELECT 1; SELECT 2");
//   if (!tree.ok()) return tree.status();   // INVALID_ARGUMENT, "1:8: ..."
//   for (const sql::Statement& s : tree->statements) Use(s.node, s.offset);
//
// Thread safety: every function may be called from any thread concurrently
// (libpg_query keeps its memory contexts per thread).
#ifndef SCHEMAGATE_SERVER_SQL_PARSER_H_
#define SCHEMAGATE_SERVER_SQL_PARSER_H_

#include "absl/strings/string_view.h"
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/sql/json_dom.h"

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

// One top-level statement of a parse.
struct Statement {
  // The statement's node, e.g. {"CreateStmt": {...}} (libpg_query's JSON
  // output format for PostgreSQL 15).
  nlohmann::json node;
  // Byte offset and length of the statement text in the parsed string
  // (leading whitespace and comments may be included, as PostgreSQL does).
  size_t offset = 0;
  size_t length = 0;
};

struct ParseTree {
  std::vector<Statement> statements;
};

// Parses `sql` (any number of statements). On a syntax error returns
// INVALID_ARGUMENT with "LINE:COL: <PostgreSQL's message>" where LINE:COL is
// the error cursor; the payload-free message never quotes the input beyond
// what PostgreSQL's message does. A NUL byte in the input is rejected with
// its position. Node locations ("location" members) are byte offsets into
// `sql`.
absl::StatusOr<ParseTree> Parse(absl::string_view sql);

// The same parse into a JsonDoc (several times faster than nlohmann::json;
// for the request path). Statement nodes point into `doc`.
struct DomStatement {
  const JsonNode* node = nullptr;  // {"SelectStmt": {...}}
  size_t offset = 0;
  size_t length = 0;
};
struct DomTree {
  JsonDoc doc;
  std::vector<DomStatement> statements;
};
absl::StatusOr<DomTree> ParseDom(absl::string_view sql);

// The byte ranges of the statements of `sql`, split by PostgreSQL's parser
// (so semicolons inside strings, dollar quotes and comments are handled).
// Empty statements are dropped. Errors as for Parse().
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
