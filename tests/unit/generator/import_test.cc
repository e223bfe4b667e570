// schemagate-gen import without a database: flat histories read and ordered
// as each tool orders them, map patterns, and how statements are assigned
// to clusters, split, and refused (file:line).
#include "server/generator/import/import.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/generator/import/flat_history.h"
#include "server/generator/import/import_map.h"

namespace schemagate::generator::import {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<std::string> Versions(const std::vector<FlatMigration>& list) {
  std::vector<std::string> out;
  for (const FlatMigration& m : list) out.push_back(m.version);
  return out;
}

std::string Errors(const Diagnostics& d) { return std::string(d.ToStatus().message()); }

// --- ordering ------------------------------------------------------------------

TEST(FlatHistoryTest, DieselOrdersVersionStringsOfBothFolderStyles) {
  FlatFiles files = {
      {"2017-09-23-182408_b/up.sql", "SELECT 2;"},
      {"2017-09-23-182408_b/down.sql", "SELECT -2;"},
      {"20140924113530_a/up.sql", "SELECT 1;"},
      {"00000000000000_diesel_initial_setup/up.sql", "SELECT 0;"},
  };
  Diagnostics d;
  std::vector<FlatMigration> m = OrderFlat(FlatFormat::kDiesel, "mig", files, &d);
  EXPECT_TRUE(d.empty()) << Errors(d);
  EXPECT_THAT(Versions(m), ElementsAre("00000000000000", "20140924113530", "20170923182408"));
  EXPECT_EQ(m[2].name, "b");
  EXPECT_EQ(m[2].up_path, "mig/2017-09-23-182408_b/up.sql");
  EXPECT_TRUE(m[2].has_down);
  EXPECT_FALSE(m[1].has_down);
}

TEST(FlatHistoryTest, DieselComparesVersionsAsStringsNotNumbers) {
  // MigrationVersion is a string: "10" sorts before "9".
  FlatFiles files = {{"9_nine/up.sql", "SELECT 9;"}, {"10_ten/up.sql", "SELECT 10;"}};
  Diagnostics d;
  EXPECT_THAT(Versions(OrderFlat(FlatFormat::kDiesel, "m", files, &d)), ElementsAre("10", "9"));
}

TEST(FlatHistoryTest, DieselMetadataTomlAsDiesel2ReadsIt) {
  FlatFiles files = {
      {"1_off/up.sql", "SELECT 1;"},    {"1_off/metadata.toml", "run_in_transaction = false\n"},
      {"2_on/up.sql", "SELECT 1;"},     {"2_on/metadata.toml", "run_in_transaction = true # yes\n"},
      {"3_absent/up.sql", "SELECT 1;"}, {"3_absent/metadata.toml", "other = 1\n"},
      {"4_nofile/up.sql", "SELECT 1;"},
  };
  Diagnostics d;
  std::vector<FlatMigration> m = OrderFlat(FlatFormat::kDiesel, "m", files, &d);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_FALSE(m[0].run_in_transaction);
  EXPECT_TRUE(m[1].run_in_transaction);
  EXPECT_FALSE(m[2].run_in_transaction);  // serde's default for a missing bool
  EXPECT_TRUE(m[3].run_in_transaction);
}

TEST(FlatHistoryTest, DieselDuplicateVersionsAndFoldersWithoutUpAreErrors) {
  FlatFiles files = {{"2017-01-01-000000_a/up.sql", "SELECT 1;"},
                     {"20170101000000_b/up.sql", "SELECT 2;"},
                     {"20180101000000_c/down.sql", "SELECT 3;"}};
  Diagnostics d;
  OrderFlat(FlatFormat::kDiesel, "m", files, &d);
  EXPECT_THAT(Errors(d), HasSubstr("m/20170101000000_b: error: version 20170101000000 is also the "
                                   "version of m/2017-01-01-000000_a"));
  EXPECT_THAT(Errors(d), HasSubstr("m/20180101000000_c: error: not a Diesel migration: the folder "
                                   "has no up.sql"));
}

TEST(FlatHistoryTest, GolangMigrateOrdersNumbers) {
  FlatFiles files = {
      {"10_c.up.sql", "SELECT 10;"},    {"2_b.up.sql", "SELECT 2;"},
      {"2_b.down.sql", "SELECT -2;"},   {"001_a.up.sql", "SELECT 1;"},
      {"README.md", "not a migration"},
  };
  Diagnostics d;
  std::vector<FlatMigration> m = OrderFlat(FlatFormat::kGolangMigrate, "m", files, &d);
  EXPECT_TRUE(d.empty()) << Errors(d);
  EXPECT_THAT(Versions(m), ElementsAre("1", "2", "10"));
  EXPECT_TRUE(m[1].has_down);
  EXPECT_EQ(m[1].down_path, "m/2_b.down.sql");
}

TEST(FlatHistoryTest, GolangMigrateProblems) {
  FlatFiles files = {{"1_a.up.sql", "SELECT 1;"},
                     {"01_b.up.sql", "SELECT 1;"},
                     {"3_c.down.sql", "SELECT 1;"},
                     {"4_d.up.json", "{}"}};
  Diagnostics d;
  OrderFlat(FlatFormat::kGolangMigrate, "m", files, &d);
  EXPECT_THAT(Errors(d), HasSubstr("duplicate migration file: version 1 up"));
  EXPECT_THAT(Errors(d), HasSubstr("m/3_c.down.sql: error: down migration of version 3 has no up"));
  EXPECT_THAT(Errors(d), HasSubstr("m/4_d.up.json: error: not an SQL migration (.json)"));
}

TEST(FlatHistoryTest, FlywayComparesDottedVersionsAndRunsRepeatablesLast) {
  FlatFiles files = {
      {"V10__ten.sql", "SELECT 10;"},        {"sub/V2__two.sql", "SELECT 2;"},
      {"V1_1__one_one.sql", "SELECT 1.1;"},  {"V1.2__one_two.sql", "SELECT 1.2;"},
      {"V1__one.sql", "SELECT 1;"},          {"R__views.sql", "SELECT 0;"},
      {"U1_1__one_one.sql", "SELECT -1.1;"},
  };
  Diagnostics d;
  std::vector<FlatMigration> m = OrderFlat(FlatFormat::kFlyway, "m", files, &d);
  EXPECT_TRUE(d.empty()) << Errors(d);
  EXPECT_THAT(Versions(m), ElementsAre("1", "1.1", "1.2", "2", "10", ""));
  EXPECT_EQ(m[1].name, "one one");
  EXPECT_TRUE(m[1].has_down);
  EXPECT_TRUE(m[5].repeatable);
  EXPECT_EQ(CompareFlywayVersions("1", "1.0"), 0);
  EXPECT_LT(CompareFlywayVersions("1.9", "1.10"), 0);
  EXPECT_GT(CompareFlywayVersions("2", "1.99"), 0);
}

TEST(FlatHistoryTest, FlywayVersionsEqualByValueAreDuplicates) {
  FlatFiles files = {
      {"V1__a.sql", "SELECT 1;"}, {"V1_0__b.sql", "SELECT 1;"}, {"Vx__bad.sql", "SELECT 1;"}};
  Diagnostics d;
  OrderFlat(FlatFormat::kFlyway, "m", files, &d);
  EXPECT_THAT(Errors(d), HasSubstr("found more than one migration with version"));
  EXPECT_THAT(Errors(d), HasSubstr("m/Vx__bad.sql: error: invalid Flyway version \"x\""));
}

TEST(FlatHistoryTest, PsqlMetaCommandsOfSqlFilesBecomeCommentsWithAWarning) {
  FlatFiles files = {
      {"0001_base.sql", "\\restrict abc\nCREATE TABLE t (a int);\n\\unrestrict abc\n"}};
  Diagnostics d;
  std::vector<FlatMigration> m = OrderFlat(FlatFormat::kSql, "m", files, &d);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].up_sql,
            "-- (psql meta-command left out)\nCREATE TABLE t (a int);\n"
            "-- (psql meta-command left out)\n");
  EXPECT_THAT(d.WarningText(), HasSubstr("m/0001_base.sql:1: warning: psql meta-command left out: "
                                         "\\restrict"));
}

