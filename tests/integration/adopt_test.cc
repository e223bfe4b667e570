// `schemagate adopt` end to end: each test's database is migrated "flat" by
// another tool — the build's up.sql files run by psql in apply order
// (`schemagate sql | psql`) plus that tool's history table filled by hand —
// and then taken over with the real binaries of the adopt_* test trees
// (tests/testdata/trees/adopt_*, variants SCHEMAGATE_VARIANT_ADOPT_*_BIN).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/migrate/history.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"
#include "tests/support/variant_test.h"

namespace schemagate {
namespace {

using test::Child;
using test::ProcessResult;
using test::RunProcess;
using test::TestDatabase;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// Exit codes (server/migrate/errors.h).
constexpr int kOk = 0, kUsage = 2, kMigrationFailed = 5, kIntegrity = 6, kDrift = 7;

// Every Diesel version the adopt_diesel tree's migrations were imported from.
const std::vector<std::string> kDieselVersions = {
    "00000000000000", "20200101000000", "20200102000000", "20200103000000",
    "20200103000001", "20200104000000", "20200105000000", "20200106000000"};

std::string Bin(const std::string& variant) { return test::VariantBin(variant); }

class AdoptTest : public test::VariantDatabaseTest {
 protected:
  // What the old tool did: every up.sql of `variant`'s build, in apply
  // order, run by psql (autocommit, so CREATE INDEX CONCURRENTLY runs).
  void MigrateFlat(const std::string& variant) {
    ProcessResult sql = RunProcess({Bin(variant), "sql"});
    ASSERT_EQ(sql.exit_code, kOk) << sql.err;
    absl::StatusOr<std::string> r = test::RunPsql(db_->url(), sql.out);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // Diesel's own table, as diesel_migrations creates it.
  void DieselHistory(const std::vector<std::string>& versions) {
    std::string sql =
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY "
        "NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);\n";
    for (const std::string& v : versions) {
      absl::StrAppend(&sql, "INSERT INTO __diesel_schema_migrations (version) VALUES ('", v,
                      "');\n");
    }
    ASSERT_TRUE(db_->Query(sql).ok());
  }

  void Sql(const std::string& sql) {
    auto r = db_->Query(sql);
    ASSERT_TRUE(r.ok()) << r.status() << "\n" << sql;
  }

  std::vector<std::string> Rows(const std::string& sql) {
    auto rows = db_->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status() << "\n" << sql;
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  nlohmann::json Json(const ProcessResult& r) {
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
};

const char kAllDiesel[] = "ADOPT_DIESEL";

TEST_F(AdoptTest, DieselDatabaseIsTakenOverAndThenBehavesAsMigrated) {
  MigrateFlat(kAllDiesel);
  DieselHistory(kDieselVersions);
  const std::vector<std::string> schema = Schema();
  ASSERT_GT(schema.size(), 20u);
  const std::vector<std::string> old_rows =
      Rows("SELECT version || ' ' || run_on FROM __diesel_schema_migrations ORDER BY 1");

  // Dry run: every check, nothing recorded.
  ProcessResult dry = Run(kAllDiesel, {"adopt", "--from=diesel", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, kOk) << dry.err;
  nlohmann::json plan = Json(dry);
  EXPECT_EQ(plan["dry_run"], true);
  EXPECT_THAT(plan["adopted"].get<std::vector<std::string>>(),
              UnorderedElementsAre("core", "tasks", "mail", "mail_tasks"));
  EXPECT_EQ(plan["adopted"][0], "core");
  ASSERT_EQ(plan["recorded"].size(), 8u);
  EXPECT_EQ(plan["recorded"][0]["path"], "core/0001_init/up.sql");
  EXPECT_THAT(plan["recorded"][0]["imported_from"].get<std::vector<std::string>>(),
              ElementsAre("diesel 00000000000000", "diesel 20200101000000"));
  EXPECT_THAT(plan["not_from_old_tool"].get<std::vector<std::string>>(),
              ElementsAre("mail/0002_read_at/up.sql"));
  EXPECT_EQ(plan["source_history_table"], "public.__diesel_schema_migrations");
  EXPECT_FALSE(HistoryExists()) << "--dry-run must record nothing";

  ProcessResult adopt = Run(kAllDiesel, {"adopt", "--from=diesel"});
  ASSERT_EQ(adopt.exit_code, kOk) << adopt.err;
  EXPECT_THAT(adopt.out,
              AllOf(HasSubstr("adopted core, "), HasSubstr("8 migration(s) recorded as applied"),
                    HasSubstr("not from the old tool (checked by the schema comparison "
                              "only): mail/0002_read_at/up.sql"),
                    HasSubstr("the old tool's table public.__diesel_schema_migrations "
                              "was left untouched")));
  std::vector<std::string> history = History();
  EXPECT_EQ(history.size(), 8u);
  EXPECT_THAT(history, AllOf(Contains("core/1"), Contains("tasks/3"), Contains("mail_tasks/1")));
  for (const std::string& by : Rows("SELECT DISTINCT applied_by FROM schemagate.migrations")) {
    EXPECT_TRUE(absl::StartsWith(by, "adopt:diesel@")) << by;
  }
  EXPECT_THAT(Rows("SELECT no_transaction::text || ' ' || duration_ms FROM "
                   "schemagate.migrations WHERE cluster = 'tasks' AND version = 3"),
              ElementsAre("true 0"));
  EXPECT_THAT(Rows("SELECT down_sql = 'DROP TABLE profiles;' || chr(10) || 'ALTER TABLE "
                   "users DROP COLUMN display_name;' || chr(10) FROM schemagate.migrations "
                   "WHERE cluster = 'core' AND version = 2"),
              ElementsAre("t"));
  EXPECT_THAT(Rows("SELECT count(*) FROM schemagate.migrations_log WHERE action = 'adopt'"),
              ElementsAre("8"));
  EXPECT_THAT(Rows("SELECT source_format || ' ' || source_table || ' ' || "
                   "array_to_string(clusters, ',') FROM schemagate.migrations_adoptions"),
              ElementsAre("diesel public.__diesel_schema_migrations core,mail,tasks,mail_tasks"));

  // From now on the database is an ordinary schemagate database.
  ProcessResult migrate = Run(kAllDiesel, {"migrate", "--json"});
  ASSERT_EQ(migrate.exit_code, kOk) << migrate.err;
  EXPECT_TRUE(Json(migrate)["applied"].empty());
  EXPECT_THAT(migrate.err, HasSubstr("nothing to apply"));
  ProcessResult verify = Run(kAllDiesel, {"verify"});
  EXPECT_EQ(verify.exit_code, kOk) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("old tool's history table (left alone; drop it once the "
                                    "old tool is gone): __diesel_schema_migrations (diesel "
                                    "history, adopted)"));
  ProcessResult status = Run(kAllDiesel, {"status", "--json"});
  ASSERT_EQ(status.exit_code, kOk) << status.err;
  nlohmann::json st = Json(status);
  EXPECT_TRUE(st["up_to_date"].get<bool>());
  for (const std::string c : {"core", "tasks", "mail", "mail_tasks"}) {
    EXPECT_EQ(ClusterState(st, c), "up_to_date") << c;
  }
  EXPECT_TRUE(st["unmanaged"].empty());

  // Nothing else changed: the schema, the old tool's rows.
  EXPECT_EQ(Schema(), schema);
  EXPECT_EQ(Rows("SELECT version || ' ' || run_on FROM __diesel_schema_migrations ORDER BY 1"),
            old_rows);

  // Twice is a no-op.
  ProcessResult again = Run(kAllDiesel, {"adopt", "--from=diesel"});
  EXPECT_EQ(again.exit_code, kOk) << again.err;
  EXPECT_THAT(again.out, HasSubstr("nothing to adopt"));
  EXPECT_EQ(History(), history);
  ProcessResult named = Run(kAllDiesel, {"adopt", "--from=diesel", "--cluster=tasks", "--json"});
  EXPECT_EQ(named.exit_code, kOk) << named.err;
  EXPECT_THAT(Json(named)["already_installed"].get<std::vector<std::string>>(),
              ElementsAre("tasks"));
  EXPECT_EQ(History(), history);
}

TEST_F(AdoptTest, ChangedColumnIsDriftAndNothingIsRecorded) {
  MigrateFlat(kAllDiesel);
  DieselHistory(kDieselVersions);
  Sql("ALTER TABLE tasks ALTER COLUMN title TYPE varchar(100); "
      "ALTER TABLE profiles DROP COLUMN bio; CREATE TABLE stray (x int)");
  ProcessResult r = Run(kAllDiesel, {"adopt", "--from=diesel"});
  EXPECT_EQ(r.exit_code, kDrift) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("refusing to adopt: the database differs from the "
                                     "catalog of core, "),
                           HasSubstr("column type: tasks.title (catalog: text, database: "
                                     "character varying(100))"),
                           HasSubstr("missing column: profiles.bio"),
                           HasSubstr("extra table: stray"), HasSubstr("nothing was recorded")));
  EXPECT_FALSE(HistoryExists());
  // --json: the reason and each difference, machine-readable.
  ProcessResult json = Run(kAllDiesel, {"adopt", "--from=diesel", "--json"});
  EXPECT_EQ(json.exit_code, kDrift);
  nlohmann::json j = Json(json);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["reason"], "SCHEMA_DRIFT");
  std::vector<std::string> subjects;
  for (const auto& v : j["violations"]) subjects.push_back(v["subject"]);
  EXPECT_THAT(subjects, UnorderedElementsAre("tasks.title", "profiles.bio", "stray"));
  // Tables nobody knows can be allowed, as for verify; the rest still counts.
  ProcessResult ignoring = Run(kAllDiesel, {"adopt", "--from=diesel", "--ignore-extra-tables"});
  EXPECT_EQ(ignoring.exit_code, kDrift);
  EXPECT_THAT(ignoring.err, Not(HasSubstr("stray")));
  EXPECT_FALSE(HistoryExists());
  // Fixed: adopted.
  Sql("ALTER TABLE tasks ALTER COLUMN title TYPE text; ALTER TABLE profiles ADD COLUMN bio text");
  ProcessResult fixed = Run(kAllDiesel, {"adopt", "--from=diesel", "--ignore-extra-tables"});
  EXPECT_EQ(fixed.exit_code, kOk) << fixed.err;
  EXPECT_EQ(History().size(), 8u);
}

TEST_F(AdoptTest, OldHistoryMustCoverEveryImportedMigration) {
  MigrateFlat(kAllDiesel);
  // The old history lacks two of the versions the build was imported from.
  std::vector<std::string> partial;
  for (const std::string& v : kDieselVersions) {
    if (v != "20200104000000" && v != "00000000000000") partial.push_back(v);
  }
  DieselHistory(partial);
  ProcessResult r = Run(kAllDiesel, {"adopt", "--from=diesel"});
  EXPECT_EQ(r.exit_code, kIntegrity) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("2 flat migration(s) that the adopted clusters were "
                                     "imported from are not recorded in "
                                     "public.__diesel_schema_migrations (diesel)"),
                           HasSubstr("diesel 00000000000000 (core/0001_init/up.sql)"),
                           HasSubstr("diesel 20200104000000 (tasks/0002_due/up.sql)")));
  EXPECT_FALSE(HistoryExists());
  ProcessResult json = Run(kAllDiesel, {"adopt", "--from=diesel", "--json"});
  EXPECT_EQ(Json(json)["reason"], "SOURCE_HISTORY_INCOMPLETE");
  EXPECT_EQ(Json(json)["violations"].size(), 2u);
  // --cluster mail needs only what mail came from (core is a dependency: it
  // must be adopted too, and core/0001's source is missing).
  ProcessResult mail = Run(kAllDiesel, {"adopt", "--from=diesel", "--cluster=mail"});
  EXPECT_EQ(mail.exit_code, kUsage) << mail.err;
  EXPECT_THAT(mail.err, HasSubstr("mail depends on core, which is neither installed nor "
                                  "adopted in this run; add --cluster core"));
  EXPECT_FALSE(HistoryExists());

