// The migration engine end to end: the real `schemagate` binaries (built for
// several feature sets and test trees) against a real PostgreSQL, each test
// in a fresh database. Binaries are named by SCHEMAGATE_VARIANT_<NAME>_BIN.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"
#include "tests/support/variant_test.h"

namespace schemagate {
namespace {

using test::Child;
using test::ProcessResult;
using test::RunProcess;
using test::TestDatabase;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Exit codes (server/migrate/errors.h).
constexpr int kOk = 0, kUsage = 2, kConnect = 3, kLockWait = 4, kMigrationFailed = 5,
              kIntegrity = 6, kDrift = 7;

std::string Bin(const std::string& variant) { return test::VariantBin(variant); }

class MigrateTest : public test::VariantDatabaseTest {
 protected:
  std::vector<std::string> Tables() {
    auto rows = db_->Query(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON "
        "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname "
        "NOT IN ('pg_catalog', 'information_schema', 'schemagate') AND "
        "n.nspname NOT LIKE 'pg_toast%' ORDER BY 1");
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  // The structure outside the history schema (TestDatabase::Schema).
  std::vector<std::string> Schema() {
    auto rows = db_->Schema();
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  // Waits (10 s at most) until one other session runs a statement that
  // contains `fragment`.
  bool AwaitActive(const std::string& fragment) {
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (db_->ActiveQueries(fragment) == 1) return true;
    }
    return false;
  }

  nlohmann::json StatusJson(const std::string& variant, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"status", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Run(variant, args);
    EXPECT_EQ(r.exit_code, kOk) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
};

TEST_F(MigrateTest, FreshApplyEveryPresetThenNoOp) {
  for (const std::string variant : {"MINIMAL", "TASKS", "MAIL_PEOPLE", "FULL", "SHOP_FULL"}) {
    auto db = TestDatabase::Create("preset");
    ASSERT_TRUE(db.ok());
    std::vector<std::string> env = {"DATABASE_URL=" + (*db)->url()};
    ProcessResult first = RunProcess({Bin(variant), "migrate", "--json"}, "", env);
    ASSERT_EQ(first.exit_code, kOk) << variant << "\n" << first.err;
    nlohmann::json applied = nlohmann::json::parse(first.out);
    EXPECT_FALSE(applied["applied"].empty()) << variant;
    ProcessResult second = RunProcess({Bin(variant), "migrate", "--json"}, "", env);
    ASSERT_EQ(second.exit_code, kOk) << second.err;
    EXPECT_TRUE(nlohmann::json::parse(second.out)["applied"].empty()) << variant;
    EXPECT_THAT(second.err, HasSubstr("nothing to apply"));
    ProcessResult verify = RunProcess({Bin(variant), "verify"}, "", env);
    EXPECT_EQ(verify.exit_code, kOk) << variant << "\n" << verify.out;
    ProcessResult status = RunProcess({Bin(variant), "status", "--json"}, "", env);
    ASSERT_EQ(status.exit_code, kOk);
    EXPECT_TRUE(nlohmann::json::parse(status.out)["up_to_date"].get<bool>());
  }
}

TEST_F(MigrateTest, PlanListsPendingInOrderAndChangesNothing) {
  ProcessResult plan = Run("ENGINE_V1", {"plan"});
  ASSERT_EQ(plan.exit_code, kOk) << plan.err;
  EXPECT_EQ(plan.out,
            "  1. core/0001_init\n  2. core/0002_profile\n  3. feat/0001_init\n"
            "  4. feat/0002_ix  (no-transaction)\n");
  ProcessResult with_sql = Run("ENGINE_V1", {"plan", "--sql"});
  EXPECT_THAT(with_sql.out, HasSubstr("CREATE INDEX CONCURRENTLY notes_user_ix"));
  auto exists = db_->Query("SELECT to_regclass('schemagate.migrations') IS NULL");
  ASSERT_TRUE(exists.ok());
  EXPECT_THAT(*exists, ElementsAre("t")) << "plan must not create the history";
  EXPECT_THAT(Tables(), IsEmpty());
  ProcessResult json = Run("ENGINE_V1", {"plan", "--json"});
  auto parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed["pending"].size(), 4u);
  EXPECT_EQ(parsed["pending"][3]["no_transaction"], true);
}

TEST_F(MigrateTest, LateEnabledClusterCatchesUp) {
  ASSERT_EQ(Run("MINIMAL", {"migrate"}).exit_code, kOk);
  std::vector<std::string> minimal = History();
  ASSERT_FALSE(minimal.empty());
  ProcessResult full = Run("FULL", {"migrate"});
  ASSERT_EQ(full.exit_code, kOk) << full.err;
  std::vector<std::string> all = History();
  EXPECT_GT(all.size(), minimal.size());
  EXPECT_EQ(std::vector<std::string>(all.begin(), all.begin() + minimal.size()), minimal);
  EXPECT_EQ(Run("FULL", {"verify"}).exit_code, kOk);
}

TEST_F(MigrateTest, TwentyConcurrentMigratorsApplyEachMigrationOnce) {
  // The full tree holds several CREATE INDEX CONCURRENTLY migrations: waiters
  // must hold no snapshot, or the holder deadlocks against them.
  std::vector<Child> children;
  for (int i = 0; i < 20; ++i) {
    children.emplace_back(std::vector<std::string>{Bin("FULL"), "migrate"}, Env());
  }
  std::vector<int> codes;
  for (Child& c : children) {
    ProcessResult r = c.Wait();
    codes.push_back(r.exit_code);
    EXPECT_EQ(r.exit_code, kOk) << r.err;
  }
  std::vector<std::string> history = History();
  std::set<std::string> unique(history.begin(), history.end());
  EXPECT_EQ(unique.size(), history.size()) << "a migration was applied twice";
  ProcessResult plan = Run("FULL", {"plan", "--json"});
  EXPECT_TRUE(nlohmann::json::parse(plan.out)["pending"].empty());
  EXPECT_EQ(Run("FULL", {"verify"}).exit_code, kOk);
}

TEST_F(MigrateTest, FailingMigrationInTheMiddleLeavesNoTrace) {
  ProcessResult r = Run("ENGINE_BROKEN", {"migrate"});
  EXPECT_EQ(r.exit_code, kMigrationFailed) << r.err;
  EXPECT_THAT(r.err, HasSubstr("core/0003_bad/up.sql:4: column \"missing_column\" "
                               "of relation \"half_done\" does not exist"));
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 42703"));
  EXPECT_THAT(r.err, HasSubstr("rolled back"));
  // Earlier migrations committed; the failing one left nothing; later ones
  // did not run.
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2"));
  EXPECT_THAT(Tables(), Not(::testing::Contains("half_done")));
  EXPECT_THAT(Tables(), Not(::testing::Contains("after_bad")));
  // No dirty flag to clear: the fixed build simply converges.
  ProcessResult fixed = Run("ENGINE_FIXED", {"migrate"});
  ASSERT_EQ(fixed.exit_code, kOk) << fixed.err;
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "core/3", "core/4", "feat/1", "feat/2"));
  auto rows = db_->Query("SELECT count(*) FROM half_done");
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(*rows, ElementsAre("2"));
}

TEST_F(MigrateTest, SingleTransactionIsAllOrNothing) {
  ProcessResult refused = Run("ENGINE_BROKEN", {"migrate", "--single-transaction"});
  EXPECT_EQ(refused.exit_code, kMigrationFailed);
  EXPECT_THAT(refused.err, HasSubstr("feat/0002_ix/up.sql: it is a no-transaction"));
  EXPECT_THAT(Tables(), IsEmpty());
  // Without the no-transaction cluster (core only): the failure rolls back
  // the whole plan, including the migrations before it.
  ProcessResult failed =
      Run("ENGINE_BROKEN", {"migrate", "--single-transaction", "--features=core"});
  EXPECT_EQ(failed.exit_code, kMigrationFailed) << failed.err;
  EXPECT_THAT(failed.err, HasSubstr("the whole plan was rolled back"));
  EXPECT_THAT(History(), IsEmpty());
  EXPECT_THAT(Tables(), IsEmpty());
  ProcessResult ok = Run("ENGINE_FIXED", {"migrate", "--single-transaction", "--features=core"});
  EXPECT_EQ(ok.exit_code, kOk) << ok.err;
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "core/3", "core/4"));
}

