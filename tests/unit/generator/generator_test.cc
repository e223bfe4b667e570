// The catalog the generator derives from SQL, per feature set.
#include "server/generator/generator.h"

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/catalog/catalog.h"
#include "server/catalog/checksum.h"
#include "tests/unit/generator/tree_builder.h"

namespace schemagate::generator {
namespace {

using test::MakeTree;
using test::Manifest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::map<std::string, std::string> Tree() {
  return {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql",
       "CREATE TABLE organizations (id bigserial PRIMARY KEY, name text NOT NULL);\n"
       "CREATE TABLE users (\n"
       "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
       "  org_id bigint NOT NULL REFERENCES organizations ON DELETE CASCADE,\n"
       "  email varchar(320) NOT NULL UNIQUE,\n"
       "  score numeric(10, 2),\n"
       "  seen timestamptz,\n"
       "  tags text[] DEFAULT '{}'\n"
       ");\n"
       "CREATE INDEX ON users (lower(email));\n"},
      {"core/0001_init/down.sql", "DROP TABLE users;\nDROP TABLE organizations;\n"},
      {"core/0002_nick/up.sql", "ALTER TABLE users ADD COLUMN nick text;\n"},
      {"core/0002_nick/down.sql", "ALTER TABLE users DROP COLUMN nick;\n"},
      {"tasks/cluster.textproto", Manifest("tasks", {"core"})},
      {"tasks/0001_init/up.sql",
       "-- schemagate:requires core/2\n"
       "CREATE TABLE tasks (\n"
       "  id bigint PRIMARY KEY,\n"
       "  parent_id bigint REFERENCES tasks (id),\n"
       "  assignee_id bigint REFERENCES users (id),\n"
       "  reporter_id bigint REFERENCES users (id)\n"
       ");\n"},
      {"tasks/0001_init/down.sql", "DROP TABLE tasks;\n"},
      {"tasks/0002_ix/up.sql",
       "-- schemagate:no-transaction\n"
       "CREATE INDEX CONCURRENTLY tasks_assignee_ix ON tasks (assignee_id);\n"},
      {"tasks/0002_ix/down.sql", "DROP INDEX CONCURRENTLY tasks_assignee_ix;\n"},
      {"calendar/cluster.textproto", Manifest("calendar", {"core"})},
      {"calendar/0001_init/up.sql",
       "CREATE TABLE calendar_events (id bigint PRIMARY KEY, day date NOT NULL);\n"},
      {"calendar/0001_init/down.sql", "DROP TABLE calendar_events;\n"},
      {"tasks_calendar/cluster.textproto",
       Manifest("tasks_calendar", {"core", "tasks", "calendar"}, {"tasks", "calendar"})},
      {"tasks_calendar/0001_link/up.sql",
       "ALTER TABLE tasks ADD COLUMN event_id bigint\n"
       "  REFERENCES calendar_events (id) ON DELETE SET NULL;\n"
       "CREATE TABLE task_event_notes (task_id bigint, event_id bigint,\n"
       "  PRIMARY KEY (task_id, event_id),\n"
       "  FOREIGN KEY (task_id) REFERENCES tasks);\n"},
      {"tasks_calendar/0001_link/down.sql",
       "DROP TABLE task_event_notes;\nALTER TABLE tasks DROP COLUMN event_id;\n"},
  };
}

v1::BuildCatalog Build(const std::vector<std::string>& features) {
  Diagnostics diagnostics;
  SourceTree tree = ParseTree("m", MakeTree(Tree()), &diagnostics);
  absl::StatusOr<v1::BuildCatalog> c = Generate(tree, features, &diagnostics);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : v1::BuildCatalog();
}

const v1::Table* FindTable(const v1::BuildCatalog& c, const std::string& name) {
  for (const v1::Table& t : c.tables()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> ColumnNames(const v1::Table& t) {
  std::vector<std::string> out;
  for (const v1::Column& c : t.columns()) out.push_back(c.name());
  return out;
}

std::vector<std::string> ClusterNames(const v1::BuildCatalog& c) {
  std::vector<std::string> out;
  for (const v1::Cluster& cl : c.clusters()) out.push_back(cl.name());
  return out;
}

TEST(GeneratorTest, MinimalBuildHasOnlyCore) {
  v1::BuildCatalog c = Build({"core"});
  EXPECT_THAT(ClusterNames(c), ElementsAre("core"));
  EXPECT_THAT(c.features(), ElementsAre("core"));
  ASSERT_EQ(c.tables_size(), 2);
  EXPECT_EQ(FindTable(c, "tasks"), nullptr);
  EXPECT_EQ(c.apply_order_size(), 2);
  // Absent clusters are known only by hashes and hex.
  EXPECT_EQ(c.absent_clusters_size(), 3);
  EXPECT_EQ(c.absent_tables_size(), 3);  // tasks, calendar_events, task_event_notes
  EXPECT_THAT(c.SerializeAsString(), Not(HasSubstr("calendar_events")));
  EXPECT_THAT(c.SerializeAsString(), Not(HasSubstr("CREATE TABLE tasks")));
}

TEST(GeneratorTest, ColumnsTypesAndKeys) {
  v1::BuildCatalog c = Build({"core"});
  const v1::Table* users = FindTable(c, "users");
  ASSERT_NE(users, nullptr);
  EXPECT_THAT(ColumnNames(*users),
              ElementsAre("id", "org_id", "email", "score", "seen", "tags", "nick"));
  std::map<std::string, std::pair<std::string, bool>> expected = {
      {"id", {"bigint", false}},
      {"org_id", {"bigint", false}},
      {"email", {"character varying(320)", false}},
      {"score", {"numeric(10,2)", true}},
      {"seen", {"timestamp with time zone", true}},
      {"tags", {"text[]", true}},
      {"nick", {"text", true}},
  };
  for (const v1::Column& col : users->columns()) {
    EXPECT_EQ(col.type(), expected[col.name()].first) << col.name();
    EXPECT_EQ(col.nullable(), expected[col.name()].second) << col.name();
    EXPECT_EQ(col.cluster(), "core") << col.name();
  }
  EXPECT_THAT(users->primary_key(), ElementsAre("id"));
  ASSERT_EQ(users->foreign_keys_size(), 1);
  const v1::ForeignKey& fk = users->foreign_keys(0);
  EXPECT_EQ(fk.name(), "users_org_id_fkey");
  EXPECT_THAT(fk.columns(), ElementsAre("org_id"));
  EXPECT_EQ(fk.references_table(), "organizations");
  EXPECT_THAT(fk.references_columns(), ElementsAre("id"));
  EXPECT_EQ(fk.on_delete(), "c");
  std::vector<std::string> indexes;
  for (const v1::Index& ix : users->indexes()) indexes.push_back(ix.name());
  EXPECT_THAT(indexes, ElementsAre("users_pkey", "users_email_key", "users_lower_idx"));
  const v1::Table* orgs = FindTable(c, "organizations");
  ASSERT_NE(orgs, nullptr);
  EXPECT_FALSE(orgs->columns(0).nullable());  // bigserial
}

TEST(GeneratorTest, SelfReferenceAndTwoForeignKeysToOneTable) {
  v1::BuildCatalog c = Build({"tasks"});
  EXPECT_THAT(ClusterNames(c), ElementsAre("core", "tasks"));
  const v1::Table* tasks = FindTable(c, "tasks");
  ASSERT_NE(tasks, nullptr);
  std::vector<std::string> fks;
  for (const v1::ForeignKey& fk : tasks->foreign_keys()) {
    fks.push_back(fk.name() + "->" + fk.references_table());
  }
  EXPECT_THAT(fks, ElementsAre("tasks_parent_id_fkey->tasks", "tasks_assignee_id_fkey->users",
                               "tasks_reporter_id_fkey->users"));
  // The bridge's column is absent without calendar.
  EXPECT_THAT(ColumnNames(*tasks), ElementsAre("id", "parent_id", "assignee_id", "reporter_id"));
}

TEST(GeneratorTest, BridgeOnlyWhenAllItsFeaturesAreOn) {
  EXPECT_THAT(ClusterNames(Build({"calendar"})), ElementsAre("core", "calendar"));
  v1::BuildCatalog both = Build({"tasks", "calendar"});
  EXPECT_THAT(ClusterNames(both), ElementsAre("core", "calendar", "tasks", "tasks_calendar"));
  const v1::Table* tasks = FindTable(both, "tasks");
  ASSERT_NE(tasks, nullptr);
  const v1::Column& added = tasks->columns(tasks->columns_size() - 1);
  EXPECT_EQ(added.name(), "event_id");
  EXPECT_EQ(added.cluster(), "tasks_calendar");
  const v1::ForeignKey& fk = tasks->foreign_keys(tasks->foreign_keys_size() - 1);
  EXPECT_EQ(fk.references_table(), "calendar_events");
  EXPECT_EQ(fk.cluster(), "tasks_calendar");
  EXPECT_EQ(fk.on_delete(), "n");
  const v1::Table* notes = FindTable(both, "task_event_notes");
  ASSERT_NE(notes, nullptr);
  EXPECT_THAT(notes->primary_key(), ElementsAre("task_id", "event_id"));
  EXPECT_EQ(notes->foreign_keys(0).name(), "task_event_notes_task_id_fkey");
  EXPECT_THAT(notes->foreign_keys(0).references_columns(), ElementsAre("id"));
}

TEST(GeneratorTest, MigrationsCarryDirectivesChecksumsAndOrder) {
  v1::BuildCatalog c = Build({"all"});
  std::vector<std::string> order;
  for (const v1::MigrationRef& r : c.apply_order()) {
    order.push_back(r.cluster() + "/" + std::to_string(r.version()));
  }
  EXPECT_THAT(order, ElementsAre("core/1", "core/2", "calendar/1", "tasks/1", "tasks/2",
                                 "tasks_calendar/1"));
  const v1::Cluster& tasks = c.clusters(2);
  ASSERT_EQ(tasks.name(), "tasks");
  EXPECT_EQ(tasks.migrations(0).requires(0).cluster(), "core");
  EXPECT_EQ(tasks.migrations(0).requires(0).version(), 2u);
  EXPECT_FALSE(tasks.migrations(0).no_transaction());
  EXPECT_TRUE(tasks.migrations(1).no_transaction());
  EXPECT_EQ(tasks.migrations(1).version_text(), "0002");
  EXPECT_EQ(tasks.migrations(1).name(), "ix");
  EXPECT_EQ(tasks.migrations(1).up_path(), "tasks/0002_ix/up.sql");
  EXPECT_EQ(tasks.migrations(1).up_sha256(), Sha256Hex(Tree()["tasks/0002_ix/up.sql"]));
  EXPECT_THAT(c.absent_clusters(), IsEmpty());
}

TEST(GeneratorTest, Sha256IsOfTheFileBytes) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A Windows checkout (git core.autocrlf: CRLF endings) or an editor's BOM
// gives the same embedded text and checksum as the LF file, so applied
// migrations are not refused as edited; a history row recorded from the raw
// CRLF or BOM bytes (before the normalization) still matches.
TEST(GeneratorTest, CrlfAndBomCheckoutsHaveTheSameChecksum) {
  std::map<std::string, std::string> lf = Tree();
  std::map<std::string, std::string> crlf;
  for (const auto& [path, text] : lf) {
    std::string converted;
    for (char ch : text) converted += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    crlf[path] = absl::EndsWith(path, ".sql") ? "\xEF\xBB\xBF" + converted : converted;
  }
  v1::BuildCatalog a = Build({"all"});
  Diagnostics diagnostics;
  SourceTree tree = ParseTree("m", MakeTree(crlf), &diagnostics);
  absl::StatusOr<v1::BuildCatalog> b = Generate(tree, {"all"}, &diagnostics);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a.clusters_size(), b->clusters_size());
  for (int i = 0; i < b->clusters_size(); ++i) {
    const v1::Cluster& ca = a.clusters(i);
    const v1::Cluster& cb = b->clusters(i);
    ASSERT_EQ(ca.migrations_size(), cb.migrations_size());
    for (int j = 0; j < cb.migrations_size(); ++j) {
      const v1::Migration& ma = ca.migrations(j);
      const v1::Migration& mb = cb.migrations(j);
      EXPECT_EQ(ma.up_sha256(), mb.up_sha256()) << mb.up_path();
      EXPECT_EQ(ma.up_sql(), mb.up_sql()) << mb.up_path();
      EXPECT_EQ(ma.down_sql(), mb.down_sql()) << mb.up_path();
      // LF files hash exactly as before the normalization.
      EXPECT_EQ(ma.up_sha256(), Sha256Hex(lf[ma.up_path()])) << ma.up_path();
      // Rows recorded from the raw bytes of any checkout match.
      EXPECT_TRUE(catalog::SameMigrationText(Sha256Hex(crlf[mb.up_path()]), mb.up_sql()));
      EXPECT_TRUE(catalog::SameMigrationText(Sha256Hex(lf[mb.up_path()]), mb.up_sql()));
      EXPECT_FALSE(catalog::SameMigrationText(Sha256Hex(lf[mb.up_path()] + " "), mb.up_sql()));
    }
  }
}

TEST(GeneratorTest, AbsentTablesAnswerWhichFeatureToEnable) {
  absl::StatusOr<catalog::Catalog> c = catalog::Catalog::FromProto(Build({"tasks"}));
  ASSERT_TRUE(c.ok()) << c.status();
  catalog::TableLookup ev = c->Lookup("calendar_events");
  EXPECT_EQ(ev.state, catalog::TableState::kClusterDisabled);
  EXPECT_EQ(ev.cluster, "calendar");
  EXPECT_FALSE(ev.compiled);
  EXPECT_THAT(ev.enable_features, ElementsAre("calendar"));
  catalog::TableLookup notes = c->Lookup("task_event_notes");
  EXPECT_EQ(notes.state, catalog::TableState::kClusterDisabled);
  EXPECT_EQ(notes.cluster, "tasks_calendar");
  EXPECT_THAT(notes.enable_features, ElementsAre("calendar"));
  EXPECT_EQ(c->Lookup("nope").state, catalog::TableState::kUnknown);
  EXPECT_EQ(c->Lookup("public.tasks").state, catalog::TableState::kAvailable);
}

TEST(GeneratorTest, EmbeddedSourceRoundTrips) {
  v1::BuildCatalog c = Build({"all"});
  std::string source = EmitEmbeddedSource(c);
  EXPECT_THAT(source, HasSubstr("EmbeddedCatalogBytes()"));
  EXPECT_THAT(source, HasSubstr(std::to_string(c.ByteSizeLong())));
}

}  // namespace
}  // namespace schemagate::generator

