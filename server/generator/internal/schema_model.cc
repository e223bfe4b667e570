// The DDL replay: SchemaModel's statement dispatch and what CREATE, ALTER,
// and DROP do to tables, columns and indexes (schema_model.h lists
// the files that hold the rest of the class).
#include "server/generator/internal/schema_model.h"

#include <algorithm>
#include <optional>

#include "server/generator/internal/replay_util.h"
#include "server/sql/parser.h"

namespace schemagate::generator::internal {

SchemaModel::SchemaModel(const TreeFacts* facts, Diagnostics* diagnostics)
    : facts_(facts), diagnostics_(diagnostics) {}

void SchemaModel::ApplyUp(const SourceMigration& migration, const std::string& cluster,
                          const sql::ProtoTree& tree) {
  Context ctx = NewContext(cluster, migration.up_path, migration.up_sql);
  ctx.version = migration.version;
  for (const sql::ProtoStatement& s : tree.statements) {
    ctx.statement_offset = s.offset;
    ctx.reported.clear();
    Statement(ctx, *s.node);
  }
}

std::vector<v1::Table> SchemaModel::Tables() const {
  std::vector<v1::Table> out;
  for (const std::string& name : order_) {
    auto it = tables_.find(name);
    if (it != tables_.end()) out.push_back(it->second.table);
  }
  return out;
}

SchemaModel::Context SchemaModel::NewContext(const std::string& cluster, const std::string& path,
                                             absl::string_view text) const {
  Context ctx;
  ctx.cluster = cluster;
  auto closure = facts_->closures.find(cluster);
  static const std::set<std::string> kEmpty;
  ctx.closure = closure == facts_->closures.end() ? &kEmpty : &closure->second;
  ctx.path = path;
  ctx.text = text;
  return ctx;
}

void SchemaModel::Report(const Context& ctx, int location, const std::string& message) {
  sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(location));
  diagnostics_->Add(ctx.path, at.line, at.column, message);
}

void SchemaModel::ReportAtStatementLine(const Context& ctx, const std::string& message) {
  diagnostics_->Add(ctx.path, sql::PositionOf(ctx.text, ctx.statement_offset).line, 0, message);
}

