// Cancelled and abandoned migrations on a running server: an ApplyMigrations
// cancelled at each stage (waiting for the migration lock, right after
// taking it, during a migration, during the unlock) never leaves the lock
// held by a pooled connection; cancelled applies free their workers at once
// (GetMigrationStatus still answers, SIGTERM drains within the grace
// period); `serve --migrate-on-start` retries until the database is up to
// date and stops on SIGTERM. Binaries: the engine test trees' variants.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "schemagate/v1/schemagate.grpc.pb.h"
#include "server/migrate/history.h"
#include "tests/support/database_test.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

using test::Connect;
using test::Eventually;
using test::LockHolder;
using test::ProcessResult;
using test::RunProcess;
using test::Server;
using test::TempDir;
using test::TestDatabase;
using test::Variant;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kToken[] = "cancel-test-admin-token-8e21";

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// An ApplyMigrations call in a thread of its own, cancellable at any time.
class RunningApply {
 public:
  explicit RunningApply(const std::string& target) {
    auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    stub_ = v1::SchemaGate::NewStub(channel);
    ctx_.AddMetadata("authorization", std::string("Bearer ") + kToken);
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    thread_ = std::thread([this] {
      auto reader = stub_->ApplyMigrations(&ctx_, v1::ApplyMigrationsRequest());
      v1::ApplyMigrationsResponse event;
      while (reader->Read(&event)) {
        if (event.has_lock_waiting()) waiting_ = true;
        if (event.has_summary()) applied_ += event.summary().applied_size();
      }
      status_ = reader->Finish();
      done_ = true;
    });
  }
  ~RunningApply() {
    ctx_.TryCancel();
    if (thread_.joinable()) thread_.join();
  }
  bool waiting() const { return waiting_; }
  bool done() const { return done_; }
  void Cancel() { ctx_.TryCancel(); }
  grpc::Status Wait() {
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  std::unique_ptr<v1::SchemaGate::Stub> stub_;
  grpc::ClientContext ctx_;
  std::thread thread_;
  std::atomic<bool> waiting_{false}, done_{false};
  std::atomic<int> applied_{0};
  grpc::Status status_;
};

class CancelTest : public test::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    token_file_ = TokenFile(kToken);
    // core/1 and core/2 applied; the engine_fixed build has core/3 and core/4
    // pending (transactional), engine_slow a core/3 that sleeps 4 s.
    ASSERT_EQ(Schemagate("engine_v1", {"migrate", "--features=core"}).exit_code, 0);
  }

  ProcessResult Schemagate(const std::string& variant, std::vector<std::string> args) {
    args.insert(args.begin(), Variant(variant, "schemagate"));
    return RunProcess(args, "", {"DATABASE_URL=" + db_->url()});
  }

  std::unique_ptr<Server> Serve(const std::string& variant, std::vector<std::string> flags,
                                std::vector<std::string> env = {}) {
    flags.push_back("--admin-token-file=" + token_file_);
    return std::make_unique<Server>(Variant(variant, "schemagate-server"), db_->url(), flags, env);
  }

  // Another session can take the migration lock right now.
  bool LockIsFree() {
    auto r = db_->Query(
        absl::StrCat("SELECT pg_try_advisory_lock(", key_, ") AND pg_advisory_unlock(", key_, ")"));
    return r.ok() && r->size() == 1 && (*r)[0] == "t";
  }

  std::vector<std::string> History() {
    auto rows =
        db_->Query("SELECT cluster || '/' || version FROM schemagate.migrations ORDER BY seq");
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  std::string token_file_;
  const int64_t key_ = migrate::HistoryName().LockKey();
};

