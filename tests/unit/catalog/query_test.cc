// SQL query checks: every construct that references a relation, join
// conditions against foreign keys, and hostile input.
#include "server/catalog/query.h"

#include <pthread.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/generated_catalog.h"

namespace schemagate::catalog {
namespace {

using test::AddCluster;
using test::AddTable;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
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

// Every field of an answer, one line each, for exact comparisons.
std::vector<std::string> Lines(const QueryResult& r) {
  std::vector<std::string> out;
  out.push_back(absl::StrCat("verdict ", ToString(r.verdict), ", ", r.statements, " statement(s)"));
  for (const QueryTable& t : r.tables) {
    out.push_back(absl::StrCat("table ", t.name, " ", t.role, " s", t.statement, " ", t.line, ":",
                               t.column, " [", absl::StrJoin(t.aliases, ","), "]"));
  }
  for (const QueryCondition& c : r.conditions) {
    out.push_back(absl::StrCat("condition ", c.left_table, ".", c.left_column, " = ", c.right_table,
                               ".", c.right_column, " '", c.text, "' ",
                               c.foreign_key.empty() ? "no key" : c.foreign_key, " s", c.statement,
                               " ", c.line, ":", c.column));
  }
  for (const std::string& m : r.messages) out.push_back("message " + m);
  return out;
}

// Whole answers for the statement shapes with their own walk (MERGE, CTEs,
// set operations, NATURAL / USING, DML targets): tables with role, statement,
// position and aliases; conditions in order with their position; messages.
TEST_F(QueryTest, ExactAnswersForEachStatementShape) {
  struct Case {
    std::string sql;
    std::vector<std::string> lines;
  };
  std::vector<Case> cases = {
      {"MERGE INTO tasks t USING projects p ON t.project_id = p.id\n"
       "WHEN MATCHED THEN UPDATE SET title = p.name WHEN NOT MATCHED THEN DO NOTHING",
       {"verdict ok, 1 statement(s)", "table tasks merge s0 1:12 [t]",
        "table projects read s0 1:26 [p]",
        "condition tasks.project_id = projects.id 't.project_id = p.id' "
        "tasks_project_id_fkey s0 1:53"}},
      {"WITH s AS (SELECT * FROM users) MERGE INTO tasks t USING s ON t.assignee_id = s.id "
       "WHEN MATCHED THEN DELETE",
       {"verdict ok, 1 statement(s)", "table users read s0 1:26 []",
        "table tasks merge s0 1:44 [t]"}},
      {"WITH RECURSIVE tree AS (SELECT id, parent_id FROM tasks WHERE parent_id IS NULL\n"
       "UNION ALL SELECT t.id, t.parent_id FROM tasks t JOIN tree ON t.parent_id = tree.id)\n"
       "SELECT * FROM tree JOIN users u ON u.id = tree.id",
       {"verdict ok, 1 statement(s)", "table tasks read s0 1:51 [t]",
        "table users read s0 3:25 [u]"}},
      {"SELECT * FROM tasks NATURAL JOIN projects",
       {"verdict warnings, 1 statement(s)", "table tasks read s0 1:15 []",
        "table projects read s0 1:34 []",
        "condition tasks.id = projects.id 'USING (id)' no key s0 1:1",
        "message join condition USING (id) at 1:1 does not follow a foreign key between "
        "tasks and projects"}},
      {"SELECT * FROM tasks t JOIN users u USING (id) JOIN projects p ON p.id = t.project_id",
       {"verdict warnings, 1 statement(s)", "table tasks read s0 1:15 [t]",
        "table users read s0 1:28 [u]", "table projects read s0 1:52 [p]",
        "condition tasks.id = users.id 'USING (id)' no key s0 1:1",
        "condition projects.id = tasks.project_id 'p.id = t.project_id' tasks_project_id_fkey "
        "s0 1:71",
        "message join condition USING (id) at 1:1 does not follow a foreign key between "
        "tasks and users"}},
      // A set operation's arms are walked in its own scope, a plain FROM
      // table as a reference, a joined one as read (the JSON walk's answer).
      {"SELECT t.id FROM tasks t UNION SELECT u.id FROM users u JOIN projects p ON "
       "p.owner_id = u.id",
       {"verdict ok, 1 statement(s)", "table tasks reference s0 1:18 [t]",
        "table users read s0 1:49 [u]", "table projects read s0 1:62 [p]",
        "condition projects.owner_id = users.id 'p.owner_id = u.id' projects_owner_id_fkey "
        "s0 1:87"}},
      {"INSERT INTO tasks (title) SELECT name FROM projects;\n"
       "UPDATE tasks SET title = u.id FROM users u WHERE tasks.assignee_id = u.id;\n"
       "DELETE FROM tasks USING contacts c WHERE tasks.reporter_id = c.owner_id",
       {"verdict invalid, 3 statement(s)", "table tasks insert s0 1:13 []",
        "table projects read s0 1:44 []", "table users read s1 2:36 [u]",
        "table contacts read s2 3:25 [c]",
        "condition tasks.assignee_id = users.id 'tasks.assignee_id = u.id' "
        "tasks_assignee_id_fkey s1 2:68",
        "message table contacts belongs to cluster crm, which is not enabled in this build; "
        "enable feature(s) crm"}},
      // A relation reached through a typed field holding nothing else is
      // looked through (the JSON walk's answer): no table for this one.
      {"CREATE PUBLICATION p FOR TABLE tasks", {"verdict ok, 1 statement(s)"}},
      {"CREATE PUBLICATION p FOR TABLE tasks WHERE (id > 0)",
       {"verdict ok, 1 statement(s)", "table tasks reference s0 1:32 []"}},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Lines(Analyze(c.sql)), ElementsAreArray(c.lines)) << c.sql;
  }
}

// Runs `f` on a thread whose stack is `bytes` (a stack overflow kills the
// test).
void RunOnStack(size_t bytes, const std::function<void()>& f) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, bytes), 0);
  pthread_t thread;
  auto call = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, call, const_cast<std::function<void()>*>(&f)), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