  // The other tool's format is a usage error naming each migration.
  ProcessResult other = Run(kAllDiesel, {"adopt", "--from=golang-migrate"});
  EXPECT_EQ(other.exit_code, kUsage) << other.err;
  EXPECT_THAT(other.err, AllOf(HasSubstr("imported from diesel, not golang-migrate"),
                               HasSubstr("tasks/0003_due_ix/up.sql (imported from diesel "
                                         "20200105000000)")));
  // The table elsewhere: missing where expected, found where named.
  Sql("CREATE SCHEMA legacy; ALTER TABLE __diesel_schema_migrations SET SCHEMA legacy; "
      "INSERT INTO legacy.__diesel_schema_migrations (version) VALUES "
      "('20200104000000'), ('00000000000000')");
  ProcessResult missing = Run(kAllDiesel, {"adopt", "--from=diesel"});
  EXPECT_EQ(missing.exit_code, kIntegrity);
  EXPECT_THAT(missing.err, AllOf(HasSubstr("public.__diesel_schema_migrations does not exist"),
                                 HasSubstr("--source-history-table")));
  ProcessResult bad = Run(kAllDiesel, {"adopt", "--from=diesel", "--source-history-table=a.b.c"});
  EXPECT_EQ(bad.exit_code, kUsage);
  ProcessResult shape =
      Run(kAllDiesel,
          {"adopt", "--from=flyway", "--source-history-table=legacy.__diesel_schema_migrations"});
  EXPECT_EQ(shape.exit_code, kUsage) << shape.err;
  ProcessResult named =
      Run(kAllDiesel,
          {"adopt", "--from=diesel", "--source-history-table=legacy.__diesel_schema_migrations"});
  EXPECT_EQ(named.exit_code, kOk) << named.err;
  EXPECT_EQ(History().size(), 8u);
  EXPECT_EQ(Run(kAllDiesel, {"verify"}).exit_code, kOk);
}