TEST(FlatHistoryTest, NumberedSqlFiles) {
  FlatFiles files = {{"0010_c.up.sql", "SELECT 10;"},
                     {"2-b.sql", "SELECT 2;"},
                     {"0001_a.sql", "SELECT 1;"},
                     {"0001_a.down.sql", "SELECT -1;"},
                     {"notes.sql", "SELECT 0;"}};
  Diagnostics d;
  std::vector<FlatMigration> m = OrderFlat(FlatFormat::kSql, "m", files, &d);
  EXPECT_TRUE(d.empty()) << Errors(d);
  EXPECT_THAT(Versions(m), ElementsAre("1", "2", "10"));
  EXPECT_TRUE(m[0].has_down);
}

// --- the map -------------------------------------------------------------------

TEST(ImportMapTest, GlobsMatchWithinOneNamePart) {
  EXPECT_TRUE(GlobMatch("email_*", "email_messages"));
  EXPECT_FALSE(GlobMatch("email_*", "emails"));
  EXPECT_TRUE(GlobMatch("task?", "tasks"));
  EXPECT_FALSE(GlobMatch("task?", "task"));
  EXPECT_TRUE(GlobMatch("crm.*", "crm.contacts"));
  EXPECT_FALSE(GlobMatch("*", "crm.contacts"));
  EXPECT_TRUE(GlobMatch("*_log*", "task_logbook"));
}

