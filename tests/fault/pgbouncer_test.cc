// PgBouncer in transaction pooling mode (the `pgbouncer` fixture,
// scripts/pgbouncer.sh, pool of 4 server sessions) in front of the fixture
// PostgreSQL: what works through it, and what fails early with a clear
// message (docs/OPERATIONS.md, "PgBouncer").
#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/database_test.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

using test::Child;
using test::Connect;
using test::Env;
using test::Eventually;
using test::ProcessResult;
using test::RunProcess;
using test::Server;
using test::TestDatabase;
using test::Variant;
using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr int kOk = 0, kUsage = 2, kLockWait = 4, kMigrationFailed = 5;

class PgBouncerTest : public test::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    std::string bouncer;
    std::ifstream(Env("SCHEMAGATE_TEST_PGBOUNCER_URL_FILE")) >> bouncer;
    ASSERT_FALSE(bouncer.empty()) << "the pgbouncer fixture did not start";
    pooled_url_ = test::WithDatabase(bouncer, db_->name());
  }

  ProcessResult Migrate(const std::string& variant, const std::string& url,
                        std::vector<std::string> args) {
    args.insert(args.begin(), {Variant(variant, "schemagate"), "migrate"});
    return RunProcess(args, "", {"DATABASE_URL=" + url});
  }

  // (rows, distinct migrations, apply log entries) of the history.
  std::string HistoryCounts() {
    auto rows = db_->Query(
        "SELECT count(*) || ' ' || count(DISTINCT (cluster, version)) || ' ' || "
        "(SELECT count(*) FROM schemagate.migrations_log WHERE action = 'apply') "
        "FROM schemagate.migrations");
    return rows.ok() ? (*rows)[0] : rows.status().ToString();
  }

  std::string pooled_url_;
};

// --lock-mode=transaction: eight migrators at once through the pool, each
// migration applied exactly once.
TEST_F(PgBouncerTest, TransactionLockModeMigratesThroughThePool) {
  std::vector<Child> migrators;
  for (int i = 0; i < 8; ++i) {
    migrators.emplace_back(std::vector<std::string>{Variant("shop_minimal", "schemagate"),
                                                    "migrate", "--lock-mode=transaction"},
                           std::vector<std::string>{"DATABASE_URL=" + pooled_url_});
  }
  for (Child& m : migrators) {
    ProcessResult r = m.Wait();
    EXPECT_EQ(r.exit_code, kOk) << r.err;
  }
  std::vector<std::string> n = absl::StrSplit(HistoryCounts(), ' ');
  ASSERT_EQ(n.size(), 3u);
  EXPECT_NE(n[0], "0");
  EXPECT_EQ(n[0], n[1]);
  EXPECT_EQ(n[0], n[2]) << "a migration was applied more than once";
  EXPECT_EQ(Migrate("shop_minimal", pooled_url_, {"--lock-mode=transaction"}).exit_code, kOk);
  ProcessResult verify = RunProcess({Variant("shop_minimal", "schemagate"), "verify"}, "",
                                    {"DATABASE_URL=" + pooled_url_});
  EXPECT_EQ(verify.exit_code, kOk) << verify.out << verify.err;
}

// A plan with a no-transaction migration (CREATE INDEX CONCURRENTLY) is
// refused before anything is applied, naming the file and what to do.
TEST_F(PgBouncerTest, NoTransactionMigrationIsRefusedUpFront) {
  ProcessResult r = Migrate("shop_orders", pooled_url_, {"--lock-mode=transaction"});
  EXPECT_EQ(r.exit_code, kMigrationFailed);
  EXPECT_THAT(r.err, HasSubstr("orders/0002_ix/up.sql is no-transaction, which cannot run "
                               "through a transaction-pooling connection"));
  EXPECT_THAT(r.err, HasSubstr("direct connection"));
  auto tables = db_->Query(
      "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')");
  ASSERT_TRUE(tables.ok()) << tables.status();
  EXPECT_EQ((*tables)[0], "0") << "something was created before the refusal";
  // The documented way out: once through a direct connection.
  EXPECT_EQ(Migrate("shop_orders", db_->url(), {}).exit_code, kOk);
}