TEST_F(AdoptTest, FromNoneSkipsTheHistoryButNotTheSchema) {
  MigrateFlat(kAllDiesel);
  // No old history at all: --from=diesel is refused, --from=none vouches.
  ProcessResult refused = Run(kAllDiesel, {"adopt", "--from=diesel"});
  EXPECT_EQ(refused.exit_code, kIntegrity) << refused.err;
  Sql("ALTER TABLE users ADD COLUMN nickname text");
  ProcessResult drift = Run(kAllDiesel, {"adopt", "--from=none"});
  EXPECT_EQ(drift.exit_code, kDrift) << drift.err;
  EXPECT_THAT(drift.err, HasSubstr("extra column: users.nickname"));
  Sql("ALTER TABLE users DROP COLUMN nickname");
  ProcessResult ok = Run(kAllDiesel, {"adopt", "--from=none"});
  EXPECT_EQ(ok.exit_code, kOk) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("--from=none: no history check"));
  EXPECT_EQ(History().size(), 8u);
  ProcessResult usage = Run(kAllDiesel, {"adopt"});
  EXPECT_EQ(usage.exit_code, kUsage);
  EXPECT_THAT(usage.err, HasSubstr("--from is required"));
  EXPECT_EQ(Run(kAllDiesel, {"adopt", "--from=liquibase"}).exit_code, kUsage);
}

