// The consumer schema headers: identifier escaping, collisions, which
// headers and join descriptors a feature set gets, and that the generated
// headers compile (with the C++ compiler of this build, named by
// $SCHEMAGATE_TEST_CXX) while code naming a disabled cluster does not.
#include "server/generator/schema_headers.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/generator/generator.h"
#include "tests/support/subprocess.h"
#include "tests/unit/generator/tree_builder.h"

namespace schemagate::generator {
namespace {

using test::MakeTree;
using test::Manifest;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::map<std::string, std::string> OddTree() {
  return {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql",
       "CREATE SCHEMA shop;\n"
       "CREATE TABLE users (id bigint PRIMARY KEY, \"class\" text,\n"
       "  \"Display Name\" text, \"1st_login\" timestamptz, \"delete\" boolean,\n"
       "  \"NULL\" int, \"na\"\"me\" int);\n"
       "CREATE TABLE \"Order Items\" (\"Item Id\" bigint PRIMARY KEY, \"order\" int,\n"
       "  owner_id bigint CONSTRAINT fk_owner REFERENCES users (id));\n"
       "CREATE TABLE shop.addresses (user_id bigint REFERENCES users (id),\n"
       "  \"position\" int, PRIMARY KEY (user_id, \"position\"));\n"
       "CREATE TABLE \"class\" (id int PRIMARY KEY,\n"
       "  parent_id int REFERENCES \"class\" (id));\n"
       "CREATE TABLE \"1st\" (x int);\n"
       "CREATE TABLE \"\xe5\x90\x8d\xe5\x89\x8d\" (id int);\n"
       "CREATE TABLE columns (columns int, name int, sql int, \"std\" int);\n"
       "CREATE TABLE empty ();\n"},
      {"core/0001_init/down.sql", "DROP SCHEMA shop CASCADE;\n"},
      {"tasks/cluster.textproto", Manifest("tasks", {"core"})},
      {"tasks/0001_init/up.sql",
       "CREATE TABLE tasks (id bigint PRIMARY KEY,\n"
       "  assignee_id bigint REFERENCES users (id),\n"
       "  parent_id bigint REFERENCES tasks (id),\n"
       "  owner_id bigint CONSTRAINT fk_owner REFERENCES users (id));\n"
       "ALTER TABLE users ADD COLUMN current_task_id bigint;\n"},
      {"tasks/0001_init/down.sql", "DROP TABLE tasks;\n"},
      {"calendar/cluster.textproto", Manifest("calendar", {"core"})},
      {"calendar/0001_init/up.sql", "CREATE TABLE calendar_events (id bigint PRIMARY KEY);\n"},
      {"calendar/0001_init/down.sql", "DROP TABLE calendar_events;\n"},
      {"tasks_calendar/cluster.textproto",
       Manifest("tasks_calendar", {"core", "tasks", "calendar"}, {"tasks", "calendar"})},
      {"tasks_calendar/0001_link/up.sql",
       "ALTER TABLE tasks ADD COLUMN event_id bigint\n"
       "  REFERENCES calendar_events (id);\n"},
      {"tasks_calendar/0001_link/down.sql", "ALTER TABLE tasks DROP COLUMN event_id;\n"},
      // A cluster whose name is a C++ keyword.
      {"delete/cluster.textproto", Manifest("delete", {"core"})},
      {"delete/0001_init/up.sql", "CREATE TABLE \"new\" (\"int\" int);\n"},
      {"delete/0001_init/down.sql", "DROP TABLE \"new\";\n"},
  };
}

v1::BuildCatalog Build(const std::map<std::string, std::string>& files,
                       const std::vector<std::string>& features) {
  Diagnostics diagnostics;
  SourceTree tree = ParseTree("m", MakeTree(files), &diagnostics);
  absl::StatusOr<v1::BuildCatalog> c = Generate(tree, features, &diagnostics);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : v1::BuildCatalog();
}

std::map<std::string, std::string> Headers(const v1::BuildCatalog& catalog) {
  absl::StatusOr<std::vector<SchemaHeader>> headers = EmitSchemaHeaders(catalog);
  EXPECT_TRUE(headers.ok()) << headers.status();
  std::map<std::string, std::string> out;
  if (headers.ok()) {
    for (const SchemaHeader& h : *headers) out[h.path] = h.content;
  }
  return out;
}

std::vector<std::string> Keys(const std::map<std::string, std::string>& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  return keys;
}

TEST(CppIdentifierTest, EscapesAnyPostgresName) {
  struct Case {
    std::string name;
    std::set<std::string> reserved;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"tasks", {}, "tasks"},
      {"Order Items", {}, "Order_Items"},
      {"class", {}, "class_"},
      {"delete", {}, "delete_"},
      {"and", {}, "and_"},
      {"1st", {}, "_1st"},
      {"shop.addresses", {}, "shop_addresses"},
      {"a  b", {}, "a_b"},
      {"a__b", {}, "a_b"},
      {"_Private", {}, "x_Private"},
      {"_private", {}, "_private"},
      {"na\"me", {}, "na_me"},
      {"\xe5\x90\x8d\xe5\x89\x8d", {}, "_u540d_u524d"},
      {"caf\xc3\xa9", {}, "caf_u00e9"},
      {"NULL", {}, "NULL_"},
      {"linux", {}, "linux_"},
      {"std", {}, "std_"},
      {"name", {"name"}, "name_"},
      {"name", {}, "name"},
      {"$", {}, "_"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CppIdentifier(c.name, c.reserved), c.want) << "name: " << c.name;
  }
}

