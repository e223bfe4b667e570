// The gRPC service end to end: the real schemagate-server process over
// loopback, a real PostgreSQL (a database of the fixture server per test; a
// private server for the restart test), the C++ client library, schemactl,
// raw gRPC, reflection, and a Python client.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/schemagate_client.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/migrate/history.h"
#include "tests/support/database_test.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

using test::Bin;
using test::Child;
using test::Connect;
using test::Env;
using test::Eventually;
using test::ProcessResult;
using test::RunProcess;
using test::Server;
using test::TempDir;
using test::TestDatabase;
using test::Variant;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class ServiceTest : public test::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    token_file_ = TokenFile(token_);
  }

  ProcessResult Migrate(const std::string& binary, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {binary, "migrate"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv, "", {"DATABASE_URL=" + db_->url()});
  }

  ProcessResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), Bin("schemactl"));
    return RunProcess(args);
  }

  std::string token_file_;
  const std::string token_ = "e2e-admin-token-7f3a";
};

TEST_F(ServiceTest, ConsumerRpcsBeforeAndAfterMigration) {
  Server server(Bin("schemagate-server"), db_->url(), {"--admin-token-file=" + token_file_});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target(), token_);

  // Before any migration: tables are NOT_MIGRATED; health NOT_SERVING.
  ASSERT_TRUE(
      Eventually([&] { return c->ListClusters().ok() && c->ListClusters()->database_reachable(); },
                 absl::Seconds(10)));
  auto before = c->CheckTables({"users", "crm_contacts"});
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->tables(0).status(), v1::TABLE_STATUS_NOT_MIGRATED);
  EXPECT_THAT(before->tables(0).message(), HasSubstr("core/1"));
  EXPECT_FALSE(before->all_available());
  auto health = c->Health("");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(*health, grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  // ApplyMigrations streams every migration started/finished, then a summary.
  int started = 0, finished = 0;
  v1::ApplyMigrationsRequest apply;
  auto summary = c->ApplyMigrations(
      apply,
      [&](const v1::ApplyMigrationsResponse& e) {
        started += e.has_started();
        finished += e.has_finished();
      },
      absl::Minutes(5));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_GT(summary->applied_size(), 30);
  EXPECT_EQ(started, summary->applied_size());
  EXPECT_EQ(finished, summary->applied_size());

  // The snapshot follows (LISTEN/NOTIFY): AVAILABLE, health SERVING.
  ASSERT_TRUE(Eventually([&] { return test::Serving(*c); }, absl::Seconds(10)));
  auto after = c->CheckTables({"users", "crm_contacts", "public.tasks", "crm_contact"});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->tables(0).status(), v1::TABLE_STATUS_AVAILABLE);
  EXPECT_EQ(after->tables(1).status(), v1::TABLE_STATUS_AVAILABLE);
  EXPECT_EQ(after->tables(2).status(), v1::TABLE_STATUS_AVAILABLE);
  EXPECT_EQ(after->tables(3).status(), v1::TABLE_STATUS_UNKNOWN_TABLE);
  EXPECT_THAT(after->tables(3).suggestions(), Contains("crm_contacts"));
  EXPECT_TRUE(c->Require({"users", "tasks"}).ok());
  EXPECT_EQ(c->Require({"users", "nope"}).code(), absl::StatusCode::kNotFound);

  auto h = c->Health("schemagate.cluster.tasks");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(c->Health("schemagate.cluster.nope").status().code(), absl::StatusCode::kNotFound);
  auto service_health = c->Health("schemagate.v1.SchemaGate");
  ASSERT_TRUE(service_health.ok());
  EXPECT_EQ(*service_health, grpc::health::v1::HealthCheckResponse::SERVING);

  // ValidateJoin / ValidateQuery.
  auto join = c->ValidateJoin({"tasks", "users"});
  ASSERT_TRUE(join.ok());
  EXPECT_EQ(join->verdict(), v1::JOIN_VERDICT_AMBIGUOUS);
  EXPECT_EQ(join->pairs(0).candidates_size(), 2);
  auto chosen = c->ValidateJoin({}, {{"tasks", "users", "tasks_assignee_id_fkey"}});
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->pairs(0).candidates(0).on(), "tasks.assignee_id = users.id");
  auto query = c->ValidateQuery("SELECT * FROM tasks t JOIN projects p ON p.id = t.project_id");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->verdict(), v1::QUERY_VERDICT_OK);
  EXPECT_EQ(query->conditions(0).foreign_key(), "tasks_project_id_fkey");
  auto bad_sql = c->ValidateQuery("SELECT * FORM tasks");
  EXPECT_EQ(bad_sql.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_sql.status().message()), HasSubstr("1:10: syntax error"));

  // Status, plan, verify.
  auto status = c->GetMigrationStatus();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->up_to_date());
  EXPECT_EQ(status->history_table(), "schemagate.migrations");
  auto plan = c->PlanMigrations(true);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->migrations().empty());
  auto verify = c->VerifySchema(false);
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->ok());
  EXPECT_GT(verify->tables_checked(), 200);

  // Rollback over RPC (a leaf cluster), then apply again.
  v1::RollbackClusterRequest rollback;
  rollback.set_cluster("goals");
  rollback.set_to_version(0);
  auto rb = c->RollbackCluster(rollback, absl::Minutes(1));
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(rb->reverted_size(), 1);
  ASSERT_TRUE(Eventually(
      [&] {
        auto t = c->CheckTables({"okr_objectives"});
        return t.ok() && t->tables(0).status() == v1::TABLE_STATUS_NOT_MIGRATED;
      },
      absl::Seconds(10)));
  // The client's cache is dropped by the watch stream.
  ASSERT_TRUE(Eventually(
      [&] { return c->Require({"okr_objectives"}).code() == absl::StatusCode::kUnavailable; },
      absl::Seconds(10)));
  rollback.set_cluster("tasks");
  auto refused = c->RollbackCluster(rollback, absl::Minutes(1));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ServiceTest, NarrowedServerNamesTheFeatureToEnable) {
  ASSERT_EQ(Migrate(Bin("schemagate"), {"--features=tasks"}).exit_code, 0);
  Server server(Bin("schemagate-server"), db_->url(), {"--features=tasks"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  ASSERT_TRUE(Eventually([&] { return test::Serving(*c); }, absl::Seconds(10)));
  auto r = c->CheckTables({"tasks", "crm_contacts"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tables(0).status(), v1::TABLE_STATUS_AVAILABLE);
  EXPECT_EQ(r->tables(1).status(), v1::TABLE_STATUS_CLUSTER_DISABLED);
  EXPECT_THAT(r->tables(1).enable_features(), ::testing::ElementsAre("people"));
  EXPECT_TRUE(r->tables(1).compiled());
  absl::Status require = c->Require({"crm_contacts"});
  EXPECT_EQ(require.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(require.message()), HasSubstr("people"));
  ProcessResult wait =
      Ctl({"wait", "--target", server.target(), "--clusters", "people", "--timeout", "5s"});
  EXPECT_EQ(wait.exit_code, 9) << wait.err;  // not in the build: do not wait
  EXPECT_THAT(wait.err, HasSubstr("people (compiled in, turned off by --features)"));
}

TEST_F(ServiceTest, AdminRpcsNeedTheToken) {
  Server server(Bin("schemagate-server"), db_->url(), {"--admin-token-file=" + token_file_});
  ASSERT_TRUE(server.ok());
  v1::RepairChecksumsRequest repair;
  repair.set_dry_run(true);
  for (const std::string token : {"", "wrong-token-value"}) {
    auto c = Connect(server.target(), token);
    auto r = c->RepairChecksums(repair);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << token;
    auto a = c->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1));
    EXPECT_EQ(a.status().code(), absl::StatusCode::kUnauthenticated) << token;
    v1::RollbackClusterRequest rb;
    rb.set_cluster("core");
    EXPECT_EQ(c->RollbackCluster(rb, absl::Minutes(1)).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  auto good = Connect(server.target(), token_);
  EXPECT_TRUE(good->RepairChecksums(repair).ok());
  // Nothing was applied by the refused calls.
  auto rows = db_->Query("SELECT to_regclass('schemagate.migrations') IS NULL");
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(*rows, ::testing::ElementsAre("t"));
  // schemactl: exit 10 (not authorized) without a token, 0 with it.
  EXPECT_EQ(Ctl({"repair", "--dry-run", "--target", server.target()}).exit_code, 10);
  EXPECT_EQ(Ctl({"repair", "--dry-run", "--target", server.target(), "--token-file", token_file_})
                .exit_code,
            0);
}

TEST_F(ServiceTest, AdminRefusedWithoutTokenFileAndOnTheMainListenerWhenSplit) {
  {
    Server server(Bin("schemagate-server"), db_->url(), {});
    ASSERT_TRUE(server.ok());
    auto c = Connect(server.target(), token_);
    v1::RepairChecksumsRequest repair;
    EXPECT_EQ(c->RepairChecksums(repair).status().code(), absl::StatusCode::kPermissionDenied);
  }
  Server split(Bin("schemagate-server"), db_->url(),
               {"--admin-token-file=" + token_file_, "--admin-listen=127.0.0.1:0"});
  ASSERT_TRUE(split.ok());
  v1::RepairChecksumsRequest repair;
  repair.set_dry_run(true);
  auto main_listener = Connect(split.target(), token_);
  EXPECT_EQ(main_listener->RepairChecksums(repair).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(main_listener->CheckTables({"users"}).ok());
  auto admin_listener = Connect(split.admin_target(), token_);
  EXPECT_TRUE(admin_listener->RepairChecksums(repair).ok());
  auto no_token = Connect(split.admin_target(), "");
  EXPECT_EQ(no_token->RepairChecksums(repair).status().code(), absl::StatusCode::kUnauthenticated);
  // --insecure-admin is refused on a non-loopback listener.
  ProcessResult insecure =
      RunProcess({Bin("schemagate-server"), "serve", "--listen=0.0.0.0:0", "--insecure-admin"}, "",
                 {"DATABASE_URL=" + db_->url()});
  EXPECT_EQ(insecure.exit_code, 2);
  EXPECT_THAT(insecure.err, HasSubstr("allowed only on a loopback listener"));
}

TEST_F(ServiceTest, WatchSeesAMigrationAppliedByAnotherProcess) {
  Server server(Bin("schemagate-server"), db_->url(), {"--poll-interval=30s"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchClustersRequest req;
  req.add_clusters("tasks");
  auto reader = c->stub().WatchClusters(&ctx, req);
  v1::WatchClustersResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_TRUE(first.initial());
  ASSERT_EQ(first.clusters_size(), 1);
  // A separate `schemagate migrate`: its NOTIFY reaches the server (the
  // poll interval is 30 s, so only the notification can explain a prompt
  // update).
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Migrate(Bin("schemagate")).exit_code, 0);
  bool seen = false;
  v1::WatchClustersResponse update;
  while (!seen && reader->Read(&update)) {
    for (const v1::ClusterInfo& cl : update.clusters()) {
      seen =
          seen || (cl.name() == "tasks" && cl.migration().state() == v1::CLUSTER_STATE_UP_TO_DATE);
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  ctx.TryCancel();
}

TEST_F(ServiceTest, SchemactlWaitReturnsWhenTheClusterIsMigrated) {
  Server server(Bin("schemagate-server"), db_->url(), {});
  ASSERT_TRUE(server.ok());
  Child wait({Bin("schemactl"), "wait", "--target", server.target(), "--clusters", "tasks,people",
              "--timeout", "60s"});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_TRUE(wait.Running());
  ASSERT_EQ(Migrate(Bin("schemagate")).exit_code, 0);
  ProcessResult r = wait.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ready: tasks, people"));
  // Timeout and a cluster missing from the build.
  ProcessResult missing =
      Ctl({"wait", "--target", server.target(), "--clusters", "nosuch", "--timeout", "5s"});
  EXPECT_EQ(missing.exit_code, 9);
  ProcessResult unreachable =
      Ctl({"wait", "--target", "127.0.0.1:1", "--clusters", "tasks", "--timeout", "2s"});
  EXPECT_EQ(unreachable.exit_code, 4);
  EXPECT_THAT(unreachable.err, HasSubstr("timed out"));
}

// A rolling upgrade: the newer build's migration Job ran first. The older
// replicas still serving must stay ready (their tables are all there), while
// their `migrate` keeps refusing a database it does not fully know.
TEST_F(ServiceTest, ADatabaseAheadOfTheBuildStillServes) {
  Server server(Variant("engine_v1", "schemagate-server"), db_->url(), {});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  ASSERT_TRUE(Eventually(
      [&] {
        auto l = c->ListClusters();
        return l.ok() && l->clusters(0).migration().state() == v1::CLUSTER_STATE_NOT_INSTALLED;
      },
      absl::Seconds(10)));
  EXPECT_FALSE(c->ListClusters()->clusters(0).migration().ready());
  EXPECT_EQ(*c->Health(""), grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  ASSERT_EQ(Migrate(Variant("engine_v2", "schemagate")).exit_code, 0);
  // The server may have read the history mid-run (after core, before
  // feat): wait for the state after the whole run.
  ASSERT_TRUE(Eventually(
      [&] {
        auto l = c->ListClusters();
        if (!l.ok() || l->clusters(0).migration().state() != v1::CLUSTER_STATE_UNKNOWN_APPLIED) {
          return false;
        }
        for (const v1::ClusterInfo& ci : l->clusters()) {
          if (!ci.migration().ready()) return false;
        }
        return true;
      },
      absl::Seconds(10)));
  auto l = c->ListClusters();
  ASSERT_TRUE(l.ok());
  for (const v1::ClusterInfo& ci : l->clusters()) {
    EXPECT_TRUE(ci.migration().ready()) << ci.name();
  }
  EXPECT_EQ(l->clusters(0).migration().unknown_applied_size(), 1);
  EXPECT_EQ(*c->Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(*c->Health("schemagate.cluster.core"), grpc::health::v1::HealthCheckResponse::SERVING);
  ProcessResult wait =
      Ctl({"wait", "--target", server.target(), "--clusters", "core,feat", "--timeout", "10s"});
  EXPECT_EQ(wait.exit_code, 0) << wait.err;
  ProcessResult old_migrate = Migrate(Variant("engine_v1", "schemagate"));
  EXPECT_EQ(old_migrate.exit_code, 6);
  EXPECT_THAT(old_migrate.err, HasSubstr("a newer build ran?"));
}

TEST_F(ServiceTest, SchemactlCommands) {
  Server server(Bin("schemagate-server"), db_->url(), {"--admin-token-file=" + token_file_});
  ASSERT_TRUE(server.ok());
  const std::string t = server.target();
  ProcessResult plan = Ctl({"plan", "--target", t});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("core/0001_init/up.sql"));
  ProcessResult apply = Ctl({"apply", "--target", t, "--token-file", token_file_});
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_THAT(apply.out, AllOf(HasSubstr("applying core/1_init ... ok"),
                               HasSubstr("the database is up to date")));
  ASSERT_TRUE(Eventually(
      [&] {
        return Ctl({"health", "--target", t}).exit_code == 0;
      },
      absl::Seconds(10)));
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string out;
  };
  std::vector<Case> cases = {
      {{"clusters"}, 0, "tasks"},
      {{"clusters", "--json"}, 0, "\"CLUSTER_STATE_UP_TO_DATE\""},
      {{"check", "users", "tasks"}, 0, "available"},
      {{"check", "users", "nope_table"}, 9, "unknown_table"},
      {{"join", "tasks", "users"}, 8, "tasks.assignee_id = users.id"},
      {{"join", "--pair", "tasks:users:tasks_reporter_id_fkey"}, 0, "reporter_id"},
      {{"query", "SELECT * FROM tasks t JOIN users u ON t.assignee_id = u.id"},
       0,
       "tasks_assignee_id_fkey"},
      {{"query", "SELECT 1 FROM nowhere"}, 9, "unknown"},
      {{"status"}, 0, "up to date"},
      {{"status", "--json"}, 0, "\"up_to_date\": true"},
      {{"verify"}, 0, "no drift"},
      {{"health", "--service", "schemagate.cluster.core"}, 0, "SERVING"},
      {{"rollback", "--cluster", "goals", "--to", "0", "--dry-run", "--token-file", token_file_},
       0,
       "would revert goals/1"},
      {{"repair", "--dry-run", "--token-file", token_file_}, 0, "nothing to repair"},
      {{"apply", "--dry-run", "--token-file", token_file_}, 0, "nothing to apply"},
      {{"check"}, 2, ""},
      {{"nosuch"}, 2, ""},
  };
  for (Case& c : cases) {
    c.args.insert(c.args.begin() + 1, {"--target", t});
    if (c.args[0] == "nosuch") c.args = {"nosuch"};
    ProcessResult r = Ctl(c.args);
    EXPECT_EQ(r.exit_code, c.code) << absl::StrJoin(c.args, " ") << "\n" << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(c.out)) << absl::StrJoin(c.args, " ");
  }
  ProcessResult json = Ctl({"check", "--target", t, "--json", "users"});
  nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["tables"][0]["status"], "TABLE_STATUS_AVAILABLE");
  ProcessResult help = Ctl({"wait", "--help"});
  EXPECT_THAT(help.out, AllOf(HasSubstr("--clusters"), HasSubstr("--timeout"),
                              HasSubstr("--target"), HasSubstr("Exit codes")));
}

TEST_F(ServiceTest, HealthFollowsPostgresStoppingAndRestarting) {
  // A private PostgreSQL, stopped and started again on the same port.
  test::PrivatePostgres pg;
  ASSERT_TRUE(pg.ok());
  ASSERT_EQ(RunProcess({Bin("schemagate"), "migrate", "--features=tasks"}, "",
                       {"DATABASE_URL=" + pg.url()})
                .exit_code,
            0);
  Server server(Bin("schemagate-server"), pg.url(), {"--features=tasks"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  auto serving = [&](const std::string& service) {
    auto h = c->Health(service);
    return h.ok() && *h == grpc::health::v1::HealthCheckResponse::SERVING;
  };
  ASSERT_TRUE(Eventually([&] { return serving(""); }, absl::Seconds(10)));
  EXPECT_TRUE(serving("schemagate.cluster.tasks"));

  ASSERT_TRUE(pg.Stop());
  auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return !serving(""); }, absl::Seconds(5)));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(2));
  EXPECT_FALSE(serving("schemagate.cluster.tasks"));
  // Memory-only RPCs keep answering; database RPCs say UNAVAILABLE.
  auto check = c->CheckTables({"tasks"});
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(c->GetMigrationStatus().status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE(pg.Start());
  EXPECT_TRUE(Eventually([&] { return serving(""); }, absl::Seconds(15)));
  EXPECT_TRUE(server.child().Running());
}

TEST_F(ServiceTest, SigtermDrainsInFlightRpcsAndExitsZero) {
  ASSERT_EQ(Migrate(Variant("engine_v1", "schemagate")).exit_code, 0);
  Server server(Variant("engine_slow", "schemagate-server"), db_->url(),
                {"--insecure-admin", "--log-format=json"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  absl::StatusOr<v1::ApplySummary> summary;
  std::thread apply([&] {
    summary = c->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1));
  });
  // The slow migration sleeps 4 s; stop the server while it runs.
  ASSERT_TRUE(
      Eventually([&] { return db_->ActiveQueries("pg_sleep(4)") == 1; }, absl::Seconds(10)));
  ProcessResult r = server.Stop(SIGTERM);
  apply.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->applied_size(), 1);
  // Every log line is JSON, and says it drained.
  bool drained = false;
  for (absl::string_view line : absl::StrSplit(r.err, '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    if (!j.is_discarded() && j["msg"] == "shutting down: draining in-flight RPCs") {
      drained = true;
    }
  }
  EXPECT_TRUE(drained);
}

TEST_F(ServiceTest, RepairOverRpc) {
  ASSERT_EQ(Migrate(Variant("engine_v1", "schemagate")).exit_code, 0);
  Server server(Variant("engine_edited", "schemagate-server"), db_->url(),
                {"--admin-token-file=" + token_file_});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target(), token_);
  ASSERT_TRUE(Eventually(
      [&] {
        auto l = c->ListClusters();
        return l.ok() && l->clusters(0).migration().state() == v1::CLUSTER_STATE_CHECKSUM_MISMATCH;
      },
      absl::Seconds(10)));
  auto refused = c->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("core/0001_init/up.sql was changed after it was applied"));
  v1::RepairChecksumsRequest repair;
  auto r = c->RepairChecksums(repair);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->repaired_size(), 1);
  EXPECT_EQ(r->repaired(0).path(), "core/0001_init/up.sql");
  EXPECT_TRUE(c->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1)).ok());
}