TEST_F(AdoptTest, DirtyGolangMigrateHistoryIsRefused) {
  MigrateFlat("ADOPT_GOLANG");
  Sql("CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, "
      "dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (10, true)");
  ProcessResult dirty = Run("ADOPT_GOLANG", {"adopt", "--from=golang-migrate"});
  EXPECT_EQ(dirty.exit_code, kIntegrity) << dirty.err;
  EXPECT_THAT(dirty.err, AllOf(HasSubstr("public.schema_migrations is dirty at version 10"),
                               HasSubstr("migrate force")));
  EXPECT_FALSE(HistoryExists());
  // Clean, but behind the build: feat came from version 10.
  Sql("UPDATE schema_migrations SET version = 3, dirty = false");
  ProcessResult behind = Run("ADOPT_GOLANG", {"adopt", "--from=golang-migrate"});
  EXPECT_EQ(behind.exit_code, kIntegrity) << behind.err;
  EXPECT_THAT(behind.err, HasSubstr("golang-migrate 10 (feat/0001_init/up.sql)"));
  EXPECT_THAT(behind.err, Not(HasSubstr("golang-migrate 2 ")));
  // Core alone is covered (1, 2, 3 <= 3).
  ProcessResult core = Run("ADOPT_GOLANG", {"adopt", "--from=golang-migrate", "--cluster=core"});
  EXPECT_EQ(core.exit_code, kOk) << core.err;
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2"));
  Sql("UPDATE schema_migrations SET version = 10");
  ProcessResult rest = Run("ADOPT_GOLANG", {"adopt", "--from=golang-migrate"});
  EXPECT_EQ(rest.exit_code, kOk) << rest.err;
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1"));
  EXPECT_EQ(Run("ADOPT_GOLANG", {"verify"}).exit_code, kOk);
}

