#include "server/sql/pg_names.h"

#include <tuple>

#include "gtest/gtest.h"

namespace schemagate::sql {
namespace {

// The type of column `a` as the generator renders it.
std::string TypeOf(const std::string& type) {
  absl::StatusOr<ProtoTree> tree = ParseProto("CREATE TABLE t (a " + type + ")");
  if (!tree.ok()) return "parse error";
  const pg_query::ColumnDef& col =
      tree->statements[0].node->create_stmt().table_elts(0).column_def();
  bool serial = false;
  std::string user;
  return FormatType(col.type_name(), &serial, &user);
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

TEST(FormatTypeTest, SerialAndUserTypes) {
  absl::StatusOr<ProtoTree> tree =
      ParseProto("CREATE TABLE t (a bigserial, b other.mood, c public.mood, d text)");
  ASSERT_TRUE(tree.ok()) << tree.status();
  const auto& elts = tree->statements[0].node->create_stmt().table_elts();
  std::vector<std::tuple<std::string, bool, std::string>> want = {
      {"bigint", true, ""},
      {"other.mood", false, "other.mood"},
      {"mood", false, "mood"},
      {"text", false, ""}};
  for (int i = 0; i < elts.size(); ++i) {
    bool serial = true;
    std::string user = "stale";
    std::string type = FormatType(elts[i].column_def().type_name(), &serial, &user);
    EXPECT_EQ(std::make_tuple(type, serial, user), want[i]) << i;
  }
}

// The name PostgreSQL gives an expression column of an index (and of a
// CREATE TABLE AS target list).
std::string NameOf(const std::string& expr) {
  absl::StatusOr<ProtoTree> tree = ParseProto("SELECT " + expr);
  if (!tree.ok()) return "parse error";
  return ExpressionName(tree->statements[0].node->select_stmt().target_list(0).res_target().val());
}

TEST(ExpressionNameTest, FigureColname) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"lower(email)", "lower"},
      {"pg_catalog.now()", "now"},
      {"a.b", "b"},
      {"x::text", "x"},
      {"1::numeric", "numeric"},
      {"coalesce(a, 0)", "coalesce"},
      {"CASE WHEN true THEN 1 END", "case"},
      {"nullif(a, b)", "nullif"},
      {"greatest(a, b)", "greatest"},
      {"least(a, b)", "least"},
      {"ARRAY[1]", "array"},
      {"ROW(1, 2)", "row"},
      {"EXISTS (SELECT 1)", "exists"},
      {"ARRAY(SELECT 1)", "array"},
      {"current_timestamp", "current_timestamp"},
      {"session_user", "session_user"},
      {"a COLLATE \"C\"", "a"},
      {"(a).f", "f"},
      {"a + 1", "expr"},
      {"(SELECT 1)", "expr"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(NameOf(in), out) << in;
}

TEST(StringListTest, SkipsNonStrings) {
  absl::StatusOr<ProtoTree> tree = ParseProto("SELECT s.t.*");
  ASSERT_TRUE(tree.ok()) << tree.status();
  const pg_query::Node& val =
      tree->statements[0].node->select_stmt().target_list(0).res_target().val();
  EXPECT_EQ(StringList(val.column_ref().fields()), (std::vector<std::string>{"s", "t"}));
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