TEST_F(ServiceTest, MalformedRequestsAreInvalidArgumentWithDetails) {
  Server server(Bin("schemagate-server"), db_->url(), {});
  ASSERT_TRUE(server.ok());
  auto channel = grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  // Garbage bytes, and a string field holding invalid UTF-8.
  std::vector<std::string> payloads = {std::string("\xff\xff\xff\xff", 4),
                                       std::string("\x0a\x02\xc3\x28", 4)};
  for (const std::string& payload : payloads) {
    grpc::Status status = test::RawUnaryCall(channel, "/schemagate.v1.SchemaGate/CheckTables",
                                             payload, absl::Seconds(10));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  }
  // Too many tables, empty and NUL names: INVALID_ARGUMENT with BadRequest.
  auto c = Connect(server.target());
  std::vector<std::string> many(10001, "users");
  grpc::ClientContext ctx;
  v1::CheckTablesRequest req;
  for (const std::string& t : many) req.add_tables(t);
  v1::CheckTablesResponse resp;
  grpc::Status s = c->stub().CheckTables(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  google::rpc::BadRequest bad;
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "tables");
  EXPECT_EQ(c->CheckTables({std::string("us\0ers", 6)}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c->CheckTables({""}).status().code(), absl::StatusCode::kInvalidArgument);
  // Names with quotes and semicolons are just unknown tables.
  auto odd = c->CheckTables({"users'; DROP TABLE users; --", "\"users\""});
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->tables(0).status(), v1::TABLE_STATUS_UNKNOWN_TABLE);
}

