#include "server/catalog/features.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schemagate::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::vector<ClusterSpec> Tree() {
  return {
      {"core", {}, {}},
      {"tasks", {"core"}, {}},
      {"people", {"core"}, {}},
      {"tickets", {"core", "people"}, {}},
      {"mail", {"core"}, {}},
      {"calendar", {"core"}, {}},
      {"mail_people", {"core", "mail", "people"}, {"mail", "people"}},
      {"tasks_calendar", {"core", "tasks", "calendar"}, {"tasks", "calendar"}},
  };
}

struct Case {
  std::vector<std::string> requested;
  std::vector<std::string> features;
  std::vector<std::string> clusters;
};

TEST(ResolveFeaturesTest, Table) {
  std::vector<Case> cases = {
      {{}, {"core"}, {"core"}},
      {{"core"}, {"core"}, {"core"}},
      {{"tasks"}, {"core", "tasks"}, {"core", "tasks"}},
      {{"mail"}, {"core", "mail"}, {"core", "mail"}},
      {{"mail", "people"}, {"core", "mail", "people"}, {"core", "mail", "mail_people", "people"}},
      // tickets pulls in people; with mail the bridge switches on too.
      {{"tickets", "mail"},
       {"core", "mail", "people", "tickets"},
       {"core", "mail", "mail_people", "people", "tickets"}},
      {{"all"},
       {"core", "calendar", "mail", "people", "tasks", "tickets"},
       {"core", "calendar", "mail", "mail_people", "people", "tasks", "tasks_calendar", "tickets"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EnabledSet> set = ResolveFeatures(Tree(), c.requested);
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ(set->features, c.features) << ::testing::PrintToString(c.requested);
    EXPECT_EQ(set->clusters, c.clusters) << ::testing::PrintToString(c.requested);
  }
}

TEST(ResolveFeaturesTest, SaysWhyAClusterIsOn) {
  absl::StatusOr<EnabledSet> set = ResolveFeatures(Tree(), {"tickets", "mail"});
  ASSERT_TRUE(set.ok());
  EXPECT_THAT(set->reason,
              UnorderedElementsAre(Pair("people", "tickets"), Pair("mail_people", "bridge"),
                                   Pair("core", "always on")));
  EXPECT_THAT(set->requested, ElementsAre("tickets", "mail"));
}

TEST(ResolveFeaturesTest, UnknownFeatureListsValidOnes) {
  absl::StatusOr<EnabledSet> set = ResolveFeatures(Tree(), {"taks"});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.status().message(),
            "unknown feature \"taks\"; valid features: core, calendar, mail, "
            "people, tasks, tickets, all");
}

TEST(ResolveFeaturesTest, BridgeCannotBeRequested) {
  absl::StatusOr<EnabledSet> set = ResolveFeatures(Tree(), {"mail_people"});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(set.status().message()),
              HasSubstr("enabled when all of its features are: mail, people"));
}

TEST(SplitFeatureListTest, AcceptsCommasSemicolonsAndSpaces) {
  EXPECT_THAT(SplitFeatureList(" tasks, mail;people  ,,"), ElementsAre("tasks", "mail", "people"));
  EXPECT_TRUE(SplitFeatureList("").empty());
}

TEST(DependencyClosureTest, IncludesTransitiveDependenciesAndCore) {
  EXPECT_THAT(DependencyClosure(Tree(), "tickets"), ElementsAre("core", "people", "tickets"));
  EXPECT_THAT(DependencyClosure(Tree(), "mail_people"),
              ElementsAre("core", "mail", "mail_people", "people"));
}

}  // namespace
}  // namespace schemagate::catalog
