// CheckBlockingRows (the --max-blocking-rows guard) and the size wording of
// plan output; the database side is tests/e2e/plan_locks_test.cc.
#include "server/migrate/plan_locks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/util/errors.h"
#include "server/util/human.h"

namespace schemagate::migrate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Fixture {
  v1::Migration migration;
  Fixture() {
    migration.set_cluster("core");
    migration.set_version(2);
    migration.set_version_text("0002");
    migration.set_name("change");
    migration.set_up_path("core/0002_change/up.sql");
  }
  PlannedLock Lock(const std::string& table, const std::string& rule, bool blocking,
                   bool acknowledged, bool exists, int64_t rows) const {
    PlannedLock p;
    p.migration = &migration;
    p.lock.set_table(table);
    p.lock.set_lock("ACCESS EXCLUSIVE");
    p.lock.set_line(3);
    p.lock.set_statement("ALTER TABLE");
    p.lock.set_rule(rule);
    p.lock.set_blocking(blocking);
    p.lock.set_acknowledged(acknowledged);
    p.lock.set_message("it rewrites " + table);
    p.size = {exists, rows, rows * 100};
    return p;
  }
};

TEST(CheckBlockingRowsTest, RefusesOnlyUnacknowledgedBlockingFindingsAboveTheLimit) {
  Fixture f;
  struct Case {
    const char* what;
    PlannedLock lock;
    int64_t max;
    bool refused;
  };
  const Case cases[] = {
      {"blocking, above", f.Lock("tasks", "column-type-rewrite", true, false, true, 5000), 1000,
       true},
      {"blocking, exactly at the limit",
       f.Lock("tasks", "column-type-rewrite", true, false, true, 1000), 1000, false},
      {"no limit", f.Lock("tasks", "column-type-rewrite", true, false, true, 5000), -1, false},
      {"limit 0, one row", f.Lock("tasks", "column-type-rewrite", true, false, true, 1), 0, true},
      {"acknowledged", f.Lock("tasks", "column-type-rewrite", true, true, true, 5000), 1000, false},
      {"a brief lock (no finding)", f.Lock("tasks", "", false, false, true, 5000), 1000, false},
      {"a compatibility finding (not blocking)",
       f.Lock("tasks", "drop-column", false, false, true, 5000), 1000, false},
      {"created earlier in the plan", f.Lock("tasks", "column-type-rewrite", true, false, false, 0),
       0, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    absl::Status s = CheckBlockingRows({c.lock}, c.max);
    EXPECT_EQ(!s.ok(), c.refused) << s;
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_EQ(errors::KindOf(s), errors::ErrorKind::kMigrationFailed);
      EXPECT_EQ(errors::ExitCodeFor(s), 5);
      EXPECT_EQ(errors::ReasonOf(s), "BLOCKING_LOCK_ON_LARGE_TABLE");
    }
  }
}

TEST(CheckBlockingRowsTest, NamesEachMigrationTableSizeAndRule) {
  Fixture f;
  absl::Status s =
      CheckBlockingRows({f.Lock("tasks", "column-type-rewrite", true, false, true, 2100000),
                         f.Lock("users", "index-not-concurrent", true, true, true, 9000000),
                         f.Lock("events", "foreign-key-not-valid", true, false, true, 50)},
                        1000);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("1 unacknowledged blocking lock(s) on tables above "
                                     "--max-blocking-rows=1000"));
  EXPECT_THAT(s.message(), HasSubstr("core/0002_change/up.sql:3: ACCESS EXCLUSIVE on tasks "
                                     "(2.1M rows, 200 MB) by ALTER TABLE [column-type-rewrite]"));
  EXPECT_THAT(s.message(), Not(HasSubstr("users")));
  EXPECT_THAT(s.message(), Not(HasSubstr("events")));
  std::vector<errors::Violation> v = errors::ViolationsOf(s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].type, "BLOCKING_LOCK");
  EXPECT_EQ(v[0].subject, "core/0002_change tasks");
  EXPECT_THAT(v[0].description, HasSubstr("it rewrites tasks"));
}

TEST(HumanTest, RowsAndBytesAsPeopleReadThem) {
  EXPECT_EQ(human::Rows(0), "0 rows");
  EXPECT_EQ(human::Rows(1), "1 row");
  EXPECT_EQ(human::Rows(999), "999 rows");
  EXPECT_EQ(human::Rows(20000), "20.0k rows");
  EXPECT_EQ(human::Rows(2100000), "2.1M rows");
  EXPECT_EQ(human::Rows(3400000000), "3.4B rows");
  // As pg_size_pretty.
  EXPECT_EQ(human::Bytes(0), "0 bytes");
  EXPECT_EQ(human::Bytes(10239), "10239 bytes");
  EXPECT_EQ(human::Bytes(10240), "10 kB");
  EXPECT_EQ(human::Bytes(800LL << 20), "800 MB");
  EXPECT_EQ(human::Bytes(3LL << 40), "3072 GB");
  EXPECT_EQ(DescribeSize({false, 0, 0}), "not created yet");
  EXPECT_EQ(DescribeSize({true, 2, 16384}), "2 rows, 16 kB");
}

}  // namespace
}  // namespace schemagate::migrate