void SchemaModel::Statement(Context& ctx, const pg_query::Node& node) {
  if (node.node_case() == pg_query::Node::NODE_NOT_SET) return;
  ctx.statement_type = node.node_case();
  GatingWalk(ctx, node);

  switch (node.node_case()) {
    case pg_query::Node::kCreateStmt:
      CreateTable(ctx, node.create_stmt());
      break;
    case pg_query::Node::kAlterTableStmt:
      AlterTable(ctx, node.alter_table_stmt());
      break;
    case pg_query::Node::kIndexStmt:
      CreateIndex(ctx, node.index_stmt());
      break;
    case pg_query::Node::kDropStmt:
      Drop(ctx, node.drop_stmt());
      break;
    case pg_query::Node::kRenameStmt:
      Rename(ctx, node.rename_stmt());
      break;
    case pg_query::Node::kAlterObjectSchemaStmt:
      SetSchema(ctx, node.alter_object_schema_stmt());
      break;
    case pg_query::Node::kViewStmt:
      if (node.view_stmt().has_view()) {
        std::string name = sql::RelationName(node.view_stmt().view());
        views_.insert(name);
        relnames_.insert(name);
      }
      break;
    case pg_query::Node::kCreateTableAsStmt: {
      const pg_query::CreateTableAsStmt& ctas = node.create_table_as_stmt();
      if (ctas.objtype() != pg_query::OBJECT_MATVIEW) {
        CreateTableAs(ctx, ctas.into(),
                      ctas.query().has_select_stmt() ? &ctas.query().select_stmt() : nullptr,
                      ctas.if_not_exists());
      } else if (ctas.into().has_rel()) {
        std::string name = sql::RelationName(ctas.into().rel());
        views_.insert(name);
        relnames_.insert(name);
      }
      break;
    }
    case pg_query::Node::kDoStmt:
      DoBlock(ctx, node.do_stmt());
      break;
    case pg_query::Node::kCreateFunctionStmt:
      CreateFunction(node.create_function_stmt());
      break;
    case pg_query::Node::kSelectStmt:
      if (node.select_stmt().has_into_clause()) {
        // SELECT ... INTO t: CREATE TABLE t AS SELECT ...
        CreateTableAs(ctx, node.select_stmt().into_clause(), &node.select_stmt(), false);
      } else {
        CallFunctions(ctx, node);
      }
      break;
    case pg_query::Node::kCallStmt:
      CallFunctions(ctx, node);
      break;
    case pg_query::Node::kCreateEnumStmt:
      CreateType(ctx, QualifiedName(node.create_enum_stmt().type_name()), -1);
      break;
    case pg_query::Node::kCreateRangeStmt:
      CreateType(ctx, QualifiedName(node.create_range_stmt().type_name()), -1);
      break;
    case pg_query::Node::kCreateDomainStmt:
      CreateType(ctx, QualifiedName(node.create_domain_stmt().domainname()), -1);
      break;
    case pg_query::Node::kCompositeTypeStmt:
      if (node.composite_type_stmt().has_typevar()) {
        const pg_query::RangeVar& rel = node.composite_type_stmt().typevar();
        CreateType(ctx, sql::RelationName(rel), rel.location());
      }
      break;
    case pg_query::Node::kAlterEnumStmt:
      CheckTypeOwner(ctx, QualifiedName(node.alter_enum_stmt().type_name()), -1);
      break;
    case pg_query::Node::kCreateSeqStmt:
      if (node.create_seq_stmt().has_sequence()) {
        relnames_.insert(sql::RelationName(node.create_seq_stmt().sequence()));
      }
      break;
    case pg_query::Node::kCommentStmt: {
      const pg_query::CommentStmt& comment = node.comment_stmt();
      pg_query::ObjectType kind = comment.objtype();
      std::vector<std::string> parts = sql::StringList(comment.object().list().items());
      if (kind == pg_query::OBJECT_COLUMN && !parts.empty()) parts.pop_back();
      if ((kind == pg_query::OBJECT_TABLE || kind == pg_query::OBJECT_COLUMN) && !parts.empty()) {
        CheckRelationOwner(ctx, QualifiedName(parts), -1, "comment on");
      }
      break;
    }
    default:
      break;
  }
}

SchemaModel::TableState* SchemaModel::RequireTable(Context& ctx, const std::string& name,
                                                   int location, const std::string& verb) {
  auto it = tables_.find(name);
  if (it != tables_.end()) return &it->second;
  auto origin = facts_->relations.find(name);
  if (origin != facts_->relations.end() && !ctx.closure->count(origin->second.cluster)) {
    return nullptr;  // the gating walk has reported it
  }
  std::string why =
      origin == facts_->relations.end()
          ? "no migration of the tree creates it"
          : absl::StrCat("it is created at ", origin->second.file, ":", origin->second.line,
                         ", which does not run before this migration");
  if (views_.count(name)) why = "it is a view, not a table";
  Report(ctx, location, absl::StrCat("cannot ", verb, " table ", Quote(name), ": ", why));
  return nullptr;
}

void SchemaModel::CreateType(Context& ctx, const std::string& name, int location) {
  (void)location;
  if (!name.empty()) types_[name] = ctx.cluster;
}

