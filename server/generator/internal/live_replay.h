// The catalog's tables from a real database: each enabled migration is
// applied through a SchemaOracle, and what appeared after it (a table, a
// column, a foreign key, an index) is owned by that migration's cluster,
// followed across renames by OID and attribute number. Pure apart from the
// oracle.
#ifndef SCHEMAGATE_SERVER_GENERATOR_INTERNAL_LIVE_REPLAY_H_
#define SCHEMAGATE_SERVER_GENERATOR_INTERNAL_LIVE_REPLAY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/generator/diagnostic.h"
#include "server/generator/schema_oracle.h"
#include "server/generator/tree.h"

namespace schemagate::generator::internal {

struct ReplayStep {
  const SourceMigration* migration = nullptr;
  std::string cluster;
};

// Replays `steps` in order from an empty database. A migration that fails
// is an error at its file:line:col (the tree does not apply to PostgreSQL);
// other failures of the oracle are returned as they are.
absl::StatusOr<std::vector<v1::Table>> LiveReplay(SchemaOracle* oracle,
                                                  const std::vector<ReplayStep>& steps,
                                                  Diagnostics* diagnostics);

}  // namespace schemagate::generator::internal

#endif  // SCHEMAGATE_SERVER_GENERATOR_INTERNAL_LIVE_REPLAY_H_
