// The lock lint (docs/LINT.md), one case per rule: it fires on a table that
// existed before the migration, stays silent on a table the same migration
// created and when the statement is acknowledged, and in error mode fails
// the build at the statement's file:line:col.
#include "server/generator/lint/lock_lint.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/generator/generator.h"
#include "tests/unit/generator/tree_builder.h"

namespace schemagate::generator {
namespace {

using test::MakeTree;
using test::Manifest;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// core/0001 creates the tables every case's statement then touches in
// core/0002 (so they existed before it).
constexpr char kInit[] =
    "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100), age int, note text,\n"
    "  score numeric(10,2), created timestamp);\n"
    "CREATE TABLE teams (id bigint PRIMARY KEY);\n"
    "CREATE INDEX users_email_idx ON users (email);\n"
    "CREATE TYPE mood AS ENUM ('ok');\n";

struct LintCase {
  std::string rule;
  std::string statement;  // on the existing tables; the finding is on its last line
  bool no_transaction = false;
  std::string expected;                // in the message
  std::vector<std::string> also = {};  // other rules the statement raises
};

// `statement` with `comment` inserted before its last line.
std::string BeforeLast(const std::string& statement, const std::string& comment) {
  size_t last = statement.rfind('\n', statement.size() - 2);
  size_t at = last == std::string::npos ? 0 : last + 1;
  return statement.substr(0, at) + comment + statement.substr(at);
}

int LastLine(const std::string& statement) {
  return static_cast<int>(std::count(statement.begin(), statement.end() - 1, '\n')) + 1;
}

void PrintTo(const LintCase& c, std::ostream* os) { *os << c.rule; }

struct Outcome {
  absl::Status status;
  Diagnostics diagnostics;
  v1::BuildCatalog catalog;
};

Outcome Build(const std::string& up, bool no_transaction, LintMode mode) {
  std::string second = up;
  if (no_transaction) second = "-- schemagate:no-transaction\n" + second;
  std::map<std::string, std::string> files = {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql", kInit},
      {"core/0001_init/down.sql", "DROP TABLE teams;\nDROP TABLE users;\nDROP TYPE mood;\n"},
      {"core/0002_change/up.sql", second},
      {"core/0002_change/down.sql", "SELECT 1;\n"},
  };
  Outcome o;
  SourceTree tree = ParseTree("m", MakeTree(files), &o.diagnostics);
  GenerateOptions options;
  options.lint = mode;
  absl::StatusOr<v1::BuildCatalog> c = Generate(tree, {"all"}, &o.diagnostics, options);
  o.status = c.status();
  if (c.ok()) o.catalog = *c;
  return o;
}

class LockLintTest : public ::testing::TestWithParam<LintCase> {};

TEST_P(LockLintTest, FiresOnATableThatExistedBefore) {
  const LintCase& c = GetParam();
  Outcome o = Build(c.statement, c.no_transaction, LintMode::kWarn);
  const lint::Rule* rule = lint::FindRule(c.rule);
  ASSERT_NE(rule, nullptr);
  std::string all = o.diagnostics.WarningText() + std::string(o.status.message());
  EXPECT_THAT(all, HasSubstr("m/core/0002_change/up.sql:"));
  EXPECT_THAT(all, HasSubstr("[" + c.rule + "] "));
  EXPECT_THAT(all, HasSubstr(c.expected));
  EXPECT_THAT(all, HasSubstr(std::string("instead: ") + rule->rewrite));
  if (rule->kind == lint::RuleKind::kError) {
    EXPECT_EQ(o.status.code(), absl::StatusCode::kInvalidArgument);  // even in warn mode
  } else {
    EXPECT_TRUE(o.status.ok()) << o.status;
  }
}

TEST_P(LockLintTest, SilentOnATableCreatedInTheSameMigration) {
  const LintCase& c = GetParam();
  if (lint::FindRule(c.rule)->kind == lint::RuleKind::kError)
    GTEST_SKIP() << "fails whatever the table";
  // The same statement on tables the migration itself creates first.
  std::string renamed = c.statement;
  const std::vector<std::pair<std::string, std::string>> renames = {
      {"users", "fresh_users"}, {"teams", "fresh_teams"}, {"mood", "fresh_mood"}};
  for (const auto& [from, to] : renames) {
    size_t at = 0;
    while ((at = renamed.find(from, at)) != std::string::npos) {
      renamed.replace(at, from.size(), to);
      at += to.size();
    }
  }
  std::string fresh =
      "CREATE TABLE fresh_users (id bigint PRIMARY KEY, email varchar(100), age int, note text,\n"
      "  score numeric(10,2), created timestamp);\n"
      "CREATE TABLE fresh_teams (id bigint PRIMARY KEY);\n"
      "CREATE INDEX fresh_users_email_idx ON fresh_users (email);\n"
      "CREATE TYPE fresh_mood AS ENUM ('ok');\n";
  Outcome fresh_run = Build(fresh + renamed, c.no_transaction, LintMode::kError);
  EXPECT_TRUE(fresh_run.status.ok()) << fresh_run.status;
  EXPECT_THAT(fresh_run.diagnostics.WarningText(), Not(HasSubstr("[" + c.rule + "]")));
}

TEST_P(LockLintTest, SilentWhenAcknowledgedWithAReason) {
  const LintCase& c = GetParam();
  std::string allows = "-- schemagate:allow " + c.rule + " the table is tiny and the app is down\n";
  for (const std::string& other : c.also) {
    allows += "-- schemagate:allow " + other + " the table is tiny and the app is down\n";
  }
  Outcome o = Build(BeforeLast(c.statement, allows), c.no_transaction, LintMode::kError);
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_THAT(o.diagnostics.WarningText(), Not(HasSubstr("[" + c.rule + "]")));
  // The catalog keeps the acknowledged finding for plan time.
  bool found = false;
  for (const v1::Cluster& cl : o.catalog.clusters()) {
    for (const v1::Migration& m : cl.migrations()) {
      for (const v1::TableLock& l : m.locks()) {
        if (l.rule() == c.rule) {
          found = true;
          EXPECT_TRUE(l.acknowledged());
          EXPECT_EQ(l.reason(), "the table is tiny and the app is down");
        }
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST_P(LockLintTest, ErrorModeFailsTheBuildAtTheStatement) {
  const LintCase& c = GetParam();
  Outcome o = Build("\n" + c.statement, c.no_transaction, LintMode::kError);
  EXPECT_EQ(o.status.code(), absl::StatusCode::kInvalidArgument);
  int line = LastLine(c.statement) + 1 + (c.no_transaction ? 1 : 0);
  EXPECT_THAT(
      std::string(o.status.message()),
      HasSubstr(absl::StrCat("m/core/0002_change/up.sql:", line, ":1: error: [", c.rule, "]")));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, LockLintTest,
    ::testing::Values(
        LintCase{"index-not-concurrent", "CREATE INDEX users_age_idx ON users (age);\n", false,
                 "takes a SHARE lock on \"users\""},
        LintCase{"drop-index-not-concurrent", "DROP INDEX users_email_idx;\n", false,
                 "takes an ACCESS EXCLUSIVE lock on \"users\""},
        LintCase{"reindex-not-concurrent", "REINDEX TABLE users;\n", false,
                 "REINDEX takes a SHARE lock on \"users\""},
        LintCase{"foreign-key-not-valid",
                 "ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (age) REFERENCES "
                 "teams (id);\n",
                 false, "validates every row of \"users\""},
        LintCase{"check-not-valid", "ALTER TABLE users ADD CONSTRAINT age_chk CHECK (age > 0);\n",
                 false, "scans \"users\""},
        LintCase{"unique-without-index",
                 "ALTER TABLE users ADD CONSTRAINT email_key UNIQUE (email);\n", false,
                 "builds an index under an ACCESS EXCLUSIVE lock on \"users\""},
        LintCase{"column-type-rewrite", "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n", false,
                 "ALTER COLUMN age from integer to bigint rewrites \"users\""},
        LintCase{"set-not-null-scan", "ALTER TABLE users ALTER COLUMN note SET NOT NULL;\n", false,
                 "SET NOT NULL on note scans \"users\""},
        LintCase{"volatile-default",
                 "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n", false,
                 "ADD COLUMN token rewrites \"users\""},
        LintCase{"vacuum-full", "VACUUM FULL users;\n", true, "VACUUM FULL rewrites \"users\""},
        LintCase{"cluster", "CLUSTER users USING users_email_idx;\n", false,
                 "CLUSTER rewrites \"users\""},
        LintCase{"lock-table", "LOCK TABLE users IN SHARE MODE;\n", false,
                 "LOCK TABLE takes SHARE on \"users\""},
        LintCase{"whole-table-update", "UPDATE users SET note = '';\n", false,
                 "UPDATE of every row of \"users\""},
        LintCase{"whole-table-delete", "DELETE FROM users;\n", false,
                 "DELETE of every row of \"users\""},
        LintCase{"multiple-access-exclusive",
                 "ALTER TABLE users ADD COLUMN x int;\nALTER TABLE teams ADD COLUMN y int;\n",
                 false, "takes ACCESS EXCLUSIVE on \"teams\""},
        LintCase{"concurrently-in-transaction",
                 "CREATE INDEX CONCURRENTLY users_age_idx ON users (age);\n", false,
                 "cannot run inside a transaction block"},
        LintCase{"enum-value-in-same-transaction",
                 "ALTER TYPE mood ADD VALUE 'sad';\nSELECT 'sad'::mood;\n", false,
                 "'sad' is added to mood by this migration"},
        LintCase{"drop-column", "ALTER TABLE users DROP COLUMN note;\n", false,
                 "DROP COLUMN note of \"users\""},
        LintCase{"rename-column", "ALTER TABLE users RENAME COLUMN note TO remark;\n", false,
                 "RENAME COLUMN note of \"users\""},
        LintCase{"drop-table", "DROP TABLE teams;\n", false, "DROP TABLE \"teams\""},
        LintCase{"rename-table", "ALTER TABLE teams RENAME TO squads;\n", false,
                 "RENAME \"teams\""},
        LintCase{"narrow-type",
                 "ALTER TABLE users ALTER COLUMN email TYPE varchar(50);\n",
                 false,
                 "narrows a column of \"users\"",
                 {"column-type-rewrite"}}));

TEST(LockLintRulesTest, EveryRuleHasACase) {
  // Keep the table above complete.
  EXPECT_EQ(lint::Rules().size(), 22u);
}

TEST(LockLintRulesTest, SafeRewritesRaiseNothing) {
  Outcome o = Build(
      "ALTER TABLE users ALTER COLUMN email TYPE varchar(200);\n"  // binary coercible
      "ALTER TABLE users ALTER COLUMN note TYPE varchar;\n"
      "ALTER TABLE users ALTER COLUMN score TYPE numeric(12,2);\n"
      "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now();\n"  // stable default
      "ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (age) REFERENCES teams NOT "
      "VALID;\n"
      "ALTER TABLE users ADD CONSTRAINT users_age_nn CHECK (age IS NOT NULL) NOT VALID;\n"
      "UPDATE users SET note = '' WHERE id < 100;\n",
      false, LintMode::kError);
  // Only one finding: several ACCESS EXCLUSIVE locks on users are one table.
  EXPECT_TRUE(o.status.ok()) << o.status;
  Outcome later = Build(
      "-- schemagate:no-transaction\n"
      "CREATE INDEX CONCURRENTLY users_age_idx ON users (age);\n"
      "DROP INDEX CONCURRENTLY users_email_idx;\n",
      false, LintMode::kError);
  EXPECT_TRUE(later.status.ok()) << later.status;
}

TEST(LockLintRulesTest, SetNotNullAfterAValidatedCheckDoesNotScan) {
  std::map<std::string, std::string> files = {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql", kInit},
      {"core/0001_init/down.sql", "SELECT 1;\n"},
      {"core/0002_check/up.sql",
       "ALTER TABLE users ADD CONSTRAINT users_note_nn CHECK (note IS NOT NULL) NOT VALID;\n"},
      {"core/0002_check/down.sql", "SELECT 1;\n"},
      {"core/0003_validate/up.sql", "ALTER TABLE users VALIDATE CONSTRAINT users_note_nn;\n"},
      {"core/0003_validate/down.sql", "SELECT 1;\n"},
      {"core/0004_not_null/up.sql", "ALTER TABLE users ALTER COLUMN note SET NOT NULL;\n"},
      {"core/0004_not_null/down.sql", "SELECT 1;\n"},
  };
  Diagnostics d;
  SourceTree tree = ParseTree("m", MakeTree(files), &d);
  GenerateOptions options;
  options.lint = LintMode::kError;
  absl::StatusOr<v1::BuildCatalog> c = Generate(tree, {"all"}, &d, options);
  EXPECT_TRUE(c.ok()) << c.status();
}

// A new enum value is "used" only where it is cast to the type or written to
// a column of it: the same text written to a text column is not.
TEST(LockLintRulesTest, NewEnumValueUsedOnlyWhereTypedAsTheEnum) {
  Outcome text_column =
      Build("ALTER TYPE mood ADD VALUE 'sad';\nUPDATE users SET note = 'sad' WHERE id = 1;\n",
            false, LintMode::kError);
  EXPECT_TRUE(text_column.status.ok()) << text_column.status;
  EXPECT_THAT(text_column.diagnostics.WarningText(),
              Not(HasSubstr("enum-value-in-same-transaction")));

  Outcome cast =
      Build("ALTER TYPE mood ADD VALUE 'sad';\nSELECT 'sad'::mood;\n", false, LintMode::kWarn);
  EXPECT_THAT(cast.diagnostics.WarningText() + std::string(cast.status.message()),
              HasSubstr("[enum-value-in-same-transaction]"));
}

TEST(LockLintRulesTest, AllowNeedsAKnownRuleAndAReason) {
  Outcome unknown =
      Build("-- schemagate:allow index-concurrently why not\nSELECT 1;\n", false, LintMode::kWarn);
  EXPECT_THAT(std::string(unknown.status.message()),
              HasSubstr("schemagate:allow names unknown rule \"index-concurrently\""));
  Outcome no_reason =
      Build("-- schemagate:allow index-not-concurrent\nSELECT 1;\n", false, LintMode::kWarn);
  EXPECT_THAT(std::string(no_reason.status.message()),
              HasSubstr("schemagate:allow index-not-concurrent needs a reason"));
}

TEST(LockLintRulesTest, TheCatalogKeepsEachLockForPlanTime) {
  Outcome o = Build(
      "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
      "INSERT INTO teams (id) VALUES (1);\n",
      false, LintMode::kWarn);
  ASSERT_TRUE(o.status.ok()) << o.status;
  const v1::Migration& m = o.catalog.clusters(0).migrations(1);
  ASSERT_EQ(m.locks_size(), 2);
  EXPECT_EQ(m.locks(0).table(), "users");
  EXPECT_EQ(m.locks(0).lock(), "ACCESS EXCLUSIVE");
  EXPECT_EQ(m.locks(0).rule(), "column-type-rewrite");
  EXPECT_TRUE(m.locks(0).blocking());
  EXPECT_EQ(m.locks(1).table(), "teams");
  EXPECT_EQ(m.locks(1).lock(), "ROW EXCLUSIVE");
  EXPECT_EQ(m.locks(1).rule(), "");
}

}  // namespace
}  // namespace schemagate::generator
