// Names the tasks table without `#if SCHEMAGATE_HAS_TASKS`: compiles only
// against a schemagate package built with the tasks feature. Against a
// minimal one the compiler stops here ("'schemagate::schema::tasks' has not
// been declared") instead of the service failing in production.
#include "schemagate/schema.h"

std::string_view TasksTable() { return schemagate::schema::tasks::tasks::name; }