TEST_F(MigrateTest, KilledDuringALongMigrationThenRerunConverges) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  Child slow({Bin("ENGINE_SLOW"), "migrate"}, Env());
  // Wait until the slow migration is inside pg_sleep.
  ASSERT_TRUE(AwaitActive("pg_sleep(4)"));
  slow.Kill(SIGKILL);
  ProcessResult killed = slow.Wait();
  EXPECT_EQ(killed.signal, SIGKILL);
  // Nothing of the interrupted migration remains, and its lock is gone: the
  // rerun neither fails nor waits for long.
  EXPECT_THAT(Tables(), Not(::testing::Contains("slow_table")));
  auto start = std::chrono::steady_clock::now();
  ProcessResult rerun = Run("ENGINE_SLOW", {"migrate", "--lock-wait-timeout=20s"});
  ASSERT_EQ(rerun.exit_code, kOk) << rerun.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1", "feat/2", "core/3"));
  auto rows = db_->Query("SELECT count(*) FROM slow_table");
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(*rows, ElementsAre("1000"));
}

TEST_F(MigrateTest, FailedNoTransactionMigrationIsUndoneWithItsDownSql) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  ASSERT_TRUE(db_->Query("INSERT INTO users (email) VALUES ('a@x'); "
                         "INSERT INTO notes (user_id, body) SELECT id, 'one' FROM users; "
                         "INSERT INTO notes (user_id, body) SELECT id, 'two' FROM users")
                  .ok());
  ProcessResult r = Run("ENGINE_NOTX_BROKEN", {"migrate"});
  EXPECT_EQ(r.exit_code, kMigrationFailed) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("feat/0003_bad_ix/up.sql:4:"),
                           HasSubstr("could not create unique index"),
                           HasSubstr("undone with its down.sql"), HasSubstr("2 statement(s) run"),
                           HasSubstr("1 skipped")));
  auto indexes = db_->Query(
      "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'notes_%_ix' "
      "ORDER BY 1");
  ASSERT_TRUE(indexes.ok());
  // The statement that succeeded was undone; the invalid index is gone; the
  // down.sql statement that drops 0002's notes_body_ix (not made by this
  // run) did not run.
  EXPECT_THAT(*indexes, ElementsAre("notes_body_ix", "notes_user_ix"));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1", "feat/2"));
  auto pending = db_->Query("SELECT count(*) FROM schemagate.migrations_in_progress");
  ASSERT_TRUE(pending.ok());
  EXPECT_THAT(*pending, ElementsAre("0"));
}