// Flyway's own table (as Flyway 9 creates it on PostgreSQL).
const char kFlywayTable[] =
    "CREATE TABLE flyway_schema_history (installed_rank integer NOT NULL PRIMARY KEY, "
    "version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, "
    "script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, "
    "installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, "
    "success boolean NOT NULL);";

TEST_F(AdoptTest, FlywayFailedRowIsRefusedAndVersionsCompareAsFlywayDoes) {
  MigrateFlat("ADOPT_FLYWAY");
  Sql(absl::StrCat(kFlywayTable,
                   "INSERT INTO flyway_schema_history VALUES "
                   "(1, '1.0', 'init', 'SQL', 'V1_0__init.sql', 1, 'app', now(), 5, true), "
                   "(2, '1.1', 'email', 'SQL', 'V1_1__email.sql', 2, 'app', now(), 5, true), "
                   "(3, '2.0.1', 'items', 'SQL', 'V2_0_1__items.sql', 3, 'app', now(), 5, false)"));
  ProcessResult failed = Run("ADOPT_FLYWAY", {"adopt", "--from=flyway"});
  EXPECT_EQ(failed.exit_code, kIntegrity) << failed.err;
  EXPECT_THAT(failed.err, AllOf(HasSubstr("records failed migrations: version 2.0.1 (items), "
                                          "installed_rank 3"),
                                HasSubstr("flyway repair")));
  EXPECT_FALSE(HistoryExists());
  // Repaired: "1.0" in the history is the build's "1".
  Sql("UPDATE flyway_schema_history SET success = true WHERE installed_rank = 3");
  ProcessResult ok = Run("ADOPT_FLYWAY", {"adopt", "--from=flyway"});
  EXPECT_EQ(ok.exit_code, kOk) << ok.err;
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1"));
}

TEST_F(AdoptTest, FlywayBaselineCoversOlderVersions) {
  MigrateFlat("ADOPT_FLYWAY");
  // The database was baselined at 1.1 (its earlier schema predates Flyway).
  Sql(absl::StrCat(kFlywayTable,
                   "INSERT INTO flyway_schema_history VALUES "
                   "(1, '1.1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, "
                   "'app', now(), 0, true), "
                   "(2, '2.0.1', 'items', 'SQL', 'V2_0_1__items.sql', 3, 'app', now(), 5, true)"));
  ProcessResult ok = Run("ADOPT_FLYWAY", {"adopt", "--from=flyway", "--json"});
  EXPECT_EQ(ok.exit_code, kOk) << ok.err;
  EXPECT_EQ(Json(ok)["recorded"].size(), 3u);
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "feat/1"));
}

