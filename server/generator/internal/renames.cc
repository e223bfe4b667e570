// Renames in the DDL replay: ALTER TABLE ... RENAME (tables, columns,
// constraints), ALTER INDEX ... RENAME, ALTER TABLE ... SET SCHEMA; foreign
// keys that reference what moved follow it.
#include "server/generator/internal/replay_util.h"

namespace schemagate::generator::internal {

void SchemaModel::MoveTable(const std::string& name, const std::string& qualified) {
  auto it = tables_.find(name);
  if (it == tables_.end() || name == qualified) return;
  TableState moved = std::move(it->second);
  tables_.erase(it);
  moved.table.set_name(qualified);
  for (auto& [other_name, other] : tables_) {
    for (v1::ForeignKey& fk : *other.table.mutable_foreign_keys()) {
      if (fk.references_table() == name) fk.set_references_table(qualified);
    }
  }
  for (v1::ForeignKey& fk : *moved.table.mutable_foreign_keys()) {
    if (fk.references_table() == name) fk.set_references_table(qualified);
  }
  tables_.emplace(qualified, std::move(moved));
  std::replace(order_.begin(), order_.end(), name, qualified);
  relnames_.erase(name);
  relnames_.insert(qualified);
}

// ALTER TABLE t SET SCHEMA s: the table (with its columns, keys and
// indexes) is now s.t, and foreign keys that reference it follow.
void SchemaModel::SetSchema(Context& ctx, const pg_query::AlterObjectSchemaStmt& stmt) {
  if (stmt.object_type() != pg_query::OBJECT_TABLE || !stmt.has_relation()) return;
  const pg_query::RangeVar& rel = stmt.relation();
  std::string name = sql::RelationName(rel);
  if (stmt.missing_ok() && !tables_.count(name)) return;
  if (RequireTable(ctx, name, rel.location(), "move") == nullptr) return;
  MoveTable(name, InSchema(stmt.newschema(), rel.relname()));
}

void SchemaModel::Rename(Context& ctx, const pg_query::RenameStmt& stmt) {
  if (!stmt.has_relation()) return;
  const pg_query::ObjectType kind = stmt.rename_type();
  const pg_query::RangeVar& rel = stmt.relation();
  const std::string& newname = stmt.newname();
  const std::string& subname = stmt.subname();
  const bool missing_ok = stmt.missing_ok();
  std::string name = sql::RelationName(rel);
  if (kind == pg_query::OBJECT_TABLE) {
    if (missing_ok && !tables_.count(name)) return;
    TableState* t = RequireTable(ctx, name, rel.location(), "rename");
    if (t == nullptr) return;
    MoveTable(name, InSchema(rel.schemaname(), newname));
  } else if (kind == pg_query::OBJECT_COLUMN) {
    if (missing_ok && !tables_.count(name)) return;
    TableState* t = RequireTable(ctx, name, rel.location(), "rename a column of");
    if (t == nullptr) return;
    v1::Column* c = FindColumn(t->table, subname);
    if (c == nullptr) {
      Report(ctx, rel.location(),
             absl::StrCat("column ", Quote(subname), " does not exist in table ", Quote(name)));
      return;
    }
    c->set_name(newname);
    auto rename_in = [&](google::protobuf::RepeatedPtrField<std::string>* list) {
      for (std::string& s : *list) {
        if (s == subname) s = newname;
      }
    };
    rename_in(t->table.mutable_primary_key());
    for (v1::ForeignKey& fk : *t->table.mutable_foreign_keys()) {
      rename_in(fk.mutable_columns());
    }
    for (v1::Index& ix : *t->table.mutable_indexes()) {
      rename_in(ix.mutable_columns());
    }
    for (auto& [other_name, other] : tables_) {
      for (v1::ForeignKey& fk : *other.table.mutable_foreign_keys()) {
        if (fk.references_table() == name) {
          rename_in(fk.mutable_references_columns());
        }
      }
    }
  } else if (kind == pg_query::OBJECT_TABCONSTRAINT) {
    auto it = tables_.find(name);
    if (it == tables_.end()) return;
    for (v1::ForeignKey& fk : *it->second.table.mutable_foreign_keys()) {
      if (fk.name() == subname) fk.set_name(newname);
    }
    for (v1::Index& ix : *it->second.table.mutable_indexes()) {
      if (ix.constraint() && ix.name() == subname) {
        ix.set_name(newname);
        relnames_.erase(subname);
        relnames_.insert(newname);
      }
    }
    for (std::string& c : it->second.checks) {
      if (c == subname) c = newname;
    }
    connames_.erase(subname);
    connames_.insert(newname);
  } else if (kind == pg_query::OBJECT_INDEX) {
    for (auto& [table_name, t] : tables_) {
      for (v1::Index& ix : *t.table.mutable_indexes()) {
        if (ix.name() == name) {
          ix.set_name(newname);
          if (ix.constraint()) {
            connames_.erase(name);
            connames_.insert(newname);
          }
        }
      }
    }
    relnames_.erase(name);
    relnames_.insert(newname);
  }
}

}  // namespace schemagate::generator::internal
