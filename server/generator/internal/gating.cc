// The gating rule: a cluster's SQL may only touch tables, views and types
// of clusters in its dependency closure. SchemaModel's walk over every
// relation and type a statement mentions, and the down.sql check.
#include <set>
#include <string>

#include "absl/strings/str_join.h"
#include "pg_walk.h"
#include "server/generator/internal/replay_util.h"
#include "server/sql/parser.h"

namespace schemagate::generator::internal {
namespace {

std::string ClosureText(const std::set<std::string>& closure) {
  return absl::StrJoin(closure, ", ");
}

// The names of a statement's common table expressions (WITH x AS ...),
// which an unqualified relation name may mean instead of a table.
class CteNames final : public sql::PgVisitor {
 public:
  explicit CteNames(std::set<std::string>* out) : out_(out) {}
  bool Pre(const pg_query::CommonTableExpr& cte) override {
    if (!cte.ctename().empty()) out_->insert(cte.ctename());
    return true;
  }

 private:
  std::set<std::string>* out_;
};

// What a statement does to the relation it reaches through `field` ("alter"
// for ALTER TABLE's relation, "reference" for any other mention).
const char* Verb(pg_query::Node::NodeCase statement, absl::string_view field) {
  if (field == "pktable") return "reference by foreign key";
  if (field != "relation") return "reference";
  switch (statement) {
    case pg_query::Node::kAlterTableStmt:
      return "alter";
    case pg_query::Node::kIndexStmt:
      return "create an index on";
    case pg_query::Node::kCreateTrigStmt:
      return "create a trigger on";
    case pg_query::Node::kInsertStmt:
      return "insert into";
    case pg_query::Node::kUpdateStmt:
      return "update";
    case pg_query::Node::kDeleteStmt:
      return "delete from";
    case pg_query::Node::kRenameStmt:
      return "rename";
    case pg_query::Node::kAlterObjectSchemaStmt:
      return "move";
    case pg_query::Node::kCreateStmt:
      return "create";
    default:
      return "reference";
  }
}

}  // namespace

// Visits the relations (RangeVar) and types (TypeName) of a statement in the
// order of the parse tree's JSON member names, so that the first mention of
// a relation (the one reported) is the same as it always was.
class SchemaModel::GatingVisitor final : public sql::PgVisitor {
 public:
  GatingVisitor(SchemaModel* model, Context* ctx, const std::set<std::string>* ctes)
      : model_(model), ctx_(ctx), ctes_(ctes) {}

  bool Pre(const pg_query::RangeVar& rel) override {
    if (rel.relname().empty()) return true;
    std::string name = sql::RelationName(rel);
    if (rel.schemaname().empty() && ctes_->count(name)) return false;
    model_->CheckRelationOwner(*ctx_, name, rel.location(), Verb(ctx_->statement_type, field()));
    return false;
  }

  bool Pre(const pg_query::TypeName& type) override {
    if (type.names_size() == 0 || type.typemod() == 0) return true;
    bool serial = false;
    std::string user_type;
    sql::FormatType(type, &serial, &user_type);
    if (!user_type.empty()) model_->CheckTypeOwner(*ctx_, user_type, type.location());
    return false;
  }

 private:
  SchemaModel* model_;
  Context* ctx_;
  const std::set<std::string>* ctes_;
};

void SchemaModel::GatingWalk(Context& ctx, const pg_query::Node& stmt) {
  std::set<std::string> ctes;
  CteNames cte_names(&ctes);
  sql::Walk(stmt, cte_names);
  GatingVisitor visitor(this, &ctx, &ctes);
  sql::WalkByName(stmt, visitor);
}

void SchemaModel::CheckDown(const SourceMigration& migration, const std::string& cluster,
                            const sql::ProtoTree& tree) {
  Context ctx = NewContext(cluster, migration.down_path, migration.down_sql);
  for (const sql::ProtoStatement& s : tree.statements) {
    ctx.statement_offset = s.offset;
    ctx.reported.clear();
    const pg_query::Node& node = *s.node;
    if (node.node_case() == pg_query::Node::NODE_NOT_SET) continue;
    ctx.statement_type = node.node_case();
    GatingWalk(ctx, node);
    if (!node.has_drop_stmt()) continue;
    pg_query::ObjectType kind = node.drop_stmt().remove_type();
    if (kind != pg_query::OBJECT_TABLE && kind != pg_query::OBJECT_VIEW &&
        kind != pg_query::OBJECT_MATVIEW) {
      continue;
    }
    for (const pg_query::Node& object : node.drop_stmt().objects()) {
      std::string name = object.has_list() ? QualifiedName(object.list().items()) : "";
      CheckRelationOwner(ctx, name, -1, "drop");
    }
  }
}

void SchemaModel::CheckRelationOwner(Context& ctx, const std::string& name, int location,
                                     const std::string& verb) {
  if (!ctx.lint) return;
  auto it = facts_->relations.find(name);
  if (it == facts_->relations.end()) return;
  const Origin& owner = it->second;
  if (ctx.closure->count(owner.cluster)) return;
  if (!ctx.reported.insert(name).second) return;
  Report(ctx, location,
         absl::StrCat("gating rule: cluster ", Quote(ctx.cluster), " may not ", verb, " ",
                      owner.view ? "view " : "table ", Quote(name), " of cluster ",
                      Quote(owner.cluster), ", which is outside its dependency closure {",
                      ClosureText(*ctx.closure), "}; add depends_on: ", Quote(owner.cluster),
                      " to ", ctx.cluster,
                      "/cluster.textproto, or move this SQL to a bridge cluster that "
                      "requires both features"));
}

void SchemaModel::CheckTypeOwner(Context& ctx, const std::string& name, int location) {
  if (!ctx.lint || name.empty()) return;
  auto it = facts_->types.find(name);
  if (it == facts_->types.end()) return;
  if (ctx.closure->count(it->second.cluster)) return;
  if (!ctx.reported.insert("type:" + name).second) return;
  Report(
      ctx, location,
      absl::StrCat("gating rule: cluster ", Quote(ctx.cluster), " may not use type ", Quote(name),
                   " of cluster ", Quote(it->second.cluster),
                   ", which is outside its dependency closure {", ClosureText(*ctx.closure), "}"));
}

}  // namespace schemagate::generator::internal
