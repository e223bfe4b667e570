// The lock lint's rules for CREATE TABLE and ALTER TABLE (column types,
// defaults, NOT NULL, constraints and foreign keys), as members of
// Linter::State (linter_state.h).
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pg_walk.h"
#include "server/generator/lint/linter_state.h"
#include "server/sql/parser.h"

namespace schemagate::generator::lint {

using facts::Classify;
using facts::KeyOf;
using facts::NotNullColumn;
using facts::Quoted;
using facts::TypeChange;
using facts::TypeKey;
using pg_query::Node;

void Linter::State::AlterTable(const pg_query::AlterTableStmt& s) {
  if (s.objtype() != pg_query::OBJECT_TABLE) return;
  std::string table = sql::RelationName(s.relation());
  Table& t = TableAt(table);
  for (const Node& n : s.cmds()) {
    if (!n.has_alter_table_cmd()) continue;
    const pg_query::AlterTableCmd& c = n.alter_table_cmd();
    switch (c.subtype()) {
      case pg_query::AT_AddColumn:
      case pg_query::AT_AddColumnRecurse: {
        if (!c.def().has_column_def()) break;
        const pg_query::ColumnDef& def = c.def().column_def();
        std::string why;
        TypeKey type = def.has_type_name() ? KeyOf(def.type_name()) : TypeKey{};
        bool serial = absl::StrContains(
            def.has_type_name() && !def.type_name().names().empty()
                ? sql::StringOf(def.type_name().names(def.type_name().names_size() - 1))
                : "",
            "serial");
        if (serial) why = "a serial column's default calls nextval()";
        for (const Node& cn : def.constraints()) {
          if (!cn.has_constraint()) continue;
          const pg_query::Constraint& k = cn.constraint();
          if (k.contype() == pg_query::CONSTR_DEFAULT && Volatile(k.raw_expr())) {
            why = "its default is volatile";
          } else if (k.contype() == pg_query::CONSTR_IDENTITY) {
            why = "an identity column is filled for every row";
          } else if (k.contype() == pg_query::CONSTR_GENERATED) {
            why = "a stored generated column is computed for every row";
          } else if (k.contype() == pg_query::CONSTR_FOREIGN && k.has_pktable()) {
            ForeignKey(table, sql::RelationName(k.pktable()), k, def.colname(),
                       /*new_column=*/true);
          } else if ((k.contype() == pg_query::CONSTR_UNIQUE ||
                      k.contype() == pg_query::CONSTR_PRIMARY)) {
            Add(table, Lock::kAccessExclusive, "unique-without-index",
                absl::StrCat("ADD COLUMN ", def.colname(), " ",
                             k.contype() == pg_query::CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
                             " builds an index under an ACCESS EXCLUSIVE lock on ", Existing(table),
                             ": reads and writes wait until it is built"));
          } else if (k.contype() == pg_query::CONSTR_CHECK) {
            Add(table, Lock::kAccessExclusive, "check-not-valid",
                absl::StrCat("ADD COLUMN ", def.colname(), " with a CHECK scans ", Existing(table),
                             " under an ACCESS EXCLUSIVE lock"));
          }
        }
        if (why.empty() && Existed(table)) {
          judged_safe.push_back(absl::StrCat("ADD COLUMN ", def.colname(),
                                             ": no default or a non-volatile one, no rewrite"));
        }
        if (!why.empty()) {
          Add(table, Lock::kAccessExclusive, "volatile-default",
              absl::StrCat("ADD COLUMN ", def.colname(), " rewrites ", Existing(table),
                           " under an ACCESS EXCLUSIVE lock (", why,
                           "): reads and writes wait for the whole rewrite"));
        } else {
          Add(table, Lock::kAccessExclusive);
        }
        t.columns[def.colname()] = type;
        if (def.is_not_null()) t.not_null_checked.insert(def.colname());
        break;
      }
      case pg_query::AT_DropColumn:
      case pg_query::AT_DropColumnRecurse:
        Add(table, Lock::kAccessExclusive, "drop-column",
            absl::StrCat("DROP COLUMN ", c.name(), " of ", Existing(table),
                         ": replicas still running the previous build read and write it"));
        t.columns.erase(c.name());
        break;
      case pg_query::AT_AlterColumnType: {
        std::optional<TypeKey> from;
        if (auto it = t.columns.find(c.name()); it != t.columns.end()) from = it->second;
        TypeKey to = c.def().has_column_def() && c.def().column_def().has_type_name()
                         ? KeyOf(c.def().column_def().type_name())
                         : TypeKey{};
        TypeChange change = Classify(from, to);
        std::string desc =
            absl::StrCat(c.name(), from ? " from " + from->ToString() : "", " to ", to.ToString());
        if (change.rewrite) {
          Add(table, Lock::kAccessExclusive, "column-type-rewrite",
              absl::StrCat("ALTER COLUMN ", desc, " rewrites ", Existing(table),
                           " under an ACCESS EXCLUSIVE lock: reads and writes wait for the "
                           "whole rewrite"));
        } else {
          Add(table, Lock::kAccessExclusive);
          if (Existed(table)) {
            judged_safe.push_back(absl::StrCat(desc, ": binary coercible, no rewrite"));
          }
        }
        if (change.narrows) {
          Add(table, Lock::kAccessExclusive, "narrow-type",
              absl::StrCat("ALTER COLUMN ", desc, " narrows a column of ", Existing(table),
                           ": values the previous build writes may no longer fit"));
        }
        t.columns[c.name()] = to;
        break;
      }
      case pg_query::AT_SetNotNull:
        if (t.not_null_checked.count(c.name())) {
          Add(table, Lock::kAccessExclusive);
          if (Existed(table)) {
            judged_safe.push_back(c.name() + " has a validated IS NOT NULL check: no scan");
          }
        } else {
          Add(table, Lock::kAccessExclusive, "set-not-null-scan",
              absl::StrCat("SET NOT NULL on ", c.name(), " scans ", Existing(table),
                           " under an ACCESS EXCLUSIVE lock: reads and writes wait for the "
                           "scan"));
        }
        t.not_null_checked.insert(c.name());
        break;
      case pg_query::AT_AddConstraint:
      case pg_query::AT_AddConstraintRecurse:
        if (c.def().has_constraint()) Constraint(table, c.def().constraint());
        break;
      case pg_query::AT_ValidateConstraint:
      case pg_query::AT_ValidateConstraintRecurse:
        Add(table, Lock::kShareUpdateExclusive);
        if (auto it = t.not_valid.find(c.name()); it != t.not_valid.end()) {
          t.not_null_checked.insert(it->second);
          t.not_valid.erase(it);
        }
        break;
      case pg_query::AT_SetStatistics:
      case pg_query::AT_ClusterOn:
      case pg_query::AT_SetRelOptions:
      case pg_query::AT_ResetRelOptions:
      case pg_query::AT_AttachPartition:
        Add(table, Lock::kShareUpdateExclusive);
        break;
      case pg_query::AT_EnableTrig:
      case pg_query::AT_DisableTrig:
      case pg_query::AT_EnableAlwaysTrig:
      case pg_query::AT_EnableReplicaTrig:
      case pg_query::AT_EnableTrigAll:
      case pg_query::AT_DisableTrigAll:
      case pg_query::AT_EnableTrigUser:
      case pg_query::AT_DisableTrigUser:
        Add(table, Lock::kShareRowExclusive);
        break;
      default:
        Add(table, Lock::kAccessExclusive);
        break;
    }
  }
}

void Linter::State::ForeignKey(const std::string& table, const std::string& ref,
                               const pg_query::Constraint& k, const std::string& column,
                               bool new_column) {
  if (k.skip_validation() || !Existed(table)) {
    Add(table, Lock::kShareRowExclusive);
    judged_safe.push_back(k.skip_validation()
                              ? "the foreign key is NOT VALID: no scan"
                              : absl::StrCat(Quoted(table), " is new: its scan reads nothing"));
  } else {
    Add(table, Lock::kShareRowExclusive, "foreign-key-not-valid",
        absl::StrCat(new_column ? "ADD COLUMN " + column + " REFERENCES " : "ADD FOREIGN KEY to ",
                     ref, " validates every row of ", Existing(table),
                     " under a SHARE ROW EXCLUSIVE lock on it and on ", Quoted(ref),
                     ": writes to both wait for the scan"));
  }
  if (ref != table) Add(ref, Lock::kShareRowExclusive);
}

void Linter::State::Constraint(const std::string& table, const pg_query::Constraint& k) {
  Table& t = TableAt(table);
  switch (k.contype()) {
    case pg_query::CONSTR_FOREIGN:
      if (k.has_pktable()) ForeignKey(table, sql::RelationName(k.pktable()), k, "", false);
      break;
    case pg_query::CONSTR_CHECK: {
      std::string col = NotNullColumn(k.raw_expr());
      if (k.skip_validation()) {
        Add(table, Lock::kAccessExclusive);
        judged_safe.push_back("the check is NOT VALID: no scan");
        if (!col.empty() && !k.conname().empty()) t.not_valid[k.conname()] = col;
      } else {
        Add(table, Lock::kAccessExclusive, "check-not-valid",
            absl::StrCat("ADD CHECK", k.conname().empty() ? "" : " " + k.conname(), " scans ",
                         Existing(table),
                         " under an ACCESS EXCLUSIVE lock: reads and writes "
                         "wait for the scan"));
        if (!col.empty()) t.not_null_checked.insert(col);
      }
      break;
    }
    case pg_query::CONSTR_PRIMARY:
    case pg_query::CONSTR_UNIQUE:
    case pg_query::CONSTR_EXCLUSION:
      if (!k.indexname().empty()) {
        Add(table, Lock::kAccessExclusive);  // USING INDEX: brief
      } else {
        Add(table, Lock::kAccessExclusive, "unique-without-index",
            absl::StrCat("ADD ",
                         k.contype() == pg_query::CONSTR_PRIMARY  ? "PRIMARY KEY"
                         : k.contype() == pg_query::CONSTR_UNIQUE ? "UNIQUE"
                                                                  : "EXCLUDE",
                         " builds an index under an ACCESS EXCLUSIVE lock on ", Existing(table),
                         ": reads and writes wait until it is built"));
      }
      break;
    default:
      Add(table, Lock::kAccessExclusive);
      break;
  }
}

void Linter::State::CreateTable(const pg_query::CreateStmt& s) {
  std::string table = sql::RelationName(s.relation());
  Table t;
  for (const Node& e : s.table_elts()) {
    if (e.has_column_def()) {
      const pg_query::ColumnDef& def = e.column_def();
      t.columns[def.colname()] =
          def.has_type_name() ? KeyOf(def.type_name()) : TypeKey{"", {}, false, false};
      bool not_null = def.is_not_null();
      for (const Node& cn : def.constraints()) {
        if (!cn.has_constraint()) continue;
        const pg_query::Constraint& k = cn.constraint();
        if (k.contype() == pg_query::CONSTR_NOTNULL || k.contype() == pg_query::CONSTR_PRIMARY) {
          not_null = true;
        }
        if (k.contype() == pg_query::CONSTR_FOREIGN && k.has_pktable()) {
          std::string ref = sql::RelationName(k.pktable());
          if (ref != table) Add(ref, Lock::kShareRowExclusive);
        }
      }
      if (not_null) t.not_null_checked.insert(def.colname());
    } else if (e.has_constraint() && e.constraint().contype() == pg_query::CONSTR_FOREIGN &&
               e.constraint().has_pktable()) {
      std::string ref = sql::RelationName(e.constraint().pktable());
      if (ref != table) Add(ref, Lock::kShareRowExclusive);
    }
  }
  for (const Node& p : s.inh_relations()) {
    if (!p.has_range_var()) continue;
    std::string parent = sql::RelationName(p.range_var());
    // PARTITION OF / INHERITS lock the parent.
    Add(parent, s.has_partbound() ? Lock::kShareUpdateExclusive : Lock::kShareUpdateExclusive);
    auto it = tables.find(parent);
    if (it != tables.end()) {
      for (const auto& [col, type] : it->second.columns) t.columns.emplace(col, type);
    }
  }
  TableAt(table) = std::move(t);
}

}  // namespace schemagate::generator::lint