TEST_F(MigrateTest, InterruptedNoTransactionMigrationIsCleanedUpByTheNextRun) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  Child slow({Bin("ENGINE_NOTX"), "migrate"}, Env());
  ASSERT_TRUE(AwaitActive("pg_sleep(4)"));
  slow.Kill(SIGKILL);
  slow.Wait();
  // Half done: the first index exists, the migration is not recorded.
  auto half = db_->Query("SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_slow_a_ix'");
  ASSERT_TRUE(half.ok());
  EXPECT_THAT(*half, ElementsAre("1"));
  auto marked =
      db_->Query("SELECT cluster || '/' || version FROM schemagate.migrations_in_progress");
  ASSERT_TRUE(marked.ok());
  EXPECT_THAT(*marked, ElementsAre("feat/3"));
  ProcessResult rerun = Run("ENGINE_NOTX", {"migrate", "--lock-wait-timeout=20s"});
  ASSERT_EQ(rerun.exit_code, kOk) << rerun.err;
  EXPECT_THAT(rerun.err, HasSubstr("interrupted no-transaction migration was undone"));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1", "feat/2", "feat/3"));
  auto log = db_->Query(
      "SELECT action || ' ' || cluster || '/' || version FROM "
      "schemagate.migrations_log WHERE action = 'cleanup'");
  ASSERT_TRUE(log.ok());
  EXPECT_THAT(*log, ElementsAre("cleanup feat/3"));
  EXPECT_EQ(Run("ENGINE_NOTX", {"verify"}).exit_code, kOk);
}

TEST_F(MigrateTest, LockWaitTimeoutHasItsOwnExitCode) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  Child slow({Bin("ENGINE_SLOW"), "migrate"}, Env());
  ASSERT_TRUE(AwaitActive("pg_sleep(4)"));
  ProcessResult waiter = Run("ENGINE_SLOW", {"migrate", "--lock-wait-timeout=1s"});
  EXPECT_EQ(waiter.exit_code, kLockWait) << waiter.err;
  EXPECT_THAT(waiter.err, HasSubstr("--lock-wait-timeout=1s"));
  EXPECT_EQ(slow.Wait().exit_code, kOk);
}

