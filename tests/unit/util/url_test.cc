#include "server/util/url.h"

#include "gtest/gtest.h"

namespace schemagate::url {
namespace {

TEST(UrlTest, PasswordAndRedaction) {
  struct Case {
    std::string in, password, redacted, describe;
  };
  std::vector<Case> cases = {
      {"postgresql://app:s3cr%40t@db:5432/main?sslmode=require", "s3cr@t",
       "postgresql://app:****@db:5432/main?sslmode=require", "db:5432/main"},
      {"postgres://app@db/main", "", "postgres://app@db/main", "db/main"},
      {"postgresql://db/main?password=hunter22", "hunter22",
       "postgresql://db/main?password=****", "db/main"},
      {"host=db port=5433 dbname=x password='a b' user=u", "a b",
       "host=db port=5433 dbname=x password=**** user=u", "db:5433/x"},
      {"postgresql://u:p%3Aw@[::1]:5/d", "p:w", "postgresql://u:****@[::1]:5/d",
       "[::1]:5/d"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Password(c.in), c.password) << c.in;
    EXPECT_EQ(Redact(c.in), c.redacted) << c.in;
    EXPECT_EQ(Describe(c.in), c.describe) << c.in;
  }
}

TEST(UrlTest, DefaultParams) {
  EXPECT_EQ(WithDefaultParam("postgresql://db/x", "connect_timeout", "5"),
            "postgresql://db/x?connect_timeout=5");
  EXPECT_EQ(WithDefaultParam("postgresql://db/x?a=1", "connect_timeout", "5"),
            "postgresql://db/x?a=1&connect_timeout=5");
  EXPECT_EQ(WithDefaultParam("postgresql://db/x?connect_timeout=9",
                             "connect_timeout", "5"),
            "postgresql://db/x?connect_timeout=9");
  EXPECT_EQ(WithDefaultParam("host=db", "application_name", "sg"),
            "host=db application_name=sg");
}

}  // namespace
}  // namespace schemagate::url
