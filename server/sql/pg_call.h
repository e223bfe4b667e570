// Internal to server/sql: the one place that calls libpg_query's parse
// entry points. Every call makes the same input checks (CheckParserInput),
// hands libpg_query a NUL-terminated copy, turns its error into
// ParserError(), and frees its result on every path.
#ifndef SCHEMAGATE_SERVER_SQL_PG_CALL_H_
#define SCHEMAGATE_SERVER_SQL_PG_CALL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/sql/parser.h"

extern "C" {
#include <pg_query.h>
}

namespace schemagate::sql::internal {

// Runs `call` (pg_query_parse_protobuf, pg_query_scan, ...) on `sql` and
// returns use(result) (an absl::StatusOr), or the input check's or the
// parser's error; `release` frees the result either way.
template <typename Result, typename Use>
auto CallPgQuery(absl::string_view sql, bool check_utf8, Result (*call)(const char*),
                 void (*release)(Result), Use&& use) -> decltype(use(std::declval<Result&>())) {
  if (absl::Status s = CheckParserInput(sql, check_utf8); !s.ok()) return s;
  std::string text(sql);
  Result result = call(text.c_str());
  if (result.error != nullptr) {
    absl::Status status = ParserError(sql, result.error->cursorpos, result.error->message);
    release(result);
    return status;
  }
  auto out = use(result);
  release(result);
  return out;
}

// The statement ranges of a split result (a statement without a length
// runs to the end of `sql`).
inline std::vector<StatementRange> Ranges(const PgQuerySplitResult& result, absl::string_view sql) {
  std::vector<StatementRange> ranges;
  ranges.reserve(result.n_stmts);
  for (int i = 0; i < result.n_stmts; ++i) {
    StatementRange range;
    range.offset = static_cast<size_t>(result.stmts[i]->stmt_location);
    range.length = static_cast<size_t>(result.stmts[i]->stmt_len);
    if (range.length == 0 && range.offset < sql.size()) range.length = sql.size() - range.offset;
    ranges.push_back(range);
  }
  return ranges;
}

}  // namespace schemagate::sql::internal

#endif  // SCHEMAGATE_SERVER_SQL_PG_CALL_H_
