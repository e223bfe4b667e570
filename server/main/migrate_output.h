// How the database commands (command_migrate.cc) print what they read: the
// migration state as JSON or a table, and a planned lock as one line.
#ifndef SCHEMAGATE_SERVER_MAIN_MIGRATE_OUTPUT_H_
#define SCHEMAGATE_SERVER_MAIN_MIGRATE_OUTPUT_H_

#include <string>

#include "nlohmann/json.hpp"
#include "server/main/common.h"
#include "server/migrate/plan_locks.h"
#include "server/migrate/state.h"

namespace schemagate::commands {

// {"history", "clusters": [{"name", "status", ...}], "pending": [...]}: the
// state `status --json` and `migrate --json` print.
nlohmann::ordered_json StateJson(const migrate::MigrationState& state, const Session& session);

// CLUSTER STATE APPLIED LATEST PENDING, with changed and unknown migrations
// under their cluster.
void PrintStateTable(const migrate::MigrationState& state);

// "ACCESS EXCLUSIVE on tasks (2.1M rows, 800 MB): ALTER TABLE, line 3
// [column-type-rewrite] <message>", acknowledged ones with their reason.
std::string DescribeLock(const migrate::PlannedLock& l);

}  // namespace schemagate::commands

#endif  // SCHEMAGATE_SERVER_MAIN_MIGRATE_OUTPUT_H_