namespace schemagate::generator {
namespace {

absl::StatusOr<v1::BuildCatalog> BuildFiles(const std::map<std::string, std::string>& files,
                                            Diagnostics* diagnostics,
                                            SchemaOracle* oracle = nullptr,
                                            int* unmodelled = nullptr) {
  SourceTree tree = ParseTree("m", MakeTree(files), diagnostics);
  return Generate(tree, {"all"}, diagnostics, oracle, unmodelled);
}

TEST(GeneratorTest, ImportedFromAndIrreversibleReachTheCatalog) {
  std::map<std::string, std::string> files = {
      {"core/cluster.textproto", Manifest("core")},
      {"core/20170923182408_init/up.sql",
       "-- schemagate:imported-from diesel 20170923182408\n"
       "-- schemagate:imported-from flyway 1.2\n"
       "CREATE TABLE users (id bigint PRIMARY KEY);\n"},
      {"core/20170923182408_init/down.sql",
       "-- schemagate:irreversible the old down file dropped a column it never added\n"
       "-- DROP TABLE users\n"},
  };
  Diagnostics diagnostics;
  absl::StatusOr<v1::BuildCatalog> c = BuildFiles(files, &diagnostics);
  ASSERT_TRUE(c.ok()) << c.status();
  const v1::Migration& m = c->clusters(0).migrations(0);
  ASSERT_EQ(m.imported_from_size(), 2);
  EXPECT_EQ(m.imported_from(0).format(), "diesel");
  EXPECT_EQ(m.imported_from(0).version(), "20170923182408");
  EXPECT_EQ(m.imported_from(1).format(), "flyway");
  EXPECT_EQ(m.imported_from(1).version(), "1.2");
  EXPECT_EQ(m.irreversible(), "the old down file dropped a column it never added");
}

TEST(GeneratorTest, CreateTableAsIsTypedFromItsQuery) {
  std::map<std::string, std::string> files = {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql",
       "CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL);\n"
       "CREATE TABLE stats AS SELECT u.id AS user_id, lower(u.email) AS e, now() AS at,\n"
       "  0::bigint AS n, 'x' AS label, 1 AS one, u.* FROM users u WITH NO DATA;\n"
       "SELECT id, email INTO backup FROM users;\n"},
      {"core/0001_init/down.sql", "DROP TABLE backup;\nDROP TABLE stats;\nDROP TABLE users;\n"},
  };
  Diagnostics diagnostics;
  int unmodelled = -1;
  absl::StatusOr<v1::BuildCatalog> c = BuildFiles(files, &diagnostics, nullptr, &unmodelled);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(unmodelled, 0) << diagnostics.WarningText();
  const v1::Table* stats = FindTable(*c, "stats");
  ASSERT_NE(stats, nullptr);
  std::vector<std::string> cols;
  for (const v1::Column& col : stats->columns()) {
    cols.push_back(col.name() + " " + col.type() + (col.nullable() ? "" : " not null"));
  }
  EXPECT_THAT(
      cols, ElementsAre("user_id integer", "e text", "at timestamp with time zone", "n bigint",
                        "label text", "one integer", "id integer", "email character varying(200)"));
  EXPECT_THAT(stats->primary_key(), IsEmpty());
  const v1::Table* backup = FindTable(*c, "backup");
  ASSERT_NE(backup, nullptr);
  EXPECT_THAT(ColumnNames(*backup), ElementsAre("id", "email"));
}

TEST(GeneratorTest, WhatOnlyADatabaseKnowsIsAWarningNamingTheStatement) {
  std::map<std::string, std::string> files = {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql",
       "CREATE TABLE users (id integer PRIMARY KEY);\n"
       "CREATE TABLE odd AS SELECT id * 2 AS twice FROM users;\n"
       "DO $$ BEGIN\n"
       "  IF NOT EXISTS (SELECT 1 FROM information_schema.columns\n"
       "                 WHERE table_name = 'users' AND column_name = 'x') THEN\n"
       "    ALTER TABLE users ADD COLUMN x int;\n"
       "  END IF;\n"
       "END $$;\n"
       "DO $$ BEGIN RAISE NOTICE 'only a notice'; END $$;\n"
       "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n"
       "BEGIN EXECUTE 'CREATE INDEX users_x_idx ON users (x)'; END $$;\n"
       "SELECT f();\n"
       "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$\n"
       "BEGIN ALTER TABLE users ADD COLUMN y int; END $$;\n"
       "CALL p();\n"},
      {"core/0001_init/down.sql",
       "DROP PROCEDURE p();\nDROP FUNCTION f();\nDROP TABLE odd;\nDROP TABLE users;\n"},
  };
  Diagnostics diagnostics;
  int unmodelled = -1;
  absl::StatusOr<v1::BuildCatalog> c = BuildFiles(files, &diagnostics, nullptr, &unmodelled);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(unmodelled, 4);
  std::string warnings = diagnostics.WarningText();
  EXPECT_THAT(warnings, HasSubstr("m/core/0001_init/up.sql:2: warning: not modelled without a "
                                  "database: CREATE TABLE AS odd: the type of column twice"));
  EXPECT_THAT(warnings, HasSubstr("m/core/0001_init/up.sql:3: warning: not modelled without a "
                                  "database: a DO block that changes the schema"));
  EXPECT_THAT(warnings, HasSubstr("m/core/0001_init/up.sql:12: warning: not modelled without a "
                                  "database: a call of f()"));
  // CALL of a procedure that changes a table (CallStmt.funccall)
  EXPECT_THAT(warnings, HasSubstr("m/core/0001_init/up.sql:15: warning: not modelled without a "
                                  "database: a call of p()"));
  EXPECT_THAT(warnings, Not(HasSubstr("up.sql:9:")));  // a DO block without DDL
}