// A cancel lands on whatever statement runs at that moment. At each stage
// the cancelled call ends, and another migrator can take the lock at once:
// a locking or unlocking statement that failed closes its connection
// instead of returning a session that still holds the lock to the pool.
// The failpoints make the locking statement sleep after it took the lock,
// and the unlocking one before it unlocks, so the cancel hits them.
TEST_F(CancelTest, CancelAtEveryStageLeavesTheLockFree) {
  struct Stage {
    const char* what;
    const char* variant;
    std::vector<std::string> env;
    std::function<bool()> reached;  // the stage the call is in
    std::vector<std::string> history_after;
  };
  std::unique_ptr<LockHolder> holder;
  const std::vector<std::string> before = {"core/1", "core/2"};
  const std::vector<Stage> stages = {
      {"waiting for the lock",
       "engine_fixed",
       {},
       [&] { return db_->ActiveQueries("pg_sleep(3600)") == 1; },
       before},
      {"right after taking the lock",
       "engine_fixed",
       {"SCHEMAGATE_FAILPOINTS=lock-sleep=5"},
       [&] {
         return db_->ActiveQueries("pg_try_advisory_lock") == 1 &&
                db_->AdvisoryLockHolders(key_) == 1;
       },
       before},
      {"during a migration",
       "engine_slow",
       {},
       [&] { return db_->ActiveQueries("pg_sleep(4)") == 1; },
       before},
      {"during the unlock",
       "engine_fixed",
       {"SCHEMAGATE_FAILPOINTS=unlock-sleep=5"},
       [&] { return db_->ActiveQueries("pg_advisory_unlock") == 1; },
       {"core/1", "core/2", "core/3", "core/4"}},
  };
  for (const Stage& stage : stages) {
    SCOPED_TRACE(stage.what);
    if (std::string(stage.what) == "waiting for the lock") {
      holder = std::make_unique<LockHolder>(*db_, key_);
      ASSERT_TRUE(holder->ok());
    }
    auto server = Serve(stage.variant, {"--features=core"}, stage.env);
    ASSERT_TRUE(server->ok());
    RunningApply apply(server->target());
    ASSERT_TRUE(Eventually(stage.reached, absl::Seconds(20))) << "the stage was not reached";
    if (holder != nullptr) {
      ASSERT_TRUE(Eventually([&] { return apply.waiting(); }, absl::Seconds(5)));
    }
    apply.Cancel();
    grpc::Status s = apply.Wait();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
    holder.reset();
    const auto cancelled = std::chrono::steady_clock::now();
    EXPECT_TRUE(Eventually([&] { return LockIsFree(); }, absl::Seconds(1)))
        << "the migration lock is still held after the cancel";
    std::printf("%s: lock free %.2f s after the cancel\n", stage.what,
                Seconds(std::chrono::steady_clock::now() - cancelled));
    // The server goes on serving database RPCs (a fresh or pooled connection).
    EXPECT_TRUE(Connect(server->target())->GetMigrationStatus().ok());
    EXPECT_EQ(History(), stage.history_after);
  }
  ProcessResult next = Schemagate("engine_fixed", {"migrate", "--lock-wait-timeout=2s"});
  EXPECT_EQ(next.exit_code, 0) << next.err;
}

