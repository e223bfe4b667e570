// Names core tables only: compiles against every schemagate package (the
// control for names_tasks_table.cc).
#include "schemagate/schema.h"

namespace s = schemagate::schema;

static_assert(s::core::users::name == "users");
static_assert(s::core::users::columns::email.name == "email");

std::string_view UsersTable() { return s::core::users::sql; }