TEST(SqlIdentifierTest, QuotesWhatPostgresNeedsQuoted) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tasks", "tasks"},         {"assignee_id", "assignee_id"},
      {"name", "name"},           {"order", "\"order\""},
      {"user", "\"user\""},       {"Order Items", "\"Order Items\""},
      {"Users", "\"Users\""},     {"1st", "\"1st\""},
      {"na\"me", "\"na\"\"me\""}, {"position", "\"position\""},
  };
  for (const auto& [name, want] : cases) {
    EXPECT_EQ(SqlIdentifier(name), want) << "name: " << name;
  }
  EXPECT_EQ(SqlTableName("shop.addresses"), "shop.addresses");
  EXPECT_EQ(SqlTableName("Shop.Order"), "\"Shop\".\"Order\"");
}

TEST(SchemaHeadersTest, OnlyEnabledClustersGetHeaders) {
  std::map<std::string, std::string> h = Headers(Build(OddTree(), {"tasks"}));
  EXPECT_THAT(Keys(h), ElementsAre("schemagate/schema.h", "schemagate/schema/core.h",
                                   "schemagate/schema/features.h", "schemagate/schema/tasks.h"));
  const std::string& features = h["schemagate/schema/features.h"];
  EXPECT_THAT(features, AllOf(HasSubstr("#define SCHEMAGATE_HAS_CORE 1\n"),
                              HasSubstr("#define SCHEMAGATE_HAS_TASKS 1\n")));
  // Disabled clusters are not named at all.
  for (const auto& [path, content] : h) {
    EXPECT_THAT(content, AllOf(Not(HasSubstr("calendar")), Not(HasSubstr("CALENDAR")),
                               Not(HasSubstr("event_id"))))
        << path;
  }
  EXPECT_THAT(h["schemagate/schema.h"], AllOf(HasSubstr("#include \"schemagate/schema/core.h\""),
                                              HasSubstr("#include \"schemagate/schema/tasks.h\"")));
}