TEST(ImportMapTest, TheMostSpecificPatternWins) {
  Diagnostics d;
  auto map = ImportMapIndex::Load("map", R"(
default_cluster: "core"
cluster { name: "tasks" tables: ["task*", "projects"] }
cluster { name: "links" tables: "task_emails" requires_features: ["tasks", "mail"] }
cluster { name: "mail" tables: "*mail*" }
)",
                                  &d);
  ASSERT_TRUE(map.has_value()) << Errors(d);
  EXPECT_EQ(map->Match("tasks").cluster, "tasks");
  EXPECT_EQ(map->Match("task_emails").cluster, "links");  // exact beats globs
  EXPECT_EQ(map->Match("mailboxes").cluster, "mail");
  EXPECT_EQ(map->Match("users").cluster, "");
  // A tie between two clusters is an error and claims nothing.
  Diagnostics tie;
  EXPECT_EQ(map->Match("taskmail", &tie).cluster, "");
  EXPECT_THAT(Errors(tie), HasSubstr("\"taskmail\" is claimed equally by pattern"));
}

TEST(ImportMapTest, ProblemsNameTheLine) {
  Diagnostics d;
  auto map = ImportMapIndex::Load("map.textproto", R"(default_cluster: "shared"
cluster { name: "Tasks" }
cluster { name: "mail" depends_on: "crm" tables: "" }
cluster { name: "x" requires_features: "x" }
cluster { name: "mail" }
)",
                                  &d);
  EXPECT_FALSE(map.has_value());
  std::string e = Errors(d);
  EXPECT_THAT(e, HasSubstr("map.textproto:2: error: cluster name \"Tasks\" must match"));
  EXPECT_THAT(e, HasSubstr("map.textproto:3: error: cluster \"mail\": depends_on names \"crm\""));
  EXPECT_THAT(e, HasSubstr("map.textproto:3: error: cluster \"mail\" has an empty table pattern"));
  EXPECT_THAT(e, HasSubstr("error: cluster \"mail\" is listed twice"));
  EXPECT_THAT(e, HasSubstr("map.textproto:1: error: default_cluster \"shared\" is not a cluster"));
  EXPECT_THAT(e, HasSubstr("cluster \"x\": requires_features names bridge \"x\""));
}

