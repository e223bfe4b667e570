// Every lint rule of the generator, each with a broken tree that must fail
// with a message naming file and line.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/generator/generator.h"
#include "tests/unit/generator/tree_builder.h"

namespace schemagate::generator {
namespace {

using test::MakeTree;
using test::Manifest;
using ::testing::HasSubstr;

const char kUsers[] = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n";
const char kDropUsers[] = "DROP TABLE users;\n";

// A valid two-cluster tree that cases modify.
std::map<std::string, std::string> BaseTree() {
  return {
      {"core/cluster.textproto", Manifest("core")},
      {"core/0001_init/up.sql", kUsers},
      {"core/0001_init/down.sql", kDropUsers},
      {"tasks/cluster.textproto", Manifest("tasks", {"core"})},
      {"tasks/0001_init/up.sql",
       "CREATE TABLE tasks (\n  id bigint PRIMARY KEY,\n"
       "  owner_id bigint REFERENCES users (id)\n);\n"},
      {"tasks/0001_init/down.sql", "DROP TABLE tasks;\n"},
  };
}

struct LintCase {
  std::string name;
  std::map<std::string, std::string> changes;  // "" value removes the file
  std::string expected;                        // substring of the error
  std::vector<std::string> features = {"all"};
};

absl::Status GenerateFrom(const std::map<std::string, std::string>& files,
                          const std::vector<std::string>& features) {
  Diagnostics diagnostics;
  SourceTree tree = ParseTree("m", MakeTree(files), &diagnostics);
  return Generate(tree, features, &diagnostics).status();
}

void PrintTo(const LintCase& c, std::ostream* os) { *os << c.name; }

class LintTest : public ::testing::TestWithParam<LintCase> {};

TEST_P(LintTest, FailsWithFileAndLine) {
  const LintCase& c = GetParam();
  std::map<std::string, std::string> files = BaseTree();
  for (const auto& [path, content] : c.changes) {
    if (content.empty()) {
      files.erase(path);
    } else {
      files[path] = content;
    }
  }
  absl::Status status = GenerateFrom(files, c.features);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
  EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected)) << c.name << "\n"
                                                                    << status.message();
  // One problem, one message: no cascade of follow-up errors.
  EXPECT_EQ(std::count(status.message().begin(), status.message().end(), '\n'), 0)
      << status.message();
}

