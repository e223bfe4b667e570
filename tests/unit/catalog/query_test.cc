// SQL query checks: every construct that references a relation, join
// conditions against foreign keys, and hostile input.
#include "server/catalog/query.h"

#include <chrono>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/generated_catalog.h"

namespace schemagate::catalog {
namespace {

using test::AddCluster;
using test::AddTable;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// core: users; tasks: projects, tasks (assignee_id, reporter_id, parent_id,
// project_id); crm (disabled at run time): contacts -> users.
class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::BuildCatalog c;
    AddCluster(&c, "core", {});
    AddCluster(&c, "tasks", {"core"});
    AddCluster(&c, "crm", {"core"});
    AddTable(&c, "core", "users", {});
    AddTable(&c, "tasks", "projects", {{"owner_id", "users"}});
    AddTable(&c, "tasks", "tasks",
             {{"assignee_id", "users"},
              {"reporter_id", "users"},
              {"parent_id", "tasks"},
              {"project_id", "projects"}});
    AddTable(&c, "crm", "contacts", {{"owner_id", "users"}});
    v1::Column* title = c.mutable_tables(2)->add_columns();
    title->set_name("title");
    title->set_type("text");
    title->set_cluster("tasks");
    absl::StatusOr<Catalog> full = Catalog::FromProto(c);
    ASSERT_TRUE(full.ok()) << full.status();
    absl::StatusOr<Catalog> narrow = full->Narrow({"tasks"});
    ASSERT_TRUE(narrow.ok());
    catalog_ = std::make_unique<Catalog>(*std::move(narrow));
    graph_ = std::make_unique<JoinGraph>(*catalog_);
  }

  QueryResult Analyze(const std::string& sql) {
    absl::StatusOr<QueryResult> r = AnalyzeQuery(*graph_, sql);
    EXPECT_TRUE(r.ok()) << r.status() << "\n" << sql;
    return r.ok() ? *r : QueryResult{};
  }

  static std::vector<std::string> Tables(const QueryResult& r) {
    std::vector<std::string> out;
    for (const QueryTable& t : r.tables)
      out.push_back(t.lookup.name.empty() ? t.name : t.lookup.name);
    return out;
  }

  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<JoinGraph> graph_;
};

TEST_F(QueryTest, EveryConstructThatReferencesARelation) {
  struct Case {
    std::string sql;
    std::vector<std::string> tables;
  };
  std::vector<Case> cases = {
      {"SELECT * FROM tasks", {"tasks"}},
      {"SELECT * FROM tasks t JOIN users u ON t.assignee_id = u.id", {"tasks", "users"}},
      {"SELECT * FROM tasks, users", {"tasks", "users"}},
      {"SELECT * FROM (SELECT * FROM projects) p", {"projects"}},
      {"SELECT (SELECT count(*) FROM users) FROM tasks", {"users", "tasks"}},
      {"SELECT * FROM tasks WHERE EXISTS (SELECT 1 FROM users WHERE users.id = "
       "tasks.assignee_id)",
       {"tasks", "users"}},
      {"WITH open AS (SELECT * FROM tasks) SELECT * FROM open JOIN users ON true",
       {"tasks", "users"}},  // the CTE's own name is not a table
      {"WITH RECURSIVE tree AS (SELECT id FROM tasks UNION ALL SELECT t.id FROM "
       "tasks t JOIN tree ON t.parent_id = tree.id) SELECT * FROM tree",
       {"tasks"}},
      {"SELECT * FROM public.tasks", {"tasks"}},
      {"INSERT INTO tasks (title) SELECT name FROM projects", {"tasks", "projects"}},
      {"UPDATE tasks SET title = 'x' FROM users WHERE tasks.assignee_id = users.id",
       {"tasks", "users"}},
      {"DELETE FROM tasks USING projects WHERE tasks.project_id = projects.id",
       {"tasks", "projects"}},
      {"MERGE INTO tasks t USING projects p ON t.project_id = p.id WHEN MATCHED "
       "THEN DELETE",
       {"tasks", "projects"}},
      {"SELECT * FROM tasks UNION SELECT * FROM projects", {"tasks", "projects"}},
      {"SELECT * FROM users u LEFT JOIN LATERAL (SELECT * FROM tasks WHERE "
       "tasks.assignee_id = u.id) x ON true",
       {"users", "tasks"}},
      {"CREATE VIEW v AS SELECT * FROM projects", {"v", "projects"}},
      {"SELECT * FROM tasks t JOIN LATERAL (SELECT * FROM users) u ON true JOIN "
       "projects p USING (id)",
       {"tasks", "users", "projects"}},
      {"SELECT 1; SELECT * FROM users", {"users"}},
  };
  for (const Case& c : cases) {
    QueryResult r = Analyze(c.sql);
    EXPECT_EQ(Tables(r), c.tables) << c.sql;
  }
}

TEST_F(QueryTest, RolesAliasesAndPositions) {
  QueryResult r = Analyze(
      "SELECT 1;\n"
      "UPDATE tasks t SET title = 'x' FROM users u WHERE t.assignee_id = u.id");
  EXPECT_EQ(r.statements, 2);
  ASSERT_EQ(r.tables.size(), 2u);
  EXPECT_EQ(r.tables[0].role, "update");
  EXPECT_THAT(r.tables[0].aliases, ElementsAre("t"));
  EXPECT_EQ(r.tables[0].statement, 1);
  EXPECT_EQ(r.tables[0].line, 2);
  EXPECT_EQ(r.tables[0].column, 8);
  EXPECT_EQ(r.tables[1].role, "read");
}