std::optional<SchemaModel::TableState> SchemaModel::NewTable(Context& ctx, const std::string& name,
                                                             const pg_query::RangeVar& rel,
                                                             bool if_not_exists) {
  if (auto owner = facts_->relations.find(name);
      owner != facts_->relations.end() && owner->second.cluster != ctx.cluster) {
    return std::nullopt;  // created by two clusters: CollectFacts reported it
  }
  if (tables_.count(name) || views_.count(name)) {
    if (!if_not_exists) {
      Report(ctx, rel.location(), absl::StrCat("table ", Quote(name), " already exists"));
    }
    return std::nullopt;
  }
  TableState state;
  state.table.set_name(name);
  state.table.set_cluster(ctx.cluster);
  state.table.set_created_by(absl::StrCat(ctx.cluster, "/", ctx.version));
  state.table.set_created_by_version(ctx.version);
  return state;
}

void SchemaModel::CreateTable(Context& ctx, const pg_query::CreateStmt& stmt) {
  if (!stmt.has_relation()) return;
  std::string name = sql::RelationName(stmt.relation());
  std::optional<TableState> fresh = NewTable(ctx, name, stmt.relation(), stmt.if_not_exists());
  if (!fresh) return;
  TableState state = *std::move(fresh);
  v1::Table& t = state.table;

  // Inherited / partition parent columns and LIKE come first.
  for (const pg_query::Node& parent : stmt.inh_relations()) {
    std::string pname = sql::RelationName(parent.range_var());
    // Reported at the statement (-1), not at the parent's name.
    TableState* p = RequireTable(ctx, pname, -1, "inherit from");
    if (p == nullptr) continue;
    for (const v1::Column& c : p->table.columns()) {
      if (!HasColumn(t, c.name())) {
        v1::Column* col = t.add_columns();
        *col = c;
        col->set_cluster(ctx.cluster);
      }
    }
  }
  std::vector<const pg_query::ColumnDef*> coldefs;
  std::vector<const pg_query::Constraint*> constraints;
  // LIKE ... INCLUDING INDEXES / CONSTRAINTS: copied once the table exists.
  std::vector<std::pair<std::string, int>> likes;  // source table, options
  for (const pg_query::Node& e : stmt.table_elts()) {
    if (e.has_column_def()) {
      coldefs.push_back(&e.column_def());
    } else if (e.has_constraint()) {
      constraints.push_back(&e.constraint());
    } else if (e.has_table_like_clause() && e.table_like_clause().has_relation()) {
      const pg_query::RangeVar& like = e.table_like_clause().relation();
      TableState* p = RequireTable(ctx, sql::RelationName(like), like.location(), "copy");
      if (p == nullptr) continue;
      for (const v1::Column& c : p->table.columns()) {
        v1::Column* col = t.add_columns();
        *col = c;
        col->set_cluster(ctx.cluster);
      }
      likes.emplace_back(sql::RelationName(like),
                         static_cast<int>(e.table_like_clause().options()));
    }
  }
  for (const pg_query::ColumnDef* c : coldefs) AddColumn(ctx, state, *c, false);
  // Register the name before constraints so a self-reference resolves.
  relnames_.insert(name);
  auto [it, inserted] = tables_.emplace(name, std::move(state));
  order_.push_back(name);
  for (const pg_query::ColumnDef* c : coldefs) ApplyColumnConstraints(ctx, it->second, *c);
  for (const pg_query::Constraint* c : constraints) AddConstraint(ctx, it->second, {}, *c);
  for (const auto& [source, options] : likes) CopyLike(ctx, it->second, source, options);
  // PARTITION OF: the parent's indexes, foreign keys and CHECKs.
  if (stmt.has_partbound() && stmt.inh_relations_size() == 1) {
    auto parent = tables_.find(sql::RelationName(stmt.inh_relations(0).range_var()));
    if (parent != tables_.end()) {
      AddPartition(parent->second, name, it->second);
      AddCheckNames(it->second, parent->second.checks);
    }
  }
}

