// A real PostgreSQL that replays migrations for the generator, where the
// static replay cannot know the result (DO blocks and functions that change
// the schema, CREATE TABLE AS of expressions): Atlas's "dev database" idea.
// The generator stays free of database code: it sees only this interface,
// implemented in server/migrate/dev_database.h and wired in by
// schemagate-gen.
#ifndef SCHEMAGATE_SERVER_GENERATOR_SCHEMA_ORACLE_H_
#define SCHEMAGATE_SERVER_GENERATOR_SCHEMA_ORACLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "schemagate/v1/catalog.pb.h"

namespace schemagate::generator {

// One table as the database has it, with the identities (OIDs, attribute
// numbers) that tell a renamed column from a new one.
struct LiveTable {
  uint32_t oid = 0;
  v1::Table table;                   // name, columns, primary key, FKs, indexes
  std::vector<int32_t> attnums;      // per table.columns
  std::vector<uint32_t> fk_oids;     // per table.foreign_keys
  std::vector<uint32_t> index_oids;  // per table.indexes
};

class SchemaOracle {
 public:
  virtual ~SchemaOracle() = default;
  // Starts again from an empty database.
  virtual absl::Status Reset() = 0;
  // Applies one migration's up.sql: in one transaction, or statement by
  // statement when `no_transaction`. A failing statement gives
  // INVALID_ARGUMENT "LINE:COL: <PostgreSQL's message>" (position in `sql`).
  virtual absl::Status Apply(absl::string_view sql, bool no_transaction) = 0;
  // The tables of every user schema, as they are now.
  virtual absl::StatusOr<std::vector<LiveTable>> Tables() = 0;
  // Where it runs, for messages (never a password).
  virtual std::string Describe() const = 0;
};

}  // namespace schemagate::generator

#endif  // SCHEMAGATE_SERVER_GENERATOR_SCHEMA_ORACLE_H_
