// Plan time for the lock lint (docs/LINT.md), on a real PostgreSQL with a
// populated table: `schemagate plan`, PlanMigrations and `schemactl plan`
// show each lock of each pending migration with the live table's estimated
// rows and size; `migrate --max-blocking-rows` and `serve
// --max-blocking-rows` refuse a plan with an unacknowledged blocking
// finding on a larger table before taking any lock.
//
// Trees: tests/testdata/trees/locks_v1 (users, tasks) and locks_v2 (+
// core/0002_change: an acknowledged non-concurrent index on users, an
// unacknowledged rewrite of tasks).
#include "server/migrate/plan_locks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/schemagate_client.h"
#include "nlohmann/json.hpp"
#include "server/migrate/db.h"
#include "server/migrate/history.h"
#include "tests/support/database_test.h"
#include "tests/support/service_process.h"
#include "tests/support/test_db.h"
#include "tests/support/variant_test.h"

namespace schemagate {
namespace {

using test::Bin;
using test::Connect;
using test::Eventually;
using test::ProcessResult;
using test::RunProcess;
using test::Server;
using test::TempDir;
using test::Variant;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kRows = 20000;

// A fresh database per test (VariantDatabaseTest), migrated by locks_v1
// and populated: tasks holds kRows rows.
class PlanLocksTest : public test::VariantDatabaseTest {
 protected:
  void SetUp() override {
    VariantDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    token_file_ = TokenFile(token_);
    ASSERT_EQ(Run("locks_v1", {"migrate"}).exit_code, 0);
    ASSERT_TRUE(db_->Query("INSERT INTO users (email) VALUES ('a@example.org'), "
                           "('b@example.org')")
                    .ok());
    ASSERT_TRUE(db_->Query(absl::StrCat("INSERT INTO tasks (owner, title, points) "
                                        "SELECT 1, 'task ' || i, i FROM generate_series(1, ",
                                        kRows, ") i"))
                    .ok());
  }

  // The test tree builds of tests/CMakeLists.txt, named as Variant() names
  // them (not VariantDatabaseTest's SCHEMAGATE_VARIANT_<NAME>_BIN).
  ProcessResult Run(const std::string& variant, std::vector<std::string> args) {
    args.insert(args.begin(), Variant(variant, "schemagate"));
    return RunProcess(args, "", {"DATABASE_URL=" + db_->url()});
  }

  ProcessResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), Bin("schemactl"));
    return RunProcess(args);
  }

  // The type of tasks.points now (integer until core/0002 ran).
  std::string PointsType() {
    auto rows = db_->Query(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'tasks'::regclass AND attname = 'points'");
    return rows.ok() && rows->size() == 1 ? (*rows)[0] : "?";
  }

  std::string token_file_;
  const std::string token_ = "plan-locks-admin-token-91c2";
};