TEST_F(MigrateTest, LockTimeoutRetriesThenFailsClearly) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate", "--features=core"}).exit_code, kOk);
  // A long transaction holding a lock that feat/0001's foreign key needs.
  Child blocker({"psql", "-X", "-q", "-d", db_->url(), "-c",
                 "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; "
                 "SELECT pg_sleep(6); COMMIT;"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ProcessResult r = Run("ENGINE_V1", {"migrate", "--lock-timeout=200ms", "--lock-retries=1"});
  EXPECT_EQ(r.exit_code, kMigrationFailed) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lock timeout"));
  EXPECT_THAT(r.err, HasSubstr("gave up after 2 attempts"));
  EXPECT_THAT(r.err, HasSubstr("retrying"));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2"));
  blocker.Wait();
  EXPECT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
}

TEST_F(MigrateTest, NoTransactionMigrationIsRetriedAfterALockTimeout) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate", "--features=core"}).exit_code, kOk);
  // CREATE INDEX CONCURRENTLY waits for older transactions: this one keeps
  // feat/0002_ix past its lock_timeout for a while, then ends.
  Child blocker({"psql", "-X", "-q", "-d", db_->url(), "-c",
                 "BEGIN; SELECT txid_current(); SELECT pg_sleep(2); COMMIT;"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ProcessResult r = Run("ENGINE_V1", {"migrate", "--lock-timeout=200ms", "--lock-retries=8"});
  blocker.Wait();
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_THAT(r.err, HasSubstr("retrying"));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1", "feat/2"));
  auto valid = db_->Query(
      "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "WHERE c.relname IN ('notes_user_ix', 'notes_body_ix') AND i.indisvalid");
  ASSERT_TRUE(valid.ok());
  EXPECT_THAT(*valid, ElementsAre("2"));
  EXPECT_EQ(Run("ENGINE_V1", {"verify"}).exit_code, kOk);
}

TEST_F(MigrateTest, EditedMigrationIsRefusedUntilRepaired) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  ProcessResult refused = Run("ENGINE_EDITED", {"migrate"});
  EXPECT_EQ(refused.exit_code, kIntegrity) << refused.err;
  EXPECT_THAT(refused.err, AllOf(HasSubstr("core/0001_init/up.sql was changed after it was "
                                           "applied (applied sha256 "),
                                 HasSubstr(", file sha256 "), HasSubstr("schemagate repair")));
  EXPECT_EQ(ClusterState(StatusJson("ENGINE_EDITED"), "core"), "checksum_mismatch");
  ProcessResult dry = Run("ENGINE_EDITED", {"repair", "--dry-run"});
  EXPECT_THAT(dry.out, HasSubstr("would record core/0001_init/up.sql"));
  ProcessResult repair = Run("ENGINE_EDITED", {"repair"});
  ASSERT_EQ(repair.exit_code, kOk) << repair.err;
  EXPECT_THAT(repair.out, HasSubstr("recorded core/0001_init/up.sql"));
  auto log = db_->Query("SELECT action FROM schemagate.migrations_log WHERE action = 'repair'");
  ASSERT_TRUE(log.ok());
  EXPECT_THAT(*log, ElementsAre("repair"));
  ProcessResult after = Run("ENGINE_EDITED", {"migrate"});
  ASSERT_EQ(after.exit_code, kOk) << after.err;
  EXPECT_THAT(after.err, HasSubstr("nothing to apply"));
  // The original build now sees the recorded (edited) checksum as changed.
  EXPECT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kIntegrity);
}

TEST_F(MigrateTest, UnknownAppliedMigrationIsReportedAndRefused) {
  ASSERT_EQ(Run("ENGINE_V2", {"migrate"}).exit_code, kOk);
  nlohmann::json status = StatusJson("ENGINE_V1");
  EXPECT_EQ(ClusterState(status, "core"), "unknown_applied");
  ProcessResult refused = Run("ENGINE_V1", {"migrate"});
  EXPECT_EQ(refused.exit_code, kIntegrity);
  EXPECT_THAT(refused.err,
              AllOf(HasSubstr("core/3 (audit)"), HasSubstr("--allow-unknown-applied")));
  ProcessResult allowed = Run("ENGINE_V1", {"migrate", "--allow-unknown-applied"});
  EXPECT_EQ(allowed.exit_code, kOk) << allowed.err;
  // Nothing is deleted implicitly.
  EXPECT_THAT(History(), ::testing::Contains("core/3"));
  EXPECT_THAT(Tables(), ::testing::Contains("audit"));
}

TEST_F(MigrateTest, UpDownUpLeavesTheSameSchema) {
  ASSERT_EQ(Run("FULL", {"migrate"}).exit_code, kOk);
  std::vector<std::string> up = Schema();
  ASSERT_GT(up.size(), 500u);
  // Every cluster down, dependents first (the reverse of the apply order).
  ProcessResult catalog = Run("FULL", {"catalog", "--compact"});
  auto parsed = nlohmann::json::parse(catalog.out);
  std::vector<std::string> clusters;
  for (const auto& c : parsed["clusters"]) clusters.push_back(c["name"]);
  std::reverse(clusters.begin(), clusters.end());
  // Narrowed to core, so clusters that are down no longer count as enabled
  // dependents; installed dependents still block (checked elsewhere).
  for (const std::string& c : clusters) {
    ProcessResult r = Run("FULL", {"rollback", "--cluster", c, "--to", "0", "--features=core"});
    ASSERT_EQ(r.exit_code, kOk) << c << "\n" << r.err;
  }
  EXPECT_THAT(Schema(), IsEmpty());
  EXPECT_THAT(History(), IsEmpty());
  ASSERT_EQ(Run("FULL", {"migrate"}).exit_code, kOk);
  EXPECT_EQ(Schema(), up);
  // One leaf cluster down and up again.
  ASSERT_EQ(
      Run("FULL", {"rollback", "--cluster", "goals", "--to", "0", "--features=tasks"}).exit_code,
      kOk);
  EXPECT_NE(Schema(), up);
  ASSERT_EQ(Run("FULL", {"migrate"}).exit_code, kOk);
  EXPECT_EQ(Schema(), up);
  // A cluster to an intermediate version and back.
  ASSERT_EQ(Run("FULL", {"rollback", "--cluster", "tasks_calendar", "--to", "1"}).exit_code, kOk);
  ASSERT_EQ(Run("FULL", {"migrate"}).exit_code, kOk);
  EXPECT_EQ(Schema(), up);
}

TEST_F(MigrateTest, OrphanedClustersAreReportedUntouchedAndRemovedExplicitly) {
  ASSERT_EQ(Run("SHOP_FULL", {"migrate"}).exit_code, kOk);
  ASSERT_TRUE(db_->Query("INSERT INTO items (sku, title) VALUES ('a-1', 'Lamp')").ok());
  // Switch to the minimal build: catalog, orders, reviews and their bridge
  // are orphaned, reported, and never touched.
  nlohmann::json status = StatusJson("SHOP_MINIMAL");
  for (const std::string c : {"catalog", "orders", "reviews", "orders_reviews"}) {
    EXPECT_EQ(ClusterState(status, c), "orphaned") << c;
  }
  EXPECT_EQ(ClusterState(status, "core"), "up_to_date");
  ProcessResult migrate = Run("SHOP_MINIMAL", {"migrate"});
  EXPECT_EQ(migrate.exit_code, kOk) << migrate.err;
  auto items = db_->Query("SELECT title FROM items");
  ASSERT_TRUE(items.ok());
  EXPECT_THAT(*items, ElementsAre("Lamp"));
  ProcessResult verify = Run("SHOP_MINIMAL", {"verify"});
  EXPECT_EQ(verify.exit_code, kOk) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("orphaned (not enabled here, left alone): table items"));
  // Removing catalog first is refused: orders and reviews depend on it.
  ProcessResult refused = Run("SHOP_MINIMAL", {"rollback", "--cluster", "catalog", "--to", "0"});
  EXPECT_EQ(refused.exit_code, kIntegrity);
  EXPECT_THAT(refused.err,
              AllOf(HasSubstr("orders (orphaned, installed)"), HasSubstr("depend on it")));
  for (const std::string c : {"orders_reviews", "orders", "reviews", "catalog"}) {
    ProcessResult r = Run("SHOP_MINIMAL", {"rollback", "--cluster", c, "--to", "0"});
    EXPECT_EQ(r.exit_code, kOk) << c << "\n" << r.err;
  }
  EXPECT_THAT(Tables(), ElementsAre("\"Tags\"", "codes", "customers", "shop.address_archive",
                                    "shop.addresses", "shop.durations", "visits", "visits_2024",
                                    "visits_2025"));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "core/3"));
  EXPECT_EQ(Run("SHOP_MINIMAL", {"verify"}).exit_code, kOk);
  // Once removed, a cluster is unknown to this build; so is a typo.
  for (const std::string c : {"catalog", "cor"}) {
    ProcessResult r = Run("SHOP_MINIMAL", {"rollback", "--cluster", c, "--to", "0"});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
    EXPECT_THAT(r.err, HasSubstr("unknown cluster \"" + c + "\""));
  }
}

