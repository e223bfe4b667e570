#include "server/metrics/metrics.h"

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics/migration.h"
#include "server/metrics/rpc.h"

namespace schemagate::metrics {
namespace {

using migrate::Event;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Text(const std::shared_ptr<prometheus::Registry>& registry) {
  return TextExposition({registry});
}

Event E(Event::Kind kind, std::string cluster = "", double seconds = 0, std::string message = "") {
  Event e{kind, std::move(cluster), 1, "init", absl::Seconds(seconds), std::move(message), ""};
  return e;
}

TEST(MigrationMetricsTest, EventsBecomeDurationsResultsWaitsAndRetries) {
  auto registry = std::make_shared<prometheus::Registry>();
  MigrationMetrics m(*registry);
  m.Observe(E(Event::kLockWaiting, "", 0.5));
  EXPECT_THAT(Text(registry), HasSubstr("\nschemagate_migration_lock_waiting 1\n"));
  m.Observe(E(Event::kLockAcquired, "", 2));
  EXPECT_THAT(Text(registry), HasSubstr("\nschemagate_migration_lock_waiting 0\n"));
  m.Observe(E(Event::kStarted, "core"));
  m.Observe(E(Event::kFinished, "core", 0.25));
  m.Observe(E(Event::kRetrying, "tasks", 1, "lock_timeout (5s) hit"));
  m.Observe(E(Event::kRetrying, "tasks", 2, "lock_timeout (5s) hit"));
  m.Observe(E(Event::kFailed, "tasks", 7, "syntax error"));
  m.Observe(E(Event::kFinished, "tasks", 0.01, "rolled back"));
  m.Observe(E(Event::kReconnecting, "", 0, "server closed the connection"));
  m.Observe(E(Event::kReconnected, "", 2.5, "to 10.0.0.2:5432"));
  m.Observe(E(Event::kResolved, "tasks", 0, "its COMMIT was in doubt; committed"));
  const std::string text = Text(registry);
  const std::vector<std::string> expected = {
      "# TYPE schemagate_migration_duration_seconds histogram",
      "schemagate_migration_duration_seconds_count{cluster=\"core\",result=\"applied\"} 1\n",
      "schemagate_migration_duration_seconds_sum{cluster=\"core\",result=\"applied\"} 0.25\n",
      "schemagate_migration_duration_seconds_bucket{cluster=\"core\",result=\"applied\",le=\"0."
      "25\"} 1\n",
      "schemagate_migration_duration_seconds_bucket{cluster=\"core\",result=\"applied\",le=\"0.1\"}"
      " 0\n",
      "schemagate_migration_duration_seconds_count{cluster=\"tasks\",result=\"failed\"} 1\n",
      "schemagate_migration_duration_seconds_count{cluster=\"tasks\",result=\"rolled_back\"} 1\n",
      "schemagate_migration_lock_wait_seconds_count{result=\"acquired\"} 1\n",
      "schemagate_migration_lock_wait_seconds_sum{result=\"acquired\"} 2\n",
      "schemagate_migration_lock_timeout_retries_total{cluster=\"tasks\"} 2\n",
      "\nschemagate_migration_reconnects_total 1\n",
  };
  for (const std::string& line : expected) EXPECT_THAT(text, HasSubstr(line)) << line;
  // Messages (SQL errors) never become labels.
  EXPECT_THAT(text, Not(HasSubstr("syntax error")));
}

TEST(MigrationMetricsTest, WaitsEndedByTimeoutCancelOrErrorAndConcurrentRuns) {
  auto registry = std::make_shared<prometheus::Registry>();
  MigrationMetrics m(*registry);
  // Two runs on two threads wait at once; each ends its own wait.
  absl::Mutex mu;
  int waiting = 0;
  bool release = false;
  auto run = [&] {
    m.Observe(E(Event::kLockWaiting));
    absl::MutexLock lock(&mu);
    ++waiting;
    mu.Await(absl::Condition(&release));
    m.Observe(E(Event::kLockAcquired, "", 3));
  };
  std::thread a(run), b(run);
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* w) { return *w == 2; }, &waiting));
  }
  EXPECT_THAT(Text(registry), HasSubstr("\nschemagate_migration_lock_waiting 2\n"));
  // An end from a thread that never waited changes nothing.
  m.Observe(E(Event::kLockAcquired));
  EXPECT_THAT(Text(registry), HasSubstr("\nschemagate_migration_lock_waiting 2\n"));
  {
    absl::MutexLock lock(&mu);
    release = true;
  }
  a.join();
  b.join();
  EXPECT_THAT(Text(registry), HasSubstr("\nschemagate_migration_lock_waiting 0\n"));
  EXPECT_THAT(Text(registry),
              HasSubstr("schemagate_migration_lock_wait_seconds_count{result=\"acquired\"} 3\n"));
  struct Case {
    std::string message, result;
  };
  const std::vector<Case> cases = {
      {"timeout", "timeout"}, {"cancelled", "cancelled"}, {"error", "error"}, {"", "error"}};
  for (const Case& c : cases) {
    std::thread t([&] {
      m.Observe(E(Event::kLockWaiting));
      m.Observe(E(Event::kLockGaveUp, "", 1, c.message));
    });
    t.join();
    EXPECT_THAT(Text(registry), HasSubstr("\nschemagate_migration_lock_waiting 0\n")) << c.message;
  }
  const std::string text = Text(registry);
  EXPECT_THAT(text,
              HasSubstr("schemagate_migration_lock_wait_seconds_count{result=\"timeout\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("schemagate_migration_lock_wait_seconds_count{result=\"cancelled\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("schemagate_migration_lock_wait_seconds_count{result=\"error\"} 2\n"));
}

TEST(RpcMetricsTest, KnownMethodsAndEverythingElseAsUnknown) {
  auto registry = std::make_shared<prometheus::Registry>();
  RpcMetrics rpcs(*registry, "schemagate.v1.SchemaGate",
                  {"CheckTables", "ListClusters", "", "CheckTables"});
  const int check = rpcs.MethodIndex("CheckTables");
  const int list = rpcs.MethodIndex("ListClusters");
  const int other = rpcs.MethodIndex("users_table");
  EXPECT_NE(check, list);
  EXPECT_NE(other, check);
  EXPECT_EQ(other, rpcs.MethodIndex(""));  // "" was dropped from the table
  rpcs.Observe(check, 0, 0.0009765625);    // 2^-10 s: exact in binary
  rpcs.Observe(check, 0, 0.001953125);
  rpcs.Observe(check, 3, 0.0002);
  rpcs.Observe(list, 14, 0.5);
  rpcs.Observe(other, 12, 0.0001);
  rpcs.Observe(check, 99, 0.1);  // out of range: UNKNOWN
  rpcs.Observe(-5, 0, 0.1);      // out of range: the unknown method
  const std::string text = Text(registry);
  const std::vector<std::string> expected = {
      "schemagate_rpc_requests_total{code=\"OK\",method=\"CheckTables\",service=\"schemagate.v1."
      "SchemaGate\"} 2\n",
      "schemagate_rpc_requests_total{code=\"INVALID_ARGUMENT\",method=\"CheckTables\",service="
      "\"schemagate.v1.SchemaGate\"} 1\n",
      "schemagate_rpc_requests_total{code=\"UNAVAILABLE\",method=\"ListClusters\",service="
      "\"schemagate.v1.SchemaGate\"} 1\n",
      "schemagate_rpc_requests_total{code=\"UNIMPLEMENTED\",method=\"unknown\",service="
      "\"schemagate.v1.SchemaGate\"} 1\n",
      "schemagate_rpc_requests_total{code=\"OK\",method=\"unknown\",service=\"schemagate.v1."
      "SchemaGate\"} 1\n",
      "schemagate_rpc_requests_total{code=\"UNKNOWN\",method=\"CheckTables\",service=\"schemagate."
      "v1.SchemaGate\"} 1\n",
      "schemagate_rpc_duration_seconds_count{code=\"OK\",method=\"CheckTables\",service="
      "\"schemagate.v1.SchemaGate\"} 2\n",
      "schemagate_rpc_duration_seconds_sum{code=\"OK\",method=\"CheckTables\",service=\"schemagate."
      "v1.SchemaGate\"} 0.0029296875\n",
      "schemagate_rpc_duration_seconds_bucket{code=\"OK\",method=\"CheckTables\",service="
      "\"schemagate.v1.SchemaGate\",le=\"0.001\"} 1\n",
      "schemagate_rpc_duration_seconds_bucket{code=\"OK\",method=\"CheckTables\",service="
      "\"schemagate.v1.SchemaGate\",le=\"0.0025\"} 2\n",
  };
  for (const std::string& line : expected) EXPECT_THAT(text, HasSubstr(line)) << line;
  EXPECT_THAT(text, Not(HasSubstr("users_table")));
}

TEST(RpcMetricsTest, ConcurrentObservationsAreAllCounted) {
  auto registry = std::make_shared<prometheus::Registry>();
  RpcMetrics rpcs(*registry, "s.S", {"A", "B"});
  const int a = rpcs.MethodIndex("A"), b = rpcs.MethodIndex("B");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) rpcs.Observe(t % 2 ? a : b, i % 3, 0.001);
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string text = Text(registry);
  // 4 threads x 20000 per method; codes 0, 1, 2 in turn (6667, 6667, 6666 each).
  EXPECT_THAT(
      text,
      HasSubstr("schemagate_rpc_requests_total{code=\"OK\",method=\"A\",service=\"s.S\"} 26668\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "schemagate_rpc_requests_total{code=\"UNKNOWN\",method=\"B\",service=\"s.S\"} 26664\n"));
  EXPECT_THAT(text, HasSubstr("schemagate_rpc_duration_seconds_count{code=\"CANCELLED\",method="
                              "\"A\",service=\"s.S\"} 26668\n"));
}

TEST(MetricsTest, BuildInfoScrapeGaugesAndTextfile) {
  auto registry = std::make_shared<prometheus::Registry>();
  AddBuildInfo(*registry, {"1.2.3", "core,tasks"});
  auto gauges = std::make_shared<ScrapeGauges>();
  int calls = 0;
  gauges->Add("schemagate_test_clusters", "Test gauge.", [&calls] {
    ++calls;
    return std::vector<ScrapeGauges::Sample>{{{{"cluster", "core"}}, 1},
                                             {{{"cluster", "tasks"}}, 0}};
  });
  const std::string text = TextExposition({registry, gauges});
  EXPECT_THAT(text,
              HasSubstr("schemagate_build_info{features=\"core,tasks\",version=\"1.2.3\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE schemagate_test_clusters gauge\n"));
  EXPECT_THAT(text, HasSubstr("schemagate_test_clusters{cluster=\"core\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("schemagate_test_clusters{cluster=\"tasks\"} 0\n"));
  EXPECT_EQ(calls, 1);  // computed when collected
  EXPECT_STRNE(kVersion, "");

  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/schemagate_metrics_test.prom";
  ASSERT_TRUE(WriteTextfile({registry, gauges}, path).ok());
  std::ifstream in(path);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_THAT(got.str(), HasSubstr("schemagate_test_clusters{cluster=\"core\"} 1\n"));
  EXPECT_FALSE(std::ifstream(path + ".tmp").good());  // renamed into place
  absl::Status bad = WriteTextfile({registry}, "/nonexistent-dir/x.prom");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("/nonexistent-dir/x.prom"));
}

}  // namespace
}  // namespace schemagate::metrics