TEST_F(AdoptTest, ConcurrentAdoptsAndMigrateRecordEachMigrationOnce) {
  MigrateFlat(kAllDiesel);
  DieselHistory(kDieselVersions);
  const std::vector<std::string> schema = Schema();
  // Hold the migration lock so all three start their locked part together.
  const std::string key = absl::StrCat(migrate::HistoryName().LockKey());
  Child holder({"psql", "-X", "-q", "-d", db_->url(), "-c",
                "SELECT pg_advisory_lock(" + key + "); SELECT pg_sleep(3);"});
  bool held = false;
  for (int i = 0; i < 100 && !held; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held = db_->ActiveQueries("pg_sleep(3)") == 1;
  }
  ASSERT_TRUE(held);
  std::vector<Child> children;
  children.emplace_back(std::vector<std::string>{Bin(kAllDiesel), "adopt", "--from=diesel"}, Env());
  children.emplace_back(std::vector<std::string>{Bin(kAllDiesel), "migrate"}, Env());
  children.emplace_back(std::vector<std::string>{Bin(kAllDiesel), "adopt", "--from=diesel"}, Env());
  std::vector<ProcessResult> results;
  for (Child& c : children) results.push_back(c.Wait());
  holder.Wait();
  // Both adopts succeed: one records, the other finds it done. migrate
  // either waited and found nothing to apply, or ran first and failed on
  // core/0001 (its tables exist) leaving no trace.
  EXPECT_EQ(results[0].exit_code, kOk) << results[0].err;
  EXPECT_EQ(results[2].exit_code, kOk) << results[2].err;
  EXPECT_THAT(results[1].exit_code, ::testing::AnyOf(kOk, kMigrationFailed)) << results[1].err;
  int adopted = 0;
  for (int i : {0, 2}) {
    EXPECT_THAT(results[i].err, HasSubstr("another migrator holds the lock; waiting")) << i;
    adopted += absl::StrContains(results[i].out, "8 migration(s) recorded");
  }
  EXPECT_EQ(adopted, 1) << results[0].out << results[2].out;
  std::vector<std::string> history = History();
  std::set<std::string> unique(history.begin(), history.end());
  EXPECT_EQ(history.size(), 8u);
  EXPECT_EQ(unique.size(), history.size()) << "a migration was recorded twice";
  EXPECT_THAT(Rows("SELECT count(*) FROM schemagate.migrations_adoptions"), ElementsAre("1"));
  EXPECT_EQ(Schema(), schema);
  EXPECT_EQ(Run(kAllDiesel, {"verify"}).exit_code, kOk);
}

