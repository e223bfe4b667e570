// server/migrate/history against a real PostgreSQL: every table of the
// history created idempotently under its name, and every row kind (applied
// migrations, cluster records, no-transaction marks with their journal,
// adoptions, the log) written and read back unchanged, including text that
// needs quoting.
#include "server/migrate/history.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/catalog/catalog.h"
#include "server/migrate/db.h"
#include "tests/support/database_test.h"

namespace schemagate::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Text PostgreSQL and SQL literals must carry unchanged.
const std::string kAwkward = "it's \"quoted\"; \\ back\nslash, ä, $$ dollar $$, -- comment";

class HistoryTest : public test::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    ConnectOptions options;
    options.url = db_->url();
    options.timeout = absl::Seconds(10);
    auto c = Connection::Open(options);
    ASSERT_TRUE(c.ok()) << c.status();
    conn_ = *std::move(c);
  }

  static AppliedMigration Applied(const std::string& cluster, uint64_t version,
                                  const std::string& down_sql = "") {
    AppliedMigration m;
    m.cluster = cluster;
    m.version = version;
    m.name = absl::StrCat("step_", version);
    m.checksum = std::string(64, static_cast<char>('a' + version % 6));
    m.down_sql = down_sql;
    m.duration_ms = static_cast<int64_t>(version) * 10;
    m.applied_by = "history_test";
    return m;
  }

  static std::vector<std::string> Refs(const std::vector<AppliedMigration>& rows) {
    std::vector<std::string> out;
    for (const AppliedMigration& m : rows) out.push_back(absl::StrCat(m.cluster, "/", m.version));
    return out;
  }

  std::unique_ptr<Connection> conn_;
};

TEST_F(HistoryTest, EnsureCreatesEveryTableOnceUnderItsName) {
  absl::StatusOr<HistoryName> name = HistoryName::Parse("ops.sg_history");
  ASSERT_TRUE(name.ok()) << name.status();
  History history(conn_.get(), *name);
  absl::StatusOr<bool> exists = history.Exists();
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_FALSE(*exists);
  // Reads of a missing history are empty, not errors.
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_THAT(*applied, IsEmpty());
  absl::StatusOr<std::vector<Adoption>> adoptions = history.ReadAdoptions();
  ASSERT_TRUE(adoptions.ok()) << adoptions.status();
  EXPECT_THAT(*adoptions, IsEmpty());

  ASSERT_TRUE(history.Ensure().ok());
  ASSERT_TRUE(history.Ensure().ok());  // idempotent
  exists = history.Exists();
  ASSERT_TRUE(exists.ok());
  EXPECT_TRUE(*exists);
  absl::StatusOr<std::vector<std::string>> tables = db_->Query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ops' "
      "ORDER BY table_name");
  ASSERT_TRUE(tables.ok()) << tables.status();
  EXPECT_THAT(*tables, ElementsAre("sg_history", "sg_history_adoptions", "sg_history_clusters",
                                   "sg_history_in_progress", "sg_history_log"));
  // The default name is another history.
  History other(conn_.get(), HistoryName{});
  exists = other.Exists();
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
}

