// The engine after a lost connection, on a single PostgreSQL (the `pg`
// fixture, or a private server for ALTER SYSTEM): what a failover does to a
// migrator, without the HA cluster of tests/ha (which runs these paths
// through Patroni). A migrator whose backend is terminated mid-migration
// reconnects and finishes the run, applying the interrupted migration once;
// so does ApplyMigrations on a server; a primary that turns read-only
// (default_transaction_read_only, as HA tools fence an old primary) between
// two migrations is waited out — never reported as a failed migration; a
// COMMIT whose connection breaks while the server is still committing it is
// resolved from the history once that session has ended (never guessed).
// Binaries: the engine_slow variant (core/3 sleeps 4 s).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "schemagate/v1/schemagate.grpc.pb.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

using test::Child;
using test::Eventually;
using test::ProcessResult;
using test::QueryRows;
using test::RunProcess;
using test::Server;
using test::TempDir;
using test::TestDatabase;
using test::Variant;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "reconnect-test-admin-token-4c7a";
// engine_slow: core/1..3 (3 sleeps 4 s), feat/1..2.
constexpr int kMigrations = 5;

// Recorded once each, and logged as applied once each.
void ExpectEachAppliedOnce(const std::string& url, int migrations = kMigrations) {
  auto n = QueryRows(url,
                     "SELECT count(*), count(DISTINCT (cluster, version)), (SELECT count(*) "
                     "FROM schemagate.migrations_log WHERE action = 'apply') FROM "
                     "schemagate.migrations");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ((*n)[0], absl::StrCat(migrations, "\t", migrations, "\t", migrations));
}

// Terminates the sessions of `db` running pg_sleep (the slow migration).
bool TerminateSleeper(const TestDatabase& db) {
  auto r = db.Query(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep%'");
  return r.ok() && !r->empty() && (*r)[0] == "1";
}

TEST(ReconnectTest, MigrateWhoseBackendIsTerminatedReconnectsAndFinishes) {
  auto db = TestDatabase::Create("reconnect_migrate");
  ASSERT_TRUE(db.ok()) << db.status();
  Child migrate({Variant("engine_slow", "schemagate"), "migrate", "--log-format=json",
                 "--connect-timeout=20s"},
                {"DATABASE_URL=" + (*db)->url()});
  ASSERT_TRUE(Eventually([&] { return (*db)->ActiveQueries("pg_sleep") == 1; }, absl::Seconds(30)));
  ASSERT_TRUE(TerminateSleeper(**db));
  ProcessResult r = migrate.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("connection to the primary lost"));
  EXPECT_THAT(r.err, HasSubstr("connected to the primary"));
  EXPECT_THAT(r.err, Not(HasSubstr("\"level\":\"error\""))) << "reported as a failure";
  ExpectEachAppliedOnce((*db)->url());
}

TEST(ReconnectTest, ApplyMigrationsWhoseBackendIsTerminatedReconnectsAndFinishes) {
  auto db = TestDatabase::Create("reconnect_apply");
  ASSERT_TRUE(db.ok()) << db.status();
  const std::string token_file = test::TokenFile(TempDir(), kToken);
  Server server(Variant("engine_slow", "schemagate-server"), (*db)->url(),
                {"--admin-token-file=" + token_file});
  ASSERT_TRUE(server.ok());
  auto channel = grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  auto stub = v1::SchemaGate::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + kToken);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  std::atomic<bool> terminated{false};
  std::thread killer([&] {
    if (Eventually([&] { return (*db)->ActiveQueries("pg_sleep") == 1; }, absl::Seconds(30))) {
      terminated = TerminateSleeper(**db);
    }
  });
  auto reader = stub->ApplyMigrations(&ctx, v1::ApplyMigrationsRequest());
  v1::ApplyMigrationsResponse event;
  int reconnecting = 0, reconnected = 0, applied = -1;
  while (reader->Read(&event)) {
    if (event.has_reconnecting()) ++reconnecting;
    if (event.has_reconnected()) ++reconnected;
    if (event.has_summary()) applied = event.summary().applied_size();
  }
  grpc::Status s = reader->Finish();
  killer.join();
  ASSERT_TRUE(terminated);
  EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(reconnecting, 1);
  EXPECT_EQ(reconnected, 1);
  EXPECT_EQ(applied, kMigrations);
  ExpectEachAppliedOnce((*db)->url());
}