// The default session lock through a transaction pool cannot be held
// safely. Migrators that notice (their session changed between
// transactions) stop with exit 2 and say what to do; whatever happens, no
// migration is applied twice and a direct run completes the rest.
TEST_F(PgBouncerTest, SessionLockThroughThePoolIsDetectedAndNeverDoubleApplies) {
  std::vector<Child> migrators;
  for (int i = 0; i < 8; ++i) {
    migrators.emplace_back(std::vector<std::string>{Variant("shop_minimal", "schemagate"),
                                                    "migrate", "--lock-wait-timeout=20s"},
                           std::vector<std::string>{"DATABASE_URL=" + pooled_url_});
  }
  int detected = 0;
  for (Child& m : migrators) {
    ProcessResult r = m.Wait();
    EXPECT_THAT(r.exit_code, AnyOf(kOk, kUsage, kLockWait)) << r.err;
    if (r.exit_code == kUsage) {
      ++detected;
      EXPECT_THAT(r.err, HasSubstr("transaction-pooling proxy"));
      EXPECT_THAT(r.err, HasSubstr("--lock-mode=transaction"));
    }
  }
  std::cout << detected << " of 8 session-mode migrators detected the pool\n";
  ProcessResult direct = Migrate("shop_minimal", db_->url(), {});
  EXPECT_EQ(direct.exit_code, kOk) << direct.err;
  std::vector<std::string> n = absl::StrSplit(HistoryCounts(), ' ');
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0], n[1]);
  EXPECT_EQ(n[0], n[2]) << "a migration was applied more than once";
}

// The server through the pool: health, memory and database RPCs, a
// migration applied by another process (seen by polling: LISTEN does not
// survive transaction pooling), ApplyMigrations with --lock-mode=transaction,
// and a clear refusal for a plan with a no-transaction migration.
TEST_F(PgBouncerTest, ServeWorksThroughThePool) {
  Server core_only(Variant("engine_v1", "schemagate-server"), pooled_url_,
                   {"--features=core", "--lock-mode=transaction", "--insecure-admin"});
  ASSERT_TRUE(core_only.ok());
  auto c = Connect(core_only.target());
  ASSERT_TRUE(Eventually(
      [&] {
        auto l = c->ListClusters();
        return l.ok() && l->database_reachable() &&
               l->clusters(0).migration().state() == v1::CLUSTER_STATE_NOT_INSTALLED;
      },
      absl::Seconds(10)));
  auto applied = c->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1));
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->applied_size(), 2);
  EXPECT_TRUE(Eventually(
      [&] {
        auto h = c->Health("");
        return h.ok() && *h == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      absl::Seconds(10)));
  auto check = c->CheckTables({"users"});
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->tables(0).status(), v1::TABLE_STATUS_AVAILABLE);
  auto status = c->GetMigrationStatus();
  EXPECT_TRUE(status.ok()) << status.status();
  auto verify = c->VerifySchema(false);
  EXPECT_TRUE(verify.ok()) << verify.status();

  // Every feature: feat/0002_ix is no-transaction.
  Server all(Variant("engine_v1", "schemagate-server"), pooled_url_,
             {"--lock-mode=transaction", "--insecure-admin"});
  ASSERT_TRUE(all.ok());
  auto a = Connect(all.target());
  auto refused = a->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("no-transaction"));
  // Another process migrates directly; the pooled server notices by polling.
  EXPECT_EQ(Migrate("engine_v1", db_->url(), {}).exit_code, kOk);
  EXPECT_TRUE(Eventually(
      [&] {
        auto l = a->ListClusters();
        if (!l.ok()) return false;
        for (const v1::ClusterInfo& ci : l->clusters()) {
          if (ci.migration().state() != v1::CLUSTER_STATE_UP_TO_DATE) return false;
        }
        return true;
      },
      absl::Seconds(10)));
}

}  // namespace
}  // namespace schemagate
