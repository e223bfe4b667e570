#include "server/util/log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace schemagate::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSinkForTesting([this](const std::string& line) { lines_.push_back(line); });
  }
  void TearDown() override {
    SetSinkForTesting(nullptr);
    Configure({});
  }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, SecretsAreScrubbedInEveryFormat) {
  AddSecret("hunter2-password");
  Configure({Format::kText, Level::kInfo, "t"});
  Info("connecting with hunter2-password", {{"url", "x:hunter2-password@h"}});
  Configure({Format::kJson, Level::kInfo, "t"});
  Error("oops", {{"detail", "hunter2-password"}});
  ASSERT_EQ(lines_.size(), 2u);
  for (const std::string& l : lines_) {
    EXPECT_THAT(l, Not(HasSubstr("hunter2")));
    EXPECT_THAT(l, HasSubstr("****"));
  }
  EXPECT_EQ(Scrub("a hunter2-password b"), "a **** b");
}

// Secrets with characters that JSON or the text format escape ('"', '\\',
// control bytes) are replaced before escaping, so no form of them is
// printed; a secret that contains another is replaced whole.
TEST_F(LogTest, SecretsAreScrubbedBeforeEscaping) {
  const std::string secret = "pa\"ss\\wo\trd-Zq9x";
  AddSecret("pa\"ss");  // a shorter secret inside it, registered first
  AddSecret(secret);
  for (Format format : {Format::kText, Format::kJson}) {
    lines_.clear();
    Configure({format, Level::kInfo, "t"});
    Error("cannot connect: " + secret, {{"error", "x " + secret + " y"}, {"k", secret}});
    ASSERT_EQ(lines_.size(), 1u);
    EXPECT_THAT(lines_[0], Not(HasSubstr("Zq9x"))) << lines_[0];
    EXPECT_THAT(lines_[0], Not(HasSubstr("wo"))) << lines_[0];
    EXPECT_THAT(lines_[0], HasSubstr("****")) << lines_[0];
  }
}

TEST_F(LogTest, JsonLinesParseAndCarryFields) {
  Configure({Format::kJson, Level::kDebug, "schemagate"});
  Info("applied", {{"migration", "core/0001_init"}, {"quote", "a\"b\nc"}});
  ASSERT_EQ(lines_.size(), 1u);
  nlohmann::json j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["msg"], "applied");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["migration"], "core/0001_init");
  EXPECT_EQ(j["quote"], "a\"b\nc");
}

TEST_F(LogTest, LevelFilters) {
  Configure({Format::kText, Level::kWarning, "t"});
  Info("hidden");
  Warning("shown");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0], "t: warning: shown");
  EXPECT_FALSE(Enabled(Level::kInfo));
}

TEST_F(LogTest, ShortSecretsAreIgnored) {
  AddSecret("ab");
  Configure({Format::kText, Level::kInfo, "t"});
  Info("ab cd");
  EXPECT_EQ(lines_[0], "t: ab cd");
}

}  // namespace
}  // namespace schemagate::log
