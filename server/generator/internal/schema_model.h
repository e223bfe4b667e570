// The DDL simulator: replays migrations' parse trees (typed pg_query
// messages) to derive the catalog (tables, columns, keys, indexes and who
// owns each) and enforces the gating rule along the way. Pure: parse trees
// in, tables and diagnostics out.
//
// The class is implemented in several files, one idea each:
//   schema_model.cc     the replay: statement dispatch, CREATE/ALTER/DROP
//                       of tables, columns and indexes
//   renames.cc          RENAME and SET SCHEMA
//   gating.cc           the gating rule (which cluster may touch what)
//   constraints.cc      columns' and tables' constraints, generated names
//   partitions.cc       partitions and LIKE: copies of indexes and keys
//   unmodelled.cc       CREATE TABLE AS typing, DO blocks and DDL functions
// with replay_util.h for what they share. Not thread-safe; one model per
// replay.
#ifndef SCHEMAGATE_SERVER_GENERATOR_INTERNAL_SCHEMA_MODEL_H_
#define SCHEMAGATE_SERVER_GENERATOR_INTERNAL_SCHEMA_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "schemagate/v1/catalog.pb.h"
#include "server/generator/diagnostic.h"
#include "server/generator/internal/facts.h"
#include "server/generator/tree.h"
#include "server/sql/pg_proto.h"

namespace schemagate::generator::internal {

// A statement whose effect on the schema the static replay cannot know
// (a DO block or a function that changes the schema, CREATE TABLE AS of an
// expression whose type needs a database).
struct UnmodelledStatement {
  std::string cluster;
  std::string path;
  int line = 0;
  std::string what;
};

class SchemaModel {
 public:
  // `facts` must outlive the model. Diagnostics go to `diagnostics`.
  SchemaModel(const TreeFacts* facts, Diagnostics* diagnostics);

  // Replays one migration's up.sql.
  void ApplyUp(const SourceMigration& migration, const std::string& cluster,
               const sql::ProtoTree& tree);

  // Checks a down.sql against the gating rule (it is not replayed).
  void CheckDown(const SourceMigration& migration, const std::string& cluster,
                 const sql::ProtoTree& tree);

  // The tables, in creation order.
  std::vector<v1::Table> Tables() const;

  // Statements replayed so far whose effect was not (fully) modelled.
  const std::vector<UnmodelledStatement>& unmodelled() const { return unmodelled_; }

 private:
  struct Context;
  struct TableState {
    v1::Table table;
    std::vector<std::string> checks;  // names of CHECK constraints
    // A partitioned table's partitions (PARTITION OF), which get a copy of
    // every index and foreign key it has or is given later.
    std::vector<std::string> partitions;
  };

  class GatingVisitor;

  // The context of a file of `cluster` (its closure from the facts).
  Context NewContext(const std::string& cluster, const std::string& path,
                     absl::string_view text) const;
  void Statement(Context& ctx, const pg_query::Node& node);
  // Checks every relation and type `stmt` mentions against the gating rule.
  void GatingWalk(Context& ctx, const pg_query::Node& stmt);
  // Reports `message` at byte `location` of the file (the statement's start
  // when -1), or at the statement's line only.
  void Report(const Context& ctx, int location, const std::string& message);
  void ReportAtStatementLine(const Context& ctx, const std::string& message);
  void CheckRelationOwner(Context& ctx, const std::string& name, int location,
                          const std::string& verb);
  void CheckTypeOwner(Context& ctx, const std::string& name, int location);
  TableState* RequireTable(Context& ctx, const std::string& name, int location,
                           const std::string& verb);