TEST(ImportMapTest, SyntaxErrorsNameLineAndColumn) {
  Diagnostics d;
  EXPECT_FALSE(ImportMapIndex::Load("map", "cluster { nam: \"x\" }\n", &d).has_value());
  EXPECT_THAT(Errors(d), HasSubstr("map:1:14: error: import map does not parse: Message type "
                                   "\"schemagate.v1.ImportCluster\" has no field named \"nam\""));
}

// --- assignment ----------------------------------------------------------------

struct Outcome {
  ImportResult result;
  Diagnostics diagnostics;
  const std::string& File(const std::string& path) const {
    static const std::string kMissing = "<missing>";
    auto it = result.tree.files.find(path);
    return it == result.tree.files.end() ? kMissing : it->second;
  }
  std::vector<std::string> Dirs() const {
    std::vector<std::string> out;
    for (const std::string& d : result.tree.dirs) {
      if (d.find('/') != std::string::npos) out.push_back(d);
    }
    return out;
  }
};

constexpr char kMap[] = R"(
default_cluster: "core"
cluster { name: "tasks" tables: ["projects", "task*"] }
cluster { name: "mail" tables: "email*" }
)";

Outcome RunImport(FlatFiles files, const std::string& map = kMap,
                  FlatFormat format = FlatFormat::kDiesel) {
  Outcome r;
  r.result = Import({format, "flat", std::move(files), "map", map}, &r.diagnostics);
  return r;
}

TEST(ImportTest, AMigrationTouchingTwoClustersIsSplitInStatementOrder) {
  Outcome r = RunImport({
      {"20200101000000_init/up.sql",
       "CREATE TABLE users (id bigint PRIMARY KEY);\n"
       "CREATE TABLE tasks (id bigint PRIMARY KEY, owner_id bigint REFERENCES users);\n"
       "CREATE INDEX users_id_idx ON users (id);\n"},
      {"20200101000000_init/down.sql", "DROP TABLE tasks;\nDROP TABLE users;\n"},
  });
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  EXPECT_THAT(r.Dirs(), ElementsAre("core/20200101000000_init", "tasks/20200101000000_init"));
  const std::string& core = r.File("core/20200101000000_init/up.sql");
  EXPECT_THAT(core, HasSubstr("-- schemagate:imported-from diesel 20200101000000\n"));
  EXPECT_THAT(core, HasSubstr("CREATE TABLE users"));
  EXPECT_THAT(core, HasSubstr("CREATE INDEX users_id_idx"));
  EXPECT_THAT(core, Not(HasSubstr("CREATE TABLE tasks")));
  EXPECT_THAT(r.File("tasks/20200101000000_init/down.sql"), HasSubstr("DROP TABLE tasks;"));
  EXPECT_THAT(r.File("tasks/20200101000000_init/down.sql"), Not(HasSubstr("users")));
  EXPECT_THAT(r.File("core/20200101000000_init/down.sql"), HasSubstr("DROP TABLE users;"));
  EXPECT_THAT(r.File("tasks/cluster.textproto"), HasSubstr("depends_on: \"core\""));
}

TEST(ImportTest, AColumnAFeatureAddsToACoreTableGoesWithTheFeature) {
  Outcome r = RunImport({
      {"1_users/up.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n"},
      {"1_users/down.sql", "DROP TABLE users;\n"},
      {"2_tasks/up.sql",
       "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"
       "ALTER TABLE users ADD COLUMN task_id bigint REFERENCES tasks (id);\n"},
      {"2_tasks/down.sql", "ALTER TABLE users DROP COLUMN task_id;\nDROP TABLE tasks;\n"},
      {"3_index/up.sql", "CREATE INDEX users_task_idx ON users (task_id);\n"},
      {"3_index/down.sql", "DROP INDEX users_task_idx;\n"},
  });
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  EXPECT_THAT(r.File("tasks/0002_tasks/up.sql"), HasSubstr("ALTER TABLE users ADD COLUMN task_id"));
  // The index names a column only tasks adds: it is tasks' too, and so is
  // the down statement that drops the column.
  EXPECT_THAT(r.File("tasks/0003_index/up.sql"), HasSubstr("CREATE INDEX users_task_idx"));
  EXPECT_THAT(r.File("tasks/0002_tasks/down.sql"), HasSubstr("DROP COLUMN task_id"));
  EXPECT_EQ(r.File("core/0003_index/up.sql"), "<missing>");
  ASSERT_FALSE(r.result.report.guesses.empty());
  EXPECT_THAT(r.result.report.guesses[0].reason, HasSubstr("moved to the dependent cluster"));
}

