// The DDL simulator: replays migrations' parse trees to derive the catalog
// (tables, columns, keys, indexes and who owns each) and enforces the
// gating rule along the way. Pure: parse trees in, tables and diagnostics
// out.
#ifndef SCHEMAGATE_SERVER_GENERATOR_INTERNAL_SCHEMA_MODEL_H_
#define SCHEMAGATE_SERVER_GENERATOR_INTERNAL_SCHEMA_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "schemagate/v1/catalog.pb.h"
#include "server/generator/diagnostic.h"
#include "server/generator/tree.h"
#include "server/sql/parser.h"

namespace schemagate::generator::internal {

// Where a relation or type is created.
struct Origin {
  std::string cluster;
  std::string file;
  int line = 0;
  int column = 0;
  bool view = false;
};

// Tree-wide facts the gating rule needs: who creates what, and each
// cluster's dependency closure.
struct TreeFacts {
  std::map<std::string, Origin> relations;  // tables and views
  std::map<std::string, Origin> types;      // enums, composites, domains
  std::map<std::string, std::set<std::string>> closures;
};

// The parse trees of a tree's files, keyed by display path.
using ParsedFiles = std::map<std::string, sql::ParseTree>;

// Collects TreeFacts from every up.sql; reports (file:line) a table, view or
// type that two clusters create.
TreeFacts CollectFacts(const SourceTree& tree, const ParsedFiles& parsed,
                       Diagnostics* diagnostics);

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
               const sql::ParseTree& tree);

  // Checks a down.sql against the gating rule (it is not replayed).
  void CheckDown(const SourceMigration& migration, const std::string& cluster,
                 const sql::ParseTree& tree);

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

  void Statement(Context& ctx, const nlohmann::json& node);
  void GatingWalk(Context& ctx, const nlohmann::json& node,
                  const std::string& key, const std::string& verb,
                  const std::set<std::string>& ctes);
  void CheckRelationOwner(Context& ctx, const std::string& name, int location,
                          const std::string& verb);
  void CheckTypeOwner(Context& ctx, const std::string& name, int location);
  TableState* RequireTable(Context& ctx, const std::string& name, int location,
                           const std::string& verb);

  // A new table `name` of the current cluster, or nullopt (after a
  // diagnostic, unless IF NOT EXISTS) when it exists already or belongs to
  // another cluster.
  std::optional<TableState> NewTable(Context& ctx, const std::string& name,
                                     const nlohmann::json& rel, bool if_not_exists);
  void CreateTable(Context& ctx, const nlohmann::json& stmt);
  // CREATE TABLE AS / SELECT INTO: the columns of the query's target list,
  // typed from the tables it reads, casts, constants and common functions;
  // what cannot be typed is recorded as unmodelled.
  void CreateTableAs(Context& ctx, const nlohmann::json& stmt);
  void Unmodelled(Context& ctx, std::string what);
  // Replays the statements of a PL/pgSQL body (every branch, leniently) so
  // that what it creates exists for later migrations' lint.
  void ReplayBody(Context& ctx, const std::string& body);
  void AlterTable(Context& ctx, const nlohmann::json& stmt);
  void CreateIndex(Context& ctx, const nlohmann::json& stmt);
  void Drop(Context& ctx, const nlohmann::json& stmt);
  void Rename(Context& ctx, const nlohmann::json& stmt);
  void SetSchema(Context& ctx, const nlohmann::json& stmt);
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

  void AddColumn(Context& ctx, TableState& t, const nlohmann::json& coldef,
                 bool if_not_exists);
  void ApplyColumnConstraints(Context& ctx, TableState& t,
                              const nlohmann::json& coldef);
  void AddConstraint(Context& ctx, TableState& t,
                     const std::vector<std::string>& columns,
                     const nlohmann::json& constraint);
  void DropColumn(Context& ctx, TableState& t, const std::string& column,
                  bool cascade, int location);
  void DropTable(Context& ctx, const std::string& name, bool cascade,
                 int location);
  void DropConstraint(Context& ctx, TableState& t, const std::string& name,
                      bool missing_ok, int location);

  std::string ChooseRelationName(const std::string& name1,
                                 const std::string& name2,
                                 const std::string& label) const;
  std::string ChooseConstraintName(const std::string& name1,
                                   const std::string& name2,
                                   const std::string& label) const;

  const TreeFacts* facts_;
  Diagnostics* diagnostics_;
  std::map<std::string, TableState> tables_;
  std::vector<std::string> order_;  // table names in creation order
  std::set<std::string> views_;
  std::map<std::string, std::string> types_;  // name -> cluster
  std::set<std::string> relnames_;  // tables, views, indexes, sequences
  std::set<std::string> connames_;  // constraint names
  // Functions whose body changes the schema, with the body.
  std::map<std::string, std::string> ddl_functions_;
  std::vector<UnmodelledStatement> unmodelled_;
};

}  // namespace schemagate::generator::internal

#endif  // SCHEMAGATE_SERVER_GENERATOR_INTERNAL_SCHEMA_MODEL_H_
