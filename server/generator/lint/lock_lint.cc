// The lock lint (lock_lint.h): its rules, the Linter's walk over a
// migration's statements, and the State's bookkeeping and findings
// (linter_state.h lists where the rest of the State lives).
#include "server/generator/lint/lock_lint.h"

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

using facts::Allows;
using facts::Calls;
using facts::Quoted;
using facts::Strings;
using facts::TargetOf;
using facts::VolatileBuiltin;
using pg_query::Node;

const char* LockName(Lock lock) {
  switch (lock) {
    case Lock::kAccessShare:
      return "ACCESS SHARE";
    case Lock::kRowShare:
      return "ROW SHARE";
    case Lock::kRowExclusive:
      return "ROW EXCLUSIVE";
    case Lock::kShareUpdateExclusive:
      return "SHARE UPDATE EXCLUSIVE";
    case Lock::kShare:
      return "SHARE";
    case Lock::kShareRowExclusive:
      return "SHARE ROW EXCLUSIVE";
    case Lock::kExclusive:
      return "EXCLUSIVE";
    case Lock::kAccessExclusive:
      return "ACCESS EXCLUSIVE";
  }
  return "ACCESS EXCLUSIVE";
}

const std::vector<Rule>& Rules() {
  static const std::vector<Rule> kRules = {
      {"index-not-concurrent", RuleKind::kBlocking,
       "CREATE INDEX CONCURRENTLY, in a migration marked -- schemagate:no-transaction"},
      {"drop-index-not-concurrent", RuleKind::kBlocking,
       "DROP INDEX CONCURRENTLY, in a migration marked -- schemagate:no-transaction"},
      {"reindex-not-concurrent", RuleKind::kBlocking,
       "REINDEX ... CONCURRENTLY, in a migration marked -- schemagate:no-transaction"},
      {"foreign-key-not-valid", RuleKind::kBlocking,
       "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in "
       "a "
       "later migration (it takes SHARE UPDATE EXCLUSIVE: writes go on)"},
      {"check-not-valid", RuleKind::kBlocking,
       "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
      {"unique-without-index", RuleKind::kBlocking,
       "CREATE UNIQUE INDEX CONCURRENTLY (a no-transaction migration), then ADD CONSTRAINT ... "
       "UNIQUE/PRIMARY KEY USING INDEX"},
      {"column-type-rewrite", RuleKind::kBlocking,
       "add a column of the new type, backfill it in batches, switch reads and writes, then drop "
       "the old one; or change only what is binary coercible (varchar(n) to a longer varchar or "
       "text, numeric to a larger precision)"},
      {"set-not-null-scan", RuleKind::kBlocking,
       "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (a later "
       "migration); then SET NOT NULL, which uses the validated check and skips the scan"},
      {"volatile-default", RuleKind::kBlocking,
       "add the column without a default (or with a constant one), backfill it in batches, then "
       "SET DEFAULT"},
      {"vacuum-full", RuleKind::kBlocking, "plain VACUUM, or pg_repack, outside migrations"},
      {"cluster", RuleKind::kBlocking, "pg_repack, outside migrations"},
      {"lock-table", RuleKind::kBlocking,
       "let each statement take the lock it needs; if the lock is needed, keep the migration "
       "short"},
      {"whole-table-update", RuleKind::kBlocking,
       "update in batches (WHERE id BETWEEN ...), outside the schema migration or in several"},
      {"whole-table-delete", RuleKind::kBlocking,
       "delete in batches, or TRUNCATE a table nobody uses any more"},
      {"multiple-access-exclusive", RuleKind::kBlocking,
       "one table per migration: split the migration, so no lock waits behind another"},
      {"concurrently-in-transaction", RuleKind::kError,
       "mark the migration -- schemagate:no-transaction (and keep it to statements that are safe "
       "to "
       "retry)"},
      {"enum-value-in-same-transaction", RuleKind::kError,
       "add the value in one migration and use it in a later one"},
      {"drop-column", RuleKind::kIncompatible,
       "stop using the column in one release, drop it in the next"},
      {"rename-column", RuleKind::kIncompatible,
       "add the new column, write both, move reads, then drop the old one in a later release"},
      {"drop-table", RuleKind::kIncompatible,
       "stop using the table in one release, drop it in the next"},
      {"rename-table", RuleKind::kIncompatible,
       "create the new name as a view or a new table, move the code, then drop the old name later"},
      {"narrow-type", RuleKind::kIncompatible,
       "widen, never narrow, while older replicas still write; narrow after they are gone"},
  };
  return kRules;
}

const Rule* FindRule(absl::string_view name) {
  for (const Rule& r : Rules()) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

bool Linter::State::Existed(const std::string& table) const {
  auto it = changed.find(table);
  return it != changed.end() ? it->second : tables.count(table) > 0;
}

Linter::State::Table& Linter::State::TableAt(const std::string& name) {
  auto it = tables.find(name);
  if (it != tables.end()) return it->second;
  changed.emplace(name, false);  // keeps an earlier record
  return tables[name];
}

void Linter::State::EraseTable(const std::string& name) {
  auto it = tables.find(name);
  if (it == tables.end()) return;
  changed.emplace(name, true);
  tables.erase(it);
}

bool Linter::State::Volatile(const Node& expr) const {
  Calls calls;
  sql::Walk(expr, calls);
  for (const std::string& f : calls.names) {
    auto it = functions.find(f);
    if (it != functions.end() ? it->second : VolatileBuiltin(f)) return true;
  }
  return false;
}

void Linter::State::Add(const std::string& table, Lock lock, const std::string& rule,
                        const std::string& message) {
  bool error_rule = false;
  const Rule* r = rule.empty() ? nullptr : FindRule(rule);
  if (r != nullptr) error_rule = r->kind == RuleKind::kError;
  if (!Existed(table) && !error_rule) return;  // new tables are empty
  TableLock l;
  l.table = table;
  l.lock = lock;
  l.line = line;
  l.column = column;
  l.statement = what;
  if (r != nullptr) {
    l.rule = rule;
    l.kind = r->kind;
    l.message = absl::StrCat("[", rule, "] ", message, "; instead: ", r->rewrite);
    auto allow = allows.find(rule);
    if (allow != allows.end()) {
      l.acknowledged = true;
      l.reason = allow->second;
    }
  }
  if (lock == Lock::kAccessExclusive && Existed(table) && !m->no_transaction &&
      std::find(exclusive.begin(), exclusive.end(), table) == exclusive.end()) {
    exclusive.push_back(table);
  }
  out.push_back(std::move(l));
}

std::string Linter::State::Existing(const std::string& table) const {
  return absl::StrCat(Quoted(table), " (it existed before this migration)");
}

void Linter::State::Concurrently(const std::string& verb, const std::string& on) {
  if (m->no_transaction) return;
  TableLock l;
  l.table = on;
  l.lock = Lock::kShareUpdateExclusive;
  l.line = line;
  l.column = column;
  l.statement = what;
  l.rule = "concurrently-in-transaction";
  l.kind = RuleKind::kError;
  l.message = absl::StrCat("[concurrently-in-transaction] ", verb,
                           " cannot run inside a transaction block, and this migration runs in "
                           "one; instead: ",
                           FindRule("concurrently-in-transaction")->rewrite);
  auto allow = allows.find(l.rule);
  if (allow != allows.end()) {
    l.acknowledged = true;
    l.reason = allow->second;
  }
  out.push_back(std::move(l));
}

void Linter::State::EnumUse(const Node& node) {
  if (m->no_transaction || new_enum_values.empty()) return;
  Strings strings;
  sql::Walk(node, strings);
  for (const auto& [type, value] : new_enum_values) {
    if (!strings.values.count(value)) continue;
    // Used as the enum: cast to it, or a string in a statement on a table
    // with a column of that type.
    bool used = strings.casts.count({type, value}) > 0;
    for (const std::string& r : strings.relations) {
      auto t = tables.find(r);
      if (t == tables.end()) continue;
      for (const auto& [col, key] : t->second.columns) used = used || key.base == type;
    }
    if (!used) continue;
    TableLock l;
    l.table = type;
    l.line = line;
    l.column = column;
    l.statement = what;
    l.rule = "enum-value-in-same-transaction";
    l.kind = RuleKind::kError;
    l.message = absl::StrCat("[enum-value-in-same-transaction] '", value, "' is added to ", type,
                             " by this migration and used in the same transaction: PostgreSQL "
                             "refuses it (unsafe use of new value); instead: ",
                             FindRule(l.rule)->rewrite);
    auto allow = allows.find(l.rule);
    if (allow != allows.end()) {
      l.acknowledged = true;
      l.reason = allow->second;
    }
    out.push_back(std::move(l));
    return;
  }
}

Linter::Linter() : state_(std::make_unique<State>()) {}
Linter::~Linter() = default;

std::vector<TableLock> Linter::Migration(const MigrationInput& m,
                                         std::vector<StatementSummary>* summaries) {
  State& s = *state_;
  s.m = &m;
  s.out.clear();
  s.changed.clear();
  s.new_enum_values.clear();
  s.exclusive.clear();
  if (m.tree != nullptr) {
    for (const sql::ProtoStatement& st : m.tree->statements) {
      size_t at = sql::SkipSpaceAndComments(m.sql, st.offset);
      sql::LineCol lc = sql::PositionOf(m.sql, at);
      s.line = lc.line;
      s.column = lc.column;
      s.allows = Allows(m.sql.substr(st.offset, at - st.offset));
      s.what.clear();
      const size_t before = s.exclusive.size();
      s.judged_safe.clear();
      if (summaries != nullptr) {
        StatementSummary sum;
        sum.target = TargetOf(*st.node);
        sum.line = lc.line;
        sum.end_line = sql::PositionOf(m.sql, std::min(m.sql.size(), st.offset + st.length)).line;
        Strings names;
        sql::Walk(*st.node, names);
        for (const std::string& r : names.relations) {
          sum.tables.push_back(r);
          if (s.Existed(r)) sum.existing.push_back(r);
        }
        summaries->push_back(std::move(sum));
      }
      s.Statement(*st.node);
      if (summaries != nullptr) {
        summaries->back().statement = s.what;
        summaries->back().judged_safe = s.judged_safe;
      }
      // Another table under ACCESS EXCLUSIVE in the same transaction.
      if (before >= 1 && s.exclusive.size() > before) {
        const std::string& first = s.exclusive.front();
        const std::string& next = s.exclusive.back();
        TableLock l;
        l.table = next;
        l.lock = Lock::kAccessExclusive;
        l.line = s.line;
        l.column = s.column;
        l.statement = s.what;
        l.rule = "multiple-access-exclusive";
        l.kind = RuleKind::kBlocking;
        l.message = absl::StrCat("[multiple-access-exclusive] ", s.what,
                                 " takes ACCESS EXCLUSIVE on ", s.Existing(next),
                                 " while this migration already holds it on ", Quoted(first),
                                 ": both stay locked until it commits, and the locks can "
                                 "deadlock with the application's; instead: ",
                                 FindRule(l.rule)->rewrite);
        auto allow = s.allows.find(l.rule);
        if (allow != s.allows.end()) {
          l.acknowledged = true;
          l.reason = allow->second;
        }
        s.out.push_back(std::move(l));
      }
    }
  }
  return std::move(s.out);
}

}  // namespace schemagate::generator::lint
