// The relations a statement of a no-transaction migration creates or drops,
// by name (parsed with PostgreSQL's parser), so that a failed or interrupted
// run undoes only what it did: down.sql's DROP of an object runs only if
// this run created it, its CREATE of an object only if this run dropped it,
// and nothing else of down.sql runs (engine.h).
//
// Pure; thread-safe.
#ifndef SCHEMAGATE_SERVER_MIGRATE_OBJECTS_H_
#define SCHEMAGATE_SERVER_MIGRATE_OBJECTS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace schemagate::migrate {

// A relation (table, index, view, materialized view, sequence) as SQL names
// it: `schema` is "" when the statement does not qualify it (then an index
// lives in its table's schema, anything else in the first schema of the
// search_path). `table` is an index's table, as written.
struct RelationName {
  std::string schema;
  std::string name;
  std::string table;

  // Same name, and the same schema unless one of them is not written.
  bool Matches(const RelationName& other) const;
  // For the in-progress journal: "schema\x1fname\x1ftable".
  std::string Encode() const;
  static RelationName Decode(absl::string_view text);
  // "schema.name" or "name", for messages.
  std::string Display() const;
};

struct StatementObjects {
  std::vector<RelationName> creates;
  std::vector<RelationName> drops;
  // The statement does something else too (or only): ALTER, REINDEX, DML,
  // anything not a plain CREATE/DROP of relations. Undoing it is not
  // derived from names.
  bool other = false;
};

// What one statement creates and drops. A statement that does not parse
// counts as `other`.
StatementObjects ObjectsOf(absl::string_view statement);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_OBJECTS_H_