// mail adds a column to a tasks table before any mail table names tasks;
// a later mail table does. Taken in flat order alone, the column would go
// to tasks (tasks -> mail) and the later table would close a cycle: the
// dependencies the whole history needs decide it for mail.
TEST(ImportTest, ALinkBeforeEitherDependsGoesToTheClusterThatWillDependOnTheOther) {
  Outcome r = RunImport({
      {"1_tasks/up.sql", "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"},
      {"1_tasks/down.sql", "DROP TABLE tasks;\n"},
      {"2_mail/up.sql", "CREATE TABLE emails (id bigint PRIMARY KEY);\n"},
      {"2_mail/down.sql", "DROP TABLE emails;\n"},
      {"3_link/up.sql", "ALTER TABLE tasks ADD COLUMN email_id bigint REFERENCES emails (id);\n"},
      {"3_link/down.sql", "ALTER TABLE tasks DROP COLUMN email_id;\n"},
      {"4_mail/up.sql",
       "CREATE TABLE email_tasks (email_id bigint REFERENCES emails, task_id bigint REFERENCES "
       "tasks);\n"},
      {"4_mail/down.sql", "DROP TABLE email_tasks;\n"},
  });
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  EXPECT_THAT(r.File("mail/0003_link/up.sql"), HasSubstr("ALTER TABLE tasks ADD COLUMN email_id"));
  EXPECT_EQ(r.File("tasks/0003_link/up.sql"), "<missing>");
  EXPECT_THAT(r.File("mail/cluster.textproto"), HasSubstr("depends_on: \"tasks\""));
  EXPECT_THAT(r.File("tasks/cluster.textproto"), Not(HasSubstr("depends_on: \"mail\"")));
  bool explained = false;
  for (const auto& g : r.result.report.guesses) {
    explained = explained || (g.cluster == "mail" &&
                              g.reason.find("\"mail\" creates a table naming \"tasks\" at "
                                            "flat/4_mail/up.sql:1") != std::string::npos);
  }
  EXPECT_TRUE(explained);
}

TEST(ImportTest, ATableRenamedLaterIsClaimedByItsLastName) {
  Outcome r = RunImport({
      {"1_a/up.sql", "CREATE TABLE inbox (id bigint PRIMARY KEY);\n"},
      {"1_a/down.sql", "DROP TABLE inbox;\n"},
      {"2_b/up.sql", "ALTER TABLE inbox RENAME TO email_inbox;\n"},
      {"2_b/down.sql", "ALTER TABLE email_inbox RENAME TO inbox;\n"},
  });
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  EXPECT_THAT(r.Dirs(), ElementsAre("mail/0001_a", "mail/0002_b"));
}

TEST(ImportTest, ACoreTablePointingAtAFeatureIsAnErrorWithWhatToDo) {
  Outcome r = RunImport({
      {"1_tasks/up.sql", "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"},
      {"1_tasks/down.sql", "DROP TABLE tasks;\n"},
      {"2_users/up.sql",
       "CREATE TABLE users (\n  id bigint PRIMARY KEY,\n"
       "  last_task bigint REFERENCES tasks (id)\n);\n"},
      {"2_users/down.sql", "DROP TABLE users;\n"},
  });
  EXPECT_THAT(Errors(r.diagnostics),
              HasSubstr("flat/2_users/up.sql:1: error: CREATE TABLE belongs to cluster \"core\" "
                        "(creates table users) but names table tasks of cluster \"tasks\": core "
                        "is always on and cannot depend on feature \"tasks\""));
  EXPECT_TRUE(r.result.tree.files.empty());
}