// A database that answers from a script: what the tables look like after
// each migration.
class ScriptedOracle : public SchemaOracle {
 public:
  explicit ScriptedOracle(std::vector<std::vector<LiveTable>> states)
      : states_(std::move(states)) {}
  absl::Status Reset() override {
    step_ = 0;
    return absl::OkStatus();
  }
  absl::Status Apply(absl::string_view sql, bool) override {
    if (absl::StrContains(sql, "FAIL")) {
      return absl::InvalidArgumentError("2:3: relation \"nope\" does not exist");
    }
    ++step_;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<LiveTable>> Tables() override { return states_[step_ - 1]; }
  std::string Describe() const override { return "a scripted database"; }

 private:
  std::vector<std::vector<LiveTable>> states_;
  size_t step_ = 0;
};

LiveTable Live(uint32_t oid, const std::string& name,
               std::vector<std::tuple<int32_t, std::string, std::string>> columns) {
  LiveTable t;
  t.oid = oid;
  t.table.set_name(name);
  for (const auto& [attnum, col, type] : columns) {
    v1::Column* c = t.table.add_columns();
    c->set_name(col);
    c->set_type(type);
    c->set_nullable(true);
    t.attnums.push_back(attnum);
  }
  return t;
}

TEST(GeneratorTest, ADevDatabaseDecidesAndOwnershipFollowsIdentities) {
  std::map<std::string, std::string> files = {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql",
       "CREATE TABLE users (id integer PRIMARY KEY);\n"
       "DO $$ BEGIN ALTER TABLE users ALTER COLUMN id TYPE bigint; END $$;\n"},
      {"core/0001_init/down.sql", "DROP TABLE users;\n"},
      {"tasks/cluster.textproto", Manifest("tasks", {"core"})},
      {"tasks/0001_init/up.sql",
       "DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN task_count int'; END $$;\n"
       "ALTER TABLE users RENAME COLUMN id TO user_id;\n"},
      {"tasks/0001_init/down.sql", "SELECT 1;\n"},
  };
  // After core/1: users(id bigint). After tasks/1: the same table (oid 10),
  // its first column renamed, a column added.
  ScriptedOracle oracle(
      {{Live(10, "users", {{1, "id", "bigint"}})},
       {Live(10, "users", {{1, "user_id", "bigint"}, {2, "task_count", "integer"}})}});
  Diagnostics diagnostics;
  absl::StatusOr<v1::BuildCatalog> c = BuildFiles(files, &diagnostics, &oracle);
  ASSERT_TRUE(c.ok()) << c.status();
  // (The lock lint still says the rename breaks older replicas.)
  EXPECT_THAT(diagnostics.WarningText(), Not(HasSubstr("not modelled")));
  const v1::Table* users = FindTable(*c, "users");
  ASSERT_NE(users, nullptr);
  EXPECT_EQ(users->cluster(), "core");
  EXPECT_EQ(users->created_by(), "core/1");
  ASSERT_EQ(users->columns_size(), 2);
  EXPECT_EQ(users->columns(0).name(), "user_id");
  EXPECT_EQ(users->columns(0).type(), "bigint");
  EXPECT_EQ(users->columns(0).cluster(), "core");  // renamed, still core's
  EXPECT_EQ(users->columns(1).cluster(), "tasks");
}

