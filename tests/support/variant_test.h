// A test fixture for the `schemagate` binaries of the test variants (other
// feature sets and test trees, built by schemagate_add_variant and named by
// SCHEMAGATE_VARIANT_<NAME>_BIN): a fresh database per test (DatabaseTest) and helpers to
// run a variant against it and read what it left (tests only).
//
//   class MyTest : public test::VariantDatabaseTest {};
//   TEST_F(MyTest, X) { EXPECT_EQ(Run("ENGINE_V1", {"migrate"}).exit_code, 0); }
#ifndef SCHEMAGATE_TESTS_SUPPORT_VARIANT_TEST_H_
#define SCHEMAGATE_TESTS_SUPPORT_VARIANT_TEST_H_

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/database_test.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate::test {

// $SCHEMAGATE_VARIANT_<variant>_BIN (a path that does not exist when unset).
inline std::string VariantBin(const std::string& variant) {
  std::string var = "SCHEMAGATE_VARIANT_" + variant + "_BIN";
  const char* bin = std::getenv(var.c_str());
  return bin != nullptr ? bin : "/nonexistent/" + var;
}

class VariantDatabaseTest : public DatabaseTest {
 protected:
  // DATABASE_URL of this test's database, info logging.
  std::vector<std::string> Env() const {
    return {"DATABASE_URL=" + db_->url(), "SCHEMAGATE_LOG_LEVEL=info"};
  }

  // `variant`'s schemagate with `args`, against this test's database.
  ProcessResult Run(const std::string& variant, std::vector<std::string> args) {
    args.insert(args.begin(), VariantBin(variant));
    return RunProcess(args, "", Env());
  }

  // "cluster/version" of every history row, in apply order; empty when the
  // history does not exist.
  std::vector<std::string> History() {
    if (!HistoryExists()) return {};
    auto rows =
        db_->Query("SELECT cluster || '/' || version FROM schemagate.migrations ORDER BY seq");
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  bool HistoryExists() {
    auto rows = db_->Query("SELECT to_regclass('schemagate.migrations') IS NOT NULL");
    return rows.ok() && *rows == std::vector<std::string>{"t"};
  }

  // The structure outside the history schema (TestDatabase::Schema).
  std::vector<std::string> Schema() {
    auto rows = db_->Schema();
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  // The "state" of cluster `c` in `status --json` output ("(absent)").
  static std::string ClusterState(const nlohmann::json& status, const std::string& c) {
    for (const auto& cl : status["clusters"]) {
      if (cl["name"] == c) return cl["state"];
    }
    return "(absent)";
  }
};

}  // namespace schemagate::test

#endif  // SCHEMAGATE_TESTS_SUPPORT_VARIANT_TEST_H_