TEST(ImportTest, ADependencyCycleNamesBothKeysAndSuggestsAMergeOrABridge) {
  Outcome r = RunImport({
      {"1_a/up.sql", "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"},
      {"1_a/down.sql", "DROP TABLE tasks;\n"},
      {"2_b/up.sql",
       "CREATE TABLE emails (id bigint PRIMARY KEY, task_id bigint REFERENCES tasks);\n"},
      {"2_b/down.sql", "DROP TABLE emails;\n"},
      {"3_c/up.sql", "CREATE TABLE task_notes (id bigint, email_id bigint REFERENCES emails);\n"},
      {"3_c/down.sql", "DROP TABLE task_notes;\n"},
  });
  std::string e = Errors(r.diagnostics);
  EXPECT_THAT(e, HasSubstr("flat/3_c/up.sql:1: error: CREATE TABLE belongs to cluster \"tasks\""));
  EXPECT_THAT(e, HasSubstr("\"mail\" already depends on \"tasks\" (mail -> tasks: "
                           "flat/2_b/up.sql:1: CREATE TABLE names table tasks)"));
  EXPECT_THAT(e, HasSubstr("merge \"tasks\" and \"mail\", or put the tables that link them in a "
                           "bridge cluster"));
}

TEST(ImportTest, ExplicitDependsOnIsObeyed) {
  Outcome r = RunImport({{"1_a/up.sql", "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"},
                         {"1_a/down.sql", "DROP TABLE tasks;\n"},
                         {"2_b/up.sql", "CREATE TABLE emails (task_id bigint REFERENCES tasks);\n"},
                         {"2_b/down.sql", "DROP TABLE emails;\n"}},
                        R"(default_cluster: "core"
cluster { name: "tasks" tables: "tasks" }
cluster { name: "mail" tables: "emails" depends_on: "core" }
)");
  EXPECT_THAT(Errors(r.diagnostics),
              HasSubstr("cluster \"mail\" lists its depends_on in map:3 without \"tasks\""));
}

TEST(ImportTest, AnUnclaimedTableWithoutADefaultClusterIsAnError) {
  Outcome r = RunImport(
      {{"1_a/up.sql", "CREATE TABLE users (id int);\n"}, {"1_a/down.sql", "DROP TABLE users;\n"}},
      "cluster { name: \"tasks\" tables: \"tasks\" }\n");
  EXPECT_THAT(Errors(r.diagnostics),
              HasSubstr("flat/1_a/up.sql:1: error: table \"users\" is claimed by no pattern of map "
                        "and the map has no default_cluster"));
}

TEST(ImportTest, TransactionControlIsLeftOutAndSettingsFollowEachPart) {
  Outcome r = RunImport({{"1_a.up.sql",
                          "BEGIN;\nSET search_path = public;\n"
                          "CREATE TABLE users (id int);\nCREATE TABLE tasks (id int);\nCOMMIT;\n"},
                         {"1_a.down.sql", "DROP TABLE tasks; DROP TABLE users;\n"}},
                        kMap, FlatFormat::kGolangMigrate);
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  for (std::string path : {"core/0001_a/up.sql", "tasks/0001_a/up.sql"}) {
    EXPECT_THAT(r.File(path), HasSubstr("SET search_path = public;")) << path;
    EXPECT_THAT(r.File(path), Not(HasSubstr("BEGIN"))) << path;
    EXPECT_THAT(r.File(path), Not(HasSubstr("COMMIT"))) << path;
  }
}

