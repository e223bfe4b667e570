// The bundled tree's feature sets: which clusters each build enables, and
// how a bridge's column appears only when both of its features are on.
// Variant binaries are named by SCHEMAGATE_VARIANT_<NAME>_BIN.
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/subprocess.h"

namespace schemagate {
namespace {

using test::ProcessResult;
using test::RunProcess;
using ::testing::ElementsAreArray;

nlohmann::json CatalogOf(const std::string& variant) {
  std::string var = "SCHEMAGATE_VARIANT_" + variant + "_BIN";
  const char* bin = std::getenv(var.c_str());
  EXPECT_NE(bin, nullptr) << var;
  if (bin == nullptr) return {};
  ProcessResult r = RunProcess({bin, "catalog", "--compact"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

std::vector<std::string> Clusters(const nlohmann::json& c) {
  std::vector<std::string> out;
  for (const auto& cl : c["clusters"]) out.push_back(cl["name"]);
  std::sort(out.begin(), out.end());
  return out;
}

const nlohmann::json* Table(const nlohmann::json& c, const std::string& name) {
  for (const auto& cl : c["clusters"]) {
    for (const auto& t : cl["tables"]) {
      if (t["name"] == name) return &t;
    }
  }
  return nullptr;
}

bool HasColumn(const nlohmann::json& table, const std::string& column) {
  for (const auto& c : table["columns"]) {
    if (c["name"] == column) return true;
  }
  return false;
}

TEST(BundledVariantsTest, EnabledClustersPerFeatureSet) {
  struct Case {
    std::string variant;
    std::vector<std::string> clusters;
  };
  std::vector<Case> cases = {
      {"MINIMAL", {"core"}},
      {"TASKS", {"core", "tasks"}},
      {"MAIL", {"core", "mail"}},
      {"MAIL_PEOPLE", {"core", "mail", "mail_people", "people"}},
      // tickets depends on people: pulled in, as Cargo does.
      {"TICKETS", {"core", "people", "tickets"}},
      {"TASKS_CALENDAR", {"calendar", "core", "tasks", "tasks_calendar"}},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Clusters(CatalogOf(c.variant)), ElementsAreArray(c.clusters)) << c.variant;
  }
}

TEST(BundledVariantsTest, BridgeColumnOnlyWithBothFeatures) {
  nlohmann::json tasks = CatalogOf("TASKS");
  nlohmann::json both = CatalogOf("TASKS_CALENDAR");
  const nlohmann::json* t1 = Table(tasks, "tasks");
  const nlohmann::json* t2 = Table(both, "tasks");
  ASSERT_NE(t1, nullptr);
  ASSERT_NE(t2, nullptr);
  EXPECT_FALSE(HasColumn(*t1, "calendar_event_id"));
  EXPECT_TRUE(HasColumn(*t2, "calendar_event_id"));
  EXPECT_EQ(Table(tasks, "calendar_events"), nullptr);
}

TEST(BundledVariantsTest, FullBuildHasEveryClusterAndEnoughTables) {
  nlohmann::json full = CatalogOf("FULL");
  EXPECT_GE(full["clusters"].size(), 19u);
  size_t tables = 0;
  for (const auto& c : full["clusters"]) tables += c["tables"].size();
  EXPECT_GE(tables, 150u);
}

}  // namespace
}  // namespace schemagate