// Before any ANALYZE the statistics collector's live-tuple count is the
// estimate; after one, pg_class's. Both see the populated table.
TEST_F(PlanLocksTest, PlanShowsEachLockWithTheLiveTableSize) {
  nlohmann::json step;
  auto tasks_rows = [&](const nlohmann::json& s) -> int64_t {
    for (const auto& l : s["locks"]) {
      if (l["table"] == "tasks") return l["estimated_rows"].get<int64_t>();
    }
    return -1;
  };
  ASSERT_TRUE(Eventually(
      [&] {
        ProcessResult plan = Run("locks_v2", {"plan", "--json"});
        if (plan.exit_code != 0) return false;
        step = nlohmann::json::parse(plan.out)["pending"][0];
        return tasks_rows(step) >= kRows;
      },
      absl::Seconds(20)))
      << step.dump();
  EXPECT_EQ(step["path"], "core/0002_change/up.sql");
  ASSERT_EQ(step["locks"].size(), 2u) << step.dump();
  const nlohmann::json& index = step["locks"][0];
  EXPECT_EQ(index["table"], "users");
  EXPECT_EQ(index["lock"], "SHARE");
  EXPECT_EQ(index["line"], 2);
  EXPECT_EQ(index["rule"], "index-not-concurrent");
  EXPECT_TRUE(index["acknowledged"].get<bool>());
  EXPECT_EQ(index["reason"], "users stays a few rows (one per operator)");
  EXPECT_TRUE(index["table_exists"].get<bool>());
  const nlohmann::json& rewrite = step["locks"][1];
  EXPECT_EQ(rewrite["table"], "tasks");
  EXPECT_EQ(rewrite["lock"], "ACCESS EXCLUSIVE");
  EXPECT_EQ(rewrite["line"], 3);
  EXPECT_EQ(rewrite["rule"], "column-type-rewrite");
  EXPECT_TRUE(rewrite["blocking"].get<bool>());
  EXPECT_FALSE(rewrite["acknowledged"].get<bool>());
  // 20,000 short rows: more than a megabyte with the primary key.
  EXPECT_GT(rewrite["total_bytes"].get<int64_t>(), 1 << 20);

  ASSERT_TRUE(db_->Query("ANALYZE tasks").ok());
  ProcessResult text = Run("locks_v2", {"plan"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("1. core/0002_change"));
  EXPECT_THAT(text.out, HasSubstr("ACCESS EXCLUSIVE on tasks (20.0k rows, "));
  EXPECT_THAT(text.out, HasSubstr("ALTER TABLE, line 3 [column-type-rewrite] ALTER COLUMN points"));
  EXPECT_THAT(text.out, HasSubstr("SHARE on users (2 rows, "));
  EXPECT_THAT(text.out, HasSubstr("[index-not-concurrent] acknowledged: users stays a few rows"));
  // Nothing ran.
  EXPECT_EQ(PointsType(), "integer");
}

// Refused before any lock: another migrator holds the migration lock, and
// the refusal still comes at once (not after --lock-wait-timeout, exit 4),
// names the migration, the table, its size and the rule, and changes
// nothing. Above the table's size the plan applies.
TEST_F(PlanLocksTest, MaxBlockingRowsRefusesBeforeTakingAnyLock) {
  ASSERT_TRUE(db_->Query("ANALYZE tasks").ok());
  {
    test::LockHolder lock(*db_, migrate::HistoryName().LockKey());
    ASSERT_TRUE(lock.ok());
    const absl::Time start = absl::Now();
    ProcessResult refused =
        Run("locks_v2", {"migrate", "--max-blocking-rows=1000", "--lock-wait-timeout=30s"});
    EXPECT_LT(absl::Now() - start, absl::Seconds(10));
    EXPECT_EQ(refused.exit_code, 5) << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("--max-blocking-rows=1000"));
    EXPECT_THAT(refused.err, HasSubstr("core/0002_change/up.sql:3: ACCESS EXCLUSIVE on tasks "
                                       "(20.0k rows, "));
    EXPECT_THAT(refused.err, HasSubstr("[column-type-rewrite]"));
    EXPECT_THAT(refused.err, Not(HasSubstr("users (")));  // acknowledged
    EXPECT_THAT(refused.err, HasSubstr("Nothing was run"));
    // plan says the same, with the same code.
    ProcessResult plan = Run("locks_v2", {"plan", "--max-blocking-rows=1000"});
    EXPECT_EQ(plan.exit_code, 5) << plan.err;
    ProcessResult json = Run("locks_v2", {"plan", "--json", "--max-blocking-rows=1000"});
    EXPECT_EQ(json.exit_code, 5);
    EXPECT_TRUE(nlohmann::json::parse(json.out)["refused"].get<bool>());
  }
  EXPECT_EQ(PointsType(), "integer");
  auto applied = db_->Query("SELECT count(*) FROM schemagate.migrations");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ((*applied)[0], "1");

  // A limit the table is under, and no limit: both apply.
  EXPECT_EQ(Run("locks_v2", {"plan", "--max-blocking-rows=100000"}).exit_code, 0);
  ProcessResult ok = Run("locks_v2", {"migrate", "--max-blocking-rows=100000"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(PointsType(), "bigint");
  ProcessResult nothing = Run("locks_v2", {"plan", "--max-blocking-rows=0"});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_THAT(nothing.out, HasSubstr("nothing to apply"));
}

// The same through the service: PlanMigrations carries the locks and
// sizes and says whether the server's --max-blocking-rows refuses the
// plan; ApplyMigrations refuses with BLOCKING_LOCK_ON_LARGE_TABLE and a
// violation per lock; schemactl prints the locks and exits 5 for both.
TEST_F(PlanLocksTest, ServerFlagRefusesApplyMigrations) {
  ASSERT_TRUE(db_->Query("ANALYZE tasks").ok());
  Server server(Variant("locks_v2", "schemagate-server"), db_->url(),
                {"--admin-token-file=" + token_file_, "--max-blocking-rows=1000"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target(), token_);
  auto plan = c->PlanMigrations(false);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->migrations_size(), 1);
  const v1::PendingMigration& m = plan->migrations(0);
  ASSERT_EQ(m.locks_size(), 2);
  EXPECT_EQ(m.locks(1).table(), "tasks");
  EXPECT_EQ(m.locks(1).lock(), "ACCESS EXCLUSIVE");
  EXPECT_EQ(m.locks(1).rule(), "column-type-rewrite");
  EXPECT_TRUE(m.locks(1).table_exists());
  EXPECT_GE(m.locks(1).estimated_rows(), kRows * 9 / 10);
  EXPECT_LE(m.locks(1).estimated_rows(), kRows * 11 / 10);
  EXPECT_TRUE(m.locks(0).acknowledged());
  ASSERT_TRUE(plan->has_blocking_limit());
  EXPECT_EQ(plan->blocking_limit().max_blocking_rows(), 1000);
  EXPECT_TRUE(plan->blocking_limit().refused());
  EXPECT_THAT(plan->blocking_limit().refusal(), HasSubstr("ACCESS EXCLUSIVE on tasks"));

  auto applied = c->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1));
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client::ErrorReason(applied.status()), "BLOCKING_LOCK_ON_LARGE_TABLE");
  EXPECT_EQ(client::ErrorKindReason(applied.status()), "MIGRATION_FAILED");
  std::vector<std::string> violations = client::ErrorViolations(applied.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_THAT(violations[0], HasSubstr("core/0002_change tasks: core/0002_change/up.sql:3"));
  EXPECT_EQ(PointsType(), "integer");

  ProcessResult ctl_plan = Ctl({"plan", "--target", server.target()});
  EXPECT_EQ(ctl_plan.exit_code, 5) << ctl_plan.err;
  EXPECT_THAT(ctl_plan.out, HasSubstr("ACCESS EXCLUSIVE on tasks (20.0k rows, "));
  EXPECT_THAT(ctl_plan.out, HasSubstr("apply would be refused"));
  ProcessResult ctl_apply =
      Ctl({"apply", "--target", server.target(), "--token-file", token_file_});
  EXPECT_EQ(ctl_apply.exit_code, 5) << ctl_apply.err;
  EXPECT_THAT(ctl_apply.err, HasSubstr("above --max-blocking-rows=1000"));

  // Without the flag the server applies.
  server.Stop();
  Server open(Variant("locks_v2", "schemagate-server"), db_->url(),
              {"--admin-token-file=" + token_file_});
  ASSERT_TRUE(open.ok());
  auto c2 = Connect(open.target(), token_);
  auto plan2 = c2->PlanMigrations(false);
  ASSERT_TRUE(plan2.ok());
  EXPECT_FALSE(plan2->has_blocking_limit());
  auto done = c2->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(PointsType(), "bigint");
}