TEST_F(ServiceTest, ReflectionListsTheService) {
  Server server(Bin("schemagate-server"), db_->url(), {});
  ASSERT_TRUE(server.ok());
  auto channel = grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&ctx);
  grpc::reflection::v1alpha::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  grpc::reflection::v1alpha::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::vector<std::string> services;
  for (const auto& s : resp.list_services_response().service()) services.push_back(s.name());
  EXPECT_THAT(services, Contains("schemagate.v1.SchemaGate"));
  req.set_file_containing_symbol("schemagate.v1.SchemaGate");
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_GT(resp.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
}

TEST_F(ServiceTest, DatabaseDownAtStart) {
  test::RegisterSecret("pw-secret-1");
  Server server(Bin("schemagate-server"), "postgresql://nobody:pw-secret-1@127.0.0.1:1/x", {});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  auto check = c->CheckTables({"users"});
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->state_known());
  EXPECT_EQ(check->tables(0).status(), v1::TABLE_STATUS_NOT_MIGRATED);
  auto health = c->Health("");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(*health, grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  auto live = c->Health("schemagate.liveness");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(*live, grpc::health::v1::HealthCheckResponse::SERVING);
  auto status = c->GetMigrationStatus();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable);
  ProcessResult r = server.Stop();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.err, Not(HasSubstr("pw-secret-1")));
  EXPECT_THAT(r.err, HasSubstr("database unreachable"));
}