TEST_F(MigrateTest, RollbackRefusesWhileAnEnabledClusterDependsOnIt) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  ProcessResult r = Run("ENGINE_V1", {"rollback", "--cluster", "core", "--to", "0"});
  EXPECT_EQ(r.exit_code, kIntegrity);
  EXPECT_THAT(r.err, HasSubstr("feat (enabled, installed) depend on it"));
  // feat was applied after core/2: rolling core back to 1 is refused too.
  r = Run("ENGINE_V1", {"rollback", "--cluster", "core", "--to", "1"});
  EXPECT_EQ(r.exit_code, kIntegrity);
  ProcessResult dry = Run("ENGINE_V1", {"rollback", "--cluster", "feat", "--to", "0", "--dry-run"});
  EXPECT_EQ(dry.exit_code, kOk);
  EXPECT_THAT(dry.out, HasSubstr("would revert feat/2 (ix)\nwould revert feat/1 (init)"));
  EXPECT_EQ(History().size(), 4u);
}

TEST_F(MigrateTest, FeaturesNarrowAtRunTime) {
  ProcessResult r = Run("FULL", {"migrate", "--features=tasks"});
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  std::set<std::string> clusters;
  for (const std::string& h : History()) clusters.insert(h.substr(0, h.find('/')));
  EXPECT_THAT(clusters, ElementsAre("core", "tasks"));
  ProcessResult unknown = Run("FULL", {"migrate", "--features=nosuch"});
  EXPECT_EQ(unknown.exit_code, kUsage);
  EXPECT_THAT(unknown.err, HasSubstr("unknown feature \"nosuch\""));
  ProcessResult absent = Run("SHOP_MINIMAL", {"migrate", "--features=orders"});
  EXPECT_EQ(absent.exit_code, kUsage);
  EXPECT_THAT(absent.err, HasSubstr("feature \"orders\" is not compiled into this binary "
                                    "(compiled: core); rebuild with "
                                    "-DSCHEMAGATE_FEATURES=core,orders"));
}