void SchemaModel::AlterTable(Context& ctx, const pg_query::AlterTableStmt& stmt) {
  if (stmt.objtype() != pg_query::OBJECT_TABLE || !stmt.has_relation()) return;
  const pg_query::RangeVar& rel = stmt.relation();
  std::string name = sql::RelationName(rel);
  if (stmt.missing_ok() && !tables_.count(name)) return;
  TableState* t = RequireTable(ctx, name, rel.location(), "alter");
  if (t == nullptr) return;
  for (const pg_query::Node& item : stmt.cmds()) {
    if (!item.has_alter_table_cmd()) continue;
    const pg_query::AlterTableCmd& cmd = item.alter_table_cmd();
    const pg_query::AlterTableType subtype = cmd.subtype();
    const std::string& column = cmd.name();
    const pg_query::Node& def = cmd.def();
    const bool has_def = cmd.has_def();
    const bool missing_ok = cmd.missing_ok();
    const bool cascade = cmd.behavior() == pg_query::DROP_CASCADE;
    auto need_column = [&]() -> v1::Column* {
      v1::Column* c = FindColumn(t->table, column);
      if (c == nullptr) {
        Report(ctx, rel.location(),
               absl::StrCat("column ", Quote(column), " does not exist in table ", Quote(name)));
      }
      return c;
    };
    if (subtype == pg_query::AT_AddColumn && has_def) {
      if (!def.has_column_def()) continue;
      const pg_query::ColumnDef& coldef = def.column_def();
      bool existed = HasColumn(t->table, coldef.colname());
      AddColumn(ctx, *t, coldef, missing_ok);
      if (!existed) ApplyColumnConstraints(ctx, *t, coldef);
    } else if (subtype == pg_query::AT_DropColumn) {
      if (!HasColumn(t->table, column)) {
        if (!missing_ok) need_column();
        continue;
      }
      DropColumn(ctx, *t, column, cascade, rel.location());
    } else if (subtype == pg_query::AT_AlterColumnType && has_def) {
      v1::Column* c = need_column();
      if (c && def.has_column_def() && def.column_def().has_type_name()) {
        bool serial = false;
        std::string user_type;
        c->set_type(sql::FormatType(def.column_def().type_name(), &serial, &user_type));
      }
    } else if (subtype == pg_query::AT_SetNotNull) {
      if (v1::Column* c = need_column()) c->set_nullable(false);
    } else if (subtype == pg_query::AT_DropNotNull) {
      if (v1::Column* c = need_column()) {
        if (Contains(t->table.primary_key(), column)) {
          Report(ctx, rel.location(),
                 absl::StrCat("column ", Quote(column), " is in the primary key of ", Quote(name)));
        } else {
          c->set_nullable(true);
        }
      }
    } else if (subtype == pg_query::AT_AddIdentity) {
      if (v1::Column* c = need_column()) c->set_nullable(false);
    } else if (subtype == pg_query::AT_AddConstraint && has_def) {
      if (def.has_constraint()) AddConstraint(ctx, *t, {}, def.constraint());
    } else if (subtype == pg_query::AT_DropConstraint) {
      DropConstraint(ctx, *t, column, missing_ok, rel.location());
    } else if ((subtype == pg_query::AT_AttachPartition ||
                subtype == pg_query::AT_DetachPartition) &&
               has_def) {
      if (!def.has_partition_cmd() || !def.partition_cmd().has_name()) continue;
      const pg_query::RangeVar& part = def.partition_cmd().name();
      std::string part_name = sql::RelationName(part);
      const bool attach = subtype == pg_query::AT_AttachPartition;
      TableState* p = RequireTable(ctx, part_name, part.location(), attach ? "attach" : "detach");
      if (p == nullptr) continue;
      auto& parts = t->partitions;
      if (!attach) {
        // The partition keeps what it was given, now as its own.
        parts.erase(std::remove(parts.begin(), parts.end(), part_name), parts.end());
        continue;
      }
      if (std::find(parts.begin(), parts.end(), part_name) != parts.end()) continue;
      AddPartition(*t, part_name, *p);
    }
  }
}

