#include "server/util/cli.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schemagate::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(FlagSetTest, ParsesFormsAndEnvironment) {
  std::string url;
  bool json = false, force = true;
  int64_t n = 1;
  absl::Duration d = absl::Seconds(1);
  std::vector<std::string> list = {"default"};
  FlagSet flags("tool cmd", "Does things.");
  flags.String("url", &url, "the url", "CLI_TEST_URL");
  flags.Bool("json", &json, "json");
  flags.Bool("force", &force, "force");
  flags.Int("n", &n, "count");
  flags.Duration("wait", &d, "wait");
  flags.List("features", &list, "features");
  setenv("CLI_TEST_URL", "from-env", 1);
  ParseResult r = flags.Parse({"--json", "--no-force", "--n", "7", "--wait=1m30s", "--features",
                               "a,b", "--features=c", "pos", "--", "--not-a-flag"});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(url, "from-env");
  EXPECT_TRUE(flags.IsSet("url"));
  EXPECT_TRUE(json);
  EXPECT_FALSE(force);
  EXPECT_EQ(n, 7);
  EXPECT_EQ(d, absl::Seconds(90));
  EXPECT_THAT(list, ElementsAre("a", "b", "c"));
  EXPECT_THAT(r.positional, ElementsAre("pos", "--not-a-flag"));
  unsetenv("CLI_TEST_URL");
}

TEST(FlagSetTest, ErrorsNameTheFlag) {
  int64_t n = 0;
  absl::Duration d;
  FlagSet flags("tool cmd", "x");
  flags.Int("n", &n, "count");
  flags.Duration("wait", &d, "wait");
  EXPECT_THAT(std::string(flags.Parse({"--bogus"}).status.message()),
              HasSubstr("unknown flag --bogus for tool cmd"));
  EXPECT_THAT(std::string(flags.Parse({"--n=x"}).status.message()),
              HasSubstr("--n: expected an integer"));
  EXPECT_THAT(std::string(flags.Parse({"--wait=soon"}).status.message()),
              HasSubstr("--wait: expected a duration"));
  EXPECT_THAT(std::string(flags.Parse({"--n"}).status.message()),
              HasSubstr("flag --n needs a value"));
  EXPECT_TRUE(flags.Parse({"--help"}).help);
}

TEST(FlagSetTest, HelpListsEveryFlagWithDefaultsAndEnv) {
  std::string s = "x";
  FlagSet flags("tool cmd", "Summary line.");
  flags.String("name", &s, "a name", "TOOL_NAME");
  flags.SetEpilog("Exit codes: 0 ok\n");
  std::string help = flags.Help();
  EXPECT_THAT(help, HasSubstr("Usage: tool cmd [flags]"));
  EXPECT_THAT(help, HasSubstr("--name=VALUE"));
  EXPECT_THAT(help, HasSubstr("(default \"x\") [env TOOL_NAME]"));
  EXPECT_THAT(help, HasSubstr("Exit codes: 0 ok"));
  EXPECT_THAT(flags.Names(), ElementsAre("name"));
}

}  // namespace
}  // namespace schemagate::cli