TEST_F(MigrateTest, DriftIsDetected) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  ASSERT_TRUE(db_->Query("ALTER TABLE users ADD COLUMN extra int; "
                         "ALTER TABLE notes ALTER COLUMN body DROP NOT NULL; "
                         "DROP TABLE profiles; CREATE TABLE stray (x int)")
                  .ok());
  ProcessResult r = Run("ENGINE_V1", {"verify"});
  EXPECT_EQ(r.exit_code, kDrift);
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("missing table: profiles"), HasSubstr("extra column: users.extra"),
                    HasSubstr("nullability: notes.body (catalog: NOT NULL, "
                              "database: NULL)"),
                    HasSubstr("extra table: stray")));
  ProcessResult ignore = Run("ENGINE_V1", {"verify", "--ignore-extra-tables", "--json"});
  auto parsed = nlohmann::json::parse(ignore.out);
  EXPECT_EQ(parsed["drift"].size(), 3u);
}

// The catalog is the fully migrated schema: a database behind the build is
// told so, with the pending migrations, rather than only shown drift.
TEST_F(MigrateTest, VerifyNamesPendingMigrations) {
  ASSERT_EQ(Run("SHOP_MINIMAL", {"migrate"}).exit_code, kOk);
  ASSERT_EQ(Run("SHOP_MINIMAL", {"rollback", "--cluster", "core", "--to", "2"}).exit_code, kOk);
  ProcessResult r = Run("SHOP_MINIMAL", {"verify"});
  EXPECT_EQ(r.exit_code, kDrift);
  EXPECT_THAT(r.out, AllOf(HasSubstr("missing table: shop.durations"),
                           HasSubstr("note: 1 migration(s) of this build not applied yet "
                                     "(first: core/0003_shapes)"),
                           HasSubstr("run `schemagate migrate` first")));
  ProcessResult json = Run("SHOP_MINIMAL", {"verify", "--json"});
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["pending"], nlohmann::json::array({"core/0003_shapes"}));
  ASSERT_EQ(Run("SHOP_MINIMAL", {"migrate"}).exit_code, kOk);
  ProcessResult again = Run("SHOP_MINIMAL", {"verify"});
  EXPECT_EQ(again.exit_code, kOk) << again.out;
  EXPECT_THAT(again.out, Not(HasSubstr("note:")));
}

