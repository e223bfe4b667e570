// Superseded by pg_names.h (the same helpers over typed parse trees); kept
// only because server/catalog/query.cc, which is being moved to typed trees
// on another branch, still includes it. Delete with that include.
#ifndef SCHEMAGATE_SERVER_SQL_PG_JSON_H_
#define SCHEMAGATE_SERVER_SQL_PG_JSON_H_

#include "server/sql/pg_names.h"

#endif  // SCHEMAGATE_SERVER_SQL_PG_JSON_H_
