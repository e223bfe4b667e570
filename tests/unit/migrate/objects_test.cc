#include "server/migrate/objects.h"

#include "gtest/gtest.h"

namespace schemagate::migrate {
namespace {

std::string Names(const std::vector<RelationName>& names) {
  std::string out;
  for (const RelationName& n : names) out += (out.empty() ? "" : ",") + n.Display();
  return out;
}

TEST(ObjectsTest, CreatedAndDroppedRelations) {
  struct Case {
    std::string sql;
    std::string creates, drops;
    bool other;
  };
  const std::vector<Case> cases = {
      {"CREATE INDEX CONCURRENTLY notes_user_ix ON notes (user_id)", "notes_user_ix", "", false},
      {"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON app.t (a)", "app.ix", "", false},
      {"CREATE INDEX ON t (a)", "", "", true},  // the name is PostgreSQL's choice
      {"CREATE TABLE s.t (a int)", "s.t", "", false},
      {"CREATE VIEW v AS SELECT 1", "v", "", false},
      {"CREATE MATERIALIZED VIEW mv AS SELECT 1", "mv", "", false},
      {"CREATE SEQUENCE sq", "sq", "", false},
      {"DROP INDEX CONCURRENTLY IF EXISTS notes_body_ix", "", "notes_body_ix", false},
      {"DROP TABLE a, s.b", "", "a,s.b", false},
      {"DROP TYPE mood", "", "", true},
      {"ALTER TYPE mood ADD VALUE 'meh'", "", "", true},
      {"REINDEX INDEX CONCURRENTLY ix", "", "", true},
      {"SELECT pg_sleep(1)", "", "", true},
      {"not sql at all", "", "", true},
  };
  for (const Case& c : cases) {
    StatementObjects o = ObjectsOf(c.sql);
    EXPECT_EQ(Names(o.creates), c.creates) << c.sql;
    EXPECT_EQ(Names(o.drops), c.drops) << c.sql;
    EXPECT_EQ(o.other, c.other) << c.sql;
  }
  EXPECT_EQ(ObjectsOf("CREATE INDEX ix ON app.t (a)").creates[0].table, "app.t");
}

TEST(ObjectsTest, MatchingAndEncoding) {
  RelationName a{"", "ix", "t"}, b{"public", "ix", ""}, c{"app", "ix", ""};
  EXPECT_TRUE(a.Matches(b));
  EXPECT_TRUE(b.Matches(a));
  EXPECT_FALSE(b.Matches(c));
  EXPECT_FALSE(a.Matches({"", "other", ""}));
  RelationName d = RelationName::Decode(RelationName{"s", "Odd, name", "s.t"}.Encode());
  EXPECT_EQ(d.schema, "s");
  EXPECT_EQ(d.name, "Odd, name");
  EXPECT_EQ(d.table, "s.t");
}

}  // namespace
}  // namespace schemagate::migrate
