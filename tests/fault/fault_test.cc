// Faults against a real PostgreSQL: migrate killed with SIGKILL at random
// points of a long plan, 50 racing migrators, an unreachable database, a
// database at its connection limit, and PostgreSQL stopped and restarted
// under RPC load. The binaries are the main build's (SCHEMAGATE_BIN_DIR),
// whatever migrations tree it was built with (SCHEMAGATE_TREE_DIR).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/schema_oracle.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

namespace fs = std::filesystem;
using test::Bin;
using test::Child;
using test::Connect;
using test::Env;
using test::Eventually;
using test::Minus;
using test::ProcessResult;
using test::RunProcess;
using test::Server;
using test::TestDatabase;
using test::UpSqlFiles;
using ::testing::HasSubstr;

constexpr int kOk = 0, kConnect = 3;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

class FaultTest : public ::testing::Test {
 protected:
  std::unique_ptr<TestDatabase> NewDatabase(const std::string& hint) {
    auto db = TestDatabase::Create(hint);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  ProcessResult Schemagate(const std::string& url, std::vector<std::string> args) {
    args.insert(args.begin(), Bin("schemagate"));
    return RunProcess(args, "", {"DATABASE_URL=" + url});
  }
};

// SIGKILL at 20 points spread over a whole run (stratified, random within
// each twentieth). After each kill the schema is exactly what the history
// says — the up.sql of the recorded migrations, replayed with psql into a
// fresh database — except for the objects of a no-transaction migration
// recorded as in progress (which the next run undoes). The rerun converges
// to the uninterrupted result, each migration recorded once.
TEST_F(FaultTest, KillNineAtRandomPointsThenRerunConverges) {
  const std::map<std::string, fs::path> files = UpSqlFiles(Env("SCHEMAGATE_TREE_DIR"));
  ASSERT_FALSE(files.empty());
  auto full = NewDatabase("kill_full");
  ASSERT_NE(full, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(Schemagate(full->url(), {"migrate"}).exit_code, kOk);
  const double run_seconds = Seconds(std::chrono::steady_clock::now() - t0);
  auto full_schema = full->Schema();
  ASSERT_TRUE(full_schema.ok());
  auto full_history = full->Query("SELECT count(*) FROM schemagate.migrations");
  ASSERT_TRUE(full_history.ok());

  const uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> within(0.0, 1.0);
  constexpr int kPoints = 20;
  std::set<size_t> prefix_lengths;
  int in_progress_seen = 0;
  for (int i = 0; i < kPoints; ++i) {
    const double at = run_seconds * 1.1 * (i + within(rng)) / kPoints;
    SCOPED_TRACE(absl::StrCat("seed ", seed, ", kill ", i, " at ", at, " s of ", run_seconds));
    auto db = NewDatabase(absl::StrCat("kill_", i));
    ASSERT_NE(db, nullptr);
    Child migrate({Bin("schemagate"), "migrate"}, {"DATABASE_URL=" + db->url()});
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    migrate.Kill(SIGKILL);
    migrate.Wait();
    // Its server session may still be running the migration it had sent
    // (a transactional migration goes as one script, BEGIN to COMMIT): that
    // transaction commits whole or not at all once the server is done with
    // it, so the state is read after the session has gone.
    for (int w = 0; w < 600; ++w) {
      auto others = db->Query(
          "SELECT count(*) FROM pg_stat_activity "
          "WHERE datname = current_database() AND pid <> pg_backend_pid()");
      ASSERT_TRUE(others.ok());
      if ((*others)[0] == "0") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    // The history, as the killed process left it.
    auto exists = db->Query("SELECT to_regclass('schemagate.migrations') IS NOT NULL");
    ASSERT_TRUE(exists.ok());
    std::vector<std::string> history, in_progress;
    if ((*exists)[0] == "t") {
      auto h =
          db->Query("SELECT cluster || '/' || version FROM schemagate.migrations ORDER BY seq");
      auto p = db->Query("SELECT cluster || '/' || version FROM schemagate.migrations_in_progress");
      ASSERT_TRUE(h.ok() && p.ok());
      history = *h;
      in_progress = *p;
    }
    prefix_lengths.insert(history.size());
    in_progress_seen += in_progress.empty() ? 0 : 1;

    // The oracle: the recorded migrations' up.sql, in order, by psql.
    auto expected =
        test::ReplayedSchema(Env("SCHEMAGATE_TREE_DIR"), history, absl::StrCat("kill_ref_", i));
    ASSERT_TRUE(expected.ok()) << expected.status();
    auto live = db->Schema();
    ASSERT_TRUE(live.ok());
    EXPECT_THAT(Minus(*expected, *live), ::testing::IsEmpty())
        << "recorded migrations' objects missing after the kill";
    std::vector<std::string> extra = Minus(*live, *expected);
    if (in_progress.empty()) {
      EXPECT_THAT(extra, ::testing::IsEmpty()) << "objects of unrecorded migrations";
    } else {
      // Only objects named in the in-progress migration's up.sql.
      ASSERT_EQ(in_progress.size(), 1u);
      const std::string sql = test::ReadTextFile(files.at(in_progress[0]));
      for (const std::string& line : extra) {
        // The object's own name: "idx CREATE [UNIQUE] INDEX <name> ON ...",
        // otherwise the second word's last dotted part.
        std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
        std::string name;
        for (size_t w = 0; w + 1 < words.size(); ++w) {
          if (words[0] == "idx" && words[w] == "INDEX") name = words[w + 1];
        }
        if (name.empty() && words.size() > 1) name = words[1].substr(words[1].rfind('.') + 1);
        EXPECT_TRUE(!name.empty() && absl::StrContains(sql, name))
            << line << " is not from " << in_progress[0];
      }
    }

    // The rerun converges to the uninterrupted result.
    ProcessResult rerun = Schemagate(db->url(), {"migrate"});
    ASSERT_EQ(rerun.exit_code, kOk) << rerun.err;
    auto after = db->Schema();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(*after, *full_schema);
    auto count =
        db->Query("SELECT count(*), count(DISTINCT (cluster, version)) FROM schemagate.migrations");
    ASSERT_TRUE(count.ok());
    EXPECT_EQ((*count)[0], (*full_history)[0] + "\t" + (*full_history)[0]);
    if (i + 1 == kPoints) {
      EXPECT_EQ(Schemagate(db->url(), {"verify"}).exit_code, kOk);
    }
  }
  std::cout << "kill points: " << kPoints << ", distinct history lengths: " << prefix_lengths.size()
            << ", inside a no-transaction migration: " << in_progress_seen << ", seed " << seed
            << "\n";
  // The kills really landed throughout the run, not all before or after it.
  EXPECT_GE(prefix_lengths.size(), 4u);
}

// 50 processes start migrate at once on an empty database: exactly one
// applies each migration; all exit 0.
TEST_F(FaultTest, FiftyConcurrentMigratorsApplyExactlyOnce) {
  auto db = NewDatabase("fifty");
  ASSERT_NE(db, nullptr);
  std::vector<Child> migrators;
  for (int i = 0; i < 50; ++i) {
    migrators.emplace_back(std::vector<std::string>{Bin("schemagate"), "migrate"},
                           std::vector<std::string>{"DATABASE_URL=" + db->url()});
  }
  for (Child& m : migrators) {
    ProcessResult r = m.Wait();
    EXPECT_EQ(r.exit_code, kOk) << r.err;
  }
  auto rows = db->Query(
      "SELECT (SELECT count(*) FROM schemagate.migrations), (SELECT count(DISTINCT "
      "(cluster, version)) FROM schemagate.migrations), (SELECT count(*) FROM "
      "schemagate.migrations_log WHERE action = 'apply')");
  ASSERT_TRUE(rows.ok());
  std::vector<std::string> n = absl::StrSplit((*rows)[0], '\t');
  ASSERT_EQ(n.size(), 3u);
  EXPECT_NE(n[0], "0");
  EXPECT_EQ(n[0], n[1]);
  EXPECT_EQ(n[0], n[2]) << "a migration was applied more than once";
  EXPECT_EQ(Schemagate(db->url(), {"verify"}).exit_code, kOk);
}

// No database at start: retries with growing delays, then exit 3 after
// --connect-timeout with a message that names the server, not the password.
TEST_F(FaultTest, UnreachableDatabaseRetriesWithBackoffThenExits3) {
  test::RegisterSecret("unreach-pw-77");
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = Schemagate("postgresql://sg:unreach-pw-77@127.0.0.1:1/app",
                               {"migrate", "--connect-timeout=3s"});
  const double took = Seconds(std::chrono::steady_clock::now() - t0);
  EXPECT_EQ(r.exit_code, kConnect) << r.err;
  EXPECT_GE(took, 2.5);
  EXPECT_LT(took, 8.0);
  EXPECT_THAT(r.err, HasSubstr("cannot connect to 127.0.0.1:1/app"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("unreach-pw-77")));
  std::vector<int> delays_ms;
  for (absl::string_view line : absl::StrSplit(r.err, '\n')) {
    if (!absl::StrContains(line, "retrying")) continue;
    size_t at = line.find(" in=");
    if (at == absl::string_view::npos) continue;
    absl::string_view d = line.substr(at + 4);
    d = d.substr(0, d.find(' '));
    absl::Duration parsed;
    if (absl::ParseDuration(d, &parsed)) {
      delays_ms.push_back(static_cast<int>(absl::ToInt64Milliseconds(parsed)));
    }
  }
  ASSERT_GE(delays_ms.size(), 3u) << r.err;
  // The waits double (with jitter of 0.5-1x); the last one may be cut short
  // by --connect-timeout (seen: 94,187,382,743,1563,23), so the longest is
  // compared with the first, not the last.
  EXPECT_GT(*std::max_element(delays_ms.begin(), delays_ms.end()), delays_ms.front())
      << "no backoff: " << absl::StrJoin(delays_ms, ",");
}

// The database accepts no more connections (the role's CONNECTION LIMIT is
// taken; a database's limit would count this test's own sessions too):
// migrate says so and exits 3 after --connect-timeout; the server keeps
// serving memory RPCs, answers database RPCs UNAVAILABLE within their
// deadline, and recovers when a connection frees up.
TEST_F(FaultTest, ConnectionLimitReachedIsAClearErrorNotAHang) {
  auto db = NewDatabase("connlimit");
  ASSERT_NE(db, nullptr);
  const std::string role = absl::StrCat("sg_limited_", getpid());
  const std::string password = absl::StrCat("limit-pw-", getpid(), "-x9");
  test::RegisterSecret(password);
  auto server_url = test::ServerUrl();
  ASSERT_TRUE(server_url.ok());
  ASSERT_TRUE(
      test::RunPsql(
          *server_url,
          absl::StrCat("CREATE ROLE ", role, " LOGIN CONNECTION LIMIT 1 PASSWORD '", password,
                       "';\nGRANT CONNECT, CREATE ON DATABASE ", db->name(), " TO ", role, ";\n"))
          .ok());
  ASSERT_TRUE(test::RunPsql(db->url(),
                            absl::StrCat("GRANT CREATE, USAGE ON SCHEMA public TO ", role, ";\n"))
                  .ok());
  const std::string url = test::WithUser(db->url(), role, password);
  // One connection holds the only slot.
  Child hog({"psql", "-X", "-q", "-d", url, "-c", "SELECT pg_sleep(20)"});
  ASSERT_TRUE(Eventually(
      [&] {
        auto n = db->Query(
            absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE usename = '", role, "'"));
        return n.ok() && (*n)[0] == "1";
      },
      absl::Seconds(10)));

  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = Schemagate(url, {"migrate", "--connect-timeout=2s"});
  EXPECT_EQ(r.exit_code, kConnect) << r.err;
  EXPECT_LT(Seconds(std::chrono::steady_clock::now() - t0), 8.0);
  EXPECT_THAT(r.err, HasSubstr("too many connections"));

  Server server(Bin("schemagate-server"), url, {});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  EXPECT_TRUE(c->CheckTables({"no_such_table"}).ok());
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::GetMigrationStatusResponse resp;
    auto start = std::chrono::steady_clock::now();
    grpc::Status s = c->stub().GetMigrationStatus(&ctx, v1::GetMigrationStatusRequest(), &resp);
    EXPECT_LT(Seconds(std::chrono::steady_clock::now() - start), 3.5);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << s.error_code() << " " << s.error_message();
  }
  // Free the slot (killing psql would leave its backend sleeping).
  ASSERT_TRUE(
      test::RunPsql(
          *server_url,
          absl::StrCat("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '",
                       role, "';\n"))
          .ok());
  hog.Wait();
  EXPECT_TRUE(Eventually(
      [&] {
        auto l = c->ListClusters();
        return l.ok() && l->database_reachable();
      },
      absl::Seconds(15)));
  EXPECT_TRUE(server.child().Running());
  server.Stop();
  ASSERT_TRUE(test::RunPsql(db->url(), absl::StrCat("REASSIGN OWNED BY ", role,
                                                    " TO postgres;\nDROP OWNED BY ", role, ";\n"))
                  .ok());
  EXPECT_TRUE(test::RunPsql(*server_url, absl::StrCat("DROP ROLE ", role, ";\n")).ok());
}

// PostgreSQL stops and comes back while clients keep calling: health turns
// NOT_SERVING within 2 s and SERVING again, no call outlives its deadline,
// the server does not crash, and an open WatchClusters stream reports the
// outage and the recovery without being restarted.
TEST_F(FaultTest, PostgresRestartUnderLoad) {
  test::PrivatePostgres pg;
  ASSERT_TRUE(pg.ok());
  ASSERT_EQ(Schemagate(pg.url(), {"migrate"}).exit_code, kOk);
  Server server(Bin("schemagate-server"), pg.url(), {"--poll-interval=1s"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  auto serving = [&] {
    auto h = c->Health("");
    return h.ok() && *h == grpc::health::v1::HealthCheckResponse::SERVING;
  };
  ASSERT_TRUE(Eventually(serving, absl::Seconds(10)));
  auto l = c->ListClusters();
  ASSERT_TRUE(l.ok() && l->clusters_size() > 0);
  const std::string table =
      l->clusters(0).tables_size() > 0 ? l->clusters(0).tables(0) : "no_table";

  // Load: 4 callers, 300 ms deadlines, memory and database RPCs mixed.
  test::RpcLoad load(server.target(), table);
  auto channel = grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  auto stub = v1::SchemaGate::NewStub(channel);

  // A watch stream, read throughout.
  grpc::ClientContext watch_ctx;
  auto reader = stub->WatchClusters(&watch_ctx, v1::WatchClustersRequest());
  std::atomic<int> unreachable_updates{0}, reachable_after{0};
  std::thread watcher([&] {
    v1::WatchClustersResponse update;
    while (reader->Read(&update)) {
      if (!update.database_reachable()) {
        ++unreachable_updates;
      } else if (unreachable_updates > 0) {
        ++reachable_after;
      }
    }
  });

  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(pg.Stop());
  auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return !serving(); }, absl::Seconds(5)));
  EXPECT_LT(Seconds(std::chrono::steady_clock::now() - stopped), 2.0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int ok_before_restart = load.ok_calls();
  ASSERT_TRUE(pg.Start());
  EXPECT_TRUE(Eventually(serving, absl::Seconds(15)));
  EXPECT_TRUE(Eventually([&] { return reachable_after > 0; }, absl::Seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  load.Stop();
  watch_ctx.TryCancel();
  watcher.join();

  EXPECT_TRUE(server.child().Running()) << "the server died";
  EXPECT_GT(unreachable_updates, 0) << "the watch stream did not report the outage";
  EXPECT_GT(reachable_after, 0) << "the watch stream did not recover";
  EXPECT_GT(load.ok_calls(), ok_before_restart) << "no call succeeded after the restart";
  EXPECT_EQ(load.late(), 0) << load.late() << " of " << load.calls()
                            << " calls outlived their deadline by >200 ms (worst "
                            << load.worst_overrun_ms() << " ms)";
  std::cout << "calls: " << load.calls() << ", ok: " << load.ok_calls() << ", worst overrun "
            << load.worst_overrun_ms() << " ms\n";
}

// A silent network partition between the server and PostgreSQL (a proxy
// that stops passing bytes but keeps the connections open: no reset, no
// error, nothing TCP keepalives would see while the proxy's kernel answers
// them): the state monitor's read gives up after --statement-timeout plus
// the client-side margin, health goes NOT_SERVING with the last state kept,
// database RPCs end UNAVAILABLE within their deadline, and SIGTERM exits
// within the grace period (Monitor::Stop shuts its connection down).
TEST_F(FaultTest, SilentPartitionHangsNeitherTheMonitorNorShutdown) {
  auto db = NewDatabase("partition");
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(Schemagate(db->url(), {"migrate"}).exit_code, kOk);
  // db->url() is postgresql://user:password@host:port/db
  const std::string url = db->url();
  const size_t at = url.find('@'), colon = url.find(':', at), slash = url.find('/', at);
  test::FreezableProxy proxy(url.substr(at + 1, colon - at - 1),
                             std::stoi(url.substr(colon + 1, slash - colon - 1)));
  ASSERT_GT(proxy.port(), 0);
  const std::string proxied =
      url.substr(0, colon + 1) + std::to_string(proxy.port()) + url.substr(slash);
  Server server(Bin("schemagate-server"), proxied,
                {"--statement-timeout=1s", "--shutdown-grace=2s"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  auto health = [&] {
    auto h = c->Health("");
    return h.ok() ? *h : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  };
  ASSERT_TRUE(Eventually([&] { return health() == grpc::health::v1::HealthCheckResponse::SERVING; },
                         absl::Seconds(10)));
  ASSERT_TRUE(c->GetMigrationStatus().ok());  // a pooled connection, made before the partition

  proxy.Freeze();
  const auto frozen = std::chrono::steady_clock::now();
  EXPECT_TRUE(
      Eventually([&] { return health() == grpc::health::v1::HealthCheckResponse::NOT_SERVING; },
                 absl::Seconds(10)))
      << "the monitor hangs in a read nobody answers";
  std::printf("health NOT_SERVING %.1f s after the partition\n",
              Seconds(std::chrono::steady_clock::now() - frozen));
  auto clusters = c->ListClusters();  // the last state read is kept, marked stale
  ASSERT_TRUE(clusters.ok());
  EXPECT_FALSE(clusters->database_reachable());
  for (const v1::ClusterInfo& ci : clusters->clusters()) {
    EXPECT_NE(ci.migration().state(), v1::CLUSTER_STATE_UNKNOWN) << ci.name();
  }
  const auto asked = std::chrono::steady_clock::now();
  auto status = c->GetMigrationStatus();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable) << status.status();
  EXPECT_LT(Seconds(std::chrono::steady_clock::now() - asked), 10.0);

  const auto term = std::chrono::steady_clock::now();
  server.child().Kill(SIGTERM);
  bool exited = Eventually([&] { return !server.child().Running(); }, absl::Seconds(8));
  EXPECT_TRUE(exited) << "SIGTERM did not end the server within the grace period";
  if (!exited) server.child().Kill(SIGKILL);
  ProcessResult r = server.child().Wait();
  if (exited) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  std::printf("exited %.1f s after SIGTERM (grace 2 s)\n",
              Seconds(std::chrono::steady_clock::now() - term));
}

}  // namespace
}  // namespace schemagate
