#include "server/sql/pg_json.h"

#include "gtest/gtest.h"
#include "server/sql/parser.h"

namespace schemagate::sql {
namespace {

// The type of column `a` as the generator renders it.
std::string TypeOf(const std::string& type) {
  absl::StatusOr<sql::ParseTree> tree =
      sql::Parse("CREATE TABLE t (a " + type + ")");
  if (!tree.ok()) return "parse error";
  const Json& col = tree->statements[0].node["CreateStmt"]["tableElts"][0]["ColumnDef"];
  bool serial = false;
  std::string user;
  return FormatType(col["typeName"], &serial, &user);
}

TEST(FormatTypeTest, MatchesPostgresFormatType) {
  // Expected values are what PostgreSQL 15's format_type() prints.
  std::vector<std::pair<std::string, std::string>> cases = {
      {"int", "integer"},
      {"integer", "integer"},
      {"int4", "integer"},
      {"int8", "bigint"},
      {"smallint", "smallint"},
      {"serial", "integer"},
      {"bigserial", "bigint"},
      {"real", "real"},
      {"float", "double precision"},
      {"double precision", "double precision"},
      {"boolean", "boolean"},
      {"bool", "boolean"},
      {"numeric", "numeric"},
      {"numeric(12,2)", "numeric(12,2)"},
      {"numeric(5)", "numeric(5,0)"},
      {"decimal(10, 3)", "numeric(10,3)"},
      {"varchar(255)", "character varying(255)"},
      {"character varying", "character varying"},
      {"char", "character(1)"},
      {"char(3)", "character(3)"},
      {"\"char\"", "\"char\""},
      {"text", "text"},
      {"text[]", "text[]"},
      {"int[][]", "integer[]"},
      {"timestamptz", "timestamp with time zone"},
      {"timestamp with time zone", "timestamp with time zone"},
      {"timestamp", "timestamp without time zone"},
      {"timestamp(3)", "timestamp(3) without time zone"},
      {"time", "time without time zone"},
      {"timetz", "time with time zone"},
      {"date", "date"},
      {"interval", "interval"},
      {"interval(3)", "interval(3)"},
      {"interval day to second", "interval day to second"},
      {"interval day to second(2)", "interval day to second(2)"},
      {"interval year", "interval year"},
      {"interval hour to minute", "interval hour to minute"},
      {"interval second(4)", "interval second(4)"},
      {"interval year to month", "interval year to month"},
      {"interval minute to second(1)", "interval minute to second(1)"},
      {"bit varying(5)", "bit varying(5)"},
      {"timestamptz(0)", "timestamp(0) with time zone"},
      {"time(3)", "time(3) without time zone"},
      {"float(10)", "real"},
      {"float(30)", "double precision"},
      {"uuid", "uuid"},
      {"jsonb", "jsonb"},
      {"inet", "inet"},
      {"bytea", "bytea"},
      {"bit(3)", "bit(3)"},
      {"my_enum", "my_enum"},
      {"public.my_enum", "my_enum"},
      {"other.my_enum", "other.my_enum"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(TypeOf(in), out) << in;
}

TEST(MakeObjectNameTest, TruncatesLikePostgres) {
  EXPECT_EQ(MakeObjectName("users", "", "pkey"), "users_pkey");
  EXPECT_EQ(MakeObjectName("tasks", "assignee_id", "fkey"), "tasks_assignee_id_fkey");
  std::string long_table(60, 't');
  std::string name = MakeObjectName(long_table, "column_name", "fkey");
  EXPECT_EQ(name.size(), 63u);
  EXPECT_EQ(name, std::string(46, 't') + "_column_name_fkey");
}

}  // namespace
}  // namespace schemagate::sql
