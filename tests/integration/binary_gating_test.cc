// A build without a feature contains neither that feature's SQL nor its
// table names. Compares a smaller build (SCHEMAGATE_SMALL_BIN) with a
// larger one (SCHEMAGATE_FULL_BIN) of the same tree: every table and every
// SQL line of a cluster the small build does not enable must be absent from
// the small binary's bytes, while its own tables and SQL are present.
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/subprocess.h"

namespace schemagate {
namespace {

using test::ProcessResult;
using test::RunProcess;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json CatalogOf(const std::string& bin) {
  ProcessResult r = RunProcess({bin, "catalog", "--compact"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '$'; }

// Occurrences of `word` in `bytes` not glued to identifier characters.
int CountIdentifier(const std::string& bytes, const std::string& word) {
  int count = 0;
  for (size_t at = bytes.find(word); at != std::string::npos; at = bytes.find(word, at + 1)) {
    bool left = at == 0 || !IsIdentChar(bytes[at - 1]);
    bool right = at + word.size() >= bytes.size() || !IsIdentChar(bytes[at + word.size()]);
    if (left && right) ++count;
  }
  return count;
}

class BinaryGatingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    small_bin_ = Env("SCHEMAGATE_SMALL_BIN");
    full_bin_ = Env("SCHEMAGATE_FULL_BIN");
    ASSERT_FALSE(small_bin_.empty() || full_bin_.empty())
        << "set SCHEMAGATE_SMALL_BIN and SCHEMAGATE_FULL_BIN";
    small_ = CatalogOf(small_bin_);
    full_ = CatalogOf(full_bin_);
    bytes_ = ReadFile(small_bin_);
    ASSERT_GT(bytes_.size(), 0u);
    for (const auto& c : small_["clusters"]) enabled_.insert(c["name"]);
  }

  std::string small_bin_, full_bin_, bytes_;
  nlohmann::json small_, full_;
  std::set<std::string> enabled_;
};

TEST_F(BinaryGatingTest, DisabledTablesAreNotInTheBinary) {
  int checked = 0;
  for (const auto& cluster : full_["clusters"]) {
    bool on = enabled_.count(cluster["name"].get<std::string>()) > 0;
    for (const auto& t : cluster["tables"]) {
      std::string name = t["name"];
      if (on) {
        EXPECT_GT(CountIdentifier(bytes_, name), 0)
            << "enabled table " << name << " should be embedded";
      } else {
        ++checked;
        EXPECT_EQ(CountIdentifier(bytes_, name), 0) << "table " << name << " of disabled cluster "
                                                    << cluster["name"] << " is in " << small_bin_;
      }
    }
  }
  if (full_["clusters"].size() > small_["clusters"].size()) {
    EXPECT_GT(checked, 0);
  }
}

TEST_F(BinaryGatingTest, DisabledSqlIsNotInTheBinary) {
  ProcessResult small_sql = RunProcess({small_bin_, "sql"});
  ASSERT_EQ(small_sql.exit_code, 0);
  ProcessResult small_down = RunProcess({small_bin_, "sql", "--down"});
  ASSERT_EQ(small_down.exit_code, 0);
  // Every migration of the full build, as "-- schemagate: c/v_name" blocks.
  ProcessResult full_sql = RunProcess({full_bin_, "sql"});
  ASSERT_EQ(full_sql.exit_code, 0);
  std::string own = small_sql.out + small_down.out;
  std::string cluster;
  int checked = 0;
  for (absl::string_view raw : absl::StrSplit(full_sql.out, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (absl::ConsumePrefix(&line, "-- schemagate: ")) {
      cluster = std::string(line.substr(0, line.find('/')));
      continue;
    }
    if (enabled_.count(cluster) || line.size() < 24) continue;
    std::string text(line);
    // Shared boilerplate (e.g. a trigger line) may also be the small build's.
    if (own.find(text) != std::string::npos) continue;
    ++checked;
    EXPECT_EQ(bytes_.find(text), std::string::npos)
        << "SQL of disabled cluster " << cluster << " is in " << small_bin_ << ": " << text;
  }
  // Positive control: the enabled SQL is embedded.
  size_t first_line = small_sql.out.find('\n');
  std::string sample = small_sql.out.substr(first_line + 1, 40);
  EXPECT_NE(bytes_.find(sample), std::string::npos) << sample;
  if (full_["clusters"].size() > small_["clusters"].size()) {
    EXPECT_GT(checked, 0);
  }
}

TEST_F(BinaryGatingTest, CatalogListsOnlyEnabledClusters) {
  std::set<std::string> full_names;
  for (const auto& c : full_["clusters"]) full_names.insert(c["name"]);
  for (const std::string& name : enabled_) {
    EXPECT_TRUE(full_names.count(name)) << name;
  }
  for (const auto& c : small_["clusters"]) {
    for (const auto& t : c["tables"]) {
      for (const auto& col : t["columns"]) {
        EXPECT_TRUE(enabled_.count(col["cluster"].get<std::string>()))
            << t["name"] << "." << col["name"];
      }
      for (const auto& fk : t["foreign_keys"]) {
        EXPECT_TRUE(enabled_.count(fk["cluster"].get<std::string>())) << fk["name"];
      }
    }
  }
}

}  // namespace
}  // namespace schemagate