INSTANTIATE_TEST_SUITE_P(
    Rules, LintTest,
    ::testing::Values(
        LintCase{"sql_does_not_parse",
                 {{"tasks/0001_init/up.sql",
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"
                   "CREAT TABLE oops (id int);\n"}},
                 "m/tasks/0001_init/up.sql:2:1: error: SQL does not parse: syntax error at or near "
                 "\"CREAT\""},
        LintCase{"down_sql_does_not_parse",
                 {{"tasks/0001_init/down.sql", "DROP TABEL tasks;\n"}},
                 "m/tasks/0001_init/down.sql:1:6: error: SQL does not parse"},
        LintCase{"table_created_by_two_clusters",
                 {{"tasks/0001_init/up.sql",
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"
                   "CREATE TABLE users (id bigint PRIMARY KEY);\n"}},
                 "m/tasks/0001_init/up.sql:2:14: error: table \"users\" is "
                 "created by two clusters"},
        LintCase{"foreign_key_outside_closure",
                 {{"core/0002_owner/up.sql",
                   "-- core may not point at tasks\n"
                   "ALTER TABLE users ADD COLUMN task_id bigint\n"
                   "  REFERENCES tasks (id);\n"},
                  {"core/0002_owner/down.sql", "ALTER TABLE users DROP COLUMN task_id;\n"}},
                 "m/core/0002_owner/up.sql:3:14: error: gating rule: cluster "
                 "\"core\" may not reference by foreign key table \"tasks\" of "
                 "cluster \"tasks\""},
        LintCase{"alter_outside_closure",
                 {{"core/0002_alter/up.sql", "ALTER TABLE tasks ADD COLUMN x int;\n"},
                  {"core/0002_alter/down.sql", "SELECT 1;\n"}},
                 "m/core/0002_alter/up.sql:1:13: error: gating rule: cluster "
                 "\"core\" may not alter table \"tasks\""},
        LintCase{"drop_outside_closure",
                 {{"core/0002_drop/up.sql", "SELECT 1;\n"},
                  {"core/0002_drop/down.sql", "DROP TABLE tasks;\n"}},
                 "m/core/0002_drop/down.sql:1:1: error: gating rule: cluster "
                 "\"core\" may not drop table \"tasks\""},
        LintCase{"index_outside_closure",
                 {{"core/0002_ix/up.sql", "\nCREATE INDEX tasks_owner_ix ON tasks (owner_id);\n"},
                  {"core/0002_ix/down.sql", "DROP INDEX tasks_owner_ix;\n"}},
                 "m/core/0002_ix/up.sql:2:32: error: gating rule: cluster "
                 "\"core\" may not create an index on table \"tasks\""},
        LintCase{
            "view_outside_closure",
            {{"core/0002_v/up.sql", "CREATE VIEW v AS SELECT * FROM users JOIN tasks ON true;\n"},
             {"core/0002_v/down.sql", "DROP VIEW v;\n"}},
            "m/core/0002_v/up.sql:1:43: error: gating rule: cluster "
            "\"core\" may not reference table \"tasks\""},
        LintCase{"sibling_without_dependency",
                 {{"mail/cluster.textproto", Manifest("mail", {"core"})},
                  {"mail/0001_init/up.sql",
                   "CREATE TABLE mails (id bigint PRIMARY KEY,\n"
                   "  task_id bigint REFERENCES tasks);\n"},
                  {"mail/0001_init/down.sql", "DROP TABLE mails;\n"}},
                 "m/mail/0001_init/up.sql:2:29: error: gating rule: cluster "
                 "\"mail\" may not reference by foreign key table \"tasks\" of "
                 "cluster \"tasks\", which is outside its dependency closure "
                 "{core, mail}; add depends_on: \"tasks\""},
        LintCase{
            "type_outside_closure",
            {{"tasks/0002_status/up.sql", "CREATE TYPE task_status AS ENUM ('open', 'done');\n"},
             {"tasks/0002_status/down.sql", "DROP TYPE task_status;\n"},
             {"core/0002_t/up.sql", "ALTER TABLE users ADD COLUMN s task_status;\n"},
             {"core/0002_t/down.sql", "ALTER TABLE users DROP COLUMN s;\n"}},
            "m/core/0002_t/up.sql:1:32: error: gating rule: cluster "
            "\"core\" may not use type \"task_status\""},
        LintCase{"requires_unknown_cluster",
                 {{"tasks/0001_init/up.sql",
                   "-- schemagate:requires nosuch/1\n"
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"}},
                 "m/tasks/0001_init/up.sql:1: error: schemagate:requires names "
                 "unknown migration \"nosuch/1\" (no such cluster)"},
        LintCase{"requires_unknown_version",
                 {{"tasks/0001_init/up.sql",
                   "-- header\n-- schemagate:requires core/0007\n"
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"}},
                 "m/tasks/0001_init/up.sql:2: error: schemagate:requires names "
                 "unknown migration \"core/7\" (no such version)"},
        LintCase{"unknown_directive",
                 {{"tasks/0001_init/up.sql",
                   "-- schemagate:no-transactions\n"
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"}},
                 "m/tasks/0001_init/up.sql:1: error: unknown directive "
                 "\"schemagate:no-transactions\""},
        LintCase{"directive_below_statement",
                 {{"tasks/0001_init/up.sql",
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"
                   "-- schemagate:no-transaction\n"}},
                 "m/tasks/0001_init/up.sql:2: error: schemagate directive "
                 "below the first statement"},
        LintCase{"imported_from_without_version",
                 {{"tasks/0001_init/up.sql",
                   "-- schemagate:imported-from diesel\n"
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"}},
                 "m/tasks/0001_init/up.sql:1: error: schemagate:imported-from needs "
                 "<format> <version>"},
        LintCase{"imported_from_unknown_format",
                 {{"tasks/0001_init/up.sql",
                   "-- schemagate:imported-from liquibase 1\n"
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"}},
                 "m/tasks/0001_init/up.sql:1: error: schemagate:imported-from needs "
                 "<format> <version>, the format one of diesel"},
        LintCase{"irreversible_without_reason",
                 {{"tasks/0001_init/down.sql", "-- schemagate:irreversible\nDROP TABLE tasks;\n"}},
                 "m/tasks/0001_init/down.sql:1: error: schemagate:irreversible needs a "
                 "reason"},
        LintCase{"irreversible_in_up",
                 {{"tasks/0001_init/up.sql",
                   "-- schemagate:irreversible data is lost\n"
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n"}},
                 "m/tasks/0001_init/up.sql:1: error: schemagate:irreversible belongs at "
                 "the top of down.sql"},
        LintCase{
            "other_directive_in_down",
            {{"tasks/0001_init/down.sql", "-- schemagate:no-transaction\nDROP TABLE tasks;\n"}},
            "m/tasks/0001_init/down.sql:1: error: directive "
            "\"schemagate:no-transaction\" is not read in down.sql"},
        LintCase{"dependency_cycle",
                 {{"a/cluster.textproto", Manifest("a", {"b"})},
                  {"b/cluster.textproto", Manifest("b", {"a"})}},
                 "m/a/cluster.textproto: error: dependency cycle: a -> b -> a"},
        LintCase{"requires_cycle",
                 {{"core/0002_x/up.sql", "-- schemagate:requires tasks/1\nSELECT 1;\n"},
                  {"core/0002_x/down.sql", "SELECT 1;\n"}},
                 "ordering cycle: "},
        LintCase{"missing_down_sql",
                 {{"tasks/0001_init/down.sql", ""}},
                 "m/tasks/0001_init/down.sql: error: missing down.sql"},
        LintCase{"missing_up_sql",
                 {{"tasks/0001_init/up.sql", ""}},
                 "m/tasks/0001_init/up.sql: error: missing up.sql"},
        LintCase{"manifest_does_not_parse",
                 {{"tasks/cluster.textproto",
                   "name: \"tasks\"\ndepends_on: \"core\"\ndepend_on: \"x\"\n"}},
                 "m/tasks/cluster.textproto:3:10: error: manifest does not "
                 "parse: Message type \"schemagate.v1.ClusterManifest\" has no "
                 "field named \"depend_on\""},
        LintCase{"manifest_name_mismatch",
                 {{"tasks/cluster.textproto", "name: \"todo\"\n"}},
                 "m/tasks/cluster.textproto:1: error: manifest name \"todo\" "
                 "does not match its folder \"tasks\""},
        LintCase{"missing_manifest",
                 {{"tasks/cluster.textproto", ""}},
                 "m/tasks/cluster.textproto: error: missing cluster.textproto"},
        LintCase{"unknown_dependency",
                 {{"tasks/cluster.textproto", "name: \"tasks\"\n\ndepends_on: \"kore\"\n"}},
                 "m/tasks/cluster.textproto:3: error: depends_on names unknown "
                 "cluster \"kore\""},
        LintCase{"depends_on_bridge",
                 {{"x/cluster.textproto", Manifest("x", {"core"}, {"tasks"})},
                  {"y/cluster.textproto", Manifest("y", {"x"})}},
                 "m/y/cluster.textproto:2: error: depends_on names bridge "
                 "cluster \"x\""},
        LintCase{"unknown_required_feature",
                 {{"x/cluster.textproto", Manifest("x", {"core"}, {"tasks", "nope"})}},
                 "m/x/cluster.textproto:4: error: requires_features names "
                 "unknown feature \"nope\""},
        LintCase{
            "bad_migration_folder",
            {{"tasks/v2_more/up.sql", "SELECT 1;\n"}, {"tasks/v2_more/down.sql", "SELECT 1;\n"}},
            "m/tasks/v2_more: error: migration folder name must be "
            "<version>_<name>"},
        LintCase{
            "duplicate_version",
            {{"tasks/1_again/up.sql", "SELECT 1;\n"}, {"tasks/1_again/down.sql", "SELECT 1;\n"}},
            "is used twice in cluster \"tasks\""},
        LintCase{"bad_cluster_folder",
                 {{"Tasks-2/cluster.textproto", "name: \"Tasks-2\"\n"}},
                 "m/Tasks-2: error: cluster folder name must match"},
        LintCase{"alter_before_create",
                 {{"core/0002_early/up.sql",
                   "-- schemagate:requires core/1\n"
                   "ALTER TABLE users ADD COLUMN nick text;\n"},
                  {"core/0002_early/down.sql", "ALTER TABLE users DROP COLUMN nick;\n"},
                  {"core/0001_init/up.sql",
                   "ALTER TABLE accounts ADD COLUMN x int;\n" + std::string(kUsers)}},
                 "m/core/0001_init/up.sql:1:13: error: cannot alter table "
                 "\"accounts\": no migration of the tree creates it"},
        LintCase{"foreign_key_to_missing_column",
                 {{"tasks/0001_init/up.sql",
                   "CREATE TABLE tasks (id bigint PRIMARY KEY,\n"
                   "  owner_id bigint REFERENCES users (uid));\n"}},
                 "m/tasks/0001_init/up.sql:2:19: error: column \"uid\" does not "
                 "exist in table \"users\""},
        LintCase{"invalid_utf8",
                 {{"tasks/0001_init/up.sql",
                   "CREATE TABLE tasks (id bigint PRIMARY KEY);\n-- \xff\xfe\n"}},
                 "m/tasks/0001_init/up.sql:2:4: error: file is not valid UTF-8"},
        LintCase{
            "empty_up_sql",
            {{"tasks/0002_empty/up.sql", "-- nothing here\n"}, {"tasks/0002_empty/down.sql", "\n"}},
            "m/tasks/0002_empty/up.sql: error: up.sql has no SQL "
            "statement"},
        LintCase{"unknown_feature",
                 {},
                 "SCHEMAGATE_FEATURES: error: unknown feature \"taks\"; valid "
                 "features: core, tasks, all",
                 {"taks"}},
        LintCase{
            "like_copies_an_expression_index",
            {{"core/0002_idx/up.sql", "CREATE INDEX users_lower ON users (lower(email));\n"},
             {"core/0002_idx/down.sql", "DROP INDEX users_lower;\n"},
             {"tasks/0002_copy/up.sql", "CREATE TABLE user_copy (LIKE users INCLUDING ALL);\n"},
             {"tasks/0002_copy/down.sql", "DROP TABLE user_copy;\n"}},
            "m/tasks/0002_copy/up.sql:1: error: LIKE \"users\" INCLUDING INDEXES "
            "copies the expression index \"users_lower\""},
        LintCase{"primary_key_using_a_missing_index",
                 {{"core/0002_pk/up.sql",
                   "CREATE TABLE codes (code text);\n"
                   "ALTER TABLE codes ADD CONSTRAINT codes_pk PRIMARY KEY USING INDEX nope;\n"},
                  {"core/0002_pk/down.sql", "DROP TABLE codes;\n"}},
                 "m/core/0002_pk/up.sql:2:23: error: index \"nope\" does not exist on table "
                 "\"codes\""},
        LintCase{
            "primary_key_using_a_non_unique_index",
            {{"core/0002_pk/up.sql",
              "CREATE TABLE codes (code text);\nCREATE INDEX codes_code ON codes (code);\n"
              "ALTER TABLE codes ADD CONSTRAINT codes_pk PRIMARY KEY USING INDEX codes_code;\n"},
             {"core/0002_pk/down.sql", "DROP TABLE codes;\n"}},
            "index \"codes_code\" is not unique"},
        LintCase{"move_a_table_nobody_created",
                 {{"tasks/0002_move/up.sql", "ALTER TABLE userz SET SCHEMA archive;\n"},
                  {"tasks/0002_move/down.sql", "ALTER TABLE archive.userz SET SCHEMA public;\n"}},
                 "m/tasks/0002_move/up.sql:1:13: error: cannot move table \"userz\""},
        LintCase{"bridge_by_name",
                 {{"x/cluster.textproto", Manifest("x", {"core"}, {"tasks"})}},
                 "\"x\" is a bridge cluster and cannot be selected by name",
                 {"x"}}),
    [](const ::testing::TestParamInfo<LintCase>& info) { return info.param.name; });

TEST(LintTest, BaseTreeIsValid) {
  EXPECT_TRUE(GenerateFrom(BaseTree(), {"all"}).ok());
  EXPECT_TRUE(GenerateFrom(BaseTree(), {"core"}).ok());
}

TEST(LintTest, ReportsEveryProblemNotJustTheFirst) {
  std::map<std::string, std::string> files = BaseTree();
  files["core/0002_a/up.sql"] = "ALTER TABLE tasks ADD COLUMN a int;\n";
  files["core/0002_a/down.sql"] = "SELECT 1;\n";
  files["core/0003_b/up.sql"] = "ALTER TABLE tasks ADD COLUMN b int;\n";
  files["core/0003_b/down.sql"] = "SELECT 1;\n";
  absl::Status status = GenerateFrom(files, {"all"});
  EXPECT_THAT(std::string(status.message()), HasSubstr("core/0002_a/up.sql:1"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("core/0003_b/up.sql:1"));
}

TEST(LintTest, TreeIsCheckedWhateverTheFeatures) {
  // A broken disabled cluster still fails a minimal build: a tree is valid
  // or not independent of the features chosen.
  std::map<std::string, std::string> files = BaseTree();
  files["tasks/0001_init/up.sql"] = "CREATE TABLE tasks (;\n";
  absl::Status status = GenerateFrom(files, {"core"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("m/tasks/0001_init/up.sql:1:21"));
}

}  // namespace
}  // namespace schemagate::generator