// The nesting limit, level for level: the last depth answered and the first
// refused for each way of nesting.
TEST_F(QueryTest, NestingLimitIsExact) {
  auto subqueries = [](int n) {
    std::string s = "SELECT 1";
    for (int i = 0; i < n; ++i) s = absl::StrCat("SELECT * FROM (", s, ") s", i);
    return s;
  };
  auto unions = [](int n) {
    std::string s = "SELECT 1 FROM tasks";
    for (int i = 0; i < n; ++i) s = absl::StrCat("(", s, ") UNION SELECT 2 FROM users");
    return s;
  };
  auto cases = [](int n) {
    std::string s = "1";
    for (int i = 0; i < n; ++i) s = absl::StrCat("CASE WHEN a THEN ", s, " END");
    return "SELECT " + s;
  };
  auto pluses = [](int n) {  // unary operators: one A_Expr inside the next
    return absl::StrCat("SELECT a + ", std::string(n, '+'), "b FROM tasks");
  };
  struct Limit {
    std::string last_ok, first_refused;
  };
  std::vector<Limit> limits = {
      {subqueries(997), subqueries(998)},
      {unions(1995), unions(1996)},
      {cases(664), cases(665)},
      {pluses(1993), pluses(1994)},
  };
  for (const Limit& l : limits) {
    absl::StatusOr<QueryResult> ok = AnalyzeQuery(*graph_, l.last_ok);
    EXPECT_TRUE(ok.ok()) << ok.status() << "\n" << l.last_ok.substr(0, 60);
    absl::StatusOr<QueryResult> refused = AnalyzeQuery(*graph_, l.first_refused);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.status().message(), "query nests more than 2000 levels deep");
  }
  // As deep as PostgreSQL's parser goes (its stack: 9,000 set operations)
  // is refused, not a crash.
  absl::StatusOr<QueryResult> deepest = AnalyzeQuery(*graph_, unions(9000));
  EXPECT_EQ(deepest.status().message(), "query nests more than 2000 levels deep");
  absl::StatusOr<QueryResult> case_1900 = AnalyzeQuery(*graph_, cases(1900));
  EXPECT_EQ(case_1900.status().message(), "query nests more than 2000 levels deep");

  // The deepest accepted queries fit in a small thread stack: a server
  // thread need not have the 8 MiB of a main thread (the walk used 1.4 KB
  // per level, 2.8 MB for 2,000 unary operators, before its recursive path
  // stopped inlining the statement handlers; the fuzzer found it). A
  // sanitizer's frames are larger.
#if defined(__SANITIZE_ADDRESS__)
  constexpr size_t kStack = 6 << 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  constexpr size_t kStack = 6 << 20;
#else
  constexpr size_t kStack = 1 << 20;
#endif
#else
  constexpr size_t kStack = 1 << 20;
#endif
  for (const Limit& l : limits) {
    bool ok = false;
    RunOnStack(kStack, [&] { ok = AnalyzeQuery(*graph_, l.last_ok).ok(); });
    EXPECT_TRUE(ok) << l.last_ok.substr(0, 60);
  }
}

}  // namespace
}  // namespace schemagate::catalog
