// The engine in process against a real PostgreSQL: a transactional
// migration goes to the server as one script (its statements, history row
// and COMMIT in one round trip), and a failure still names the file and
// line of the failing statement, exactly as the statement-by-statement path
// (--single-transaction) names it, and leaves nothing behind. Table-driven
// over errors with and without PostgreSQL's error position, multi-byte
// text before the error, comments, dollar quotes and DO blocks.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/catalog/catalog.h"
#include "server/catalog/checksum.h"
#include "server/migrate/db.h"
#include "server/migrate/engine.h"
#include "server/migrate/history.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

using test::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Step {
  std::string name;
  std::string up;
  std::string down = "SELECT 1;";
};

// A catalog of one cluster "core" whose migrations are `steps`, in order.
v1::BuildCatalog CatalogOf(const std::vector<Step>& steps) {
  v1::BuildCatalog c;
  c.set_format(catalog::kCatalogFormat);
  c.add_requested_features("all");
  c.add_features("core");
  v1::Cluster* core = c.add_clusters();
  core->set_name("core");
  uint64_t version = 0;
  for (const Step& s : steps) {
    v1::Migration* m = core->add_migrations();
    m->set_cluster("core");
    m->set_version(++version);
    m->set_version_text(absl::StrCat("000", version));
    m->set_name(s.name);
    m->set_up_sql(s.up);
    m->set_down_sql(s.down);
    m->set_up_sha256(catalog::Sha256Hex(s.up));
    m->set_up_path(absl::StrCat("core/000", version, "_", s.name, "/up.sql"));
    v1::MigrationRef* r = c.add_apply_order();
    r->set_cluster("core");
    r->set_version(version);
  }
  return c;
}

class EngineScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create("engine_script");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  std::unique_ptr<migrate::Connection> Connect() {
    migrate::ConnectOptions options;
    options.url = db_->url();
    options.timeout = absl::Seconds(10);
    auto c = migrate::Connection::Open(options);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  absl::StatusOr<migrate::ApplyResult> Apply(const catalog::Catalog& catalog, bool single) {
    std::unique_ptr<migrate::Connection> conn = Connect();
    if (conn == nullptr) return absl::UnavailableError("no connection");
    migrate::Engine engine(catalog, conn.get(), migrate::EngineOptions{});
    migrate::ApplyOptions apply;
    apply.single_transaction = single;
    return engine.Apply(apply);
  }

  std::vector<std::string> History() {
    auto rows =
        db_->Query("SELECT cluster || '/' || version FROM schemagate.migrations ORDER BY seq");
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  std::unique_ptr<TestDatabase> db_;
};

struct Case {
  const char* what;
  std::string sql;      // the failing migration's up.sql
  std::string where;    // expected "path:line"
  std::string message;  // expected in the error
  std::string sqlstate;
};

TEST_F(EngineScriptTest, AFailureNamesTheFileAndLineAsStatementByStatementDoes) {
  const std::vector<Case> cases = {
      {"error position on a later line of the statement",
       "CREATE TABLE a (id int);\n\nINSERT INTO a\n  (id, missing)\n  VALUES (1, 2);\n",
       "core/0002_bad/up.sql:4", "column \"missing\" of relation \"a\" does not exist", "42703"},
      {"no error position: the statement's first line",
       "-- a comment line\nCREATE TABLE b (id int);\n\n-- another\nCREATE TABLE b (id int);\n",
       "core/0002_bad/up.sql:5", "relation \"b\" already exists", "42P07"},
      {"multi-byte text before the error (positions count characters)",
       "COMMENT ON SCHEMA public IS 'schéma façade — ünïcode';\nSELECT 'ä€😀'\n  || nope;\n",
       "core/0002_bad/up.sql:3", "column \"nope\" does not exist", "42703"},
      {"a dollar-quoted body with semicolons, then the error",
       "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
       "SELECT f();\nSELECT 1 / 0;\n",
       "core/0002_bad/up.sql:3", "division by zero", "22012"},
      {"an error inside a DO block: the DO statement's line",
       "CREATE TABLE c (id int);\nDO $$\nBEGIN\n  RAISE EXCEPTION 'boom %', 1;\nEND\n$$;\n",
       "core/0002_bad/up.sql:2", "boom 1", "P0001"},
      {"a statement that ends in a comment without a newline",
       "CREATE TABLE d (id int); -- trailing\nINSERT INTO d VALUES ('x') -- no newline",
       "core/0002_bad/up.sql:2", "invalid input syntax for type integer", "22P02"},
      {"the first statement fails",
       "ALTER TABLE nowhere ADD COLUMN x int;\nCREATE TABLE e (id int);\n",
       "core/0002_bad/up.sql:1", "relation \"nowhere\" does not exist", "42P01"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<Step> steps = {{"ok", "CREATE TABLE before_bad (id int);\n"},
                               {"bad", c.sql},
                               {"after", "CREATE TABLE after_bad (id int);\n"}};
    absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::FromProto(CatalogOf(steps));
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    for (bool single : {false, true}) {
      SCOPED_TRACE(single ? "--single-transaction (statement by statement)" : "one script");
      SetUp();  // a fresh database
      absl::StatusOr<migrate::ApplyResult> r = Apply(*catalog, single);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(errors::KindOf(r.status()), errors::ErrorKind::kMigrationFailed);
      EXPECT_THAT(std::string(r.status().message()),
                  HasSubstr(absl::StrCat("failed at ", c.where, ": ")));
      EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message));
      EXPECT_THAT(std::string(r.status().message()),
                  HasSubstr(absl::StrCat("(SQLSTATE ", c.sqlstate, ")")));
      if (single) {
        EXPECT_THAT(History(), ::testing::IsEmpty());
      } else {
        // The migration before it is recorded; it and the one after are not.
        EXPECT_THAT(History(), ElementsAre("core/1"));
      }
      auto half = db_->Query("SELECT to_regclass('after_bad') IS NULL");
      ASSERT_TRUE(half.ok());
      EXPECT_THAT(*half, ElementsAre("t"));
    }
  }
}

