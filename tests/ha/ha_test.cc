// Highly available PostgreSQL: a two-node Patroni cluster with its own etcd
// (scripts/patroni.sh, the CTest fixture `ha`), switched over and failed
// over while schemagate works against it through a multi-host URL
// (target_session_attrs=read-write):
//   1. `migrate` of a long plan (600 generated migrations) with a
//      `patronictl switchover` in the middle;
//   2. the same with the primary's postmaster killed (-9): a failover, with
//      asynchronous replication;
//   3. `serve` under RPC load through a switchover: health and WatchClusters
//      recover within Patroni's time + 2 s, no RPC outlives its deadline,
//      changes made during and after the switch are seen (LISTEN on the new
//      primary, the re-read on reconnection; --poll-interval is 60 s);
//   4. a migrator pointed at the replica alone waits, then proceeds when
//      the replica is promoted.
// Each test has its own database on the cluster; the cluster is healthy
// (a leader and a streaming replica) before each. The schema after each run
// is checked with the fault suite's oracle (tests/support/schema_oracle.h).
// The figures printed ("HA:" lines) are in docs/RELIABILITY.md.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/migrate/db.h"
#include "tests/support/schema_oracle.h"
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
using test::QueryRows;
using test::RunProcess;
using test::Server;
using test::Variant;
using test::WithDatabase;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

constexpr int kOk = 0, kUsage = 2, kConnect = 3;
// How much later than the database the service may recover (the issue's
// bound: Patroni's time + 2 s).
constexpr absl::Duration kRecovery = absl::Seconds(2);

