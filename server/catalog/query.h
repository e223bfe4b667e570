// SQL query checks: hand over the SQL you are about to run and get, for
// every relation it references, whether it is available in this build, and
// for every join condition, whether it matches a catalog foreign key.
// Parsed with libpg_query (PostgreSQL 15's parser); no database.
//
//   absl::StatusOr<QueryResult> r = AnalyzeQuery(graph,
//       "SELECT * FROM tasks t JOIN users u ON t.assignee_id = u.id");
//   r->tables[1].lookup.state == TableState::kAvailable
//   r->conditions[0].foreign_key == "tasks_assignee_id_fkey"
//
// Relations are found in FROM and JOIN items, subqueries, CTE bodies (a
// CTE's own name is not a table), INSERT/UPDATE/DELETE/MERGE targets and
// USING lists, and any other statement's relation references. Conditions
// are `a.x = b.y` equalities (aliases resolved; unqualified columns when
// exactly one table in scope has them) and JOIN ... USING / NATURAL columns.
//
// Errors: INVALID_ARGUMENT with "LINE:COL: PostgreSQL's message" for SQL
// that does not parse; INVALID_ARGUMENT for empty input or nesting deeper
// than kMaxQueryDepth. Thread-safe (pure). Reads libpg_query's typed parse
// tree (sql::ParseProto).
#ifndef SCHEMAGATE_SERVER_CATALOG_QUERY_H_
#define SCHEMAGATE_SERVER_CATALOG_QUERY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/catalog/join.h"
#include "server/sql/pg_proto.h"

namespace schemagate::catalog {

struct QueryTable {
  std::string name;                      // as written ("public.tasks", "Tasks")
  TableLookup lookup;                    // lookup.name is the catalog's name when known
  std::vector<std::string> suggestions;  // for unknown tables
  std::vector<std::string> aliases;
  // "read", "insert", "update", "delete", "merge" or "reference" (other
  // statements, e.g. DDL), the strongest use in the query.
  std::string role;
  int statement = 0;  // 0-based index of the first statement using it
  int line = 0;       // first occurrence, 1-based
  int column = 0;
  TableStatus status() const;
};

struct QueryCondition {
  std::string left_table, left_column, right_table, right_column;
  std::string text;  // "t.assignee_id = u.id" as written
  // The foreign key the equality follows (empty when none).
  std::string foreign_key;
  bool matches_foreign_key = false;
  int statement = 0;
  int line = 0, column = 0;
};

enum class QueryVerdict {
  kOk,        // every table available; every join condition follows a key
  kWarnings,  // available, but see messages (non-key join conditions, ...)
  kInvalid,   // a table is unknown or in a disabled cluster
};
const char* ToString(QueryVerdict v);

struct QueryResult {
  int statements = 0;
  std::vector<QueryTable> tables;  // in order of first appearance
  std::vector<QueryCondition> conditions;
  std::vector<std::string> messages;
  QueryVerdict verdict = QueryVerdict::kOk;
};

// Deeper nesting than this (in parse-tree levels) is refused.
inline constexpr int kMaxQueryDepth = 2000;

absl::StatusOr<QueryResult> AnalyzeQuery(const JoinGraph& graph, absl::string_view sql);

// AnalyzeQuery of SQL already parsed (sql::ParseProto(sql) == `tree`): one
// parse checked against several catalogs.
absl::StatusOr<QueryResult> AnalyzeParsedQuery(const JoinGraph& graph, absl::string_view sql,
                                               const sql::ProtoTree& tree);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_QUERY_H_