// Applies waiting for a lock held elsewhere, then cancelled: their workers
// are free at once (a status call answers within a second, where the old
// wait loop held all eight workers until --lock-wait-timeout), in session
// and in transaction lock mode; and SIGTERM with applies still waiting
// exits within the grace period.
TEST_F(CancelTest, CancelledAppliesFreeTheirWorkers) {
  LockHolder holder(*db_, key_);
  ASSERT_TRUE(holder.ok());
  for (const char* mode : {"session", "transaction"}) {
    SCOPED_TRACE(mode);
    auto server = Serve("engine_fixed", {"--features=core", std::string("--lock-mode=") + mode,
                                         "--workers=8", "--shutdown-grace=3s"});
    ASSERT_TRUE(server->ok());
    {
      std::vector<std::unique_ptr<RunningApply>> applies;
      for (int i = 0; i < 8; ++i) {
        applies.push_back(std::make_unique<RunningApply>(server->target()));
      }
      ASSERT_TRUE(Eventually(
          [&] {
            for (auto& a : applies) {
              if (!a->waiting()) return false;
            }
            return true;
          },
          absl::Seconds(20)));
      for (auto& a : applies) a->Cancel();
      for (auto& a : applies) {
        grpc::Status s = a->Wait();
        EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
      }
    }
    auto c = Connect(server->target());
    const auto asked = std::chrono::steady_clock::now();
    auto status = c->GetMigrationStatus();
    const double took = Seconds(std::chrono::steady_clock::now() - asked);
    EXPECT_TRUE(status.ok()) << status.status();
    EXPECT_LT(took, 1.0) << "the cancelled applies still hold the workers";
    std::printf("%s: status answered %.3f s after 8 cancelled applies\n", mode, took);

    // SIGTERM while 8 applies wait for the lock: drained within the grace.
    std::vector<std::unique_ptr<RunningApply>> waiting;
    for (int i = 0; i < 8; ++i) waiting.push_back(std::make_unique<RunningApply>(server->target()));
    ASSERT_TRUE(Eventually(
        [&] {
          for (auto& a : waiting) {
            if (!a->waiting()) return false;
          }
          return true;
        },
        absl::Seconds(20)));
    const auto term = std::chrono::steady_clock::now();
    server->child().Kill(SIGTERM);
    bool exited = Eventually([&] { return !server->child().Running(); }, absl::Seconds(8));
    EXPECT_TRUE(exited) << "SIGTERM did not end the server within the grace period";
    if (!exited) server->child().Kill(SIGKILL);
    ProcessResult r = server->child().Wait();
    if (exited) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    std::printf("%s: exited %.1f s after SIGTERM (grace 3 s)\n", mode,
                Seconds(std::chrono::steady_clock::now() - term));
  }
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2"));
}

// --migrate-on-start after a failure (here the lock held past
// --lock-wait-timeout) retries with backoff, says so in its log and in the
// health service schemagate.migrate_on_start, and applies once it can; and
// SIGTERM stops it while it waits.
TEST_F(CancelTest, MigrateOnStartRetriesAndStopsOnSigterm) {
  auto holder = std::make_unique<LockHolder>(*db_, key_);
  ASSERT_TRUE(holder->ok());
  auto server =
      Serve("engine_fixed", {"--features=core", "--migrate-on-start", "--lock-wait-timeout=1s"});
  ASSERT_TRUE(server->ok());
  auto c = Connect(server->target());
  auto migrated = c->Health("schemagate.migrate_on_start");
  ASSERT_TRUE(migrated.ok()) << migrated.status();
  EXPECT_EQ(*migrated, grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));  // two failed attempts
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2"));
  holder.reset();
  EXPECT_TRUE(Eventually([&] { return test::Serving(*c, "schemagate.migrate_on_start"); },
                         absl::Seconds(20)));
  EXPECT_TRUE(Eventually([&] { return test::Serving(*c); }, absl::Seconds(5)));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "core/3", "core/4"));
  ProcessResult r = server->Stop();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--migrate-on-start failed; retrying"));
  EXPECT_THAT(r.err, HasSubstr("--lock-wait-timeout=1s"));
  EXPECT_THAT(r.err, HasSubstr("--migrate-on-start: the database is up to date"));

  // Waiting for a lock that is never released (the default 10 min wait):
  // SIGTERM ends the server within its grace period, nothing applied.
  ASSERT_TRUE(db_->Query("DELETE FROM schemagate.migrations WHERE version > 2").ok());
  holder = std::make_unique<LockHolder>(*db_, key_);
  ASSERT_TRUE(holder->ok());
  server = Serve("engine_slow", {"--features=core", "--migrate-on-start", "--shutdown-grace=2s"});
  ASSERT_TRUE(server->ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // it waits for the lock
  ASSERT_TRUE(server->child().Running());
  const auto term = std::chrono::steady_clock::now();
  server->child().Kill(SIGTERM);
  bool exited = Eventually([&] { return !server->child().Running(); }, absl::Seconds(6));
  EXPECT_TRUE(exited) << "--migrate-on-start keeps the server from stopping";
  if (!exited) server->child().Kill(SIGKILL);
  r = server->child().Wait();
  if (exited) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  std::printf("migrate-on-start: exited %.1f s after SIGTERM\n",
              Seconds(std::chrono::steady_clock::now() - term));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2"));
}

}  // namespace
}  // namespace schemagate