TEST_F(HistoryTest, AppliedRowsRoundTripInApplyOrder) {
  History history(conn_.get(), HistoryName{});
  ASSERT_TRUE(history.Ensure().ok());
  AppliedMigration first = Applied("core", 1, kAwkward);
  first.no_transaction = true;
  ASSERT_TRUE(history.Insert(first).ok());
  ASSERT_TRUE(history.InsertMany({Applied("tasks", 1), Applied("core", 2)}).ok());

  absl::StatusOr<std::vector<AppliedMigration>> rows = history.ReadApplied();
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(Refs(*rows), ElementsAre("core/1", "tasks/1", "core/2"));
  const AppliedMigration& r = (*rows)[0];
  EXPECT_EQ(r.name, "step_1");
  EXPECT_EQ(r.checksum, first.checksum);
  EXPECT_EQ(r.down_sql, kAwkward);
  EXPECT_TRUE(r.no_transaction);
  EXPECT_FALSE((*rows)[1].no_transaction);
  EXPECT_EQ(r.applied_by, "history_test");
  EXPECT_FALSE(r.applied_at.empty());
  EXPECT_LT((*rows)[0].seq, (*rows)[1].seq);
  EXPECT_LT((*rows)[1].seq, (*rows)[2].seq);

  // The digest of exactly these rows matches; of any other set it does not.
  std::vector<catalog::AppliedKey> keys;
  for (const AppliedMigration& m : *rows) keys.push_back({m.cluster, m.version, m.checksum});
  // (Computed now: the keys view the rows read, which the next read replaces.)
  const std::string digest = catalog::AppliedSetDigest(keys);
  absl::StatusOr<bool> same = history.MatchesAppliedDigest(digest);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(*same);

  // A changed checksum (repair) and a deleted row (rollback).
  ASSERT_TRUE(history.UpdateChecksum("core", 2, std::string(64, 'f'), "renamed", kAwkward).ok());
  ASSERT_TRUE(history.Delete("tasks", 1).ok());
  rows = history.ReadApplied();
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(Refs(*rows), ElementsAre("core/1", "core/2"));
  EXPECT_EQ((*rows)[1].checksum, std::string(64, 'f'));
  EXPECT_EQ((*rows)[1].name, "renamed");
  EXPECT_EQ((*rows)[1].down_sql, kAwkward);
  same = history.MatchesAppliedDigest(digest);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
}

// RecordAppliedSql is Insert + Log + Notify as one statement (the one round
// trip of a migration's script): the row it writes reads back like Insert's.
TEST_F(HistoryTest, TheScriptStatementRecordsLikeInsert) {
  History history(conn_.get(), HistoryName{});
  ASSERT_TRUE(history.Ensure().ok());
  AppliedMigration m = Applied("billing", 7, kAwkward);
  m.duration_ms = -1;  // measured by the server
  ASSERT_TRUE(conn_->Begin().ok());
  ASSERT_TRUE(conn_->Execute(history.RecordAppliedSql(m, "detail " + kAwkward, "payload")).ok());
  ASSERT_TRUE(conn_->Commit().ok());
  absl::StatusOr<std::vector<AppliedMigration>> rows = history.ReadApplied();
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].cluster, "billing");
  EXPECT_EQ((*rows)[0].version, 7u);
  EXPECT_EQ((*rows)[0].down_sql, kAwkward);
  EXPECT_GE((*rows)[0].duration_ms, 0);
  absl::StatusOr<std::vector<std::string>> log = db_->Query(
      "SELECT action || ' ' || cluster || '/' || version FROM schemagate.migrations_log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_THAT(*log, ElementsAre("apply billing/7"));
}

TEST_F(HistoryTest, ClusterRecordsUpsertAndDelete) {
  History history(conn_.get(), HistoryName{});
  ASSERT_TRUE(history.Ensure().ok());
  ClusterRecord tasks{"tasks", {"core"}, {"tasks"}, {"table:tasks", "column:users.task_count"}};
  ClusterRecord core{"core", {}, {}, {"table:users"}};
  ASSERT_TRUE(history.UpsertClusters({core, tasks}).ok());
  tasks.objects.push_back("fk:tasks.tasks_owner_fkey");
  ASSERT_TRUE(history.UpsertClusters({tasks}).ok());  // updates in place
  absl::StatusOr<std::vector<ClusterRecord>> read = history.ReadClusters();
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  std::vector<std::string> seen;
  for (const ClusterRecord& c : *read) {
    seen.push_back(c.name);
    if (c.name == "tasks") {
      EXPECT_THAT(c.depends_on, ElementsAre("core"));
      EXPECT_THAT(c.requires_features, ElementsAre("tasks"));
      EXPECT_THAT(c.objects, ElementsAre("table:tasks", "column:users.task_count",
                                         "fk:tasks.tasks_owner_fkey"));
    }
  }
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre("core", "tasks"));
  ASSERT_TRUE(history.DeleteCluster("tasks").ok());
  read = history.ReadClusters();
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].name, "core");
}

