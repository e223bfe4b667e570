// Columns and constraints in the DDL replay: ADD COLUMN, PRIMARY KEY,
// UNIQUE (also USING INDEX), FOREIGN KEY, CHECK, EXCLUDE, DROP CONSTRAINT,
// and the names PostgreSQL chooses for unnamed ones (ChooseRelationName,
// ChooseConstraintName).
#include <algorithm>
#include <set>

#include "pg_walk.h"
#include "server/generator/internal/replay_util.h"

namespace schemagate::generator::internal {
namespace {

// Distinct column names an expression references (a CHECK's name).
class ColumnRefs final : public sql::PgVisitor {
 public:
  explicit ColumnRefs(std::set<std::string>* out) : out_(out) {}
  bool Pre(const pg_query::ColumnRef& ref) override {
    std::vector<std::string> fields = sql::StringList(ref.fields());
    if (!fields.empty()) out_->insert(fields.back());
    return false;
  }

 private:
  std::set<std::string>* out_;
};

// ChooseRelationName / ChooseConstraintName: the first of name_label,
// name_label1, name_label2, ... not in `taken`.
std::string ChooseName(const std::set<std::string>& taken, const std::string& name1,
                       const std::string& name2, const std::string& label) {
  for (int pass = 0;; ++pass) {
    std::string candidate =
        sql::MakeObjectName(name1, name2, pass == 0 ? label : absl::StrCat(label, pass));
    if (!taken.count(candidate)) return candidate;
  }
}

}  // namespace

std::string SchemaModel::ChooseRelationName(const std::string& name1, const std::string& name2,
                                            const std::string& label) const {
  return ChooseName(relnames_, name1, name2, label);
}

std::string SchemaModel::ChooseConstraintName(const std::string& name1, const std::string& name2,
                                              const std::string& label) const {
  return ChooseName(connames_, name1, name2, label);
}

void SchemaModel::AddColumn(Context& ctx, TableState& t, const pg_query::ColumnDef& coldef,
                            bool if_not_exists) {
  const std::string& name = coldef.colname();
  if (HasColumn(t.table, name)) {
    if (!if_not_exists) {
      Report(ctx, coldef.location(),
             absl::StrCat("column ", Quote(name), " of table ", Quote(t.table.name()),
                          " already exists"));
    }
    return;
  }
  v1::Column* col = t.table.add_columns();
  col->set_name(name);
  col->set_cluster(ctx.cluster);
  col->set_nullable(true);
  if (coldef.has_type_name()) {
    bool serial = false;
    std::string user_type;
    col->set_type(sql::FormatType(coldef.type_name(), &serial, &user_type));
    if (serial) col->set_nullable(false);
  }
  if (coldef.is_not_null()) col->set_nullable(false);
  for (const pg_query::Node& c : coldef.constraints()) {
    if (!c.has_constraint()) continue;
    pg_query::ConstrType contype = c.constraint().contype();
    if (contype == pg_query::CONSTR_NOTNULL || contype == pg_query::CONSTR_PRIMARY ||
        contype == pg_query::CONSTR_IDENTITY) {
      col->set_nullable(false);
    } else if (contype == pg_query::CONSTR_NULL) {
      col->set_nullable(true);
    }
  }
}

void SchemaModel::ApplyColumnConstraints(Context& ctx, TableState& t,
                                         const pg_query::ColumnDef& coldef) {
  for (const pg_query::Node& c : coldef.constraints()) {
    if (c.has_constraint()) AddConstraint(ctx, t, {coldef.colname()}, c.constraint());
  }
}

void SchemaModel::AddConstraint(Context& ctx, TableState& t,
                                const std::vector<std::string>& column_scope,
                                const pg_query::Constraint& constraint) {
  const pg_query::ConstrType contype = constraint.contype();
  const std::string& conname = constraint.conname();
  v1::Table& table = t.table;
  auto report = [&](const std::string& message) { Report(ctx, constraint.location(), message); };
  auto keys = [&](const sql::NodeList& list) {
    std::vector<std::string> k = sql::StringList(list);
    return k.empty() ? column_scope : k;
  };
  auto check_columns = [&](const v1::Table& on, const std::vector<std::string>& cols) {
    for (const std::string& c : cols) {
      if (!HasColumn(on, c)) {
        report(absl::StrCat("column ", Quote(c), " does not exist in table ", Quote(on.name())));
        return false;
      }
    }
    return true;
  };

  if (contype == pg_query::CONSTR_PRIMARY || contype == pg_query::CONSTR_UNIQUE) {
    bool primary = contype == pg_query::CONSTR_PRIMARY;
    std::vector<std::string> cols = keys(constraint.keys());
    if (!check_columns(table, cols)) return;
    if (primary && table.primary_key_size() > 0) {
      report(absl::StrCat("table ", Quote(table.name()), " already has a primary key"));
      return;
    }
    std::string name = conname;
    // ADD CONSTRAINT c PRIMARY KEY / UNIQUE USING INDEX i: the index becomes
    // the constraint's, renamed to c when c is given.
    if (const std::string& using_index = constraint.indexname(); !using_index.empty()) {
      auto ix = std::find_if(table.indexes().begin(), table.indexes().end(),
                             [&](const v1::Index& i) { return i.name() == using_index; });
      if (ix == table.indexes().end()) {
        report(absl::StrCat("index ", Quote(using_index), " does not exist on table ",
                            Quote(table.name())));
        return;
      }
      if (!ix->unique() || ix->constraint()) {
        report(absl::StrCat("index ", Quote(using_index), " is ",
                            ix->constraint() ? "already a constraint's" : "not unique"));
        return;
      }
      cols.assign(ix->columns().begin(), ix->columns().end());
      if (name.empty()) name = using_index;
      table.mutable_indexes()->erase(table.mutable_indexes()->begin() +
                                     (ix - table.indexes().begin()));
      relnames_.erase(using_index);
    }
    if (name.empty()) {
      name = primary
                 ? ChooseRelationName(sql::BareName(table.name()), "", "pkey")
                 : ChooseRelationName(sql::BareName(table.name()), sql::NameAddition(cols), "key");
    }
    v1::Index* ix = table.add_indexes();
    ix->set_name(name);
    for (const std::string& c : cols) ix->add_columns(c);
    for (const std::string& c : sql::StringList(constraint.including())) ix->add_columns(c);
    ix->set_unique(true);
    ix->set_primary(primary);
    ix->set_constraint(true);
    ix->set_cluster(ctx.cluster);
    relnames_.insert(name);
    connames_.insert(name);
    if (primary) {
      for (const std::string& c : cols) {
        table.add_primary_key(c);
        FindColumn(table, c)->set_nullable(false);
      }
    }
    const v1::Index added = *ix;
    for (const std::string& p : t.partitions) {
      if (auto sub = tables_.find(p); sub != tables_.end()) {
        ClonePartitionIndex(sub->second, added, cols);
      }
    }
  } else if (contype == pg_query::CONSTR_FOREIGN) {
    if (!constraint.has_pktable()) return;
    std::vector<std::string> cols = keys(constraint.fk_attrs());
    std::string target_name = sql::RelationName(constraint.pktable());
    TableState* target = target_name == table.name()
                             ? &t
                             : RequireTable(ctx, target_name, constraint.pktable().location(),
                                            "reference by foreign key");
    if (target == nullptr) return;
    std::vector<std::string> ref = sql::StringList(constraint.pk_attrs());
    if (ref.empty()) {
      ref.assign(target->table.primary_key().begin(), target->table.primary_key().end());
      if (ref.empty()) {
        report(absl::StrCat("foreign key references table ", Quote(target_name),
                            " without columns, and it has no primary key"));
        return;
      }
    }
    if (!check_columns(table, cols) || !check_columns(target->table, ref)) return;
    if (ref.size() != cols.size()) {
      report(absl::StrCat("foreign key on ", Quote(table.name()), " has ", cols.size(),
                          " columns but references ", ref.size()));
      return;
    }
    std::string name = conname.empty() ? ChooseConstraintName(sql::BareName(table.name()),
                                                              sql::NameAddition(cols), "fkey")
                                       : conname;
    connames_.insert(name);
    v1::ForeignKey* fk = table.add_foreign_keys();
    fk->set_name(name);
    for (const std::string& c : cols) fk->add_columns(c);
    fk->set_references_table(target_name);
    for (const std::string& c : ref) fk->add_references_columns(c);
    fk->set_cluster(ctx.cluster);
    const std::string& del = constraint.fk_del_action();
    const std::string& upd = constraint.fk_upd_action();
    fk->set_on_delete(del.empty() ? "a" : del);
    fk->set_on_update(upd.empty() ? "a" : upd);
    const v1::ForeignKey added = *fk;
    for (const std::string& p : t.partitions) {
      if (auto sub = tables_.find(p); sub != tables_.end()) {
        ClonePartitionForeignKey(sub->second, added);
      }
    }
  } else if (contype == pg_query::CONSTR_CHECK) {
    std::string name = conname;
    if (name.empty()) {
      std::string col;
      if (column_scope.size() == 1) {
        col = column_scope[0];
      } else {
        std::set<std::string> refs;
        if (constraint.has_raw_expr()) {
          ColumnRefs visitor(&refs);
          sql::Walk(constraint.raw_expr(), visitor);
        }
        if (refs.size() == 1) col = *refs.begin();
      }
      name = ChooseConstraintName(sql::BareName(table.name()), col, "check");
    }
    connames_.insert(name);
    t.checks.push_back(name);
  } else if (contype == pg_query::CONSTR_EXCLUSION) {
    std::string name =
        conname.empty() ? ChooseRelationName(sql::BareName(table.name()), "", "excl") : conname;
    relnames_.insert(name);
    connames_.insert(name);
    t.checks.push_back(name);
  }
}

void SchemaModel::DropConstraint(Context& ctx, TableState& t, const std::string& name,
                                 bool missing_ok, int location) {
  v1::Table& table = t.table;
  bool found = false;
  EraseIf(table.mutable_foreign_keys(), [&](const v1::ForeignKey& fk) {
    bool match = fk.name() == name;
    found = found || match;
    return match;
  });
  EraseIf(table.mutable_indexes(), [&](const v1::Index& ix) {
    bool match = ix.constraint() && ix.name() == name;
    if (match && ix.primary()) table.clear_primary_key();
    if (match) relnames_.erase(name);
    found = found || match;
    return match;
  });
  auto check = std::find(t.checks.begin(), t.checks.end(), name);
  if (check != t.checks.end()) {
    t.checks.erase(check);
    found = true;
  }
  if (found) {
    connames_.erase(name);
  } else if (!missing_ok) {
    Report(ctx, location,
           absl::StrCat("constraint ", Quote(name), " of table ", Quote(table.name()),
                        " does not exist"));
  }
}

}  // namespace schemagate::generator::internal
