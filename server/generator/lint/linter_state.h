// Internal to the lock lint: Linter::State, the model of the tree's tables
// (columns and their types, validated NOT NULL checks, functions) the lint
// replays migration by migration, and the findings of the migration being
// linted. Its members are defined in lock_lint.cc (bookkeeping, findings,
// concurrency and enum rules), lock_lint_tables.cc (CREATE/ALTER TABLE and
// constraints) and lock_lint_statement.cc (the dispatch over statements).
#ifndef SCHEMAGATE_SERVER_GENERATOR_LINT_LINTER_STATE_H_
#define SCHEMAGATE_SERVER_GENERATOR_LINT_LINTER_STATE_H_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pg_query/pg_query.pb.h"
#include "server/generator/lint/lock_lint.h"
#include "server/generator/lint/lock_lint_facts.h"

namespace schemagate::generator::lint {

struct Linter::State {
  struct Table {
    std::map<std::string, facts::TypeKey> columns;
    std::set<std::string> not_null_checked;        // columns with a validated IS NOT NULL check
    std::map<std::string, std::string> not_valid;  // NOT VALID IS NOT NULL checks: name -> column
  };
  std::map<std::string, Table> tables;
  std::map<std::string, bool> functions;  // declared in the tree: volatile?

  // Per migration: each table name first added to or removed from `tables`
  // during it, and whether it existed when the migration started (names
  // not here are as they were). Kept instead of a copy of every name per
  // migration, which made the lint quadratic in the tree's size.
  std::map<std::string, bool> changed;
  std::set<std::pair<std::string, std::string>> new_enum_values;  // (type, value)
  std::vector<std::string> exclusive;  // pre-existing tables locked ACCESS EXCLUSIVE, in order
  const MigrationInput* m = nullptr;
  std::vector<TableLock> out;
  // The statement being linted.
  std::string what;
  int line = 0, column = 0;
  std::map<std::string, std::string> allows;
  std::vector<std::string> judged_safe;  // for the statement's summary

  bool Existed(const std::string& table) const;
  // tables[name], noting a name that was not there.
  Table& TableAt(const std::string& name);
  void EraseTable(const std::string& name);

  bool Volatile(const pg_query::Node& expr) const;

  // A lock on `table`; `rule` ("" for none) makes it a finding with
  // `message` (the part after "[rule] ").
  void Add(const std::string& table, Lock lock, const std::string& rule = "",
           const std::string& message = "");

  std::string Existing(const std::string& table) const;

  void AlterTable(const pg_query::AlterTableStmt& s);

  void ForeignKey(const std::string& table, const std::string& ref, const pg_query::Constraint& k,
                  const std::string& column, bool new_column);

  void Constraint(const std::string& table, const pg_query::Constraint& k);

  void CreateTable(const pg_query::CreateStmt& s);

  void Statement(const pg_query::Node& node);

  // CONCURRENTLY (and VACUUM) cannot run inside a transaction block.
  void Concurrently(const std::string& verb, const std::string& on);

  // A value added by ALTER TYPE ... ADD VALUE in this transaction, used.
  void EnumUse(const pg_query::Node& node);

  std::map<std::string, std::string> index_tables;  // index -> table
};

}  // namespace schemagate::generator::lint

#endif  // SCHEMAGATE_SERVER_GENERATOR_LINT_LINTER_STATE_H_
