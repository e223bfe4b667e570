// A small consumer service of schemagate: it asks schemagate before it
// touches a table, and builds its SQL from the generated schema headers, so
// a build against a schemagate package without the tasks feature has no
// tasks code at all (and code that names a tasks table does not compile).
//
//   auto client = schemagate::client::Client::Connect(options).value();
//   tasks_example::TasksService service(client.get(), database_url);
//   if (absl::Status s = service.Ready(); !s.ok()) { ... retry later ... }
//   auto titles = service.TitlesAssignedTo("ada@example.com");
//
// Thread-compatible (one libpq connection); `client` must outlive it.
#ifndef SCHEMAGATE_EXAMPLES_TASKS_SERVICE_TASKS_SERVICE_H_
#define SCHEMAGATE_EXAMPLES_TASKS_SERVICE_TASKS_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "schemagate/client/schemagate_client.h"
#include "schemagate/schema.h"

namespace tasks_example {

// Whether the schemagate package this service was built against has tasks.
#if SCHEMAGATE_HAS_TASKS
inline constexpr bool kTasksBuiltIn = true;
#else
inline constexpr bool kTasksBuiltIn = false;
#endif

class TasksService {
 public:
  TasksService(schemagate::client::Client* client, std::string database_url);
  ~TasksService();
  TasksService(const TasksService&) = delete;
  TasksService& operator=(const TasksService&) = delete;

  // OK when every table this build of the service uses is AVAILABLE
  // (schemagate Require): users, and tasks when built in. The client's
  // codes: FAILED_PRECONDITION (the server's build lacks the feature),
  // UNAVAILABLE (not migrated yet: retry).
  absl::Status Ready();

  // Number of rows of users.
  absl::StatusOr<long> CountUsers();

  // Titles of the tasks assigned to the user with `email`, sorted, via the
  // tasks -> users join descriptor. UNIMPLEMENTED when built without tasks.
  absl::StatusOr<std::vector<std::string>> TitlesAssignedTo(const std::string& email);

  // The query TitlesAssignedTo() runs ("" without tasks).
  static std::string AssignedTitlesSql();

  // Runs `sql` with text parameters $1..$n; rows of text values (NULL as
  // ""). UNAVAILABLE when the database cannot be reached, INTERNAL on an SQL
  // error (the message is PostgreSQL's).
  absl::StatusOr<std::vector<std::vector<std::string>>> Query(
      const std::string& sql, const std::vector<std::string>& params = {});

 private:
  absl::Status Connect();

  schemagate::client::Client* client_;
  std::string database_url_;
  struct Connection;
  std::unique_ptr<Connection> connection_;
};

}  // namespace tasks_example

#endif  // SCHEMAGATE_EXAMPLES_TASKS_SERVICE_TASKS_SERVICE_H_
