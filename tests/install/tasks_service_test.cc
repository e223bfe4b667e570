// The example consumer (examples/tasks_service), built against installed
// schemagate packages by the consumer_* fixtures, run against a real
// server: the installed schemagate migrates a fresh database, the
// installed schemagate-server serves it, and each build of the example's
// test must pass — the one with tasks (Require, the server's join answer
// equal to the generated descriptor, the descriptor's join executed) and
// the minimal one (tasks code compiled out).
//
// Environment: SCHEMAGATE_INSTALL_PREFIX (the package with tasks, binaries
// included), SCHEMAGATE_CONSUMER_TASKS_BIN and SCHEMAGATE_CONSUMER_MIN_BIN
// (the two builds of tasks_service_test).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate::test {
namespace {

using ::testing::HasSubstr;

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = Env("SCHEMAGATE_INSTALL_PREFIX");
    ASSERT_FALSE(prefix_.empty()) << "SCHEMAGATE_INSTALL_PREFIX is not set";
    auto db = TestDatabase::Create("consumer");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ProcessResult migrate =
        RunProcess({prefix_ + "/bin/schemagate", "migrate"}, "", {"DATABASE_URL=" + db_->url()});
    ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
    server_ = std::make_unique<Server>(prefix_ + "/bin/schemagate-server", db_->url(),
                                       std::vector<std::string>{});
    ASSERT_TRUE(server_->ok()) << "the installed schemagate-server did not start";
    auto client = Connect(server_->target());
    ASSERT_TRUE(Eventually(
        [&] {
          return client->Require({"users", "tasks"}).ok();
        },
        absl::Seconds(20)));
  }

  ProcessResult RunConsumer(const std::string& env_var) {
    std::string bin = Env(env_var);
    EXPECT_FALSE(bin.empty()) << env_var << " is not set";
    return RunProcess({bin}, "",
                      {"SCHEMAGATE_TARGET=" + server_->target(), "DATABASE_URL=" + db_->url()});
  }

  std::string prefix_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Server> server_;
};

TEST_F(ConsumerTest, TasksBuildPassesAgainstTheServer) {
  ProcessResult r = RunConsumer("SCHEMAGATE_CONSUMER_TASKS_BIN");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("tasks built in: yes"));
  EXPECT_THAT(r.out, HasSubstr("JOIN users ON tasks.assignee_id = users.id WHERE"));
  EXPECT_THAT(r.out, HasSubstr("all checks passed"));
  // The join ran on the database: the seeded tasks are there.
  auto rows = db_->Query(
      "SELECT t.title FROM tasks t JOIN users u ON t.assignee_id = u.id "
      "WHERE u.email LIKE 'ada%@example.com' ORDER BY 1");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, ::testing::ElementsAre("Ship it", "Write the docs"));
}

TEST_F(ConsumerTest, MinimalBuildHasNoTasksCode) {
  ProcessResult r = RunConsumer("SCHEMAGATE_CONSUMER_MIN_BIN");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("built against features: core\n"));
  EXPECT_THAT(r.out, HasSubstr("tasks built in: no"));
  EXPECT_THAT(r.out, HasSubstr("all checks passed"));
}

}  // namespace
}  // namespace schemagate::test
