#include "server/migrate/verify.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schemagate::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

v1::Table MakeTable(const std::string& name, const std::string& cluster,
                    std::vector<std::tuple<std::string, std::string, bool, std::string>> cols) {
  v1::Table t;
  t.set_name(name);
  t.set_cluster(cluster);
  for (auto& [n, type, nullable, owner] : cols) {
    v1::Column* c = t.add_columns();
    c->set_name(n);
    c->set_type(type);
    c->set_nullable(nullable);
    c->set_cluster(owner.empty() ? cluster : owner);
  }
  t.add_primary_key("id");
  return t;
}

catalog::Catalog MakeCatalog(const std::vector<std::string>& features) {
  v1::BuildCatalog c;
  c.set_format(catalog::kCatalogFormat);
  for (std::string f : {"core", "tasks"}) {
    v1::Cluster* cl = c.add_clusters();
    cl->set_name(f);
    c.add_features(f);
  }
  c.add_requested_features("tasks");
  *c.add_tables() = MakeTable("users", "core",
                              {{"id", "bigint", false, ""},
                               {"email", "text", false, ""},
                               {"task_count", "integer", true, "tasks"}});
  *c.add_tables() = MakeTable("tasks", "tasks", {{"id", "bigint", false, ""}});
  v1::ForeignKey* fk = c.mutable_tables(1)->add_foreign_keys();
  fk->set_name("tasks_owner_fkey");
  fk->add_columns("id");
  fk->set_references_table("users");
  fk->add_references_columns("id");
  fk->set_cluster("tasks");
  catalog::Catalog full = *catalog::Catalog::FromProto(c);
  return *full.Narrow(features);
}

std::vector<std::string> Kinds(const VerifyReport& r) {
  std::vector<std::string> out;
  for (const Drift& d : r.drift) out.push_back(d.ToString());
  return out;
}

TEST(CompareTest, NoDriftWhenEqual) {
  catalog::Catalog c = MakeCatalog({"tasks"});
  std::vector<v1::Table> live(c.enabled().tables().begin(), c.enabled().tables().end());
  VerifyReport r = Compare(c, live, {});
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Kinds(r));
  EXPECT_EQ(r.tables_checked, 2);
}

TEST(CompareTest, ReportsEachKindOfDifference) {
  catalog::Catalog c = MakeCatalog({"tasks"});
  std::vector<v1::Table> live = {MakeTable("users", "",
                                           {{"id", "bigint", false, ""},
                                            {"email", "character varying(10)", true, ""},
                                            {"extra", "text", true, ""}}),
                                 MakeTable("stray", "", {{"id", "bigint", false, ""}})};
  VerifyReport r = Compare(c, live, {});
  EXPECT_THAT(Kinds(r),
              UnorderedElementsAre(
                  "missing table: tasks",
                  "column type: users.email (catalog: text, database: "
                  "character varying(10))",
                  "nullability: users.email (catalog: NOT NULL, database: NULL)",
                  "missing column: users.task_count (catalog: integer, database: -)",
                  "extra column: users.extra (catalog: -, database: text)", "extra table: stray"));
  VerifyOptions ignore;
  ignore.ignore_extra_tables = true;
  VerifyReport ignoring = Compare(c, live, ignore);
  EXPECT_EQ(ignoring.drift.size(), r.drift.size() - 1);
}

TEST(CompareTest, ObjectsOfDisabledClustersAreOrphansNotDrift) {
  // Built with tasks, run with core only: users.task_count and the tasks
  // table belong to tasks.
  catalog::Catalog c = MakeCatalog({"core"});
  std::vector<v1::Table> live = {MakeTable("users", "",
                                           {{"id", "bigint", false, ""},
                                            {"email", "text", false, ""},
                                            {"task_count", "integer", true, ""},
                                            {"legacy", "text", true, ""}}),
                                 MakeTable("tasks", "", {{"id", "bigint", false, ""}}),
                                 MakeTable("old_table", "", {{"id", "bigint", false, ""}})};
  VerifyReport r =
      Compare(c, live, {}, {{"column:users.legacy", "crm"}, {"table:old_table", "crm"}});
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Kinds(r));
  EXPECT_THAT(r.orphaned_objects,
              UnorderedElementsAre("column users.task_count (cluster tasks)",
                                   "column users.legacy (cluster crm)",
                                   "table tasks (cluster tasks)", "table old_table (cluster crm)"));
}

