// The tasks service against a running schemagate server and its database:
//   SCHEMAGATE_TARGET=host:port DATABASE_URL=postgresql://... tasks_service_test
// Exits 0 when every check passes, 1 otherwise, 77 (skipped) without them.
//
// With the tasks feature: schemagate says users and tasks are AVAILABLE,
// the server's own join answer for tasks/users is the generated
// descriptor's ON clause, and the join built from the descriptor returns
// the seeded rows. Without it: the tasks code is compiled out and the
// service still serves what core has.
#include "tasks_service.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "schemagate/client/schemagate_client.h"
#include "schemagate/schema.h"

namespace {

int failures = 0;

#define EXPECT(cond, what)                                                                   \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      ++failures;                                                                            \
      std::cerr << __FILE__ << ":" << __LINE__ << ": FAILED: " #cond " -- " << what << "\n"; \
    }                                                                                        \
  } while (0)

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

int main() {
  namespace s = schemagate::schema;
  const std::string target = Env("SCHEMAGATE_TARGET");
  const std::string database_url = Env("DATABASE_URL");
  if (target.empty() || database_url.empty()) {
    std::cerr << "skipped: set SCHEMAGATE_TARGET and DATABASE_URL\n";
    return 77;
  }
  std::cout << "built against features:";
  for (std::string_view c : s::kEnabledClusters) std::cout << " " << c;
  std::cout << "\ntasks built in: " << (tasks_example::kTasksBuiltIn ? "yes" : "no") << "\n";

  schemagate::client::ClientOptions options;
  options.target = target;
  auto client = schemagate::client::Client::Connect(options);
  EXPECT(client.ok(), client.status());
  if (!client.ok()) return 1;
  tasks_example::TasksService service(client->get(), database_url);

  absl::Status ready = service.Ready();
  EXPECT(ready.ok(), ready);
  auto users = service.CountUsers();
  EXPECT(users.ok(), users.status());

#if SCHEMAGATE_HAS_TASKS
  using Assignee = s::tasks::joins::tasks_assignee_id_fkey;
  static_assert(Assignee::on == "tasks.assignee_id = users.id");
  static_assert(Assignee::right_table::name == s::core::users::name);

  // The server's run-time answer agrees with the compile-time descriptor.
  auto join = (*client)->ValidateJoin({"tasks", "users"},
                                      {{"tasks", "users", std::string(Assignee::name)}});
  EXPECT(join.ok(), join.status());
  if (join.ok()) {
    EXPECT(join->pairs_size() == 1 && join->pairs(0).candidates_size() >= 1 &&
               join->pairs(0).candidates(0).on() == Assignee::on,
           join->DebugString());
  }

  // Seed rows (unique per run), then the descriptor-built join finds them.
  const std::string tag = std::to_string(getpid());
  const std::string email = "ada" + tag + "@example.com";
  auto seeded = service.Query(
      "WITH o AS (INSERT INTO organizations (slug, name) VALUES ($1, 'Example') RETURNING id),"
      " u AS (INSERT INTO users (email, display_name) VALUES ($2, 'Ada') RETURNING id),"
      " p AS (INSERT INTO projects (organization_id, project_key, name)"
      "       SELECT id, 'EX', 'Example' FROM o RETURNING id)"
      " INSERT INTO tasks (project_id, task_number, title, assignee_id)"
      " SELECT p.id, n, t, u.id FROM p, u,"
      "   (VALUES (1, 'Write the docs'), (2, 'Ship it')) AS v(n, t)",
      {"example-" + tag, email});
  EXPECT(seeded.ok(), seeded.status());
  std::cout << "query: " << tasks_example::TasksService::AssignedTitlesSql() << "\n";
  auto titles = service.TitlesAssignedTo(email);
  EXPECT(titles.ok(), titles.status());
  if (titles.ok()) {
    EXPECT((*titles == std::vector<std::string>{"Ship it", "Write the docs"}),
           "got " << titles->size() << " titles");
  }
  auto none = service.TitlesAssignedTo("nobody" + tag + "@example.com");
  EXPECT(none.ok() && none->empty(), "a user without tasks has none");
#else
  static_assert(!tasks_example::kTasksBuiltIn);
  EXPECT(tasks_example::TasksService::AssignedTitlesSql().empty(), "no tasks SQL");
  auto titles = service.TitlesAssignedTo("ada@example.com");
  EXPECT(absl::IsUnimplemented(titles.status()), titles.status());
#endif

  if (failures > 0) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  std::cout << "tasks_service_test: all checks passed\n";
  return 0;
}
