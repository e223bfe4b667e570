#include "server/migrate/state.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schemagate::migrate {
namespace {

using ::testing::ElementsAre;

// core (1, 2), tasks (1) compiled and enabled.
catalog::Catalog MakeCatalog() {
  v1::BuildCatalog c;
  c.set_format(catalog::kCatalogFormat);
  c.add_requested_features("tasks");
  c.add_features("core");
  c.add_features("tasks");
  auto add = [&](const std::string& cluster, uint64_t version, const std::string& sha) {
    v1::Cluster* cl = nullptr;
    for (v1::Cluster& x : *c.mutable_clusters()) {
      if (x.name() == cluster) cl = &x;
    }
    if (cl == nullptr) {
      cl = c.add_clusters();
      cl->set_name(cluster);
      if (cluster != "core") cl->add_depends_on("core");
    }
    v1::Migration* m = cl->add_migrations();
    m->set_cluster(cluster);
    m->set_version(version);
    m->set_name("m" + std::to_string(version));
    m->set_up_sha256(sha);
    m->set_up_path(cluster + "/000" + std::to_string(version) + "_m/up.sql");
    v1::MigrationRef* r = c.add_apply_order();
    r->set_cluster(cluster);
    r->set_version(version);
  };
  add("core", 1, "a1");
  add("core", 2, "a2");
  add("tasks", 1, "b1");
  return *catalog::Catalog::FromProto(c);
}

AppliedMigration Row(const std::string& cluster, uint64_t version, const std::string& sha) {
  AppliedMigration a;
  a.cluster = cluster;
  a.version = version;
  a.checksum = sha;
  a.name = "m" + std::to_string(version);
  return a;
}

std::vector<std::string> Pending(const MigrationState& s) {
  std::vector<std::string> out;
  for (const v1::Migration* m : s.pending) {
    out.push_back(m->cluster() + "/" + std::to_string(m->version()));
  }
  return out;
}

TEST(ComputeStateTest, EmptyHistoryMeansEverythingPending) {
  catalog::Catalog c = MakeCatalog();
  MigrationState s = ComputeState(c, {});
  EXPECT_THAT(Pending(s), ElementsAre("core/1", "core/2", "tasks/1"));
  EXPECT_EQ(s.Find("core")->status, ClusterStatus::kNotInstalled);
  EXPECT_EQ(s.Find("tasks")->status, ClusterStatus::kNotInstalled);
  EXPECT_FALSE(s.up_to_date());
}

TEST(ComputeStateTest, Table) {
  catalog::Catalog c = MakeCatalog();
  struct Case {
    std::string name;
    std::vector<AppliedMigration> history;
    ClusterStatus core, tasks;
    std::vector<std::string> pending;
    bool up_to_date;
  };
  std::vector<Case> cases = {
      {"all applied",
       {Row("core", 1, "a1"), Row("core", 2, "a2"), Row("tasks", 1, "b1")},
       ClusterStatus::kUpToDate,
       ClusterStatus::kUpToDate,
       {},
       true},
      {"core pending one",
       {Row("core", 1, "a1"), Row("tasks", 1, "b1")},
       ClusterStatus::kPending,
       ClusterStatus::kUpToDate,
       {"core/2"},
       false},
      {"checksum changed",
       {Row("core", 1, "zz"), Row("core", 2, "a2"), Row("tasks", 1, "b1")},
       ClusterStatus::kChecksumMismatch,
       ClusterStatus::kUpToDate,
       {},
       false},
      {"unknown applied wins over mismatch",
       {Row("core", 1, "zz"), Row("core", 2, "a2"), Row("core", 3, "a3"), Row("tasks", 1, "b1")},
       ClusterStatus::kUnknownApplied,
       ClusterStatus::kUpToDate,
       {},
       false},
      {"late-enabled tasks",
       {Row("core", 1, "a1"), Row("core", 2, "a2")},
       ClusterStatus::kUpToDate,
       ClusterStatus::kNotInstalled,
       {"tasks/1"},
       false},
  };
  for (const Case& k : cases) {
    MigrationState s = ComputeState(c, k.history);
    EXPECT_EQ(s.Find("core")->status, k.core) << k.name;
    EXPECT_EQ(s.Find("tasks")->status, k.tasks) << k.name;
    EXPECT_EQ(Pending(s), k.pending) << k.name;
    EXPECT_EQ(s.up_to_date(), k.up_to_date) << k.name;
  }
}

TEST(ComputeStateTest, MismatchNamesFileAndBothChecksums) {
  catalog::Catalog c = MakeCatalog();
  MigrationState s = ComputeState(c, {Row("core", 1, "old")});
  ASSERT_EQ(s.mismatches.size(), 1u);
  EXPECT_EQ(s.mismatches[0].path, "core/0001_m/up.sql");
  EXPECT_EQ(s.mismatches[0].applied_checksum, "old");
  EXPECT_EQ(s.mismatches[0].build_checksum, "a1");
}

TEST(ComputeStateTest, OrphansAreListedAfterEnabledClusters) {
  catalog::Catalog c = MakeCatalog();
  MigrationState s =
      ComputeState(c, {Row("core", 1, "a1"), Row("crm", 1, "x"), Row("crm", 4, "y")});
  ASSERT_EQ(s.clusters.size(), 3u);
  EXPECT_EQ(s.clusters[2].name, "crm");
  EXPECT_EQ(s.clusters[2].status, ClusterStatus::kOrphaned);
  EXPECT_EQ(s.clusters[2].applied_version, 4u);
  EXPECT_FALSE(s.clusters[2].compiled);
  EXPECT_THAT(s.orphaned, ElementsAre("crm"));
  // Orphans do not make the database "not up to date".
  EXPECT_FALSE(s.up_to_date());  // core/2 and tasks/1 are pending
}

TEST(StatusNamesTest, AreStable) {
  EXPECT_STREQ(ToString(ClusterStatus::kUpToDate), "up to date");
  EXPECT_STREQ(ToString(ClusterStatus::kOrphaned), "orphaned");
  EXPECT_STREQ(ToString(ClusterStatus::kChecksumMismatch), "checksum mismatch");
}

}  // namespace
}  // namespace schemagate::migrate