// ALTER SYSTEM needs a server of its own.
TEST(ReconnectTest, PrimaryTurnedReadOnlyIsWaitedOutNotAFailedMigration) {
  test::PrivatePostgres pg;
  ASSERT_TRUE(pg.ok());
  auto set_read_only = [&](bool on) {
    return test::RunPsql(pg.url(),
                         absl::StrCat("SET default_transaction_read_only = off;\n",
                                      on ? "ALTER SYSTEM SET default_transaction_read_only = on;\n"
                                         : "ALTER SYSTEM RESET default_transaction_read_only;\n",
                                      "SELECT pg_reload_conf();\n"))
        .ok();
  };
  Child migrate({Variant("engine_slow", "schemagate"), "migrate", "--log-format=json",
                 "--connect-timeout=60s"},
                {"DATABASE_URL=" + pg.url()});
  auto sleeping = [&] {
    auto r = QueryRows(pg.url(),
                       "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                       "query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()");
    return r.ok() && !r->empty() && (*r)[0] == "1";
  };
  ASSERT_TRUE(Eventually(sleeping, absl::Seconds(30)));
  // During core/3: its transaction began read-write and commits; the next
  // migration's transaction is read-only (SQLSTATE 25006).
  ASSERT_TRUE(set_read_only(true));
  auto recorded = [&] {
    auto r = QueryRows(pg.url(), "SELECT count(*) FROM schemagate.migrations");
    return r.ok() && !r->empty() ? (*r)[0] : std::string("?");
  };
  ASSERT_TRUE(Eventually([&] { return recorded() == "3"; }, absl::Seconds(30)));
  absl::SleepFor(absl::Seconds(3));
  EXPECT_TRUE(migrate.Running()) << "did not wait for the primary to take writes";
  EXPECT_EQ(recorded(), "3");
  ASSERT_TRUE(set_read_only(false));
  ProcessResult r = migrate.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("is not the primary (read-only"));
  EXPECT_THAT(r.err, HasSubstr("is read-only (default_transaction_read_only is on)"));
  EXPECT_THAT(r.err, Not(HasSubstr("failed at")));
  EXPECT_THAT(r.err, Not(HasSubstr("\"level\":\"error\""))) << "reported as a failure";
  ExpectEachAppliedOnce(pg.url());
}

// A COMMIT in doubt on a server that is still there (the network broke, no
// failover): the old session is still committing — here it waits for a
// synchronous standby that does not exist, after committing locally — when
// migrate reconnects. Its outcome is read from the history only under the
// migration lock, which that session holds until it ends: read earlier, the
// history would not show the commit yet and the migration would be called
// not committed.
TEST(ReconnectTest, CommitInDoubtIsResolvedFromTheHistoryOnceTheOldSessionEnds) {
  test::PrivatePostgres pg;
  ASSERT_TRUE(pg.ok());
  auto set_sync_standby = [&](bool on) {
    return test::RunPsql(pg.url(),
                         absl::StrCat(on ? "ALTER SYSTEM SET synchronous_standby_names = "
                                           "'nobody';\n"
                                         : "ALTER SYSTEM RESET synchronous_standby_names;\n",
                                      "SELECT pg_reload_conf();\n"))
        .ok();
  };
  // pg.url() is postgresql://user:password@host:port/db
  const std::string url = pg.url();
  const size_t at = url.find('@'), colon = url.find(':', at), slash = url.find('/', at);
  test::FreezableProxy proxy(url.substr(at + 1, colon - at - 1),
                             std::stoi(url.substr(colon + 1, slash - colon - 1)));
  ASSERT_GT(proxy.port(), 0);
  const std::string proxied = url.substr(0, colon + 1) + std::to_string(proxy.port()) +
                              url.substr(slash) + "?options=-csynchronous_commit%3Don";
  auto count = [&](const std::string& sql) {
    auto r = QueryRows(url, sql);
    return r.ok() && !r->empty() ? (*r)[0] : std::string("?");
  };
  // core alone: core/3, which sleeps, is the run's last migration.
  Child migrate({Variant("engine_slow", "schemagate"), "migrate", "--features=core",
                 "--log-format=json", "--connect-timeout=60s"},
                {"DATABASE_URL=" + proxied});
  // During core/3's sleep (the history exists by then): from now on a
  // commit with synchronous_commit on — the run's last, core/3's; the others
  // set it off (pg.sh's servers run with it off: migrate's URL turns it on
  // for its sessions) — commits locally, then waits for the standby.
  ASSERT_TRUE(Eventually(
      [&] {
        return count(
                   "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                   "query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()") == "1";
      },
      absl::Seconds(30)));
  ASSERT_TRUE(set_sync_standby(true));
  ASSERT_TRUE(Eventually(
      [&] {
        return count("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") == "1";
      },
      absl::Seconds(30)))
      << "the last commit did not wait for the standby";
  EXPECT_EQ(count("SELECT count(*) FROM schemagate.migrations"), "2");
  proxy.Cut();  // COMMIT sent, no answer: in doubt
  absl::SleepFor(absl::Seconds(2));
  EXPECT_TRUE(migrate.Running()) << "did not wait for the old session's lock";
  EXPECT_EQ(count("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"), "1");
  const absl::Time released = absl::Now();
  ASSERT_TRUE(set_sync_standby(false));
  ProcessResult r = migrate.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("the outcome of its COMMIT is unknown"));
  EXPECT_THAT(r.err, HasSubstr("records it: committed"));
  EXPECT_THAT(r.err, Not(HasSubstr("does not record it")));
  EXPECT_THAT(r.err, Not(HasSubstr("\"level\":\"error\""))) << "reported as a failure";
  // The resolution was read after the old session could end.
  for (absl::string_view line : absl::StrSplit(r.err, '\n')) {
    if (!absl::StrContains(line, "records it: committed")) continue;
    const size_t ts = line.find("\"ts\":\"");
    ASSERT_NE(ts, absl::string_view::npos) << line;
    absl::Time when;
    std::string error;
    ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%E3SZ", std::string(line.substr(ts + 6, 24)), &when,
                                &error))
        << error << ": " << line;
    EXPECT_GE(when, released - absl::Milliseconds(5)) << "resolved before the old session ended";
  }
  ExpectEachAppliedOnce(url, 3);
}

}  // namespace
}  // namespace schemagate