TEST_F(MigrateTest, ConnectionFailuresAreClearAndNeverShowThePassword) {
  absl::StatusOr<std::string> server = test::ServerUrl();
  ASSERT_TRUE(server.ok());
  std::string password = server->substr(server->find(':', 14) + 1);
  password = password.substr(0, password.find('@'));
  ASSERT_GE(password.size(), 8u);
  // Nobody listens on port 1: retried until --connect-timeout, then exit 3.
  std::string bad_port = "postgresql://postgres:" + password + "@127.0.0.1:1/db";
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = RunProcess({Bin("MINIMAL"), "migrate", "--connect-timeout=1500ms"}, "",
                               {"DATABASE_URL=" + bad_port});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, kConnect) << r.err;
  EXPECT_GE(took, std::chrono::milliseconds(1400));
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_THAT(r.err, HasSubstr("cannot connect to 127.0.0.1:1/db"));
  EXPECT_THAT(r.err, HasSubstr("retrying"));
  EXPECT_THAT(r.err + r.out, Not(HasSubstr(password)));
  // A wrong password is not retried.
  std::string wrong = db_->url();
  wrong.replace(wrong.find(password), password.size(), "wrong-secret-123");
  test::RegisterSecret("wrong-secret-123");
  r = RunProcess({Bin("MINIMAL"), "migrate", "--log-format=json"}, "", {"DATABASE_URL=" + wrong});
  EXPECT_EQ(r.exit_code, kConnect);
  EXPECT_THAT(r.err, HasSubstr("password authentication failed"));
  EXPECT_THAT(r.err + r.out, Not(HasSubstr("wrong-secret-123")));
  // Bad usage.
  r = RunProcess({Bin("MINIMAL"), "migrate", "--lock-mode=weird"}, "", Env());
  EXPECT_EQ(r.exit_code, kUsage);
  r = RunProcess({Bin("MINIMAL"), "migrate"}, "", {"DATABASE_URL="});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("no database"));
}

TEST_F(MigrateTest, TransactionLockModeRefusesNoTransactionMigrations) {
  ProcessResult r = Run("ENGINE_V1", {"migrate", "--lock-mode=transaction"});
  EXPECT_EQ(r.exit_code, kMigrationFailed);
  EXPECT_THAT(r.err, HasSubstr("feat/0002_ix/up.sql is no-transaction"));
  ProcessResult core = Run("ENGINE_V1", {"migrate", "--lock-mode=transaction", "--features=core"});
  EXPECT_EQ(core.exit_code, kOk) << core.err;
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2"));
}

TEST_F(MigrateTest, HelpListsFlagsAndExitCodes) {
  for (const std::string cmd : {"migrate", "plan", "status", "verify", "rollback", "repair"}) {
    ProcessResult r = RunProcess({Bin("MINIMAL"), cmd, "--help"});
    EXPECT_EQ(r.exit_code, kOk) << cmd;
    EXPECT_THAT(r.out, AllOf(HasSubstr("--database-url"), HasSubstr("Exit codes:"),
                             HasSubstr("4  lock wait timeout")))
        << cmd;
  }
}

// The same tree checked out on Windows (git core.autocrlf: CRLF endings, and
// a BOM an editor added): its migrations have the same checksums, so a
// database migrated from a Linux checkout is up to date for it, not refused
// as edited; and a history row recorded from the raw CRLF bytes (by a
// version that hashed raw bytes) is valid for the LF checkout.
TEST_F(MigrateTest, CrlfCheckoutIsNotAnEditedMigration) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  nlohmann::json status = StatusJson("ENGINE_CRLF");
  EXPECT_TRUE(status["up_to_date"].get<bool>()) << status.dump();
  EXPECT_EQ(ClusterState(status, "core"), "up_to_date");
  ProcessResult crlf = Run("ENGINE_CRLF", {"migrate"});
  EXPECT_EQ(crlf.exit_code, kOk) << crlf.err;
  EXPECT_THAT(crlf.err, Not(HasSubstr("was changed after it was applied")));
  EXPECT_EQ(Run("ENGINE_CRLF", {"verify"}).exit_code, kOk);

  // A row recorded from the CRLF checkout's raw bytes.
  const char* tree = std::getenv("SCHEMAGATE_CRLF_TREE");
  ASSERT_NE(tree, nullptr);
  ProcessResult sum = RunProcess({"sha256sum", std::string(tree) + "/core/0001_init/up.sql"});
  ASSERT_EQ(sum.exit_code, 0);
  const std::string raw = sum.out.substr(0, 64);
  ASSERT_TRUE(db_->Query("UPDATE schemagate.migrations SET checksum = '" + raw +
                         "' WHERE cluster = 'core' AND version = 1")
                  .ok());
  ProcessResult lf = Run("ENGINE_V1", {"migrate"});
  EXPECT_EQ(lf.exit_code, kOk) << lf.err;
  EXPECT_EQ(ClusterState(StatusJson("ENGINE_V1"), "core"), "up_to_date");
  EXPECT_EQ(Run("ENGINE_CRLF", {"migrate"}).exit_code, kOk);
  // A real edit is still an edit.
  ASSERT_TRUE(db_->Query("UPDATE schemagate.migrations SET checksum = repeat('0', 64) "
                         "WHERE cluster = 'core' AND version = 1")
                  .ok());
  EXPECT_EQ(Run("ENGINE_CRLF", {"migrate"}).exit_code, kIntegrity);
}