TEST_F(ServiceTest, TlsOnlyAndClientCertificates) {
  std::string d = TempDir();
  ASSERT_TRUE(test::MakeTestCertificates(d));
  Server server(Bin("schemagate-server"), db_->url(),
                {"--tls-cert=" + d + "/server.crt", "--tls-key=" + d + "/server.key",
                 "--tls-client-ca=" + d + "/ca.crt"});
  ASSERT_TRUE(server.ok());
  // Plaintext is refused.
  client::ClientOptions plain;
  plain.target = server.target();
  plain.timeout = absl::Seconds(3);
  EXPECT_EQ((*client::Client::Connect(plain))->CheckTables({"users"}).status().code(),
            absl::StatusCode::kUnavailable);
  // TLS without a client certificate is refused; with one it works.
  client::ClientOptions tls = plain;
  tls.tls_ca_file = d + "/ca.crt";
  tls.tls_server_name = "localhost";
  EXPECT_FALSE((*client::Client::Connect(tls))->CheckTables({"users"}).ok());
  tls.tls_cert_file = d + "/client.crt";
  tls.tls_key_file = d + "/client.key";
  auto ok = (*client::Client::Connect(tls))->CheckTables({"users"});
  EXPECT_TRUE(ok.ok()) << ok.status();
  ProcessResult ctl =
      Ctl({"check", "users", "--target", server.target(), "--tls-ca", d + "/ca.crt", "--tls-cert",
           d + "/client.crt", "--tls-key", d + "/client.key", "--tls-server-name", "localhost"});
  EXPECT_EQ(ctl.exit_code, 9) << ctl.err;  // not migrated yet, but answered
}

