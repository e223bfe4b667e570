// Internal to the import's SQL analysis (analyze.h): the Analyzer that
// gathers one statement's facts, and the name helpers its parts share. Its
// members are defined in analyze.cc (the walk, CREATE and ALTER TABLE,
// functions, sequences) and analyze_statement.cc (the dispatch over the
// other statement kinds, DROP, renames and named objects).
#ifndef SCHEMAGATE_SERVER_GENERATOR_IMPORT_ANALYZE_INTERNAL_H_
#define SCHEMAGATE_SERVER_GENERATOR_IMPORT_ANALYZE_INTERNAL_H_

#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pg_query/pg_query.pb.h"
#include "server/generator/import/analyze.h"

namespace schemagate::generator::import::analyze_internal {

using google::protobuf::RepeatedPtrField;
using pg_query::Node;

// The strings of a String node list.
std::vector<std::string> Strings(const RepeatedPtrField<Node>& list);
// "t" / "s.t" from the leading parts of a name list whose last `drop`
// elements are not part of the relation name (a column, a trigger name).
std::string RelationOfList(const RepeatedPtrField<Node>& list, int drop);
// The last string of a name list ("" for an empty one).
std::string Last(const RepeatedPtrField<Node>& list);
// A qualified name moved to `schema` ("t" stays "t" in public).
std::string InSchema(const std::string& schema, const std::string& name);
// The schema part of "s.t" ("" for "t").
std::string SchemaOf(const std::string& name);
// Identifiers and the words inside string constants of a body that is not
// parsed (PL/pgSQL, or SQL of another language): every word that could name
// an object, lowercased unless quoted, with "a.b" for qualified ones.
void ScanWords(absl::string_view text, int depth, std::set<std::string>* out);
// The text of a function body (`AS '...'` / `AS $$...$$`), or "".
std::string BodyOf(const RepeatedPtrField<Node>& options, std::string* language);

// The facts of one statement (StatementFacts), gathered by Run().
class Analyzer {
 public:
  explicit Analyzer(StatementFacts* f) : f_(f) {}

  void Run(const Node& node);

 private:
  void Create(ObjKind kind, const std::string& name, char relkind = 0,
              const std::string& table = "");
  void Subject(ObjKind kind, const std::string& name, const std::string& table = "");

  // Constraints of a table (column-level when `column` is set).
  void Constraint(const std::string& table, const std::string& column,
                  const pg_query::Constraint& c);

  void ColumnDef(const std::string& table, const pg_query::ColumnDef& def);

  void TableElements(const std::string& table, const RepeatedPtrField<Node>& elts);

  void AlterTable(const pg_query::AlterTableStmt& s);

  void Drop(const pg_query::DropStmt& s);

  void Rename(const pg_query::RenameStmt& s);

  // COMMENT ON / ALTER ... OWNER / SET SCHEMA: the object they name.
  void NamedObject(pg_query::ObjectType type, const Node& object);

  void Function(const pg_query::CreateFunctionStmt& s);

  void Specific(const Node& node);

  void Sequence(const std::string& sequence, const RepeatedPtrField<Node>& options);

 private:
  StatementFacts* f_;
  std::set<std::string> ctes_;
  std::set<std::string> not_relations_;
};

}  // namespace schemagate::generator::import::analyze_internal

#endif  // SCHEMAGATE_SERVER_GENERATOR_IMPORT_ANALYZE_INTERNAL_H_