TEST_F(QueryTest, ConditionsAreMatchedToForeignKeys) {
  QueryResult r = Analyze(
      "SELECT * FROM tasks t JOIN users u ON t.assignee_id = u.id "
      "JOIN projects p ON p.id = t.project_id "
      "JOIN users r ON r.id = t.title");
  ASSERT_EQ(r.conditions.size(), 3u);
  EXPECT_EQ(r.conditions[0].foreign_key, "tasks_assignee_id_fkey");
  EXPECT_EQ(r.conditions[0].left_table, "tasks");
  EXPECT_EQ(r.conditions[1].foreign_key, "tasks_project_id_fkey");
  EXPECT_FALSE(r.conditions[2].matches_foreign_key);
  EXPECT_EQ(r.verdict, QueryVerdict::kWarnings);
  EXPECT_THAT(r.messages, ElementsAre(HasSubstr("join condition r.id = t.title at 1:")));
}

TEST_F(QueryTest, UnqualifiedColumnsAndUsing) {
  QueryResult r = Analyze("SELECT * FROM tasks JOIN projects ON project_id = projects.id");
  ASSERT_EQ(r.conditions.size(), 1u);
  EXPECT_EQ(r.conditions[0].left_table, "tasks");
  EXPECT_EQ(r.conditions[0].foreign_key, "tasks_project_id_fkey");
  QueryResult self =
      Analyze("SELECT * FROM tasks child JOIN tasks parent ON child.parent_id = parent.id");
  ASSERT_EQ(self.conditions.size(), 1u);
  EXPECT_EQ(self.conditions[0].foreign_key, "tasks_parent_id_fkey");
  EXPECT_EQ(self.verdict, QueryVerdict::kOk);
}

TEST_F(QueryTest, UnavailableTablesMakeTheQueryInvalid) {
  QueryResult r = Analyze("SELECT * FROM contacts c JOIN userz u ON c.owner_id = u.id");
  ASSERT_EQ(r.tables.size(), 2u);
  EXPECT_EQ(r.tables[0].status(), TableStatus::kClusterDisabled);
  EXPECT_THAT(r.tables[0].lookup.enable_features, ElementsAre("crm"));
  EXPECT_EQ(r.tables[1].status(), TableStatus::kUnknownTable);
  EXPECT_THAT(r.tables[1].suggestions, ElementsAre("users"));
  EXPECT_EQ(r.verdict, QueryVerdict::kInvalid);
  EXPECT_THAT(r.messages, ::testing::Contains(HasSubstr("enable feature(s) crm")));
}

// Names come from PostgreSQL's parser: unquoted ones are folded to
// lowercase, quoted ones are exact, so "USERS" quoted is not users (the
// query would fail on the database) while USERS unquoted is.
TEST_F(QueryTest, QuotedNamesAreCaseSensitiveAsInPostgres) {
  QueryResult folded = Analyze("SELECT * FROM USERS");
  ASSERT_EQ(folded.tables.size(), 1u);
  EXPECT_EQ(folded.tables[0].status(), TableStatus::kAvailable);
  EXPECT_EQ(folded.verdict, QueryVerdict::kOk);
  QueryResult quoted = Analyze("SELECT * FROM \"USERS\"");
  ASSERT_EQ(quoted.tables.size(), 1u);
  EXPECT_EQ(quoted.tables[0].status(), TableStatus::kUnknownTable);
  EXPECT_THAT(quoted.tables[0].suggestions, ElementsAre("users"));
  EXPECT_EQ(quoted.verdict, QueryVerdict::kInvalid);
  // A person's spelling is still forgiven where no SQL is involved.
  EXPECT_EQ(catalog_->Lookup("USERS").state, TableState::kAvailable);
  EXPECT_EQ(catalog_->Lookup("USERS", /*fold_case=*/false).state, TableState::kUnknown);
}

TEST_F(QueryTest, InvalidSqlGivesPostgresMessageAndPosition) {
  absl::StatusOr<QueryResult> r = AnalyzeQuery(*graph_, "SELECT 1;\nSELECT * FORM tasks");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "2:10: syntax error at or near \"FORM\"");
}

TEST_F(QueryTest, HostileInputGivesAnErrorOrAnAnswer) {
  std::vector<std::string> inputs = {
      "",
      "   \n\t",
      "-- only a comment",
      std::string("SELECT 1\0; DROP TABLE users", 27),
      "SELECT '\xff\xfe'",
      "SELECT " + std::string(100000, '('),
      "SELECT " + std::string(5000, '(') + "1" + std::string(5000, ')'),
  };
  std::string nested = "SELECT 1";
  for (int i = 0; i < 400; ++i) nested = "SELECT * FROM (" + nested + ") s" + std::to_string(i);
  inputs.push_back(nested);
  std::string big;
  while (big.size() < (1 << 20)) {
    big += "SELECT t.id FROM tasks t JOIN users u ON t.assignee_id = u.id;\n";
  }
  inputs.push_back(big);
  for (const std::string& sql : inputs) {
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<QueryResult> r = AnalyzeQuery(*graph_, sql);
    auto took = std::chrono::steady_clock::now() - start;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << sql.substr(0, 60);
      EXPECT_FALSE(r.status().message().empty());
    }
    EXPECT_LT(took, std::chrono::seconds(10)) << sql.substr(0, 60);
  }
  absl::StatusOr<QueryResult> huge = AnalyzeQuery(*graph_, big);
  ASSERT_TRUE(huge.ok()) << huge.status();
  EXPECT_GT(huge->statements, 10000);
  EXPECT_EQ(huge->verdict, QueryVerdict::kOk);
}

}  // namespace
}  // namespace schemagate::catalog
