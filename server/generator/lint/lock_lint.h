// Lock-aware lint of migrations (docs/LINT.md): for each statement that
// touches a table that existed before its migration, the lock PostgreSQL
// takes on it, and a finding where that lock, a table rewrite or a full
// scan blocks the application, where PostgreSQL would fail only at apply
// time, or where a change breaks replicas still running the previous build.
// Tables created earlier in the same migration are empty: nothing on them
// is reported. Pure: typed parse trees in, locks and findings out.
//
//   Linter linter;
//   for (each migration in apply order)
//     for (const TableLock& l : linter.Migration({cluster, path, sql, no_tx, &tree}))
//       if (!l.rule.empty() && !l.acknowledged) Report(l.message);
//
// A finding is acknowledged by `-- schemagate:allow <rule> <reason>` in the
// comment lines just before its statement. Thread-compatible.
#ifndef SCHEMAGATE_SERVER_GENERATOR_LINT_LOCK_LINT_H_
#define SCHEMAGATE_SERVER_GENERATOR_LINT_LOCK_LINT_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/sql/pg_proto.h"

namespace schemagate::generator::lint {

// PostgreSQL's table lock levels, weakest first.
enum class Lock {
  kAccessShare,
  kRowShare,
  kRowExclusive,
  kShareUpdateExclusive,
  kShare,
  kShareRowExclusive,
  kExclusive,
  kAccessExclusive,
};
// "ACCESS EXCLUSIVE", ...
const char* LockName(Lock lock);

enum class RuleKind {
  kBlocking,      // a lock, rewrite or scan that blocks the application
  kIncompatible,  // breaks replicas of the previous build during a rollout
  kError,         // PostgreSQL refuses it when the migration runs
};

struct Rule {
  const char* name;
  RuleKind kind;
  const char* rewrite;  // the safe way to do it
};
// Every rule, in docs/LINT.md order.
const std::vector<Rule>& Rules();
const Rule* FindRule(absl::string_view name);

// One lock a statement takes on a table that existed before its migration.
struct TableLock {
  std::string table;
  Lock lock = Lock::kAccessShare;
  int line = 0;  // 1-based position of the statement in the file
  int column = 0;
  std::string statement;  // "ALTER TABLE", "CREATE INDEX", ...
  // The finding, when this lock (or its rewrite or scan) is a risk; "" for
  // a lock that is brief and harmless.
  std::string rule;
  RuleKind kind = RuleKind::kBlocking;
  // "what, which lock on which table, why it matters, the safe rewrite".
  std::string message;
  bool acknowledged = false;  // schemagate:allow <rule> <reason>
  std::string reason;
};

// What each statement touches, for reports that compare linters.
struct StatementSummary {
  int line = 0;  // first and last line of the statement
  int end_line = 0;
  std::string statement;
  std::vector<std::string> tables;    // every relation it names
  std::vector<std::string> existing;  // those that existed before the migration
  std::string target;  // the table it changes ("" for none): ALTER TABLE t, CREATE INDEX ON t, ...
  // Why a lock it takes on an existing table is not a finding, where the
  // lint judged (e.g. "varchar(20) to varchar(40) is binary coercible").
  std::vector<std::string> judged_safe;
};

struct MigrationInput {
  std::string cluster;
  std::string path;       // for nothing but messages
  absl::string_view sql;  // the up.sql text (positions)
  bool no_transaction = false;
  const sql::ProtoTree* tree = nullptr;
};

class Linter {
 public:
  Linter();
  ~Linter();
  Linter(const Linter&) = delete;
  Linter& operator=(const Linter&) = delete;

  // Lints one migration (call in apply order: the linter follows which
  // tables exist, their columns' types, validated NOT NULL checks and enum
  // values added by the migration) and returns the locks it takes on
  // tables that existed before it, with findings.
  // `summaries`, when given, receives one entry per statement.
  std::vector<TableLock> Migration(const MigrationInput& m,
                                   std::vector<StatementSummary>* summaries = nullptr);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace schemagate::generator::lint

#endif  // SCHEMAGATE_SERVER_GENERATOR_LINT_LOCK_LINT_H_
