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
  for (const std::string& f : {"core", "tasks"}) {
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
  std::vector<v1::Table> live = {
      MakeTable("users", "", {{"id", "bigint", false, ""},
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
                  "extra column: users.extra (catalog: -, database: text)",
                  "extra table: stray"));
  VerifyReport ignoring = Compare(c, live, {.ignore_extra_tables = true});
  EXPECT_EQ(ignoring.drift.size(), r.drift.size() - 1);
}

TEST(CompareTest, ObjectsOfDisabledClustersAreOrphansNotDrift) {
  // Built with tasks, run with core only: users.task_count and the tasks
  // table belong to tasks.
  catalog::Catalog c = MakeCatalog({"core"});
  std::vector<v1::Table> live = {
      MakeTable("users", "", {{"id", "bigint", false, ""},
                              {"email", "text", false, ""},
                              {"task_count", "integer", true, ""},
                              {"legacy", "text", true, ""}}),
      MakeTable("tasks", "", {{"id", "bigint", false, ""}}),
      MakeTable("old_table", "", {{"id", "bigint", false, ""}})};
  VerifyReport r = Compare(c, live, {}, {{"column:users.legacy", "crm"},
                                         {"table:old_table", "crm"}});
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Kinds(r));
  EXPECT_THAT(r.orphaned_objects,
              UnorderedElementsAre("column users.task_count (cluster tasks)",
                                   "column users.legacy (cluster crm)",
                                   "table tasks (cluster tasks)",
                                   "table old_table (cluster crm)"));
}

}  // namespace
}  // namespace schemagate::migrate
