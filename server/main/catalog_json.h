// JSON renderings of the catalog, of a join and of a query check: what
// `schemagate catalog`, `join` and `query --json` print. CLI output, so it
// lives beside the commands (the catalog itself stays free of JSON).
#ifndef SCHEMAGATE_SERVER_MAIN_CATALOG_JSON_H_
#define SCHEMAGATE_SERVER_MAIN_CATALOG_JSON_H_

#include "nlohmann/json.hpp"
#include "server/catalog/catalog.h"
#include "server/catalog/join.h"
#include "server/catalog/query.h"

namespace schemagate::commands {

// The enabled part of `catalog`:
// {"features": [...], "requested_features": [...],
//  "clusters": [{"name", "description", "depends_on", "requires_features",
//                "bridge", "tables": [{"name", "columns": [{"name", "type",
//                "nullable", "cluster"}], "primary_key", "foreign_keys":
//                [{"name", "columns", "references_table",
//                "references_columns", "on_delete", "on_update", "cluster"}],
//                "indexes": [...], "created_by"}],
//                "migrations": [{"version", "name", "sha256",
//                "no_transaction", "requires", "path"}]}],
//  "apply_order": ["core/1", ...]}
// Clusters in dependency order. A table is listed under the cluster that
// creates it, with the columns and keys of every enabled cluster. With
// `clusters` (enabled cluster names; see CheckClustersEnabled in
// diagram.h) only those clusters and their migrations in apply_order.
nlohmann::ordered_json CatalogJson(const catalog::Catalog& catalog,
                                   const std::vector<std::string>& clusters = {});

// {"verdict", "tables": [{"name", "state", "cluster", "enable_features",
//  "compiled", "suggestions"}], "pairs": [{"left", "right", "status",
//  "message", "candidates": [edge], "path": [step], "blocked_by_features",
//  "from_sql"}], "tree": {"connected", "optimal", "root", "steps": [step],
//  "extra_tables", "unreachable", "blocked_by_features", "message",
//  "from_sql"}}
// edge: {"foreign_key", "from_table", "from_columns", "to_table",
//  "to_columns", "from_alias", "to_alias", "on"}; step: {"table", "join_to",
//  edge..., "sql", "alternatives"}.
nlohmann::ordered_json JoinJson(const catalog::JoinResult& result);

// {"verdict", "statements", "tables": [{"name", "table", "state", "cluster",
//  "enable_features", "role", "aliases", "line", "column", "suggestions"}],
//  "conditions": [{"left", "right", "text", "foreign_key", "line",
//  "column"}], "messages"}
nlohmann::ordered_json QueryJson(const catalog::QueryResult& result);

}  // namespace schemagate::commands

#endif  // SCHEMAGATE_SERVER_MAIN_CATALOG_JSON_H_
