// Unit tests of the pure rollback decisions (server/migrate/rollback_plan.h):
// which migrations a rollback reverts, which clusters and migrations block
// it, and the refusals, without a database.
#include "server/migrate/rollback_plan.h"

#include <cctype>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/util/errors.h"

namespace schemagate::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Compiled: core (1, 2, 3); tasks (1, 2; depends on core, 2 requires
// core/3); search (1; depends on core); mail (1; depends on tasks).
// Requested: tasks and search, so mail is compiled but not enabled.
catalog::Catalog MakeCatalog() {
  v1::BuildCatalog c;
  c.set_format(catalog::kCatalogFormat);
  c.add_requested_features("tasks");
  c.add_requested_features("search");
  for (const char* f : {"core", "search", "tasks"}) c.add_features(f);
  auto cluster = [&](const std::string& name, const std::string& depends_on) {
    v1::Cluster* cl = c.add_clusters();
    cl->set_name(name);
    if (!depends_on.empty()) cl->add_depends_on(depends_on);
    return cl;
  };
  auto migration = [&](v1::Cluster* cl, uint64_t version) {
    v1::Migration* m = cl->add_migrations();
    m->set_cluster(cl->name());
    m->set_version(version);
    m->set_name("m" + std::to_string(version));
    m->set_up_sha256("sha-" + cl->name() + std::to_string(version));
    v1::MigrationRef* r = c.add_apply_order();
    r->set_cluster(cl->name());
    r->set_version(version);
    return m;
  };
  v1::Cluster* core = cluster("core", "");
  for (uint64_t v : {1, 2, 3}) migration(core, v);
  v1::Cluster* tasks = cluster("tasks", "core");
  migration(tasks, 1);
  v1::MigrationRef* requires_core3 = migration(tasks, 2)->add_requires();
  requires_core3->set_cluster("core");
  requires_core3->set_version(3);
  migration(cluster("search", "core"), 1);
  migration(cluster("mail", "tasks"), 1);
  absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::FromProto(c);
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  return *std::move(catalog);
}

AppliedMigration Row(const std::string& cluster, uint64_t version, int64_t seq,
                     const std::string& down_sql = "") {
  AppliedMigration a;
  a.cluster = cluster;
  a.version = version;
  a.name = "m" + std::to_string(version);
  a.seq = seq;
  a.down_sql = down_sql;
  return a;
}

// The history every blocker case starts from, in apply order.
std::vector<AppliedMigration> BaseHistory() {
  return {Row("core", 1, 1), Row("core", 2, 2),  Row("tasks", 1, 3), Row("search", 1, 4),
          Row("core", 3, 5), Row("tasks", 2, 6), Row("legacy", 1, 7)};
}

// Manifests recorded by earlier builds: legacy (depends on tasks) and
// attic (depends on core) are known only from them; the record of search
// names another dependency than this build's manifest, which wins.
std::vector<ClusterRecord> Records() {
  return {
      {"legacy", {"tasks"}, {}, {}}, {"search", {"tasks"}, {}, {}}, {"attic", {"core"}, {}, {}}};
}

struct BlockersCase {
  const char* name;
  std::string cluster;
  uint64_t to_version;
  std::vector<AppliedMigration> extra;  // appended to BaseHistory()
  std::vector<std::string> want;
};

class RollbackBlockersTest : public ::testing::TestWithParam<BlockersCase> {};

TEST_P(RollbackBlockersTest, ListsExactlyWhatBlocks) {
  const BlockersCase& c = GetParam();
  const catalog::Catalog catalog = MakeCatalog();
  std::vector<AppliedMigration> applied = BaseHistory();
  applied.insert(applied.end(), c.extra.begin(), c.extra.end());
  EXPECT_EQ(RollbackBlockers(catalog, Records(), applied, c.cluster, c.to_version), c.want)
      << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RollbackBlockersTest,
    ::testing::Values(
        // Removing core: every enabled or installed cluster depends on it
        // (an orphan without history, attic, and the disabled mail do not
        // block), then tasks/2's explicit `requires core/3`.
        BlockersCase{"remove core",
                     "core",
                     0,
                     {},
                     {"tasks (enabled, installed)", "search (enabled, installed)",
                      "legacy (orphaned, installed)", "tasks/2 (requires core/3)"}},
        // Down to core/2 (reverting core/3, seq 5): only clusters that
        // applied something later (tasks/2 seq 6, legacy/1 seq 7 through
        // tasks) may rely on it; search/1 (seq 4) came before.
        BlockersCase{"core to 2",
                     "core",
                     2,
                     {},
                     {"tasks (enabled, installed)", "legacy (orphaned, installed)",
                      "tasks/2 (requires core/3)"}},
        // Down to core/3: nothing is reverted, so nothing came after it,
        // and `requires core/3` stays satisfied.
        BlockersCase{"core to its latest", "core", 3, {}, {}},
        // Removing tasks: legacy depends on it by its recorded manifest;
        // search does not (this build's manifest wins over the record);
        // mail is compiled, not enabled and never applied.
        BlockersCase{"remove tasks", "tasks", 0, {}, {"legacy (orphaned, installed)"}},
        // A compiled but disabled cluster with history counts as orphaned.
        BlockersCase{"remove tasks, disabled mail installed",
                     "tasks",
                     0,
                     {Row("mail", 1, 8)},
                     {"mail (orphaned, installed)", "legacy (orphaned, installed)"}},
        // Down to tasks/1 (reverting tasks/2, seq 6): legacy/1 (seq 7) came
        // later.
        BlockersCase{"tasks to 1", "tasks", 1, {}, {"legacy (orphaned, installed)"}},
        // When the dependent cluster's history all came before the first
        // reverted migration (tasks/3, seq 9), nothing blocks a partial
        // rollback.
        BlockersCase{"tasks to 2, legacy earlier", "tasks", 2, {Row("tasks", 3, 9)}, {}},
        // Nothing depends on search.
        BlockersCase{"remove search", "search", 0, {}, {}},
        // A leaf orphan known only from the history: nothing depends on it.
        BlockersCase{"remove legacy", "legacy", 0, {}, {}},
        // A name nobody knows: nothing depends on it.
        BlockersCase{"unknown cluster", "ghost", 0, {}, {}}),
    [](const ::testing::TestParamInfo<BlockersCase>& info) {
      std::string name;
      for (char ch : std::string(info.param.name))
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

TEST(RollbackBlockersTest, EnabledClusterWithoutHistoryBlocksRemovalOnly) {
  const catalog::Catalog catalog = MakeCatalog();
  // Only core is installed: the enabled tasks and search would be built on
  // it by the next migrate, so removing core is refused; a partial
  // rollback is not (nothing was applied after it).
  const std::vector<AppliedMigration> applied = {Row("core", 1, 1), Row("core", 2, 2)};
  EXPECT_THAT(RollbackBlockers(catalog, {}, applied, "core", 0),
              ElementsAre("tasks (enabled, not installed)", "search (enabled, not installed)"));
  EXPECT_THAT(RollbackBlockers(catalog, {}, applied, "core", 1), IsEmpty());
}

std::vector<std::string> Refs(const std::vector<const AppliedMigration*>& steps) {
  std::vector<std::string> out;
  for (const AppliedMigration* a : steps) {
    out.push_back(a->cluster + "/" + std::to_string(a->version));
  }
  return out;
}

TEST(RollbackStepsTest, NewestFirstAboveTheTarget) {
  // Out of order in the history (seq), as an out-of-order apply leaves it.
  const std::vector<AppliedMigration> applied = {Row("core", 1, 1), Row("core", 3, 2),
                                                 Row("tasks", 1, 3), Row("core", 2, 4)};
  EXPECT_THAT(Refs(RollbackSteps(applied, "core", 0)), ElementsAre("core/3", "core/2", "core/1"));
  EXPECT_THAT(Refs(RollbackSteps(applied, "core", 1)), ElementsAre("core/3", "core/2"));
  EXPECT_THAT(Refs(RollbackSteps(applied, "core", 3)), IsEmpty());
  EXPECT_THAT(Refs(RollbackSteps(applied, "tasks", 0)), ElementsAre("tasks/1"));
  EXPECT_THAT(Refs(RollbackSteps(applied, "ghost", 0)), IsEmpty());
  EXPECT_THAT(Refs(RollbackSteps({}, "core", 0)), IsEmpty());
  // The steps point into the history rows.
  EXPECT_EQ(RollbackSteps(applied, "tasks", 0).front(), &applied[2]);
}

TEST(RollbackRefusalTest, BlockersThenIrreversibleSteps) {
  const std::vector<AppliedMigration> applied = {
      Row("core", 2, 1, "DROP TABLE b;"),
      Row("core", 3, 2, "-- schemagate:irreversible drops customer data\nSELECT 1;"),
      Row("core", 4, 3, "-- schemagate:irreversible\n")};
  const std::vector<const AppliedMigration*> reversible = {&applied[0]};
  const std::vector<const AppliedMigration*> steps = {&applied[2], &applied[1], &applied[0]};

  EXPECT_TRUE(RollbackRefusal("core", 1, {}, reversible).ok());
  EXPECT_TRUE(RollbackRefusal("core", 1, {}, {}).ok());

  struct Case {
    const char* name;
    uint64_t to_version;
    std::vector<std::string> blockers;
    std::vector<const AppliedMigration*> steps;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"removal blocked",
       0,
       {"tasks (enabled, installed)", "tasks/2 (requires core/3)"},
       reversible,
       "refusing to roll back core to version 0: tasks (enabled, installed), tasks/2 (requires "
       "core/3) depend on it; roll those back first, or pass --force"},
      {"partial blocked",
       1,
       {"legacy (orphaned, installed)"},
       reversible,
       "refusing to roll back core to version 1: legacy (orphaned, installed) may rely on it; "
       "roll those back first, or pass --force"},
      // Blockers are named before an irreversible step.
      {"blocked and irreversible",
       1,
       {"legacy (orphaned, installed)"},
       steps,
       "refusing to roll back core to version 1: legacy (orphaned, installed) may rely on it; "
       "roll those back first, or pass --force"},
      // The first irreversible step in rollback order, with its reason (or
      // the default one).
      {"irreversible without reason",
       1,
       {},
       steps,
       "refusing to roll back core to version 1: core/4 (m4) is irreversible: marked "
       "irreversible; keep it (roll back to version 4 or later)"},
      {"irreversible with reason",
       1,
       {},
       {&applied[1], &applied[0]},
       "refusing to roll back core to version 1: core/3 (m3) is irreversible: drops customer "
       "data; keep it (roll back to version 3 or later)"},
  };
  for (const Case& c : cases) {
    absl::Status s = RollbackRefusal("core", c.to_version, c.blockers, c.steps);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << c.name;
    EXPECT_EQ(errors::KindOf(s), errors::ErrorKind::kIntegrity) << c.name;
    EXPECT_EQ(s.message(), c.message) << c.name;
  }
}

TEST(CheckRollbackClusterTest, KnownByTheBuildOrTheHistory) {
  const catalog::Catalog catalog = MakeCatalog();
  const std::vector<AppliedMigration> applied = {Row("legacy", 1, 1)};
  EXPECT_TRUE(CheckRollbackCluster(catalog, applied, "core").ok());
  EXPECT_TRUE(CheckRollbackCluster(catalog, applied, "mail").ok());    // compiled, disabled
  EXPECT_TRUE(CheckRollbackCluster(catalog, applied, "legacy").ok());  // history only

  absl::Status s = CheckRollbackCluster(catalog, applied, "tsks");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(errors::KindOf(s), errors::ErrorKind::kUsage);
  EXPECT_EQ(s.message(),
            "unknown cluster \"tsks\": not in this build and nothing applied for it in the "
            "history; this build's clusters: core, tasks, search, mail");

  // The name is quoted escaped (it comes from the command line).
  s = CheckRollbackCluster(catalog, {}, "a\"b\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), ::testing::StartsWith("unknown cluster \"a\\\"b\\n\":"));
}

}  // namespace
}  // namespace schemagate::migrate