TEST_F(AdoptTest, LockHeldPastTheWaitTimeoutIsExit4AndNothingIsRecorded) {
  MigrateFlat(kAllDiesel);
  DieselHistory(kDieselVersions);
  const std::string key = absl::StrCat(migrate::HistoryName().LockKey());
  Child holder({"psql", "-X", "-q", "-d", db_->url(), "-c",
                "SELECT pg_advisory_lock(" + key + "); SELECT pg_sleep(4);"});
  bool held = false;
  for (int i = 0; i < 100 && !held; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held = db_->ActiveQueries("pg_sleep(4)") == 1;
  }
  ASSERT_TRUE(held);
  ProcessResult r = Run(kAllDiesel, {"adopt", "--from=diesel", "--lock-wait-timeout=1s"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--lock-wait-timeout=1s"));
  EXPECT_FALSE(HistoryExists());
  holder.Wait();
  EXPECT_EQ(Run(kAllDiesel, {"adopt", "--from=diesel"}).exit_code, kOk);
}

TEST_F(AdoptTest, MigrationAddedAfterTheAdoptionAppliesNormally) {
  MigrateFlat(kAllDiesel);
  DieselHistory(kDieselVersions);
  // The newer build expects tasks.priority, which the old tool never made.
  ProcessResult early = Run("ADOPT_DIESEL_V2", {"adopt", "--from=diesel"});
  EXPECT_EQ(early.exit_code, kDrift) << early.err;
  EXPECT_THAT(early.err, HasSubstr("missing column: tasks.priority"));
  ASSERT_EQ(Run(kAllDiesel, {"adopt", "--from=diesel"}).exit_code, kOk);
  ProcessResult status = Run("ADOPT_DIESEL_V2", {"status", "--json"});
  nlohmann::json st = Json(status);
  EXPECT_EQ(ClusterState(st, "tasks"), "pending");
  EXPECT_EQ(ClusterState(st, "core"), "up_to_date");
  ProcessResult migrate = Run("ADOPT_DIESEL_V2", {"migrate", "--json"});
  ASSERT_EQ(migrate.exit_code, kOk) << migrate.err;
  nlohmann::json applied = Json(migrate)["applied"];
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0]["cluster"], "tasks");
  EXPECT_EQ(applied[0]["version"], 4);
  EXPECT_THAT(Rows("SELECT applied_by LIKE 'schemagate@%' FROM schemagate.migrations "
                   "WHERE cluster = 'tasks' AND version = 4"),
              ElementsAre("t"));
  EXPECT_EQ(Run("ADOPT_DIESEL_V2", {"verify"}).exit_code, kOk);
  EXPECT_TRUE(Json(Run("ADOPT_DIESEL_V2", {"status", "--json"}))["up_to_date"].get<bool>());
  // An adopted migration rolls back with its stored down.sql, and comes back.
  ASSERT_EQ(Run("ADOPT_DIESEL_V2", {"rollback", "--cluster", "mail_tasks", "--to", "0"}).exit_code,
            kOk);
  EXPECT_THAT(Rows("SELECT count(*) FROM information_schema.columns WHERE column_name = "
                   "'source_message_id'"),
              ElementsAre("0"));
  ASSERT_EQ(Run("ADOPT_DIESEL_V2", {"migrate"}).exit_code, kOk);
  EXPECT_EQ(Run("ADOPT_DIESEL_V2", {"verify"}).exit_code, kOk);
}