TEST_F(ServiceTest, PythonClientCallsCheckTablesAndHealth) {
  ASSERT_EQ(Migrate(Bin("schemagate")).exit_code, 0);
  Server server(Bin("schemagate-server"), db_->url(), {});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  ASSERT_TRUE(Eventually([&] { return test::Serving(*c); }, absl::Seconds(10)));
  std::string src = Env("SCHEMAGATE_SOURCE_DIR");
  ProcessResult r = RunProcess(
      {"/usr/bin/python3", src + "/tests/python/client_test.py", server.target(), src + "/proto"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("python client: ok"));
}

// A database another tool migrated (psql ran the adopt_diesel tree's SQL,
// Diesel's history table filled by hand), taken over through AdoptDatabase.
class AdoptRpcTest : public ServiceTest {
 protected:
  void MigrateFlat(const std::vector<std::string>& skip_versions = {}) {
    ProcessResult sql = RunProcess({Variant("adopt_diesel", "schemagate"), "sql"});
    ASSERT_EQ(sql.exit_code, 0) << sql.err;
    ASSERT_TRUE(test::RunPsql(db_->url(), sql.out).ok());
    std::string history =
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY "
        "NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);";
    for (const std::string v :
         {"00000000000000", "20200101000000", "20200102000000", "20200103000000", "20200103000001",
          "20200104000000", "20200105000000", "20200106000000"}) {
      if (std::find(skip_versions.begin(), skip_versions.end(), v) != skip_versions.end()) {
        continue;
      }
      absl::StrAppend(&history, "INSERT INTO __diesel_schema_migrations (version) VALUES ('", v,
                      "');");
    }
    ASSERT_TRUE(db_->Query(history).ok());
  }

  bool HistoryExists() {
    auto rows = db_->Query("SELECT to_regclass('schemagate.migrations') IS NOT NULL");
    return rows.ok() && *rows == std::vector<std::string>{"t"};
  }
};

TEST_F(AdoptRpcTest, AdoptDatabaseTakesOverAndTheServerSeesItAtOnce) {
  MigrateFlat({"20200104000000"});
  ASSERT_TRUE(db_->Query("ALTER TABLE tasks ALTER COLUMN title TYPE varchar(10)").ok());
  Server server(Variant("adopt_diesel", "schemagate-server"), db_->url(),
                {"--admin-token-file=" + token_file_, "--poll-interval=30s"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target(), token_);
  ASSERT_TRUE(Eventually(
      [&] {
        auto l = c->ListClusters();
        return l.ok() && l->database_reachable() &&
               l->clusters(0).migration().state() == v1::CLUSTER_STATE_NOT_INSTALLED;
      },
      absl::Seconds(10)));
  EXPECT_EQ(*c->Health(""), grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  v1::AdoptDatabaseRequest req;
  req.set_source_format(v1::SOURCE_FORMAT_DIESEL);
  // Admin only.
  for (const std::string token : {"", "wrong-token-value"}) {
    auto anonymous = Connect(server.target(), token);
    EXPECT_EQ(anonymous->AdoptDatabase(req, absl::Minutes(1)).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  // A request without the tool is INVALID_ARGUMENT naming the field.
  v1::AdoptDatabaseRequest empty;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token_);
  v1::AdoptDatabaseResponse ignored;
  grpc::Status bad = c->stub().AdoptDatabase(&ctx, empty, &ignored);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(bad.error_details()));
  google::rpc::BadRequest field;
  ASSERT_TRUE(details.details(0).UnpackTo(&field));
  EXPECT_EQ(field.field_violations(0).field(), "source_format");

  // The old history lacks a version: FAILED_PRECONDITION, listed.
  auto incomplete = c->AdoptDatabase(req, absl::Minutes(1));
  EXPECT_EQ(incomplete.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client::ErrorReason(incomplete.status()), "SOURCE_HISTORY_INCOMPLETE");
  EXPECT_THAT(client::ErrorViolations(incomplete.status()),
              ::testing::ElementsAre(
                  "diesel 20200104000000: not recorded in public.__diesel_schema_migrations; "
                  "tasks/0002_due/up.sql was imported from it"));
  ASSERT_TRUE(db_->Query("INSERT INTO __diesel_schema_migrations (version) VALUES "
                         "('20200104000000')")
                  .ok());
  // The changed column: SCHEMA_DRIFT, each drift a violation.
  auto drift = c->AdoptDatabase(req, absl::Minutes(1));
  EXPECT_EQ(drift.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client::ErrorReason(drift.status()), "SCHEMA_DRIFT");
  EXPECT_THAT(client::ErrorViolations(drift.status()),
              ::testing::ElementsAre("tasks.title: column type: tasks.title (catalog: text, "
                                     "database: character varying(10))"));
  ProcessResult ctl_drift =
      Ctl({"adopt", "--target", server.target(), "--token-file", token_file_, "--from", "diesel"});
  EXPECT_EQ(ctl_drift.exit_code, 7) << ctl_drift.err;
  EXPECT_THAT(ctl_drift.err, HasSubstr("tasks.title: column type"));
  EXPECT_FALSE(HistoryExists());
  ASSERT_TRUE(db_->Query("ALTER TABLE tasks ALTER COLUMN title TYPE text").ok());

  // Dry run, then the real thing.
  req.set_dry_run(true);
  auto dry = c->AdoptDatabase(req, absl::Minutes(1));
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_TRUE(dry->dry_run());
  EXPECT_EQ(dry->recorded_size(), 8);
  EXPECT_FALSE(HistoryExists());
  req.set_dry_run(false);
  auto done = c->AdoptDatabase(req, absl::Minutes(1));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_THAT(done->adopted_clusters(),
              ::testing::ElementsAre("core", "mail", "tasks", "mail_tasks"));
  EXPECT_EQ(done->recorded_size(), 8);
  EXPECT_EQ(done->recorded(0).cluster(), "core");
  EXPECT_EQ(done->source_history_table(), "public.__diesel_schema_migrations");
  EXPECT_THAT(done->migrations(0).imported_from(),
              ::testing::ElementsAre("diesel 00000000000000", "diesel 20200101000000"));
  EXPECT_TRUE(done->has_duration());

  // The server follows at once (its poll interval is 30 s): ready, SERVING.
  ASSERT_TRUE(Eventually(
      [&] {
        auto h = c->Health("");
        return h.ok() && *h == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      absl::Seconds(10)));
  auto l = c->ListClusters();
  ASSERT_TRUE(l.ok());
  for (const v1::ClusterInfo& ci : l->clusters()) {
    EXPECT_TRUE(ci.migration().ready()) << ci.name();
    EXPECT_EQ(ci.migration().state(), v1::CLUSTER_STATE_UP_TO_DATE) << ci.name();
  }
  EXPECT_TRUE(l->unmanaged_tables().empty());
  EXPECT_TRUE(c->Require({"tasks", "mail_messages", "users"}).ok());
  auto verify = c->VerifySchema(false);
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->ok());
  EXPECT_THAT(verify->foreign_history(),
              ::testing::ElementsAre("__diesel_schema_migrations (diesel history, adopted)"));

  // Again: nothing to adopt, over RPC and schemactl.
  auto again = c->AdoptDatabase(req, absl::Minutes(1));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->adopted_clusters().empty());
  ProcessResult ctl =
      Ctl({"adopt", "--target", server.target(), "--token-file", token_file_, "--from", "diesel"});
  EXPECT_EQ(ctl.exit_code, 0) << ctl.err;
  EXPECT_THAT(ctl.out, HasSubstr("nothing to adopt"));
  ProcessResult ctl_denied = Ctl({"adopt", "--target", server.target(), "--from", "diesel"});
  EXPECT_EQ(ctl_denied.exit_code, 10);  // not authorized
  ProcessResult ctl_usage = Ctl({"adopt", "--target", server.target(), "--from", "ant"});
  EXPECT_EQ(ctl_usage.exit_code, 2);
  auto rows = db_->Query("SELECT count(*) FROM schemagate.migrations");
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(*rows, ::testing::ElementsAre("8"));
}

TEST_F(AdoptRpcTest, UnmanagedTablesAreListedByTheServer) {
  MigrateFlat();
  // A deployment that runs with tasks only: mail's tables are unmanaged.
  Server server(Variant("adopt_diesel", "schemagate-server"), db_->url(),
                {"--admin-token-file=" + token_file_, "--features=tasks"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target(), token_);
  v1::AdoptDatabaseRequest req;
  req.set_source_format(v1::SOURCE_FORMAT_DIESEL);
  auto done = c->AdoptDatabase(req, absl::Minutes(1));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_THAT(done->adopted_clusters(), ::testing::ElementsAre("core", "tasks"));
  ASSERT_EQ(done->unmanaged_tables_size(), 1);
  EXPECT_EQ(done->unmanaged_tables(0).table(), "mail_messages");
  EXPECT_EQ(done->unmanaged_tables(0).cluster(), "mail");
  EXPECT_TRUE(done->unmanaged_tables(0).compiled());
  ASSERT_TRUE(Eventually(
      [&] {
        auto l = c->ListClusters();
        return l.ok() && l->unmanaged_tables_size() == 1 &&
               l->unmanaged_tables(0).table() == "mail_messages";
      },
      absl::Seconds(10)));
  auto status = c->GetMigrationStatus();
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->unmanaged_tables_size(), 1);
  EXPECT_THAT(status->unmanaged_tables(0).enable_features(), ::testing::ElementsAre("mail"));
  ProcessResult ctl = Ctl({"clusters", "--target", server.target()});
  EXPECT_THAT(ctl.out, HasSubstr("mail_messages (cluster mail, turned off by --features)"));
  EXPECT_EQ(*c->Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
}

// One exit-code table (docs/EXIT_CODES.md): the same refusal exits with the
// same code from `schemagate` (the engine in-process) and from `schemactl`
// (the server's refusal, carried as a google.rpc.ErrorInfo reason through
// the client library).
TEST_F(ServiceTest, SameRefusalSameExitCodeThroughBothBinaries) {
  const std::string v1 = Variant("engine_v1", "schemagate");
  ASSERT_EQ(Migrate(v1).exit_code, 0);
  const std::string wrong_token = dir_ + "/wrong-token";
  std::ofstream(wrong_token) << "not-" << token_ << "\n";
  struct Case {
    std::string what;
    std::string variant;           // the build both binaries are of
    std::vector<std::string> cli;  // `schemagate` arguments
    std::vector<std::string> ctl;  // `schemactl` arguments (admin token added)
    int code;
    std::vector<std::string> server_flags;
    std::function<void()> setup;
  };
  const int64_t lock_key = migrate::HistoryName().LockKey();
  std::unique_ptr<test::LockHolder> lock;
  std::vector<Case> cases = {
      {"rollback refused: a dependent cluster is enabled",
       "engine_v1",
       {"rollback", "--cluster", "core", "--to", "0"},
       {"rollback", "--cluster", "core", "--to", "0"},
       6},
      {"unknown cluster",
       "engine_v1",
       {"rollback", "--cluster", "nosuch", "--to", "0"},
       {"rollback", "--cluster", "nosuch", "--to", "0"},
       2},
      {"edited applied migration", "engine_edited", {"migrate"}, {"apply"}, 6},
      {"a migration fails", "engine_broken", {"migrate"}, {"apply"}, 5},
      {"drift",
       "engine_v1",
       {"verify"},
       {"verify"},
       7,
       {},
       [&] { ASSERT_TRUE(db_->Query("ALTER TABLE users ADD COLUMN zzz integer").ok()); }},
      {"lock wait timeout",
       "engine_fixed",
       {"migrate", "--lock-wait-timeout=1s"},
       {"apply"},
       4,
       {"--lock-wait-timeout=1s"},
       [&] {
         lock = std::make_unique<test::LockHolder>(*db_, lock_key);
         ASSERT_TRUE(lock->ok());
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    if (c.setup) c.setup();
    std::vector<std::string> cli = c.cli;
    cli.insert(cli.begin(), Variant(c.variant, "schemagate"));
    ProcessResult direct = RunProcess(cli, "", {"DATABASE_URL=" + db_->url()});
    EXPECT_EQ(direct.exit_code, c.code) << direct.err;
    std::vector<std::string> flags = {"--admin-token-file=" + token_file_};
    flags.insert(flags.end(), c.server_flags.begin(), c.server_flags.end());
    Server server(Variant(c.variant, "schemagate-server"), db_->url(), flags);
    ASSERT_TRUE(server.ok());
    std::vector<std::string> ctl = c.ctl;
    ctl.insert(ctl.begin() + 1, {"--target", server.target(), "--token-file", token_file_});
    ProcessResult remote = Ctl(ctl);
    EXPECT_EQ(remote.exit_code, c.code) << remote.err;
    lock.reset();
  }
  // Refusals only a server makes have their own codes too: a wrong token is
  // "not authorized", a database the server cannot reach is "unavailable".
  Server server(Variant("engine_v1", "schemagate-server"), db_->url(),
                {"--admin-token-file=" + token_file_});
  ASSERT_TRUE(server.ok());
  ProcessResult denied = Ctl({"repair", "--target", server.target(), "--token-file", wrong_token});
  EXPECT_EQ(denied.exit_code, 10) << denied.err;
  std::string unreachable = db_->url();
  unreachable.replace(unreachable.rfind(':'), unreachable.rfind('/') - unreachable.rfind(':'),
                      ":1");
  Server down(Variant("engine_v1", "schemagate-server"), unreachable, {});
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(Ctl({"status", "--target", down.target()}).exit_code, 3);
  EXPECT_EQ(
      RunProcess({v1, "status", "--connect-timeout=500ms"}, "", {"DATABASE_URL=" + unreachable})
          .exit_code,
      3);
}

// The monitor re-reads the history with one query: when a read fails, the
// last state read is kept (marked stale: not reachable, health NOT_SERVING)
// instead of an empty applied set, so CheckTables never calls an applied
// table NOT_MIGRATED. Every other read of the history fails here (a view
// in its place raises on every second query).
TEST_F(ServiceTest, AFailedHistoryReadKeepsTheLastKnownState) {
  ASSERT_EQ(Migrate(Variant("engine_v1", "schemagate")).exit_code, 0);
  Server server(Variant("engine_v1", "schemagate-server"), db_->url(), {});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  ASSERT_TRUE(Eventually([&] { return test::Serving(*c); }, absl::Seconds(10)));
  ASSERT_TRUE(db_->Query("ALTER TABLE schemagate.migrations RENAME TO migrations_real; "
                         "CREATE SEQUENCE schemagate.flaky; "
                         "CREATE FUNCTION schemagate.flaky_gate() RETURNS boolean LANGUAGE plpgsql "
                         "VOLATILE AS $$ BEGIN IF nextval('schemagate.flaky') % 2 = 0 THEN "
                         "RAISE EXCEPTION 'injected read failure'; END IF; RETURN true; END $$; "
                         "CREATE VIEW schemagate.migrations AS SELECT * FROM "
                         "schemagate.migrations_real WHERE (SELECT schemagate.flaky_gate())")
                  .ok());
  int checks = 0, stale = 0;
  const absl::Time until = absl::Now() + absl::Seconds(4);
  while (absl::Now() < until) {
    auto r = c->CheckTables({"users", "notes"});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->state_known());
    for (const v1::TableCheck& t : r->tables()) {
      EXPECT_EQ(t.status(), v1::TABLE_STATUS_AVAILABLE) << t.requested() << ": " << t.message();
    }
    auto clusters = c->ListClusters();
    ASSERT_TRUE(clusters.ok());
    if (!clusters->database_reachable()) ++stale;
    ++checks;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The injected failures were seen (and reported as a stale state).
  EXPECT_GT(stale, 0) << checks << " checks";
  ASSERT_TRUE(db_->Query("DROP VIEW schemagate.migrations; ALTER TABLE "
                         "schemagate.migrations_real RENAME TO migrations")
                  .ok());
  EXPECT_TRUE(Eventually([&] { return test::Serving(*c); }, absl::Seconds(10)));
}

// Readiness means "this replica answers the API": with the database down it
// is SERVING (after the first attempt to read the history), while the
// migration state's names are not, and the memory RPCs answer.
TEST_F(ServiceTest, ReadinessDoesNotDependOnTheDatabase) {
  std::string unreachable = db_->url();
  unreachable.replace(unreachable.rfind(':'), unreachable.rfind('/') - unreachable.rfind(':'),
                      ":1");
  Server server(Variant("engine_v1", "schemagate-server"), unreachable, {});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  EXPECT_TRUE(
      Eventually([&] { return test::Serving(*c, "schemagate.readiness"); }, absl::Seconds(10)));
  for (const char* name : {"", "schemagate.v1.SchemaGate", "schemagate.cluster.core"}) {
    auto h = c->Health(name);
    ASSERT_TRUE(h.ok()) << name;
    EXPECT_EQ(*h, grpc::health::v1::HealthCheckResponse::NOT_SERVING) << name;
  }
  auto check = c->CheckTables({"users"});
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->state_known());
  auto join = c->ValidateJoin({"notes", "users"});
  EXPECT_TRUE(join.ok());
  ProcessResult ctl =
      Ctl({"health", "--target", server.target(), "--service", "schemagate.readiness"});
  EXPECT_EQ(ctl.exit_code, 0) << ctl.out << ctl.err;
}

}  // namespace
}  // namespace schemagate