void SchemaModel::DropColumn(Context& ctx, TableState& t, const std::string& column, bool cascade,
                             int location) {
  v1::Table& table = t.table;
  // Foreign keys of other tables that reference this column.
  for (auto& [other_name, other] : tables_) {
    for (const v1::ForeignKey& fk : other.table.foreign_keys()) {
      if (fk.references_table() == table.name() && Contains(fk.references_columns(), column) &&
          other_name != table.name() && !cascade) {
        Report(ctx, location,
               absl::StrCat("cannot drop column ", Quote(column), " of ", Quote(table.name()),
                            ": foreign key ", Quote(fk.name()), " of ", Quote(other_name),
                            " references it (use CASCADE)"));
        return;
      }
    }
  }
  for (auto& [other_name, other] : tables_) {
    // Not other_name in the lambda: C++17 lambdas cannot capture a
    // structured binding (clang refuses it).
    const bool same_table = other_name == table.name();
    EraseIf(other.table.mutable_foreign_keys(), [&](const v1::ForeignKey& fk) {
      bool gone =
          (fk.references_table() == table.name() && Contains(fk.references_columns(), column)) ||
          (same_table && Contains(fk.columns(), column));
      if (gone) connames_.erase(fk.name());
      return gone;
    });
  }
  EraseIf(table.mutable_indexes(), [&](const v1::Index& ix) {
    bool gone = Contains(ix.columns(), column);
    if (gone) {
      relnames_.erase(ix.name());
      connames_.erase(ix.name());
    }
    return gone;
  });
  if (Contains(table.primary_key(), column)) table.clear_primary_key();
  EraseIf(table.mutable_columns(), [&](const v1::Column& c) { return c.name() == column; });
}

void SchemaModel::CreateIndex(Context& ctx, const pg_query::IndexStmt& stmt) {
  if (!stmt.has_relation()) return;
  const pg_query::RangeVar& rel = stmt.relation();
  std::string table_name = sql::RelationName(rel);
  if (views_.count(table_name)) return;  // an index on a materialized view
  TableState* t = RequireTable(ctx, table_name, rel.location(), "create an index on");
  if (t == nullptr) return;
  std::string name = stmt.idxname();
  if (!name.empty() && relnames_.count(InSchema(rel.schemaname(), name))) {
    if (!stmt.if_not_exists()) {
      Report(ctx, rel.location(), absl::StrCat("relation ", Quote(name), " already exists"));
    }
    return;
  }
  std::vector<std::string> columns, name_parts;
  auto add_elems = [&](const sql::NodeList& params) {
    for (const pg_query::Node& p : params) {
      if (!p.has_index_elem()) continue;
      const pg_query::IndexElem& elem = p.index_elem();
      const std::string& col = elem.name();
      std::string part = col;
      if (part.empty()) part = elem.indexcolname();
      if (part.empty()) part = elem.has_expr() ? sql::ExpressionName(elem.expr()) : "expr";
      if (!col.empty() && !HasColumn(t->table, col)) {
        Report(ctx, rel.location(),
               absl::StrCat("column ", Quote(col), " does not exist in table ", Quote(table_name)));
      }
      // ChooseIndexColumnNames: make the names unique with a number.
      std::string unique_part = part;
      for (int i = 1;
           std::find(name_parts.begin(), name_parts.end(), unique_part) != name_parts.end(); ++i) {
        unique_part = absl::StrCat(part, i);
      }
      name_parts.push_back(unique_part);
      columns.push_back(col.empty() ? "(expression)" : col);
    }
  };
  add_elems(stmt.index_params());
  add_elems(stmt.index_including_params());
  if (name.empty()) name = ChooseRelationName(rel.relname(), sql::NameAddition(name_parts), "idx");
  relnames_.insert(name);
  v1::Index* ix = t->table.add_indexes();
  ix->set_name(name);
  for (const std::string& c : columns) ix->add_columns(c);
  ix->set_unique(stmt.unique());
  ix->set_cluster(ctx.cluster);
  // On a partitioned table the index is created on every partition too
  // (unless ON ONLY).
  const v1::Index added = *ix;
  if (rel.inh()) {
    std::vector<std::string> pk(t->table.primary_key().begin(), t->table.primary_key().end());
    for (const std::string& p : t->partitions) {
      if (auto sub = tables_.find(p); sub != tables_.end()) {
        ClonePartitionIndex(sub->second, added, pk);
      }
    }
  }
}

