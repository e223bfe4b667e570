#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/migrate/history.h"

namespace schemagate::migrate {
namespace {

using ::testing::HasSubstr;

// Every accepted name gives a NOTIFY channel PostgreSQL keeps whole (63
// bytes at most): a longer one fails pg_notify and is truncated by LISTEN.
TEST(HistoryNameTest, ChannelFitsInAnIdentifier) {
  struct Case {
    std::string text;
    bool ok;
    std::string channel;
  };
  const std::string s31(31, 's'), t31(31, 't'), s32(32, 's'), f50(50, 'f');
  const std::vector<Case> cases = {
      {"schemagate.migrations", true, "schemagate_migrations"},
      {"migrations", true, "schemagate_migrations"},
      {s31 + "." + t31, true, s31 + "_" + t31},  // 63 bytes
      {s32 + "." + t31, false, ""},              // 64 bytes
      {f50 + "." + f50, false, ""},              // each part is valid alone
      {f50, true, "schemagate_" + f50},          // 61 bytes
      {"Bad.name", false, ""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<HistoryName> n = HistoryName::Parse(c.text);
    EXPECT_EQ(n.ok(), c.ok) << c.text << ": " << n.status();
    if (!n.ok()) {
      EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
      EXPECT_THAT(std::string(n.status().message()), HasSubstr("--history-table")) << c.text;
      continue;
    }
    EXPECT_EQ(n->Channel(), c.channel);
    EXPECT_LE(n->Channel().size(), HistoryName::kMaxIdentifierBytes);
    // The longest derived table name fits too.
    EXPECT_LE(n->table.size() + std::string("_in_progress").size(),
              HistoryName::kMaxIdentifierBytes);
  }
  absl::StatusOr<HistoryName> long_channel = HistoryName::Parse(f50 + "." + f50);
  ASSERT_FALSE(long_channel.ok());
  EXPECT_THAT(std::string(long_channel.status().message()),
              HasSubstr("is 101 bytes; PostgreSQL identifiers hold at most 63"));
}

}  // namespace
}  // namespace schemagate::migrate