// An index made by hand with the name a no-transaction migration creates:
// the migration is refused before anything runs, and the hand-made index
// is never dropped (a failed run used to run the whole down.sql).
TEST_F(MigrateTest, NoTransactionMigrationNeverDropsWhatItDidNotCreate) {
  ASSERT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  ASSERT_EQ(Run("ENGINE_V1", {"rollback", "--cluster", "feat", "--to", "1"}).exit_code, kOk);
  ASSERT_TRUE(db_->Query("CREATE INDEX notes_body_ix ON notes (body)").ok());  // by hand
  ProcessResult r = Run("ENGINE_V1", {"migrate"});
  EXPECT_EQ(r.exit_code, kMigrationFailed) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("refusing to run feat/0002_ix/up.sql"),
                           HasSubstr("creates notes_body_ix, which already exists"),
                           HasSubstr("Nothing was run")));
  auto indexes = db_->Query(
      "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE indexname LIKE "
      "'notes_%_ix' ORDER BY 1");
  ASSERT_TRUE(indexes.ok());
  EXPECT_THAT(*indexes, ElementsAre(HasSubstr("notes_body_ix ON public.notes USING btree (body)")));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1"));
  auto marks = db_->Query("SELECT count(*) FROM schemagate.migrations_in_progress");
  ASSERT_TRUE(marks.ok());
  EXPECT_THAT(*marks, ElementsAre("0"));
  // Once the hand-made index is out of the way, the migration applies.
  ASSERT_TRUE(db_->Query("DROP INDEX notes_body_ix").ok());
  EXPECT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, kOk);
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1", "feat/2"));
}

// Rolling back a no-transaction migration is marked like applying one: a
// kill after its down.sql ran but before its history row was deleted leaves
// the mark, and the next migrate finishes the rollback (then applies the
// migration again), instead of trusting a row whose objects are gone.
TEST_F(MigrateTest, KilledRollbackOfANoTransactionMigrationIsFinished) {
  ASSERT_EQ(Run("ENGINE_NOTX", {"migrate"}).exit_code, kOk);
  Child rollback({Bin("ENGINE_NOTX"), "rollback", "--cluster", "feat", "--to", "2"}, Env());
  ASSERT_TRUE(AwaitActive("pg_sleep(3.9)"));
  rollback.Kill(SIGKILL);
  rollback.Wait();
  // The indexes are gone and the row says applied: only the mark tells.
  auto gone = db_->Query("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'notes_slow_%'");
  ASSERT_TRUE(gone.ok());
  EXPECT_THAT(*gone, ElementsAre("0"));
  auto marked = db_->Query(
      "SELECT action || ' ' || cluster || '/' || version FROM "
      "schemagate.migrations_in_progress");
  ASSERT_TRUE(marked.ok());
  EXPECT_THAT(*marked, ElementsAre("rollback feat/3"));
  ProcessResult rerun = Run("ENGINE_NOTX", {"migrate", "--lock-wait-timeout=20s"});
  ASSERT_EQ(rerun.exit_code, kOk) << rerun.err;
  EXPECT_THAT(rerun.err, HasSubstr("interrupted rollback of a no-transaction migration"));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1", "feat/2", "feat/3"));
  ProcessResult verify = Run("ENGINE_NOTX", {"verify"});
  EXPECT_EQ(verify.exit_code, kOk) << verify.out;
  auto valid = db_->Query(
      "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "WHERE c.relname LIKE 'notes_slow_%' AND i.indisvalid");
  ASSERT_TRUE(valid.ok());
  EXPECT_THAT(*valid, ElementsAre("2"));
  auto log = db_->Query(
      "SELECT action || ' ' || cluster || '/' || version FROM schemagate.migrations_log "
      "WHERE action IN ('cleanup', 'rollback') ORDER BY id");
  ASSERT_TRUE(log.ok());
  EXPECT_THAT(*log, ElementsAre("cleanup feat/3"));
}

}  // namespace
}  // namespace schemagate