TEST(SchemaHeadersTest, TablesColumnsAndKeysAreConstants) {
  std::map<std::string, std::string> h = Headers(Build(OddTree(), {"tasks"}));
  const std::string& core = h["schemagate/schema/core.h"];
  EXPECT_THAT(core, HasSubstr("namespace schemagate::schema::core {"));
  EXPECT_THAT(core, HasSubstr("struct users {"));
  EXPECT_THAT(core, HasSubstr("static constexpr ::schemagate::schema::Column class_{\"class\", "
                              "\"class\", \"text\", true, \"core\"};"));
  EXPECT_THAT(core,
              HasSubstr("Display_Name{\"Display Name\", \"\\\"Display Name\\\"\", \"text\", true, "
                        "\"core\"}"));
  EXPECT_THAT(core, HasSubstr("_1st_login{"));
  EXPECT_THAT(core, HasSubstr("delete_{"));
  EXPECT_THAT(core, HasSubstr("NULL_{"));
  // A column that tasks adds to core's table is listed, tagged with tasks.
  EXPECT_THAT(core, HasSubstr("current_task_id{\"current_task_id\", "
                              "\"current_task_id\", \"bigint\", true, \"tasks\"}"));
  EXPECT_THAT(core, HasSubstr("struct Order_Items {"));
  EXPECT_THAT(core, HasSubstr("static constexpr ::std::string_view sql = "
                              "\"\\\"Order Items\\\"\";"));
  EXPECT_THAT(core, HasSubstr("struct shop_addresses {"));
  EXPECT_THAT(core, HasSubstr("primary_key = {\"user_id\", \"position\"};"));
  EXPECT_THAT(core, HasSubstr("struct class_ {"));
  EXPECT_THAT(core, HasSubstr("struct _1st {"));
  EXPECT_THAT(core, HasSubstr("struct _u540d_u524d {"));
  // Names of the generated structs' own members are escaped.
  EXPECT_THAT(core, HasSubstr("struct columns_ {"));
  EXPECT_THAT(core, HasSubstr("columns_{\"columns\""));
  EXPECT_THAT(core, HasSubstr("std_{\"std\""));
  EXPECT_THAT(core, HasSubstr("primary_key = {};"));
  // Self-reference: the referenced side is aliased after the key column.
  // ("class" is not a reserved word in PostgreSQL, "order" is.)
  EXPECT_THAT(core, HasSubstr("on = \"class.parent_id = parent.id\""));
  EXPECT_THAT(core, HasSubstr("join = \"JOIN class AS parent ON class.parent_id = parent.id\""));
  // Foreign keys named alike on two tables get distinct descriptors.
  EXPECT_THAT(core, HasSubstr("struct Order_Items_fk_owner {"));
  EXPECT_THAT(core, HasSubstr("struct shop_addresses_user_id_fkey {"));
  EXPECT_THAT(core, HasSubstr("on = \"shop.addresses.user_id = users.id\""));

  const std::string& tasks = h["schemagate/schema/tasks.h"];
  EXPECT_THAT(tasks, HasSubstr("#include \"schemagate/schema/core.h\""));
  EXPECT_THAT(tasks, HasSubstr("struct tasks_assignee_id_fkey {"));
  EXPECT_THAT(tasks, HasSubstr("using left_table = ::schemagate::schema::tasks::tasks;"));
  EXPECT_THAT(tasks, HasSubstr("using right_table = ::schemagate::schema::core::users;"));
  EXPECT_THAT(tasks, HasSubstr("on = \"tasks.assignee_id = users.id\";"));
  EXPECT_THAT(tasks, HasSubstr("join = \"JOIN users ON tasks.assignee_id = users.id\";"));
  EXPECT_THAT(tasks, HasSubstr("struct tasks_fk_owner {"));
}

TEST(SchemaHeadersTest, CrossClusterJoinsExistOnlyWhenBothClustersAre) {
  // tasks alone: the bridge's column and join are absent.
  std::map<std::string, std::string> tasks_only = Headers(Build(OddTree(), {"tasks"}));
  EXPECT_EQ(tasks_only.count("schemagate/schema/tasks_calendar.h"), 0u);
  EXPECT_THAT(tasks_only["schemagate/schema/tasks.h"], Not(HasSubstr("event_id")));
  // calendar alone: no tasks, no bridge.
  std::map<std::string, std::string> calendar_only = Headers(Build(OddTree(), {"calendar"}));
  EXPECT_THAT(Keys(calendar_only),
              ElementsAre("schemagate/schema.h", "schemagate/schema/calendar.h",
                          "schemagate/schema/core.h", "schemagate/schema/features.h"));
  // Both: the bridge header holds the join, between the two clusters' tables.
  std::map<std::string, std::string> both = Headers(Build(OddTree(), {"tasks", "calendar"}));
  ASSERT_EQ(both.count("schemagate/schema/tasks_calendar.h"), 1u);
  const std::string& bridge = both["schemagate/schema/tasks_calendar.h"];
  EXPECT_THAT(bridge, AllOf(HasSubstr("#include \"schemagate/schema/calendar.h\""),
                            HasSubstr("#include \"schemagate/schema/tasks.h\""),
                            HasSubstr("struct tasks_event_id_fkey {"),
                            HasSubstr("on = \"tasks.event_id = calendar_events.id\""),
                            HasSubstr("A bridge: enabled when all of these features "
                                      "are: tasks, calendar.")));
  EXPECT_THAT(both["schemagate/schema/tasks.h"],
              AllOf(HasSubstr("event_id{\"event_id\", \"event_id\", \"bigint\", true, "
                              "\"tasks_calendar\"}"),
                    Not(HasSubstr("tasks_event_id_fkey"))));
  EXPECT_THAT(both["schemagate/schema/features.h"],
              HasSubstr("#define SCHEMAGATE_HAS_TASKS_CALENDAR 1\n"));
}