TEST_F(EngineScriptTest, AppliedMigrationsAreRecordedAsStatementByStatement) {
  std::vector<Step> steps = {
      {"init", "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n"},
      {"quotes", "-- it's a comment with a quote\nINSERT INTO users VALUES (1, 'O''Brien \\ x');\n",
       "DELETE FROM users WHERE name = 'O''Brien \\ x';"},
      {"select", "SELECT 1;\nCREATE INDEX users_name_ix ON users (name);\n"}};
  absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::FromProto(CatalogOf(steps));
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  absl::StatusOr<migrate::ApplyResult> r = Apply(*catalog, false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied.size(), 3u);
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "core/3"));
  auto rows = db_->Query(
      "SELECT name || ' ' || checksum || ' ' || (duration_ms >= 0) || ' ' || "
      "(applied_by <> '') || ' ' || down_sql FROM schemagate.migrations ORDER BY seq");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1], absl::StrCat("quotes ", catalog::Sha256Hex(steps[1].up),
                                     " true true DELETE FROM users WHERE name = 'O''Brien \\ x';"));
  auto log = db_->Query(
      "SELECT action || ' ' || cluster || '/' || version || ' ' || detail FROM "
      "schemagate.migrations_log ORDER BY id");
  ASSERT_TRUE(log.ok());
  EXPECT_THAT(
      *log,
      ElementsAre(absl::StrCat("apply core/1 init sha256 ", catalog::Sha256Hex(steps[0].up)),
                  absl::StrCat("apply core/2 quotes sha256 ", catalog::Sha256Hex(steps[1].up)),
                  absl::StrCat("apply core/3 select sha256 ", catalog::Sha256Hex(steps[2].up))));
  auto data = db_->Query("SELECT name FROM users");
  ASSERT_TRUE(data.ok());
  EXPECT_THAT(*data, ElementsAre("O'Brien \\ x"));

  // Up to date: the history digests to the catalog's applied_digest.
  std::unique_ptr<migrate::Connection> conn = Connect();
  ASSERT_NE(conn, nullptr);
  migrate::History history(conn.get(), migrate::HistoryName{});
  absl::StatusOr<bool> same = history.MatchesAppliedDigest(catalog->applied_digest());
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(*same);
  // A digest of another set does not match.
  absl::StatusOr<catalog::Catalog> fewer =
      catalog::Catalog::FromProto(CatalogOf({steps[0], steps[1]}));
  ASSERT_TRUE(fewer.ok());
  same = history.MatchesAppliedDigest(fewer->applied_digest());
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
  // An edited checksum does not match either.
  ASSERT_TRUE(db_->Query("UPDATE schemagate.migrations SET checksum = 'x' WHERE version = 2").ok());
  same = history.MatchesAppliedDigest(catalog->applied_digest());
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
}

TEST_F(EngineScriptTest, NoHistoryTableIsNotUpToDate) {
  std::unique_ptr<migrate::Connection> conn = Connect();
  ASSERT_NE(conn, nullptr);
  migrate::History history(conn.get(), migrate::HistoryName{});
  absl::StatusOr<bool> same = history.MatchesAppliedDigest(catalog::AppliedSetDigest({}));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_FALSE(*same);
}

}  // namespace
}  // namespace schemagate