TEST_F(AdoptTest, MinimalDeploymentLeavesFeatureTablesUnmanagedUntilEnabled) {
  // The old tool created every feature's tables; this deployment builds core.
  MigrateFlat(kAllDiesel);
  DieselHistory(kDieselVersions);
  const std::vector<std::string> schema = Schema();
  ProcessResult minimal = Run("ADOPT_DIESEL_CORE", {"adopt", "--from=diesel", "--json"});
  ASSERT_EQ(minimal.exit_code, kOk) << minimal.err;
  nlohmann::json j = Json(minimal);
  EXPECT_THAT(j["adopted"].get<std::vector<std::string>>(), ElementsAre("core"));
  std::vector<std::string> unmanaged;
  for (const auto& u : j["unmanaged"]) {
    unmanaged.push_back(absl::StrCat(u["table"].get<std::string>(), " ",
                                     u["cluster"].get<std::string>(), " ",
                                     u["compiled"].get<bool>()));
  }
  EXPECT_THAT(unmanaged, UnorderedElementsAre("tasks tasks 0", "mail_messages mail 0"));
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2"));
  // Listed by status too; verify calls them (and tasks' column on users)
  // orphaned, not drift; migrate never touches them.
  ProcessResult status = Run("ADOPT_DIESEL_CORE", {"status"});
  EXPECT_THAT(status.out, AllOf(HasSubstr("unmanaged tables (their cluster is not enabled "
                                          "here; never touched):"),
                                HasSubstr("  tasks (cluster tasks, needs a build with tasks)"),
                                HasSubstr("  mail_messages (cluster mail, needs a build with "
                                          "mail)")));
  ProcessResult verify = Run("ADOPT_DIESEL_CORE", {"verify"});
  EXPECT_EQ(verify.exit_code, kOk) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("column users.open_tasks (cluster tasks)"));
  EXPECT_EQ(Run("ADOPT_DIESEL_CORE", {"migrate"}).exit_code, kOk);
  EXPECT_EQ(Schema(), schema);

  // A build with every feature takes over the rest, cluster by cluster.
  ProcessResult late_bridge = Run(kAllDiesel, {"adopt", "--from=diesel", "--cluster=mail_tasks"});
  EXPECT_EQ(late_bridge.exit_code, kUsage) << late_bridge.err;
  EXPECT_THAT(late_bridge.err, HasSubstr("add --cluster mail --cluster tasks"));
  ProcessResult tasks = Run(kAllDiesel, {"adopt", "--from=diesel", "--cluster=tasks"});
  ASSERT_EQ(tasks.exit_code, kOk) << tasks.err;
  EXPECT_THAT(History(), ElementsAre("core/1", "core/2", "tasks/1", "tasks/2", "tasks/3"));
  ProcessResult unknown = Run(kAllDiesel, {"adopt", "--from=diesel", "--cluster=nosuch"});
  EXPECT_EQ(unknown.exit_code, kUsage);
  EXPECT_THAT(unknown.err, HasSubstr("cluster \"nosuch\" is not enabled in this build"));
  ProcessResult narrowed =
      Run(kAllDiesel, {"adopt", "--from=diesel", "--cluster=mail", "--features=tasks"});
  EXPECT_EQ(narrowed.exit_code, kUsage);
  EXPECT_THAT(narrowed.err, HasSubstr("compiled in; see --features"));
  ProcessResult rest = Run(kAllDiesel, {"adopt", "--from=diesel"});
  ASSERT_EQ(rest.exit_code, kOk) << rest.err;
  EXPECT_EQ(History().size(), 8u);
  EXPECT_THAT(Rows("SELECT count(*) FROM schemagate.migrations_adoptions"), ElementsAre("3"));
  EXPECT_EQ(Run(kAllDiesel, {"verify"}).exit_code, kOk);
  EXPECT_TRUE(Json(Run(kAllDiesel, {"status", "--json"}))["up_to_date"].get<bool>());
  EXPECT_EQ(Schema(), schema);
}

TEST_F(AdoptTest, PartiallyInstalledClusterIsRefused) {
  MigrateFlat(kAllDiesel);
  DieselHistory(kDieselVersions);
  ASSERT_EQ(Run(kAllDiesel, {"adopt", "--from=diesel"}).exit_code, kOk);
  // Someone removed part of tasks' history (as a botched rollback would).
  Sql("DELETE FROM schemagate.migrations WHERE cluster = 'tasks' AND version = 3");
  ProcessResult r = Run(kAllDiesel, {"adopt", "--from=diesel", "--cluster=tasks"});
  EXPECT_EQ(r.exit_code, kIntegrity) << r.err;
  EXPECT_THAT(r.err, HasSubstr("schemagate already installed part of tasks (2 of 3 "
                               "migrations recorded)"));
  EXPECT_EQ(History().size(), 7u);
}

TEST_F(AdoptTest, HelpListsTheFlagsAndExitCodes) {
  ProcessResult r = RunProcess({Bin(kAllDiesel), "adopt", "--help"});
  EXPECT_EQ(r.exit_code, kOk);
  EXPECT_THAT(r.out, AllOf(HasSubstr("--from"), HasSubstr("--cluster"), HasSubstr("--dry-run"),
                           HasSubstr("--source-history-table"), HasSubstr("--json"),
                           HasSubstr("--lock-wait-timeout"), HasSubstr("--database-url"),
                           HasSubstr("7  drift (verify, adopt")));
}

}  // namespace
}  // namespace schemagate
