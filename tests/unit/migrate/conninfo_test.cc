#include "server/migrate/conninfo.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/util/log.h"

namespace schemagate::migrate {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// Passwords with every character that ends or splits a URI's user info,
// written as libpq accepts them: libpq's parse gives the password back
// exactly, the description names no part of it, and both its raw and its
// decoded form are secrets.
TEST(ConnInfoTest, PasswordsAreReadAsLibpqReadsThem) {
  struct Case {
    std::string url;
    std::string password;  // as libpq sends it
    std::string describe;
  };
  const std::vector<Case> cases = {
      {"postgresql://app:s3cr?t@db/app", "s3cr?t", "db/app"},
      {"postgresql://app:s3cr?t@db:5432/app?sslmode=disable", "s3cr?t", "db:5432/app"},
      {"postgres://app:pa#ss\"w\\ord x@db/app", "pa#ss\"w\\ord x", "db/app"},
      {"postgresql://app:p%40ss%2Fw%25rd%3A@db/app", "p@ss/w%rd:", "db/app"},
      {"postgresql://app:p\xC3\xA4ss\xE2\x82\xAC@db/app", "p\xC3\xA4ss\xE2\x82\xAC", "db/app"},
      {"postgresql://u:p%3Aw0rd@[::1]:5/d", "p:w0rd", "::1:5/d"},
      {"postgresql://db/main?password=hunter22", "hunter22", "db/main"},
      {"postgresql://db/main?password=a%26b%20c", "a&b c", "db/main"},
      {"host=db port=5433 dbname=x password='a b\\'c\\\\d' user=u", "a b'c\\d", "db:5433/x"},
      {"host=db dbname=x password=plain-secret", "plain-secret", "db/x"},
      {"postgresql://app@db/app", "", "db/app"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ConnInfo> info = ConnInfo::Parse(c.url);
    ASSERT_TRUE(info.ok()) << c.url << ": " << info.status();
    EXPECT_EQ(info->Get("password"), c.password) << c.url;
    EXPECT_EQ(info->Describe(), c.describe) << c.url;
    if (c.password.empty()) continue;
    EXPECT_THAT(ConnInfo::SecretsOf(c.url), Contains(c.password)) << c.url;
    // What we hand libpq parses back to the same password.
    std::string rebuilt = info->WithDefaults({{"connect_timeout", "5"}});
    absl::StatusOr<ConnInfo> again = ConnInfo::Parse(rebuilt);
    ASSERT_TRUE(again.ok()) << c.url;
    EXPECT_EQ(again->Get("password"), c.password) << c.url;
    EXPECT_EQ(again->Get("connect_timeout"), "5") << c.url;
  }
}

// Strings libpq rejects, or would split somewhere else than meant (an
// unencoded '@' or '/' in the password): refused without quoting them,
// and every raw form of the password is a secret already (libpq's own
// "invalid percent-encoded token" error quotes the raw token).
TEST(ConnInfoTest, UnparseableOrAmbiguousUrlsAreRefusedWithoutQuotingThem) {
  struct Case {
    std::string url;
    std::string secret;  // what must never be printed
  };
  const std::vector<Case> cases = {
      {"postgresql://app:p@ss@db/app", "p@ss"},
      {"postgresql://app:pa/ss@db/app", "pa/ss"},
      {"postgresql://app:50%off@db/app", "50%off"},
      {"postgresql://app:bad%zzpass@db/app", "bad%zzpass"},
      {"host=db password='unterminated", "unterminated"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ConnInfo> info = ConnInfo::Parse(c.url);
    ASSERT_FALSE(info.ok()) << c.url;
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument) << c.url;
    EXPECT_THAT(std::string(info.status().message()), Not(HasSubstr(c.secret))) << c.url;
    EXPECT_THAT(std::string(info.status().message()), HasSubstr("percent-encode")) << c.url;
    EXPECT_THAT(ConnInfo::SecretsOf(c.url), Contains(c.secret)) << c.url;
    EXPECT_EQ(log::Scrub("error: \"" + c.secret + "\""), "error: \"****\"") << c.url;
  }
}

TEST(ConnInfoTest, DefaultsAddWhatTheUrlDoesNotSet) {
  absl::StatusOr<ConnInfo> info =
      ConnInfo::Parse("postgresql://db/x?connect_timeout=9&options=-c%20work_mem%3D4MB");
  ASSERT_TRUE(info.ok());
  absl::StatusOr<ConnInfo> out =
      ConnInfo::Parse(info->WithDefaults({{"connect_timeout", "5"},
                                          {"application_name", "sg"},
                                          {"options", "-c statement_timeout=1000"}}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->Get("connect_timeout"), "9");
  EXPECT_EQ(out->Get("application_name"), "sg");
  EXPECT_EQ(out->Get("options"), "-c work_mem=4MB -c statement_timeout=1000");
  EXPECT_EQ(out->Get("host"), "db");
}

// Several hosts, as libpq takes them (a URI or key=value, one port for
// all or one each): each host is described with its port, the password is
// read as libpq reads it, target_session_attrs survives the rebuilt string,
// and only an explicit request for a standby counts as one.
TEST(ConnInfoTest, MultiHostUrlsAsLibpqTakesThem) {
  struct Case {
    std::string url;
    std::string describe;
    std::string password;
    std::string attrs;
    bool standby;
  };
  const std::vector<Case> cases = {
      {"postgresql://app:pw%40x@pg-0:5432,pg-1:5433/app?target_session_attrs=read-write",
       "pg-0:5432,pg-1:5433/app", "pw@x", "read-write", false},
      {"postgresql://app:secret-ha-1@pg-0,pg-1,pg-2/app", "pg-0,pg-1,pg-2/app", "secret-ha-1", "",
       false},
      {"host=pg-0,pg-1 port=5432 dbname=app user=app password='a b' "
       "target_session_attrs=read-write",
       "pg-0:5432,pg-1:5432/app", "a b", "read-write", false},
      {"host=pg-0,pg-1 port=6000,6001 dbname=app target_session_attrs=standby",
       "pg-0:6000,pg-1:6001/app", "", "standby", true},
      {"postgresql://pg-0:5432,pg-1:5432/app?target_session_attrs=prefer-standby",
       "pg-0:5432,pg-1:5432/app", "", "prefer-standby", true},
      {"postgresql://pg-0/app?target_session_attrs=read-only", "pg-0/app", "", "read-only", true},
      {"postgresql://pg-0/app?target_session_attrs=any", "pg-0/app", "", "any", false},
      {"postgresql://pg-0/app?target_session_attrs=primary", "pg-0/app", "", "primary", false},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ConnInfo> info = ConnInfo::Parse(c.url);
    ASSERT_TRUE(info.ok()) << c.url << ": " << info.status();
    EXPECT_EQ(info->Describe(), c.describe) << c.url;
    EXPECT_EQ(info->Get("password"), c.password) << c.url;
    EXPECT_EQ(info->Get("target_session_attrs"), c.attrs) << c.url;
    EXPECT_EQ(info->RequestsStandby(), c.standby) << c.url;
    if (!c.password.empty()) {
      EXPECT_THAT(info->Describe(), Not(HasSubstr(c.password)));
    }
    absl::StatusOr<ConnInfo> again =
        ConnInfo::Parse(info->WithDefaults({{"connect_timeout", "5"}}));
    ASSERT_TRUE(again.ok()) << c.url;
    EXPECT_EQ(again->Get("host"), info->Get("host")) << c.url;
    EXPECT_EQ(again->Get("port"), info->Get("port")) << c.url;
    EXPECT_EQ(again->Get("target_session_attrs"), c.attrs) << c.url;
    EXPECT_EQ(again->Describe(), c.describe) << c.url;
  }
}

}  // namespace
}  // namespace schemagate::migrate
