#include "server/catalog/order.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schemagate::catalog {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Names(const std::vector<MigrationKey>& keys) {
  std::vector<std::string> out;
  for (const MigrationKey& k : keys) out.push_back(ToString(k));
  return out;
}

TEST(ClusterOrderTest, DependenciesFirstThenByName) {
  std::vector<ClusterSpec> specs = {{"zeta", {}, {}},
                                    {"tickets", {"people"}, {}},
                                    {"people", {}, {}},
                                    {"core", {}, {}},
                                    {"alpha", {}, {}}};
  absl::StatusOr<std::vector<std::string>> order = ClusterOrder(specs);
  ASSERT_TRUE(order.ok());
  EXPECT_THAT(*order, ElementsAre("core", "alpha", "people", "tickets", "zeta"));
}

TEST(ClusterOrderTest, CycleIsNamed) {
  std::vector<ClusterSpec> specs = {
      {"core", {}, {}}, {"a", {"b"}, {}}, {"b", {"c"}, {}}, {"c", {"a"}, {}}};
  absl::StatusOr<std::vector<std::string>> order = ClusterOrder(specs);
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(order.status().message(), "dependency cycle: a -> c -> b -> a");
}

TEST(ApplyOrderTest, DependencyMigrationsComeFirstAndRequiresIsHonoured) {
  std::vector<ClusterSpec> specs = {
      {"core", {}, {}}, {"tasks", {"core"}, {}}, {"mail", {"core"}, {}}};
  std::vector<MigrationNode> nodes = {
      {{"tasks", 2}, {}},
      {{"tasks", 1}, {}},
      {{"core", 1}, {}},
      {{"core", 3}, {}},
      // mail/1 must follow tasks/2 although mail sorts before tasks.
      {{"mail", 1}, {{"tasks", 2}}},
      {{"mail", 2}, {}},
  };
  absl::StatusOr<std::vector<MigrationKey>> order = ApplyOrder(specs, nodes);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_THAT(Names(*order),
              ElementsAre("core/1", "core/3", "tasks/1", "tasks/2", "mail/1", "mail/2"));
}

TEST(ApplyOrderTest, RequiresOfADisabledClusterIsIgnored) {
  std::vector<ClusterSpec> specs = {{"core", {}, {}}, {"mail", {"core"}, {}}};
  std::vector<MigrationNode> nodes = {{{"core", 1}, {}}, {{"mail", 1}, {{"tasks", 2}}}};
  absl::StatusOr<std::vector<MigrationKey>> order = ApplyOrder(specs, nodes);
  ASSERT_TRUE(order.ok());
  EXPECT_THAT(Names(*order), ElementsAre("core/1", "mail/1"));
}

TEST(ApplyOrderTest, RequiresCycleIsNamed) {
  std::vector<ClusterSpec> specs = {{"core", {}, {}}, {"tasks", {"core"}, {}}};
  std::vector<MigrationNode> nodes = {
      {{"core", 1}, {}}, {{"core", 2}, {{"tasks", 1}}}, {{"tasks", 1}, {}}};
  absl::StatusOr<std::vector<MigrationKey>> order = ApplyOrder(specs, nodes);
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(order.status().message(), "ordering cycle: core/2 -> tasks/1 -> core/2");
}

TEST(ApplyOrderTest, VersionsAreNumericNotLexical) {
  std::vector<ClusterSpec> specs = {{"core", {}, {}}};
  std::vector<MigrationNode> nodes = {{{"core", 10}, {}}, {{"core", 9}, {}}, {{"core", 100}, {}}};
  absl::StatusOr<std::vector<MigrationKey>> order = ApplyOrder(specs, nodes);
  ASSERT_TRUE(order.ok());
  EXPECT_THAT(Names(*order), ElementsAre("core/9", "core/10", "core/100"));
}

}  // namespace
}  // namespace schemagate::catalog