TEST(SchemaHeadersTest, KeywordClusterGetsEscapedNamespace) {
  std::map<std::string, std::string> h = Headers(Build(OddTree(), {"delete"}));
  const std::string& d = h["schemagate/schema/delete.h"];
  EXPECT_THAT(d, AllOf(HasSubstr("namespace schemagate::schema::delete_ {"),
                       HasSubstr("struct new_ {"), HasSubstr("int_{\"int\""),
                       HasSubstr("#ifndef SCHEMAGATE_SCHEMA_CLUSTER_DELETE__H_")));
  EXPECT_THAT(h["schemagate/schema/features.h"], HasSubstr("#define SCHEMAGATE_HAS_DELETE 1\n"));
}

struct CollisionCase {
  std::string label;
  std::map<std::string, std::string> files;
  std::vector<std::string> want;  // substrings of the error
};

TEST(SchemaHeadersTest, CollisionsAreErrorsNamingBothNames) {
  const std::vector<CollisionCase> cases = {
      {"tables",
       {{"core/cluster.textproto", Manifest("core")},
        {"core/0001_init/up.sql",
         "CREATE TABLE \"order items\" (id int);\n"
         "CREATE TABLE order_items (id int);\n"},
        {"core/0001_init/down.sql", "DROP TABLE order_items;\n"}},
       {"cluster \"core\"", "table \"order items\"", "table \"order_items\"", "\"order_items\""}},
      {"columns",
       {{"core/cluster.textproto", Manifest("core")},
        {"core/0001_init/up.sql", "CREATE TABLE t (\"a b\" int, \"a-b\" int);\n"},
        {"core/0001_init/down.sql", "DROP TABLE t;\n"}},
       {"cluster \"core\", table \"t\"", "column \"a b\"", "column \"a-b\"",
        "C++ identifier \"a_b\""}},
      {"reserved member",
       {{"core/cluster.textproto", Manifest("core")},
        {"core/0001_init/up.sql", "CREATE TABLE t (columns int, columns_ int);\n"},
        {"core/0001_init/down.sql", "DROP TABLE t;\n"}},
       {"column \"columns\"", "column \"columns_\"", "\"columns_\""}},
      {"clusters",
       {{"core/cluster.textproto", Manifest("core")},
        {"core/0001_init/up.sql", "CREATE TABLE a (id int);\n"},
        {"core/0001_init/down.sql", "DROP TABLE a;\n"},
        {"class/cluster.textproto", Manifest("class", {"core"})},
        {"class/0001_init/up.sql", "CREATE TABLE b (id int);\n"},
        {"class/0001_init/down.sql", "DROP TABLE b;\n"},
        {"class_/cluster.textproto", Manifest("class_", {"core"})},
        {"class_/0001_init/up.sql", "CREATE TABLE c (id int);\n"},
        {"class_/0001_init/down.sql", "DROP TABLE c;\n"}},
       {"cluster \"class\"", "cluster \"class_\"", "\"class_\""}},
      {"features header",
       {{"core/cluster.textproto", Manifest("core")},
        {"core/0001_init/up.sql", "CREATE TABLE a (id int);\n"},
        {"core/0001_init/down.sql", "DROP TABLE a;\n"},
        {"features/cluster.textproto", Manifest("features", {"core"})},
        {"features/0001_init/up.sql", "CREATE TABLE b (id int);\n"},
        {"features/0001_init/down.sql", "DROP TABLE b;\n"}},
       {"cluster \"features\"", "schemagate/schema/features.h"}},
  };
  for (const CollisionCase& c : cases) {
    absl::StatusOr<std::vector<SchemaHeader>> headers = EmitSchemaHeaders(Build(c.files, {"all"}));
    ASSERT_FALSE(headers.ok()) << c.label;
    EXPECT_EQ(headers.status().code(), absl::StatusCode::kInvalidArgument) << c.label;
    for (const std::string& want : c.want) {
      EXPECT_THAT(std::string(headers.status().message()), HasSubstr(want)) << c.label;
    }
  }
}

// --- The headers compile; naming a disabled cluster does not ----------------

class CompileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cxx_ = std::getenv("SCHEMAGATE_TEST_CXX") ? std::getenv("SCHEMAGATE_TEST_CXX") : "";
    source_ = std::getenv("SCHEMAGATE_SOURCE_DIR") ? std::getenv("SCHEMAGATE_SOURCE_DIR") : "";
    if (cxx_.empty() || source_.empty()) {
      GTEST_SKIP() << "set SCHEMAGATE_TEST_CXX and SCHEMAGATE_SOURCE_DIR";
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("sg_schema_headers_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "schemagate" / "schema");
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void Write(const std::map<std::string, std::string>& headers) {
    for (const auto& [path, content] : headers) {
      std::ofstream(dir_ / path) << content;
    }
  }

  // Compiles `source` against the headers; returns the compiler's result.
  ::schemagate::test::ProcessResult Compile(const std::string& source) {
    std::filesystem::path cc = dir_ / "consumer.cc";
    std::ofstream(cc) << source;
    return ::schemagate::test::RunProcess({cxx_, "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra",
                                           "-Wpedantic", "-Werror", "-Wundef", "-Wshadow",
                                           "-I" + dir_.string(), "-I" + source_ + "/client/include",
                                           cc.string()});
  }

  std::string cxx_, source_;
  std::filesystem::path dir_;
};

TEST_F(CompileTest, EveryHeaderOfOddNamesCompilesAndHoldsItsValues) {
  Write(Headers(Build(OddTree(), {"all"})));
  ::schemagate::test::ProcessResult r = Compile(R"cc(
#include "schemagate/schema.h"
    // Twice: include guards.
#include "schemagate/schema.h"
    namespace s = schemagate::schema;
    static_assert(s::core::users::name == "users");
    static_assert(s::core::users::columns::class_.sql == "class");
    static_assert(s::core::users::columns::Display_Name.sql == "\"Display Name\"");
    static_assert(s::core::Order_Items::columns::order.sql == "\"order\"");
    static_assert(s::core::shop_addresses::primary_key.size() == 2);
    static_assert(s::core::_u540d_u524d::name == "\xe5\x90\x8d\xe5\x89\x8d");
    static_assert(s::core::users::columns::na_me.name == "na\"me");
    static_assert(s::core::empty::all_columns.size() == 0);
    static_assert(s::delete_::new_::columns::int_.type == "integer");
    using J = s::tasks::joins::tasks_assignee_id_fkey;
    static_assert(J::on == "tasks.assignee_id = users.id");
    static_assert(J::right_table::name == "users");
    static_assert(s::tasks_calendar::joins::tasks_event_id_fkey::left_table::name == "tasks");
    static_assert(s::kEnabledClusters.size() == 5);
#if !SCHEMAGATE_HAS_TASKS_CALENDAR || !SCHEMAGATE_HAS_DELETE
#error missing feature macro
#endif
    int main() {
      return s::JoinWithAliases<J>("t", "u") == "JOIN users AS u ON t.assignee_id = u.id" ? 0 : 1;
    }
  )cc");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CompileTest, NamingADisabledClusterDoesNotCompile) {
  Write(Headers(Build(OddTree(), {"tasks"})));
  // Control: the same headers, naming enabled clusters only.
  ::schemagate::test::ProcessResult ok = Compile(
      "#include \"schemagate/schema.h\"\n"
      "static_assert(schemagate::schema::tasks::tasks::name == \"tasks\");\n"
      // Disabled clusters have no macro at all (so -Wundef wants defined()).
      "#if defined(SCHEMAGATE_HAS_CALENDAR) || !SCHEMAGATE_HAS_TASKS\n"
      "#error wrong feature macros\n#endif\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  ::schemagate::test::ProcessResult table = Compile(
      "#include \"schemagate/schema.h\"\n"
      "auto n = schemagate::schema::calendar::calendar_events::name;\n");
  EXPECT_NE(table.exit_code, 0);
  EXPECT_THAT(table.err, HasSubstr("calendar"));
  ::schemagate::test::ProcessResult join = Compile(
      "#include \"schemagate/schema.h\"\n"
      "auto on = schemagate::schema::tasks_calendar::joins::tasks_event_id_fkey::on;\n");
  EXPECT_NE(join.exit_code, 0);
  EXPECT_THAT(join.err, HasSubstr("tasks_calendar"));
  ::schemagate::test::ProcessResult header = Compile("#include \"schemagate/schema/calendar.h\"\n");
  EXPECT_NE(header.exit_code, 0);
  EXPECT_THAT(header.err, HasSubstr("schemagate/schema/calendar.h"));
}

}  // namespace
}  // namespace schemagate::generator