// ReadTableSizes on the shapes a table can have: a partitioned table sums
// its leaf partitions (its own pg_class row has no pages), a schema other
// than public is named "schema.table", a materialized view counts, a
// missing table and an index do not exist.
TEST_F(PlanLocksTest, TableSizesOfPartitionedQualifiedAndMissingTables) {
  ASSERT_TRUE(
      db_->Query("CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);"
                 "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') "
                 "TO ('2026-01-01');"
                 "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') "
                 "TO ('2027-01-01');"
                 "INSERT INTO events SELECT i, DATE '2025-01-01' + (i % 700) FROM "
                 "generate_series(1, 14000) i;"
                 "CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int);"
                 "INSERT INTO billing.invoices SELECT generate_series(1, 3000);"
                 "CREATE MATERIALIZED VIEW task_titles AS SELECT title FROM tasks;"
                 "ANALYZE events; ANALYZE billing.invoices; ANALYZE task_titles; ANALYZE tasks")
          .ok());
  migrate::ConnectOptions options;
  options.url = db_->url();
  auto conn = migrate::Connection::Open(options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto sizes =
      migrate::ReadTableSizes(conn->get(), {"events", "billing.invoices", "task_titles",
                                            "tasks_pkey", "nosuch", "billing.nosuch", "tasks"});
  ASSERT_TRUE(sizes.ok()) << sizes.status();
  auto near = [](int64_t got, int64_t want) {
    return got >= want * 9 / 10 && got <= want * 11 / 10;
  };
  EXPECT_TRUE((*sizes)["events"].exists);
  EXPECT_TRUE(near((*sizes)["events"].rows, 14000)) << (*sizes)["events"].rows;
  EXPECT_GT((*sizes)["events"].bytes, 8192 * 2);
  EXPECT_TRUE(near((*sizes)["billing.invoices"].rows, 3000)) << (*sizes)["billing.invoices"].rows;
  EXPECT_TRUE(near((*sizes)["task_titles"].rows, kRows)) << (*sizes)["task_titles"].rows;
  EXPECT_TRUE(near((*sizes)["tasks"].rows, kRows)) << (*sizes)["tasks"].rows;
  for (const char* missing : {"tasks_pkey", "nosuch", "billing.nosuch"}) {
    EXPECT_FALSE((*sizes)[missing].exists) << missing;
    EXPECT_EQ((*sizes)[missing].rows, 0) << missing;
  }
}

}  // namespace
}  // namespace schemagate