void SchemaModel::DropTable(Context& ctx, const std::string& name, bool cascade, int location) {
  auto it = tables_.find(name);
  for (auto& [other_name, other] : tables_) {
    if (other_name == name) continue;
    for (const v1::ForeignKey& fk : other.table.foreign_keys()) {
      if (fk.references_table() == name && !cascade) {
        Report(ctx, location,
               absl::StrCat("cannot drop table ", Quote(name), ": foreign key ", Quote(fk.name()),
                            " of ", Quote(other_name), " references it"));
        return;
      }
    }
  }
  for (auto& [other_name, other] : tables_) {
    EraseIf(other.table.mutable_foreign_keys(), [&](const v1::ForeignKey& fk) {
      bool gone = fk.references_table() == name;
      if (gone) connames_.erase(fk.name());
      return gone;
    });
  }
  for (const v1::Index& ix : it->second.table.indexes()) {
    relnames_.erase(ix.name());
    connames_.erase(ix.name());
  }
  for (const v1::ForeignKey& fk : it->second.table.foreign_keys()) {
    connames_.erase(fk.name());
  }
  for (const std::string& c : it->second.checks) connames_.erase(c);
  relnames_.erase(name);
  tables_.erase(it);
  order_.erase(std::remove(order_.begin(), order_.end(), name), order_.end());
}

void SchemaModel::Drop(Context& ctx, const pg_query::DropStmt& stmt) {
  const pg_query::ObjectType kind = stmt.remove_type();
  const bool missing_ok = stmt.missing_ok();
  const bool cascade = stmt.behavior() == pg_query::DROP_CASCADE;
  for (const pg_query::Node& obj : stmt.objects()) {
    if (kind == pg_query::OBJECT_TYPE || kind == pg_query::OBJECT_DOMAIN) {
      std::string name = QualifiedName(obj.type_name().names());
      CheckTypeOwner(ctx, name, obj.has_type_name() ? obj.type_name().location() : -1);
      types_.erase(name);
      continue;
    }
    std::string name = QualifiedName(obj.list().items());
    if (name.empty()) continue;
    if (kind == pg_query::OBJECT_TABLE) {
      CheckRelationOwner(ctx, name, -1, "drop");
      if (!tables_.count(name)) {
        if (!missing_ok) RequireTable(ctx, name, -1, "drop");
        continue;
      }
      DropTable(ctx, name, cascade, -1);
    } else if (kind == pg_query::OBJECT_VIEW || kind == pg_query::OBJECT_MATVIEW) {
      CheckRelationOwner(ctx, name, -1, "drop");
      views_.erase(name);
      relnames_.erase(name);
    } else if (kind == pg_query::OBJECT_INDEX) {
      bool found = false;
      for (auto& [table_name, t] : tables_) {
        EraseIf(t.table.mutable_indexes(), [&](const v1::Index& ix) {
          bool match = ix.name() == name && !ix.constraint();
          found = found || match;
          return match;
        });
      }
      if (found) {
        relnames_.erase(name);
      } else if (!missing_ok) {
        ReportAtStatementLine(ctx, absl::StrCat("index ", Quote(name), " does not exist"));
      }
    } else if (kind == pg_query::OBJECT_SEQUENCE) {
      relnames_.erase(name);
    }
  }
}

}  // namespace schemagate::generator::internal