TEST(ImportTest, NoTransactionMigrationsStayNoTransaction) {
  Outcome r = RunImport({
      {"1_init/up.sql", "CREATE TABLE users (id int);\nCREATE TABLE tasks (id int);\n"},
      {"1_init/down.sql", "DROP TABLE tasks;\nDROP TABLE users;\n"},
      {"2_ix/up.sql",
       "CREATE INDEX CONCURRENTLY users_ix ON users (id);\n"
       "CREATE INDEX CONCURRENTLY tasks_ix ON tasks (id);\n"},
      {"2_ix/down.sql", "DROP INDEX CONCURRENTLY tasks_ix;\nDROP INDEX CONCURRENTLY users_ix;\n"},
      {"2_ix/metadata.toml", "run_in_transaction = false\n"},
  });
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  EXPECT_THAT(r.File("core/0002_ix/up.sql"), HasSubstr("-- schemagate:no-transaction\n"));
  EXPECT_THAT(r.File("tasks/0002_ix/up.sql"), HasSubstr("-- schemagate:no-transaction\n"));
  EXPECT_THAT(r.File("tasks/0002_ix/down.sql"), HasSubstr("DROP INDEX CONCURRENTLY tasks_ix;"));
  EXPECT_THAT(r.File("core/0001_init/up.sql"), Not(HasSubstr("no-transaction")));
}

TEST(ImportTest, BrokenOrMissingDownFilesMakeTheMigrationIrreversible) {
  Outcome r = RunImport({
      {"1_a/up.sql", "CREATE TABLE users (id int);\n"},
      {"1_a/down.sql", "DROP TABEL users;\n"},
      {"2_b/up.sql", "ALTER TABLE users ADD COLUMN x int;\n"},
  });
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  EXPECT_THAT(r.diagnostics.WarningText(),
              HasSubstr("flat/1_a/down.sql:1:6: warning: down file does not parse: syntax error "
                        "at or near \"TABEL\"; the imported migration is marked irreversible"));
  const std::string& down = r.File("core/0001_a/down.sql");
  EXPECT_THAT(down,
              HasSubstr("-- schemagate:irreversible its down file 1_a/down.sql does not parse"));
  EXPECT_THAT(down, HasSubstr("-- DROP TABEL users;"));  // kept, as a comment
  EXPECT_THAT(r.File("core/0002_b/down.sql"),
              HasSubstr("-- schemagate:irreversible the diesel migration"));
}

TEST(ImportTest, ADoBlockGoesToTheTablesItNamesAndIsListedAsAGuess) {
  Outcome r = RunImport({
      {"1_a/up.sql", "CREATE TABLE tasks (id int, done bool);\n"},
      {"1_a/down.sql", "DROP TABLE tasks;\n"},
      {"2_b/up.sql",
       "DO $$ BEGIN\n  EXECUTE 'UPDATE tasks SET done = false WHERE done IS NULL';\nEND $$;\n"},
      {"2_b/down.sql", "SELECT 1;\n"},
  });
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  EXPECT_NE(r.File("tasks/0002_b/up.sql"), "<missing>");
  ASSERT_EQ(r.result.report.guesses.size(), 1u);
  EXPECT_EQ(r.result.report.guesses[0].at, "flat/2_b/up.sql:1");
  EXPECT_THAT(r.result.report.guesses[0].reason, HasSubstr("body names tasks"));
}

TEST(ImportTest, ALinkBetweenTwoFeaturesGoesToTheirBridge) {
  Outcome r = RunImport(
      {
          {"1_a/up.sql",
           "CREATE TABLE tasks (id int PRIMARY KEY);\nCREATE TABLE emails (id int PRIMARY KEY);\n"},
          {"1_a/down.sql", "DROP TABLE emails;\nDROP TABLE tasks;\n"},
          {"2_b/up.sql", "ALTER TABLE tasks ADD COLUMN email_id int REFERENCES emails;\n"},
          {"2_b/down.sql", "ALTER TABLE tasks DROP COLUMN email_id;\n"},
      },
      R"(default_cluster: "core"
cluster { name: "tasks" tables: "tasks" }
cluster { name: "mail" tables: "emails" }
cluster { name: "tasks_mail" requires_features: ["tasks", "mail"] }
)");
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  EXPECT_NE(r.File("tasks_mail/0002_b/up.sql"), "<missing>");
  EXPECT_THAT(r.File("tasks_mail/0002_b/down.sql"), HasSubstr("DROP COLUMN email_id"));
  EXPECT_THAT(r.File("tasks/cluster.textproto"), Not(HasSubstr("\"mail\"")));
}

