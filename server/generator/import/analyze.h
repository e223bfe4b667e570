// What each statement of a flat migration does, in terms of named objects:
// what it creates, which object it is about, and every table, type,
// function, index, constraint and column it names. Pure: SQL in, facts out.
// The import assigns statements to clusters from these facts
// (assign.h); nothing here knows the map or the history.
#ifndef SCHEMAGATE_SERVER_GENERATOR_IMPORT_ANALYZE_H_
#define SCHEMAGATE_SERVER_GENERATOR_IMPORT_ANALYZE_H_

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schemagate::generator::import {

enum class ObjKind {
  kRelation,  // table, view, materialized view, sequence, composite type
  kType,      // enum, domain, range, base type
  kFunction,  // function, procedure, aggregate (by name; overloads are one)
  kIndex,
  kConstraint,  // `table` set
  kColumn,      // `table` set
  kTrigger,     // `table` set
  kPolicy,      // `table` set
  kRule,        // `table` set
};

// Names are as the generator writes them: "t" in public, "s.t" elsewhere.
struct Obj {
  ObjKind kind = ObjKind::kRelation;
  std::string name;
  std::string table;  // the relation a column/constraint/trigger/policy/rule is on

  friend bool operator<(const Obj& a, const Obj& b) {
    return std::tie(a.kind, a.name, a.table) < std::tie(b.kind, b.name, b.table);
  }
  friend bool operator==(const Obj& a, const Obj& b) {
    return a.kind == b.kind && a.name == b.name && a.table == b.table;
  }
};

struct ForeignKeyFact {
  std::string table;       // the referencing table
  std::string references;  // the referenced table
  std::string name;        // the constraint's name when written, else ""
};

struct StatementFacts {
  size_t offset = 0;  // byte range of the statement in its file
  size_t length = 0;
  std::string what;  // "CREATE TABLE", "ALTER TABLE", "DO", ... for reports

  struct Created {
    Obj obj;
    char relkind = 0;  // relations: 't' table, 'v' view, 'm' matview, 'S' sequence, 'c' composite
  };
  std::vector<Created> creates;
  // The object the statement changes or is about (the table of ALTER
  // TABLE, CREATE INDEX, CREATE TRIGGER, INSERT, COMMENT ON COLUMN, ...).
  std::optional<Obj> subject;
  // Every name the statement mentions, whether or not the history creates
  // it (PostgreSQL's own objects are filtered out later by the import).
  std::set<std::string> relations;
  std::set<std::string> types;
  std::set<std::string> functions;
  std::set<Obj> objects;  // indexes, constraints, triggers, policies, rules named
  // Columns named: (relation, column); relation "" when unqualified.
  std::set<std::pair<std::string, std::string>> columns;
  std::vector<std::pair<std::string, std::string>> added_columns;  // (table, column)
  std::vector<Obj> drops;
  std::vector<std::pair<Obj, std::string>> renames;                  // object -> new name
  std::vector<std::pair<std::string, std::string>> retyped_columns;  // ALTER COLUMN TYPE
  std::vector<ForeignKeyFact> foreign_keys;
  // (sequence, table) of `OWNED BY table.column`.
  std::vector<std::pair<std::string, std::string>> sequence_owners;
  // String constants that may name a relation: nextval('s'), 'x'::regclass,
  // arguments of a function called by SELECT/CALL/PERFORM.
  std::set<std::string> strings;
  // Words of a DO block's or function's body (PL/pgSQL is not parsed): its
  // identifiers and the identifiers inside its string constants (dynamic
  // SQL). The import treats those naming known objects as references, and
  // lists each such statement as a guess.
  std::set<std::string> body_words;
  bool has_body = false;

  bool data = false;                 // INSERT / UPDATE / DELETE / MERGE / COPY
  bool session = false;              // SET / RESET: repeated in each part after it
  bool transaction_control = false;  // BEGIN / COMMIT / ...: left out of the tree
  bool no_transaction = false;       // cannot run inside a transaction block
};

// Analyzes every statement of `sql`. INVALID_ARGUMENT "LINE:COL: message"
// when it does not parse.
absl::StatusOr<std::vector<StatementFacts>> AnalyzeSql(absl::string_view sql);

}  // namespace schemagate::generator::import

#endif  // SCHEMAGATE_SERVER_GENERATOR_IMPORT_ANALYZE_H_