std::string Trim(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

double Secs(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// One figure for scripts/bench/failover.sh: "HA-SAMPLE <group>\t<name>\t<ms>".
void Sample(const std::string& group, const std::string& name, absl::Duration d) {
  std::printf("HA-SAMPLE %s\t%s\t%.0f\n", group.c_str(), name.c_str(),
              absl::ToDoubleMilliseconds(d));
}

// One JSON log line of a schemagate process (--log-format=json).
struct LogLine {
  absl::Time ts;
  std::string msg;
  nlohmann::json fields;
};

std::vector<LogLine> JsonLog(const std::string& err) {
  std::vector<LogLine> out;
  for (absl::string_view line : absl::StrSplit(err, '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("ts") || !j.contains("msg")) continue;
    LogLine l;
    std::string error;
    if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E3SZ", j["ts"].get<std::string>(), &l.ts, &error)) {
      continue;
    }
    l.msg = j["msg"].get<std::string>();
    l.fields = j;
    out.push_back(std::move(l));
  }
  return out;
}

// Which node answers as the primary, probed directly (not through
// schemagate) every 50 ms: when did the new primary first answer?
class PrimaryProbe {
 public:
  PrimaryProbe(std::map<std::string, std::string> node_urls, std::string old_leader)
      : urls_(std::move(node_urls)), old_(std::move(old_leader)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~PrimaryProbe() {
    stop_ = true;
    thread_.join();
  }
  // The first time a node other than the old leader answered
  // pg_is_in_recovery() = false (InfiniteFuture until then).
  absl::Time promoted() {
    std::lock_guard<std::mutex> lock(mu_);
    return promoted_;
  }

 private:
  void Run() {
    while (!stop_) {
      for (const auto& [node, url] : urls_) {
        if (node == old_) continue;
        migrate::ConnectOptions o;
        o.url = url;
        o.timeout = absl::ZeroDuration();
        o.attempt_timeout = absl::Seconds(1);
        o.need = migrate::ConnectOptions::Need::kAny;
        auto c = migrate::Connection::Open(o);
        if (!c.ok()) continue;
        auto r = (*c)->Query("SELECT pg_catalog.pg_is_in_recovery()");
        if (r.ok() && r->Text(0, 0) == "f") {
          std::lock_guard<std::mutex> lock(mu_);
          if (promoted_ == absl::InfiniteFuture()) promoted_ = absl::Now();
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::map<std::string, std::string> urls_;
  std::string old_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  absl::Time promoted_ = absl::InfiniteFuture();
  std::thread thread_;
};

// A timeline of one boolean (a health status, the watch's reachability).
class Timeline {
 public:
  void Record(bool value) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!points_.empty() && points_.back().second == value) return;
    points_.emplace_back(absl::Now(), value);
  }
  // The first time after `after` it was `value` (InfiniteFuture: never).
  absl::Time First(bool value, absl::Time after) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [t, v] : points_) {
      if (t >= after && v == value) return t;
    }
    return absl::InfiniteFuture();
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<absl::Time, bool>> points_;
};

class HaTest : public ::testing::Test {
 protected:
  static std::string Dir() { return Env("SCHEMAGATE_TEST_PATRONI_DIR"); }

  static ProcessResult Patroni(const std::string& command) {
    return RunProcess(
        {"bash", Env("SCHEMAGATE_SOURCE_DIR") + "/scripts/patroni.sh", command, Dir()});
  }
  static std::string Leader() { return Trim(Patroni("leader").out); }
  static std::string FileLine(const std::string& path) { return Trim(test::ReadTextFile(path)); }

  void SetUp() override {
    ProcessResult healthy =
        RunProcess({"bash", Env("SCHEMAGATE_SOURCE_DIR") + "/scripts/patroni.sh", "wait-healthy",
                    Dir(), "180"});
    ASSERT_EQ(healthy.exit_code, 0) << healthy.err;
    password_ = FileLine(Dir() + "/password");
    ASSERT_FALSE(password_.empty());
    test::RegisterSecret(password_);
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    db_ = absl::AsciiStrToLower(
        absl::StrCat("ha_", std::string(info->name()).substr(0, 30), "_", getpid()));
    auto made = test::RunPsql(ClusterUrl("postgres"),
                              absl::StrCat("DROP DATABASE IF EXISTS ", db_,
                                           " WITH (FORCE);\nCREATE DATABASE ", db_, ";\n"));
    ASSERT_TRUE(made.ok()) << made.status();
    // The replica has replayed the CREATE DATABASE: libpq tries the next
    // host of a URL only when it cannot connect, not when a host says the
    // database does not exist.
    for (const std::string node : {"pg1", "pg2"}) {
      ASSERT_TRUE(Eventually([&] { return test::RunPsql(NodeUrl(node), "SELECT 1").ok(); },
                             absl::Seconds(30)))
          << db_ << " did not reach " << node;
    }
  }

  void TearDown() override {
    if (db_.empty()) return;
    // The cluster may still be rejoining its old primary: the primary
    // (whichever it is) answers through the multi-host URL.
    (void)RunProcess({"bash", Env("SCHEMAGATE_SOURCE_DIR") + "/scripts/patroni.sh", "wait-healthy",
                      Dir(), "180"});
    (void)test::RunPsql(ClusterUrl("postgres"),
                        absl::StrCat("DROP DATABASE IF EXISTS ", db_, " WITH (FORCE);"));
  }

  // The multi-host URL (every node, target_session_attrs=read-write).
  std::string ClusterUrl(const std::string& db = "") const {
    return WithDatabase(FileLine(Dir() + "/url"), db.empty() ? db_ : db);
  }
  // One node alone, whatever its role.
  std::string NodeUrl(const std::string& node) const {
    return WithDatabase(FileLine(Dir() + "/" + node + "/url"), db_);
  }

  // A count from the primary; -1 when it cannot be read (no primary yet,
  // the table not created yet).
  int Count(const std::string& sql) const {
    auto rows = QueryRows(ClusterUrl(), sql);
    int n = -1;
    if (!rows.ok() || rows->empty() || !absl::SimpleAtoi((*rows)[0], &n)) return -1;
    return n;
  }

  // Every migration of `tree` recorded once, logged as applied once, none
  // in progress; the schema on the primary is what the history says (the
  // oracle); `verify` of `binary` is clean.
  void ExpectAppliedExactlyOnce(const std::string& tree, const std::string& binary) {
    const size_t total = test::UpSqlFiles(tree).size();
    auto history = QueryRows(
        ClusterUrl(), "SELECT cluster || '/' || version FROM schemagate.migrations ORDER BY seq");
    ASSERT_TRUE(history.ok()) << history.status();
    EXPECT_EQ(history->size(), total);
    EXPECT_EQ(Count("SELECT count(DISTINCT (cluster, version)) FROM schemagate.migrations"),
              static_cast<int>(total));
    EXPECT_EQ(Count("SELECT count(*) FROM schemagate.migrations_log WHERE action = 'apply'"),
              static_cast<int>(total))
        << "a migration was applied more than once on the surviving timeline";
    EXPECT_EQ(Count("SELECT count(*) FROM schemagate.migrations_in_progress"), 0);
    auto expected = test::ReplayedSchema(tree, *history, db_ + "_ref");
    ASSERT_TRUE(expected.ok()) << expected.status();
    auto live = test::SchemaOf(ClusterUrl());
    ASSERT_TRUE(live.ok()) << live.status();
    EXPECT_THAT(test::Minus(*expected, *live), IsEmpty()) << "recorded objects missing";
    EXPECT_THAT(test::Minus(*live, *expected), IsEmpty()) << "objects nobody recorded";
    ProcessResult verify = RunProcess({binary, "verify"}, "", {"DATABASE_URL=" + ClusterUrl()});
    EXPECT_EQ(verify.exit_code, kOk) << verify.out << verify.err;
  }

  // Test 1 and 2: `migrate` of the long plan, `disruption` (a patroni.sh
  // command) once 5% of it is recorded.
  void LongMigrateThrough(const std::string& disruption) {
    const std::string tree = Env("SCHEMAGATE_HA_TREE_DIR");
    const std::string binary = Variant("ha_long", "schemagate");
    const int total = static_cast<int>(test::UpSqlFiles(tree).size());
    ASSERT_GT(total, 100);
    const std::string old_leader = Leader();
    const std::vector<std::string> env = {"DATABASE_URL=" + ClusterUrl()};
    Child migrate({binary, "migrate", "--log-format=json", "--connect-timeout=120s"}, env);
    ASSERT_TRUE(Eventually(
        [&] {
          return !migrate.Running() ||
                 Count("SELECT count(*) FROM schemagate.migrations") >= total / 20;
        },
        absl::Seconds(120)));
    ASSERT_TRUE(migrate.Running()) << "the plan ended before the " << disruption << ":\n"
                                   << migrate.Wait().err;
    const int recorded_before = Count("SELECT count(*) FROM schemagate.migrations");
    PrimaryProbe probe({{"pg1", NodeUrl("pg1")}, {"pg2", NodeUrl("pg2")}}, old_leader);
    const absl::Time disrupted = absl::Now();
    ProcessResult p = Patroni(disruption);
    ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
    ProcessResult r = migrate.Wait();
    const absl::Time ended = absl::Now();
    // 0, or 3 (retryable: the Job's backoffLimit reruns it) and the rerun
    // converges.
    ASSERT_TRUE(r.exit_code == kOk || r.exit_code == kConnect) << r.exit_code << "\n" << r.err;
    if (r.exit_code == kConnect) {
      std::printf("HA: first run exited 3 (%s); rerunning\n", r.err.c_str());
      ProcessResult rerun = RunProcess({binary, "migrate", "--connect-timeout=120s"}, "", env);
      ASSERT_EQ(rerun.exit_code, kOk) << rerun.err;
    }
    EXPECT_THAT(r.err, Not(HasSubstr(password_)));
    // Nothing was reported as a failed migration.
    EXPECT_THAT(r.err, Not(HasSubstr("\"level\":\"error\"")));
    const std::vector<LogLine> log = JsonLog(r.err);
    auto first = [&](const std::function<bool(const LogLine&)>& pred,
                     absl::Time after) -> const LogLine* {
      for (const LogLine& l : log) {
        if (l.ts >= after && pred(l)) return &l;
      }
      return nullptr;
    };
    const LogLine* lost = first(
        [](const LogLine& l) { return absl::StrContains(l.msg, "connection to the primary lost"); },
        absl::InfinitePast());
    ASSERT_NE(lost, nullptr) << "the " << disruption << " did not land in the run:\n" << r.err;
    const LogLine* reconnected =
        first([](const LogLine& l) { return absl::StartsWith(l.msg, "connected to the primary"); },
              lost->ts);
    ASSERT_NE(reconnected, nullptr) << r.err;
    const LogLine* applied =
        first([](const LogLine& l) { return l.msg == "applied"; }, reconnected->ts);
    int resolved = 0, lost_commits = 0;
    for (const LogLine& l : log) {
      if (absl::StrContains(l.msg, "in doubt")) ++resolved;
      if (absl::StrContains(l.msg, "lost with the old primary")) ++lost_commits;
    }
    EXPECT_NE(Leader(), old_leader) << "the " << disruption << " did not move the primary";
    ASSERT_TRUE(
        Eventually([&] { return probe.promoted() < absl::InfiniteFuture(); }, absl::Seconds(30)));
    const absl::Time promoted = probe.promoted();
    ASSERT_NE(applied, nullptr) << "no migration after the reconnection:\n" << r.err;
    std::printf(
        "HA: %s after %d of %d migrations: connection lost %.2f s after it started, new "
        "primary answered at %.2f s, migrate reconnected at %.2f s, first migration on the "
        "new primary at %.2f s, run done at %.2f s; commits in doubt resolved: %d, commits "
        "lost with the old primary and applied again: %d\n",
        disruption.c_str(), recorded_before, total, Secs(lost->ts - disrupted),
        Secs(promoted - disrupted), Secs(reconnected->ts - disrupted),
        Secs(applied->ts - disrupted), Secs(ended - disrupted), resolved, lost_commits);
    const std::string group = absl::StrCat(disruption, " during migrate");
    Sample(group, "Patroni: the new primary answers", promoted - disrupted);
    Sample(group, "migrate: first migration on the new primary", applied->ts - disrupted);
    // The migration is applied after the primary answers: no run may be
    // faster than Patroni, and reconnecting takes at most ~2 s more (the
    // backoff's longest pause) plus one migration.
    EXPECT_GE(applied->ts, promoted - absl::Milliseconds(100));
    ExpectAppliedExactlyOnce(tree, binary);
  }

  std::string password_;
  std::string db_;
};

TEST_F(HaTest, SwitchoverDuringALongMigrate) { LongMigrateThrough("switchover"); }

TEST_F(HaTest, PrimaryKilledDuringALongMigrate) { LongMigrateThrough("kill-primary"); }

// `serve` under RPC load through a switchover.
TEST_F(HaTest, ServeThroughASwitchover) {
  const std::string tree = Env("SCHEMAGATE_ENGINE_TREE_DIR");
  const std::string cli = Variant("engine_v1", "schemagate");
  const std::vector<std::string> env = {"DATABASE_URL=" + ClusterUrl()};
  ProcessResult migrated = RunProcess({cli, "migrate"}, "", env);
  ASSERT_EQ(migrated.exit_code, kOk) << migrated.err;
  // Polling every 60 s: within the test only LISTEN, or the re-read when
  // the monitor reconnects, can explain a change seen in time.
  Server server(Variant("engine_v1", "schemagate-server"), ClusterUrl(),
                {"--poll-interval=60s", "--statement-timeout=2s"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  auto serving = [&](const std::string& service) {
    auto h = c->Health(service);
    return h.ok() && *h == grpc::health::v1::HealthCheckResponse::SERVING;
  };
  ASSERT_TRUE(Eventually([&] { return serving(""); }, absl::Seconds(20)));

  std::atomic<bool> stop{false};
  // Health of core (the database answering with core up to date) and of
  // the whole service, every 50 ms.
  Timeline core_health, overall_health;
  std::thread health([&] {
    auto hc = Connect(server.target());
    while (!stop) {
      auto h = hc->Health("schemagate.cluster.core");
      core_health.Record(h.ok() && *h == grpc::health::v1::HealthCheckResponse::SERVING);
      auto o = hc->Health("");
      overall_health.Record(o.ok() && *o == grpc::health::v1::HealthCheckResponse::SERVING);
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  // Load: 4 callers, 300 ms deadlines, memory and database RPCs.
  test::RpcLoad load(server.target(), "accounts");
  auto channel = grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  auto stub = v1::SchemaGate::NewStub(channel);
  // One WatchClusters stream, read throughout: its reachability, and the
  // state of the cluster `feat` as it reports it.
  Timeline watch_reachable, feat_up_to_date;
  feat_up_to_date.Record(true);
  grpc::ClientContext watch_ctx;
  auto reader = stub->WatchClusters(&watch_ctx, v1::WatchClustersRequest());
  std::atomic<bool> watch_ended{false};
  std::thread watcher([&] {
    v1::WatchClustersResponse update;
    while (reader->Read(&update)) {
      watch_reachable.Record(update.database_reachable());
      for (const v1::ClusterInfo& ci : update.clusters()) {
        if (ci.name() == "feat") {
          feat_up_to_date.Record(ci.migration().state() == v1::CLUSTER_STATE_UP_TO_DATE);
        }
      }
    }
    watch_ended = true;
  });

  absl::SleepFor(absl::Seconds(1));
  const std::string old_leader = Leader();
  PrimaryProbe probe({{"pg1", NodeUrl("pg1")}, {"pg2", NodeUrl("pg2")}}, old_leader);
  const absl::Time switched = absl::Now();
  std::thread switchover([&] {
    ProcessResult p = Patroni("switchover");
    EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
  });
  // A failed ASSERT returns from here: every thread ends and is joined
  // first (a joinable std::thread destroyed aborts the whole binary).
  auto end_threads = absl::MakeCleanup([&] {
    load.Stop();
    stop = true;
    watch_ctx.TryCancel();
    for (std::thread* t : {&health, &watcher, &switchover}) {
      if (t->joinable()) t->join();
    }
  });
  ASSERT_TRUE(
      Eventually([&] { return probe.promoted() < absl::InfiniteFuture(); }, absl::Seconds(60)));
  const absl::Time promoted = probe.promoted();
  // A change made during the switch, possibly before the server listens on
  // the new primary: rolling feat back to version 1.
  ProcessResult rolled =
      RunProcess({cli, "rollback", "--cluster=feat", "--to=1", "--connect-timeout=30s"}, "", env);
  const absl::Time rolled_back = absl::Now();
  EXPECT_EQ(rolled.exit_code, kOk) << rolled.err;
  switchover.join();

  // Down after the switchover started, and up again (maybe a few ms before
  // the probe, which polls, saw the new primary).
  EXPECT_TRUE(Eventually(
      [&] {
        return core_health.First(true, core_health.First(false, switched)) < absl::InfiniteFuture();
      },
      absl::Seconds(30)));
  EXPECT_TRUE(
      Eventually([&] { return feat_up_to_date.First(false, switched) < absl::InfiniteFuture(); },
                 absl::Seconds(30)));
  // Then a change on the new primary once the server is back: applied by
  // another process, seen through LISTEN.
  absl::SleepFor(absl::Milliseconds(500));
  const absl::Time reapplying = absl::Now();
  ProcessResult again = RunProcess({cli, "migrate", "--connect-timeout=30s"}, "", env);
  const absl::Time reapplied = absl::Now();
  EXPECT_EQ(again.exit_code, kOk) << again.err;
  EXPECT_TRUE(
      Eventually([&] { return feat_up_to_date.First(true, reapplying) < absl::InfiniteFuture(); },
                 absl::Seconds(30)));
  EXPECT_TRUE(
      Eventually([&] { return overall_health.First(true, reapplying) < absl::InfiniteFuture(); },
                 absl::Seconds(30)));
  const absl::Time overall_back = overall_health.First(true, reapplying);
  absl::SleepFor(absl::Milliseconds(500));
  load.Stop();
  stop = true;
  health.join();
  const bool watch_ended_early = watch_ended;
  watch_ctx.TryCancel();
  watcher.join();

  const absl::Time core_down = core_health.First(false, switched);
  const absl::Time core_back = core_health.First(true, core_down);
  const absl::Time watch_down = watch_reachable.First(false, switched);
  const absl::Time watch_back = watch_reachable.First(true, watch_down);
  const absl::Time feat_seen_pending = feat_up_to_date.First(false, switched);
  const absl::Time feat_seen_back = feat_up_to_date.First(true, reapplying);
  EXPECT_TRUE(server.child().Running()) << "the server died";
  EXPECT_LT(core_down, absl::InfiniteFuture()) << "health never saw the switchover";
  EXPECT_LT(watch_down, absl::InfiniteFuture()) << "the watch never reported the outage";
  EXPECT_LE(core_back, promoted + kRecovery)
      << "health SERVING " << Secs(core_back - promoted) << " s after the new primary answered";
  EXPECT_LE(watch_back, promoted + kRecovery)
      << "the watch reported the database reachable " << Secs(watch_back - promoted)
      << " s after the new primary answered";
  EXPECT_LE(feat_seen_pending, std::max(rolled_back, promoted) + kRecovery)
      << "the rollback made during the switch was seen " << Secs(feat_seen_pending - rolled_back)
      << " s after it";
  EXPECT_LE(feat_seen_back, reapplied + kRecovery)
      << "a migration on the new primary was seen " << Secs(feat_seen_back - reapplied)
      << " s after it (LISTEN not re-established?)";
  EXPECT_LE(overall_back, reapplied + kRecovery);
  EXPECT_FALSE(watch_ended_early) << "the watch stream ended before it was cancelled";
  // gRPC ends a call at its deadline on the client side whatever the
  // server does, so what is measured past it is this process waiting for
  // a CPU (RpcLoad counts > 200 ms); a call that hung would be seconds late.
  EXPECT_LT(load.worst_overrun_ms(), 1000)
      << load.late() << " of " << load.calls() << " calls ended more than 200 ms past "
      << "their deadline (worst " << load.worst_overrun_ms() << " ms)";
  EXPECT_NE(Leader(), old_leader);
  std::printf(
      "HA: serve through a switchover: new primary answered %.2f s after the switchover "
      "started; health NOT_SERVING at %.2f s, SERVING again at %.2f s (%.2f s after the new "
      "primary); watch unreachable at %.2f s, reachable at %.2f s; a rollback committed "
      "during the switch seen %.2f s after it; a migration after it seen %.2f s after it; "
      "%d calls, %d OK, worst deadline overrun %ld ms\n",
      Secs(promoted - switched), Secs(core_down - switched), Secs(core_back - switched),
      Secs(core_back - promoted), Secs(watch_down - switched), Secs(watch_back - switched),
      Secs(feat_seen_pending - rolled_back), Secs(feat_seen_back - reapplied), load.calls(),
      load.ok_calls(), load.worst_overrun_ms());
  Sample("switchover during serve", "Patroni: the new primary answers", promoted - switched);
  Sample("switchover during serve", "serve: health SERVING again", core_back - switched);
}

// A migrator given the replica's address alone waits (the replica is "the
// primary not reachable yet"), then proceeds when the replica is promoted.
TEST_F(HaTest, MigratorPointedAtTheReplicaWaitsForItsPromotion) {
  const std::string tree = Env("SCHEMAGATE_ENGINE_TREE_DIR");
  const std::string cli = Variant("engine_v1", "schemagate");
  const std::string replica = Trim(Patroni("replica").out);
  ASSERT_TRUE(replica == "pg1" || replica == "pg2") << replica;
  const std::string at_replica = NodeUrl(replica);

  // Not promoted within --connect-timeout: exit 3 naming the standby,
  // nothing applied, never "migration failed".
  ProcessResult gave_up =
      RunProcess({cli, "migrate", "--connect-timeout=2s"}, "", {"DATABASE_URL=" + at_replica});
  EXPECT_EQ(gave_up.exit_code, kConnect) << gave_up.err;
  EXPECT_THAT(gave_up.err, HasSubstr("is a standby"));
  EXPECT_THAT(gave_up.err, Not(HasSubstr("failed at")));
  EXPECT_EQ(Count("SELECT count(*) FROM schemagate.migrations"), -1) << "something was applied";

  // A URL that asks for a standby reads from it, and is refused for changes.
  const std::string standby_url = at_replica + "?target_session_attrs=standby";
  ProcessResult status = RunProcess({cli, "status"}, "", {"DATABASE_URL=" + standby_url});
  EXPECT_EQ(status.exit_code, kOk) << status.err;
  ProcessResult refused = RunProcess({cli, "migrate"}, "", {"DATABASE_URL=" + standby_url});
  EXPECT_EQ(refused.exit_code, kUsage) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("asks for a standby"));

  // Waits while it is a standby ...
  Child migrate({cli, "migrate", "--connect-timeout=120s", "--log-format=json"},
                {"DATABASE_URL=" + at_replica});
  absl::SleepFor(absl::Seconds(3));
  ASSERT_TRUE(migrate.Running());
  EXPECT_EQ(Count("SELECT count(*) FROM schemagate.migrations"), -1);
  // ... and proceeds once promoted.
  const absl::Time switched = absl::Now();
  ProcessResult p = Patroni("switchover");
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  EXPECT_EQ(Leader(), replica);
  ProcessResult r = migrate.Wait();
  const absl::Time done = absl::Now();
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_THAT(r.err, HasSubstr("is a standby"));  // its retries said why it waited
  const std::vector<LogLine> log = JsonLog(r.err);
  absl::Time first_applied = absl::InfiniteFuture();
  for (const LogLine& l : log) {
    if (l.msg == "applied") first_applied = std::min(first_applied, l.ts);
  }
  std::printf(
      "HA: migrator at the replica: first migration %.2f s after the switchover "
      "started, done at %.2f s\n",
      Secs(first_applied - switched), Secs(done - switched));
  Sample("replica promoted under a waiting migrate", "migrate: first migration on it",
         first_applied - switched);
  ExpectAppliedExactlyOnce(tree, cli);
}

}  // namespace
}  // namespace schemagate