TEST(ImportTest, TheGeneratedTreeIsCheckedByTheGenerator) {
  // tasks' key on users(name) was written before core renamed the column;
  // in the tree every core migration runs first, so the key cannot be made.
  Outcome r = RunImport({
      {"1_a/up.sql", "CREATE TABLE users (id int PRIMARY KEY, name text UNIQUE);\n"},
      {"1_a/down.sql", "DROP TABLE users;\n"},
      {"2_b/up.sql", "CREATE TABLE tasks (id int, owner_name text REFERENCES users (name));\n"},
      {"2_b/down.sql", "DROP TABLE tasks;\n"},
      {"3_c/up.sql", "ALTER TABLE users RENAME COLUMN name TO login;\n"},
      {"3_c/down.sql", "ALTER TABLE users RENAME COLUMN login TO name;\n"},
  });
  EXPECT_THAT(
      r.diagnostics.WarningText(),
      HasSubstr("flat/2_b/up.sql:1: warning: this statement of \"tasks\" names table users, "
                "which flat/3_c/up.sql:1 (\"core\") renames its column name to login later"));
  EXPECT_THAT(Errors(r.diagnostics), HasSubstr("(in the generated tree)"));
  EXPECT_TRUE(r.result.tree.files.empty());
}

TEST(ImportTest, PartsOfOneMigrationInUnrelatedClustersKeepTheirFlatOrder) {
  Outcome r = RunImport({
      {"1_a/up.sql", "CREATE TABLE emails (id int);\nCREATE TABLE tasks (id int);\n"},
      {"1_a/down.sql", "DROP TABLE tasks;\nDROP TABLE emails;\n"},
  });
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  // mail's part came first in the file; tasks' part runs after it when both
  // are built (and alone when only tasks is).
  EXPECT_THAT(r.File("tasks/0001_a/up.sql"), HasSubstr("-- schemagate:requires mail/0001\n"));
  EXPECT_THAT(r.File("mail/0001_a/up.sql"), Not(HasSubstr("requires")));
}

TEST(ImportTest, VersionsAreKeptWhenTheyAreGrowingNumbers) {
  Outcome numbered = RunImport({{"20200101000000_a/up.sql", "CREATE TABLE users (id int);\n"},
                                {"20200101000000_a/down.sql", "DROP TABLE users;\n"}});
  EXPECT_THAT(numbered.Dirs(), ElementsAre("core/20200101000000_a"));
  Outcome dotted = RunImport({{"V1_1__a.sql", "CREATE TABLE users (id int);\n"},
                              {"V2__b.sql", "CREATE TABLE tasks (id int);\n"}},
                             kMap, FlatFormat::kFlyway);
  EXPECT_THAT(dotted.Dirs(), ElementsAre("core/0001_a", "tasks/0002_b"));
  EXPECT_THAT(dotted.File("core/0001_a/up.sql"), HasSubstr("imported-from flyway 1.1\n"));
}

TEST(ImportTest, ReportJsonListsClustersMigrationsAndProblems) {
  Outcome r = RunImport(
      {{"1_a/up.sql",
        "CREATE TABLE users (id int PRIMARY KEY);\nCREATE TABLE tasks (u int REFERENCES users);\n"},
       {"1_a/down.sql", "DROP TABLE tasks; DROP TABLE users;\n"}});
  ASSERT_TRUE(r.diagnostics.empty()) << Errors(r.diagnostics);
  std::string json = ReportJson(r.result.report, r.diagnostics);
  EXPECT_THAT(json, HasSubstr("\"ok\": true"));
  EXPECT_THAT(json, HasSubstr("\"path\": \"tasks/0001_a\""));
  EXPECT_THAT(json, HasSubstr("\"tables\": [\n        \"users\""));
  std::string text = ReportText(r.result.report, r.diagnostics);
  EXPECT_THAT(text, HasSubstr("cluster tasks: 1 tables, 1 migrations"));
}

}  // namespace
}  // namespace schemagate::generator::import