TEST(GeneratorTest, AMigrationThatFailsInTheDevDatabaseIsAnErrorAtItsLine) {
  std::map<std::string, std::string> files = {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql",
       "CREATE TABLE users (id integer PRIMARY KEY);\n"
       "DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN x int'; END $$; -- FAIL\n"},
      {"core/0001_init/down.sql", "DROP TABLE users;\n"},
  };
  ScriptedOracle oracle({});
  Diagnostics diagnostics;
  absl::StatusOr<v1::BuildCatalog> c = BuildFiles(files, &diagnostics, &oracle);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("m/core/0001_init/up.sql:2:3: error: does not apply to PostgreSQL "
                        "(a scripted database): relation \"nope\" does not exist"));
}

}  // namespace
}  // namespace schemagate::generator

namespace schemagate::generator {
namespace {

TEST(GeneratorTest, WhatADoBlockRunsIsReplayedSoLaterMigrationsLint) {
  // The pattern of older histories: create or change only if missing.
  std::map<std::string, std::string> files = {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql",
       "DO $$ BEGIN\n"
       "  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'users') THEN\n"
       "    CREATE TABLE users (id integer PRIMARY KEY, legacy int);\n"
       "  END IF;\n"
       "  IF EXISTS (SELECT 1 FROM information_schema.columns\n"
       "             WHERE table_name = 'users' AND data_type = 'integer') THEN\n"
       "    ALTER TABLE users ALTER COLUMN id TYPE bigint;\n"
       "  END IF;\n"
       "  EXECUTE 'ALTER TABLE users ALTER COLUMN legacy SET NOT NULL';\n"
       "END $$;\n"},
      {"core/0001_init/down.sql", "DROP TABLE users;\n"},
      {"core/0002_more/up.sql", "ALTER TABLE users ADD COLUMN email text;\n"},
      {"core/0002_more/down.sql", "ALTER TABLE users DROP COLUMN email;\n"},
  };
  Diagnostics diagnostics;
  absl::StatusOr<v1::BuildCatalog> c = BuildFiles(files, &diagnostics);
  ASSERT_TRUE(c.ok()) << c.status();  // no "cannot alter table users"
  EXPECT_EQ(diagnostics.warning_count(), 1u) << diagnostics.WarningText();
  const v1::Table* users = FindTable(*c, "users");
  ASSERT_NE(users, nullptr);
  ASSERT_EQ(users->columns_size(), 3);
  EXPECT_EQ(users->columns(0).type(), "bigint");
  EXPECT_FALSE(users->columns(1).nullable());
  EXPECT_EQ(users->columns(2).name(), "email");
}

}  // namespace
}  // namespace schemagate::generator
