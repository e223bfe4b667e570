// JSON renderings of the catalog (what `schemagate catalog` prints).
#ifndef SCHEMAGATE_SERVER_CATALOG_JSON_H_
#define SCHEMAGATE_SERVER_CATALOG_JSON_H_

#include "nlohmann/json.hpp"
#include "server/catalog/catalog.h"

namespace schemagate::catalog {

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
// creates it, with the columns and keys of every enabled cluster.
nlohmann::ordered_json CatalogJson(const Catalog& catalog);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_JSON_H_