  // A new table `name` of the current cluster, or nullopt (after a
  // diagnostic, unless IF NOT EXISTS) when it exists already or belongs to
  // another cluster.
  std::optional<TableState> NewTable(Context& ctx, const std::string& name,
                                     const pg_query::RangeVar& rel, bool if_not_exists);
  void CreateTable(Context& ctx, const pg_query::CreateStmt& stmt);
  // CREATE TABLE AS / SELECT INTO: the columns of the query's target list,
  // typed from the tables it reads, casts, constants and common functions;
  // what cannot be typed is recorded as unmodelled.
  // `select` is the query when it is a SELECT (null for VALUES, EXECUTE).
  void CreateTableAs(Context& ctx, const pg_query::IntoClause& into,
                     const pg_query::SelectStmt* select, bool if_not_exists);
  void Unmodelled(Context& ctx, std::string what);
  // DO: replayed (and recorded as unmodelled) when its body changes the
  // schema.
  void DoBlock(Context& ctx, const pg_query::DoStmt& stmt);
  // CREATE FUNCTION / PROCEDURE: remembered when its body changes the schema.
  void CreateFunction(const pg_query::CreateFunctionStmt& stmt);
  // SELECT / CALL: replays the body of the first remembered function `stmt`
  // calls.
  void CallFunctions(Context& ctx, const pg_query::Node& stmt);
  // Replays the statements of a PL/pgSQL body (every branch, leniently) so
  // that what it creates exists for later migrations' lint.
  void ReplayBody(Context& ctx, const std::string& body);
  void AlterTable(Context& ctx, const pg_query::AlterTableStmt& stmt);
  void CreateIndex(Context& ctx, const pg_query::IndexStmt& stmt);
  void Drop(Context& ctx, const pg_query::DropStmt& stmt);
  void Rename(Context& ctx, const pg_query::RenameStmt& stmt);
  void SetSchema(Context& ctx, const pg_query::AlterObjectSchemaStmt& stmt);
  // The indexes and CHECK constraints CREATE TABLE (LIKE source INCLUDING
  // ...) copies into `t` (the columns are copied as the table is built).
  void CopyLike(Context& ctx, TableState& t, const std::string& source, int options);
  // What PostgreSQL gives a partition of `parent`: a copy of `ix` named as
  // DefineIndex() names it (<partition>_pkey, _<columns>_key or _idx), and
  // the foreign key `fk` under its own name. Recursive for sub-partitions.
  void ClonePartitionIndex(TableState& partition, const v1::Index& ix,
                           const std::vector<std::string>& primary_key);
  void ClonePartitionForeignKey(TableState& partition, const v1::ForeignKey& fk);
  // Records `name` as a partition of `parent` and gives it the parent's
  // indexes and foreign keys (PARTITION OF, ATTACH PARTITION).
  void AddPartition(TableState& parent, const std::string& name, TableState& partition);
  // A copy of `ix` on `t`, named as DefineIndex() names an unnamed index;
  // a primary key's copy makes `primary_key` t's key (NOT NULL).
  v1::Index* AddIndexCopy(TableState& t, const v1::Index& ix,
                          const std::vector<std::string>& primary_key);
  // Adds the CHECK constraint names `t` does not have yet.
  void AddCheckNames(TableState& t, const std::vector<std::string>& checks);
  // Renames table `name` to `qualified` ("schema.name" outside public),
  // with the foreign keys that reference it.
  void MoveTable(const std::string& name, const std::string& qualified);
  void CreateType(Context& ctx, const std::string& name, int location);

  void AddColumn(Context& ctx, TableState& t, const pg_query::ColumnDef& coldef,
                 bool if_not_exists);
  void ApplyColumnConstraints(Context& ctx, TableState& t, const pg_query::ColumnDef& coldef);
  void AddConstraint(Context& ctx, TableState& t, const std::vector<std::string>& columns,
                     const pg_query::Constraint& constraint);
  void DropColumn(Context& ctx, TableState& t, const std::string& column, bool cascade,
                  int location);
  void DropTable(Context& ctx, const std::string& name, bool cascade, int location);
  void DropConstraint(Context& ctx, TableState& t, const std::string& name, bool missing_ok,
                      int location);

  std::string ChooseRelationName(const std::string& name1, const std::string& name2,
                                 const std::string& label) const;
  std::string ChooseConstraintName(const std::string& name1, const std::string& name2,
                                   const std::string& label) const;

  const TreeFacts* facts_;
  Diagnostics* diagnostics_;
  std::map<std::string, TableState> tables_;
  std::vector<std::string> order_;  // table names in creation order
  std::set<std::string> views_;
  std::map<std::string, std::string> types_;  // name -> cluster
  std::set<std::string> relnames_;            // tables, views, indexes, sequences
  std::set<std::string> connames_;            // constraint names
  // Functions whose body changes the schema, with the body.
  std::map<std::string, std::string> ddl_functions_;
  std::vector<UnmodelledStatement> unmodelled_;
};

}  // namespace schemagate::generator::internal

#endif  // SCHEMAGATE_SERVER_GENERATOR_INTERNAL_SCHEMA_MODEL_H_