TEST_F(HistoryTest, InProgressMarksKeepTheirJournal) {
  History history(conn_.get(), HistoryName{});
  ASSERT_TRUE(history.Ensure().ok());
  InProgress mark;
  mark.cluster = "tasks";
  mark.version = 3;
  mark.name = "concurrent_index";
  mark.down_sql = kAwkward;
  ASSERT_TRUE(history.MarkInProgress(mark).ok());
  ASSERT_TRUE(history.AppendJournal("tasks", 3, {"+index:public.tasks_a_idx"}).ok());
  ASSERT_TRUE(history.AppendJournal("tasks", 3, {"-index:public.tasks_old_idx", kAwkward}).ok());
  absl::StatusOr<std::vector<InProgress>> marks = history.ReadInProgress();
  ASSERT_TRUE(marks.ok()) << marks.status();
  ASSERT_EQ(marks->size(), 1u);
  const InProgress& m = (*marks)[0];
  EXPECT_EQ(m.cluster, "tasks");
  EXPECT_EQ(m.version, 3u);
  EXPECT_EQ(m.name, "concurrent_index");
  EXPECT_EQ(m.down_sql, kAwkward);
  EXPECT_EQ(m.action, "apply");
  ASSERT_TRUE(m.journal.has_value());
  EXPECT_THAT(*m.journal,
              ElementsAre("+index:public.tasks_a_idx", "-index:public.tasks_old_idx", kAwkward));
  ASSERT_TRUE(history.ClearInProgress("tasks", 3).ok());
  marks = history.ReadInProgress();
  ASSERT_TRUE(marks.ok());
  EXPECT_THAT(*marks, IsEmpty());
}

TEST_F(HistoryTest, AdoptionsAndTheLogAreKept) {
  History history(conn_.get(), HistoryName{});
  ASSERT_TRUE(history.Ensure().ok());
  Adoption a;
  a.source_format = "diesel";
  a.source_table = "public.__diesel_schema_migrations";
  a.clusters = {"core", "tasks"};
  a.at = "2026-11-30T12:00:00Z";
  a.by = "adopt";
  ASSERT_TRUE(history.RecordAdoption(a).ok());
  absl::StatusOr<std::vector<Adoption>> read = history.ReadAdoptions();
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].source_format, "diesel");
  EXPECT_EQ((*read)[0].source_table, "public.__diesel_schema_migrations");
  EXPECT_THAT((*read)[0].clusters, ElementsAre("core", "tasks"));
  EXPECT_EQ((*read)[0].by, "adopt");
  EXPECT_FALSE((*read)[0].at.empty());

  ASSERT_TRUE(history.Log("rollback", "tasks", 2, kAwkward, "admin").ok());
  ASSERT_TRUE(history
                  .LogMany({{"repair", "core", 1, "checksum", "admin"},
                            {"apply", "core", 2, "", "migrate"}})
                  .ok());
  absl::StatusOr<std::vector<std::string>> log = db_->Query(
      "SELECT action || ' ' || cluster || '/' || version || ' by ' || by FROM "
      "schemagate.migrations_log ORDER BY id");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_THAT(*log, ElementsAre("rollback tasks/2 by admin", "repair core/1 by admin",
                                "apply core/2 by migrate"));
  // As hex: the test's psql client splits its output at newlines.
  absl::StatusOr<std::vector<std::string>> detail = db_->Query(
      "SELECT encode(convert_to(detail, 'UTF8'), 'hex') FROM "
      "schemagate.migrations_log WHERE action = 'rollback'");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_THAT(*detail, ElementsAre(absl::BytesToHexString(kAwkward)));
}

}  // namespace
}  // namespace schemagate::migrate