// adopt compares what it adopts plus what is installed: an enabled cluster
// outside that scope (not installed, not adopted now) is neither expected
// nor extra.
TEST(CompareTest, ScopedToClustersLeavesOtherEnabledClustersOut) {
  catalog::Catalog c = MakeCatalog({"tasks"});
  VerifyOptions core_only;
  core_only.only_clusters = {"core"};
  // Neither the tasks table nor users.task_count (added by tasks) exists.
  std::vector<v1::Table> before = {
      MakeTable("users", "", {{"id", "bigint", false, ""}, {"email", "text", false, ""}})};
  VerifyReport r = Compare(c, before, core_only);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Kinds(r));
  EXPECT_EQ(r.tables_checked, 1);
  // Both exist (the old tool created them): still not compared, not extra.
  std::vector<v1::Table> after(c.enabled().tables().begin(), c.enabled().tables().end());
  r = Compare(c, after, core_only);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Kinds(r));
  EXPECT_THAT(r.orphaned_objects, IsEmpty());
  // What core owns is compared as usual.
  std::vector<v1::Table> changed = {MakeTable(
      "users", "", {{"id", "bigint", false, ""}, {"email", "character varying(9)", false, ""}})};
  EXPECT_THAT(Kinds(Compare(c, changed, core_only)),
              ElementsAre("column type: users.email (catalog: text, database: "
                          "character varying(9))"));
  // With tasks in scope, its column on core's table is expected.
  VerifyOptions both;
  both.only_clusters = {"core", "tasks"};
  EXPECT_THAT(Kinds(Compare(c, before, both)),
              UnorderedElementsAre("missing column: users.task_count (catalog: integer, "
                                   "database: -)",
                                   "missing table: tasks"));
}

TEST(CompareTest, AnOldToolsHistoryTableIsNeitherDriftNorManaged) {
  catalog::Catalog c = MakeCatalog({"tasks"});
  std::vector<v1::Table> live(c.enabled().tables().begin(), c.enabled().tables().end());
  live.push_back(MakeTable("__diesel_schema_migrations", "", {{"version", "text", false, ""}}));
  EXPECT_THAT(Kinds(Compare(c, live, {})), ElementsAre("extra table: __diesel_schema_migrations"));
  VerifyOptions options;
  options.foreign_history = {{"__diesel_schema_migrations", "diesel history"}};
  VerifyReport r = Compare(c, live, options);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Kinds(r));
  EXPECT_THAT(r.foreign_history, ElementsAre("__diesel_schema_migrations (diesel history)"));
}

TEST(UnmanagedTest, TablesOfClustersNotEnabledHere) {
  catalog::Catalog c = MakeCatalog({"core"});
  OrphanOwners orphans = {{"table:old_table", "crm"}, {"column:users.legacy", "crm"}};
  std::vector<UnmanagedTable> u = Unmanaged(c, orphans, {"users", "tasks", "old_table", "stray"});
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].table, "tasks");
  EXPECT_EQ(u[0].cluster, "tasks");
  EXPECT_TRUE(u[0].compiled);
  EXPECT_THAT(u[0].enable_features, ElementsAre("tasks"));
  EXPECT_EQ(u[1].table, "old_table");
  EXPECT_EQ(u[1].cluster, "crm");
  EXPECT_FALSE(u[1].compiled);
  EXPECT_THAT(Unmanaged(MakeCatalog({"tasks"}), {}, {"users", "tasks", "stray"}), IsEmpty());
  std::vector<ClusterRecord> records = {{"tasks", {}, {}, {"table:tasks"}},
                                        {"crm", {}, {}, {"table:old_table"}}};
  EXPECT_THAT(
      OrphansOf(records, MakeCatalog({"tasks"})),
      UnorderedElementsAre(std::make_pair(std::string("table:old_table"), std::string("crm"))));
}

}  // namespace
}  // namespace schemagate::migrate
