// The lock lint's dispatch over one statement: the lock each kind of
// statement takes and the rules that apply to it (tables' own rules are in
// lock_lint_tables.cc), as a member of Linter::State (linter_state.h).
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

using facts::TypeKey;
using pg_query::Node;

void Linter::State::Statement(const Node& node) {
  switch (node.node_case()) {
    case Node::kCreateStmt:
      what = "CREATE TABLE";
      CreateTable(node.create_stmt());
      break;
    case Node::kCreateTableAsStmt:
      what = "CREATE TABLE AS";
      if (node.create_table_as_stmt().has_into()) {
        TableAt(sql::RelationName(node.create_table_as_stmt().into().rel()));
      }
      break;
    case Node::kAlterTableStmt:
      what = "ALTER TABLE";
      AlterTable(node.alter_table_stmt());
      break;
    case Node::kIndexStmt: {
      const pg_query::IndexStmt& s = node.index_stmt();
      what = s.unique() ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
      std::string table = sql::RelationName(s.relation());
      if (s.concurrent()) {
        Add(table, Lock::kShareUpdateExclusive);
        Concurrently("CREATE INDEX CONCURRENTLY", table);
      } else {
        Add(table, Lock::kShare, "index-not-concurrent",
            absl::StrCat(what, s.idxname().empty() ? "" : " " + s.idxname(),
                         " takes a SHARE lock on ", Existing(table),
                         ": inserts, updates and deletes wait until the index is built"));
      }
      break;
    }
    case Node::kDropStmt: {
      const pg_query::DropStmt& s = node.drop_stmt();
      what = "DROP";
      for (const Node& o : s.objects()) {
        if (!o.has_list()) continue;
        std::string name = sql::QualifiedName(o.list().items());
        if (s.remove_type() == pg_query::OBJECT_INDEX) {
          std::string table = index_tables.count(name) ? index_tables[name] : "";
          if (s.concurrent()) {
            if (!table.empty()) Add(table, Lock::kShareUpdateExclusive);
            Concurrently("DROP INDEX CONCURRENTLY", table.empty() ? name : table);
          } else if (!table.empty()) {
            Add(table, Lock::kAccessExclusive, "drop-index-not-concurrent",
                absl::StrCat("DROP INDEX ", name, " takes an ACCESS EXCLUSIVE lock on ",
                             Existing(table),
                             ": it waits for every running query on the table, and every "
                             "query after it waits for it"));
          }
          index_tables.erase(name);
        } else if (s.remove_type() == pg_query::OBJECT_TABLE) {
          Add(name, Lock::kAccessExclusive, "drop-table",
              absl::StrCat("DROP TABLE ", Existing(name),
                           ": replicas still running the previous build use it"));
          EraseTable(name);
        }
      }
      break;
    }
    case Node::kRenameStmt: {
      const pg_query::RenameStmt& s = node.rename_stmt();
      what = "RENAME";
      std::string table = s.has_relation() ? sql::RelationName(s.relation()) : "";
      if (s.rename_type() == pg_query::OBJECT_TABLE) {
        Add(table, Lock::kAccessExclusive, "rename-table",
            absl::StrCat("RENAME ", Existing(table), " to ", s.newname(),
                         ": replicas still running the previous build use the old name"));
        std::string schema =
            table.find('.') == std::string::npos ? "" : table.substr(0, table.find('.'));
        std::string to = schema.empty() ? s.newname() : schema + "." + s.newname();
        if (auto it = tables.find(table); it != tables.end()) {
          Table moved = std::move(it->second);
          EraseTable(table);
          TableAt(to) = std::move(moved);
        }
        if (Existed(table)) changed[to] = true;
      } else if (s.rename_type() == pg_query::OBJECT_COLUMN) {
        Add(table, Lock::kAccessExclusive, "rename-column",
            absl::StrCat("RENAME COLUMN ", s.subname(), " of ", Existing(table), " to ",
                         s.newname(),
                         ": replicas still running the previous build use the old name"));
        Table& t = TableAt(table);
        if (auto it = t.columns.find(s.subname()); it != t.columns.end()) {
          TypeKey type = it->second;
          t.columns.erase(it);
          t.columns[s.newname()] = type;
        }
      } else if (s.rename_type() == pg_query::OBJECT_INDEX) {
        if (auto it = index_tables.find(table); it != index_tables.end()) {
          std::string on = it->second;
          index_tables.erase(it);
          index_tables[s.newname()] = on;
          Add(on, Lock::kShareUpdateExclusive);
        }
      } else if (!table.empty()) {
        Add(table, Lock::kAccessExclusive);
      }
      break;
    }
    case Node::kVacuumStmt: {
      const pg_query::VacuumStmt& s = node.vacuum_stmt();
      bool full = false;
      for (const Node& o : s.options()) {
        full = full || (o.has_def_elem() && o.def_elem().defname() == "full");
      }
      what = s.is_vacuumcmd() ? (full ? "VACUUM FULL" : "VACUUM") : "ANALYZE";
      if (s.is_vacuumcmd()) Concurrently(what, "");
      for (const Node& r : s.rels()) {
        if (!r.has_vacuum_relation() || !r.vacuum_relation().has_relation()) continue;
        std::string table = sql::RelationName(r.vacuum_relation().relation());
        if (full) {
          Add(table, Lock::kAccessExclusive, "vacuum-full",
              absl::StrCat("VACUUM FULL rewrites ", Existing(table),
                           " under an ACCESS EXCLUSIVE lock: reads and writes wait"));
        } else {
          Add(table, Lock::kShareUpdateExclusive);
        }
      }
      break;
    }
    case Node::kClusterStmt:
      what = "CLUSTER";
      if (node.cluster_stmt().has_relation()) {
        std::string table = sql::RelationName(node.cluster_stmt().relation());
        Add(table, Lock::kAccessExclusive, "cluster",
            absl::StrCat("CLUSTER rewrites ", Existing(table),
                         " under an ACCESS EXCLUSIVE lock: reads and writes wait"));
      }
      break;
    case Node::kLockStmt: {
      const pg_query::LockStmt& s = node.lock_stmt();
      what = "LOCK TABLE";
      Lock lock =
          s.mode() >= 1 && s.mode() <= 8 ? static_cast<Lock>(s.mode() - 1) : Lock::kAccessExclusive;
      for (const Node& r : s.relations()) {
        if (!r.has_range_var()) continue;
        std::string table = sql::RelationName(r.range_var());
        Add(table, lock, "lock-table",
            absl::StrCat("LOCK TABLE takes ", LockName(lock), " on ", Existing(table),
                         " until the migration commits"));
      }
      break;
    }
    case Node::kReindexStmt: {
      const pg_query::ReindexStmt& s = node.reindex_stmt();
      what = "REINDEX";
      bool concurrent = false;
      for (const Node& p : s.params()) {
        concurrent = concurrent || (p.has_def_elem() && p.def_elem().defname() == "concurrently");
      }
      std::string name = s.has_relation() ? sql::RelationName(s.relation()) : "";
      std::string table = s.kind() == pg_query::REINDEX_OBJECT_INDEX
                              ? (index_tables.count(name) ? index_tables[name] : "")
                              : name;
      if (concurrent) {
        if (!table.empty()) Add(table, Lock::kShareUpdateExclusive);
        Concurrently("REINDEX CONCURRENTLY", table.empty() ? name : table);
      } else if (!table.empty()) {
        Add(table, Lock::kShare, "reindex-not-concurrent",
            absl::StrCat("REINDEX takes a SHARE lock on ", Existing(table),
                         " and ACCESS EXCLUSIVE on the index: writes wait, and reads that "
                         "would use the index"));
      }
      break;
    }
    case Node::kUpdateStmt: {
      const pg_query::UpdateStmt& s = node.update_stmt();
      what = "UPDATE";
      std::string table = sql::RelationName(s.relation());
      if (!s.has_where_clause() && s.from_clause().empty()) {
        Add(table, Lock::kRowExclusive, "whole-table-update",
            absl::StrCat("UPDATE of every row of ", Existing(table),
                         ": each row stays locked until the migration commits, and the table "
                         "doubles in size until vacuumed"));
      } else {
        Add(table, Lock::kRowExclusive);
      }
      EnumUse(node);
      break;
    }
    case Node::kDeleteStmt: {
      const pg_query::DeleteStmt& s = node.delete_stmt();
      what = "DELETE";
      std::string table = sql::RelationName(s.relation());
      if (!s.has_where_clause() && s.using_clause().empty()) {
        Add(table, Lock::kRowExclusive, "whole-table-delete",
            absl::StrCat("DELETE of every row of ", Existing(table),
                         ": each row stays locked until the migration commits"));
      } else {
        Add(table, Lock::kRowExclusive);
      }
      break;
    }
    case Node::kInsertStmt:
      what = "INSERT";
      Add(sql::RelationName(node.insert_stmt().relation()), Lock::kRowExclusive);
      EnumUse(node);
      break;
    case Node::kTruncateStmt:
      what = "TRUNCATE";
      for (const Node& r : node.truncate_stmt().relations()) {
        if (r.has_range_var()) Add(sql::RelationName(r.range_var()), Lock::kAccessExclusive);
      }
      break;
    case Node::kCreateTrigStmt:
      what = "CREATE TRIGGER";
      Add(sql::RelationName(node.create_trig_stmt().relation()), Lock::kShareRowExclusive);
      break;
    case Node::kAlterEnumStmt: {
      const pg_query::AlterEnumStmt& s = node.alter_enum_stmt();
      what = "ALTER TYPE";
      if (!s.new_val().empty() && s.old_val().empty()) {
        new_enum_values.insert({sql::QualifiedName(s.type_name()), s.new_val()});
      }
      break;
    }
    case Node::kCreateFunctionStmt: {
      const pg_query::CreateFunctionStmt& s = node.create_function_stmt();
      bool is_volatile = true;
      for (const Node& o : s.options()) {
        if (o.has_def_elem() && o.def_elem().defname() == "volatility") {
          is_volatile = sql::StringOf(o.def_elem().arg()) == "volatile";
        }
      }
      functions[sql::QualifiedName(s.funcname())] = is_volatile;
      break;
    }
    default:
      EnumUse(node);
      break;
  }
  if (node.has_index_stmt()) {
    const pg_query::IndexStmt& s = node.index_stmt();
    if (!s.idxname().empty()) {
      std::string table = sql::RelationName(s.relation());
      std::string schema =
          table.find('.') == std::string::npos ? "" : table.substr(0, table.find('.'));
      index_tables[schema.empty() ? s.idxname() : schema + "." + s.idxname()] = table;
    }
  }
}

}  // namespace schemagate::generator::lint
