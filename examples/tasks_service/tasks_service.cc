#include "tasks_service.h"

#include <libpq-fe.h>

#include <initializer_list>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tasks_example {
namespace s = schemagate::schema;

namespace {
std::string Str(std::string_view v) { return std::string(v); }
// Concatenates SQL pieces (the schema constants are std::string_view).
std::string Cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view p : pieces) out.append(p);
  return out;
}
}  // namespace

struct TasksService::Connection {
  PGconn* conn = nullptr;
  ~Connection() {
    if (conn != nullptr) PQfinish(conn);
  }
};

TasksService::TasksService(schemagate::client::Client* client, std::string database_url)
    : client_(client), database_url_(std::move(database_url)) {}

TasksService::~TasksService() = default;

absl::Status TasksService::Ready() {
  std::vector<std::string> tables = {Str(s::core::users::name)};
#if SCHEMAGATE_HAS_TASKS
  tables.push_back(Str(s::tasks::tasks::name));
#endif
  return client_->Require(tables);
}

absl::StatusOr<long> TasksService::CountUsers() {
  auto rows = Query(Cat({"SELECT count(*) FROM ", s::core::users::sql}));
  if (!rows.ok()) return rows.status();
  return std::stol(rows->at(0).at(0));
}

std::string TasksService::AssignedTitlesSql() {
#if SCHEMAGATE_HAS_TASKS
  // tasks.assignee_id -> users.id, from the migrations' foreign key.
  using Assignee = s::tasks::joins::tasks_assignee_id_fkey;
  using Tasks = Assignee::left_table;
  using Users = Assignee::right_table;
  return Cat({"SELECT ", Tasks::sql, ".", Tasks::columns::title.sql, " FROM ", Tasks::sql, " ",
              Assignee::join, " WHERE ", Users::sql, ".", Users::columns::email.sql,
              " = $1 ORDER BY 1"});
#else
  return "";
#endif
}

absl::StatusOr<std::vector<std::string>> TasksService::TitlesAssignedTo(const std::string& email) {
  if (!kTasksBuiltIn) {
    return absl::UnimplementedError(
        "this service was built against a schemagate package without the tasks feature");
  }
  auto rows = Query(AssignedTitlesSql(), {email});
  if (!rows.ok()) return rows.status();
  std::vector<std::string> titles;
  for (const auto& row : *rows) titles.push_back(row.at(0));
  return titles;
}

absl::Status TasksService::Connect() {
  if (connection_ != nullptr && PQstatus(connection_->conn) == CONNECTION_OK) {
    return absl::OkStatus();
  }
  connection_ = std::make_unique<Connection>();
  connection_->conn = PQconnectdb(database_url_.c_str());
  if (PQstatus(connection_->conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(connection_->conn);
    connection_.reset();
    return absl::UnavailableError(absl::StrCat("cannot connect to the database: ", message));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<std::string>>> TasksService::Query(
    const std::string& sql, const std::vector<std::string>& params) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  PGresult* result = PQexecParams(connection_->conn, sql.c_str(), static_cast<int>(values.size()),
                                  nullptr, values.data(), nullptr, nullptr, 0);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string message = PQresultErrorMessage(result);
    PQclear(result);
    return absl::InternalError(absl::StrCat(message, " (query: ", sql, ")"));
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < PQntuples(result); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < PQnfields(result); ++c) row.push_back(PQgetvalue(result, r, c));
    rows.push_back(std::move(row));
  }
  PQclear(result);
  return rows;
}

}  // namespace tasks_example
