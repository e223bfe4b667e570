// The dev database: a scratch PostgreSQL database where the generator
// replays migrations whose effect only a database knows (SchemaOracle,
// server/generator/schema_oracle.h).
//
//   absl::StatusOr<std::unique_ptr<DevDatabase>> db = DevDatabase::Open("auto");
//   Generate(tree, features, &diagnostics, db->get());
//
// Specs:
//   auto  start a private server from PostgreSQL's server binaries
//         ($SCHEMAGATE_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin,
//         else initdb on PATH): initdb into a temporary folder, a Unix
//         socket only (no TCP port), fsync off; as root it runs as the
//         `postgres` user (PostgreSQL refuses root). Stopped and removed
//         when the DevDatabase is destroyed.
//   URL   a server where the role may CREATE DATABASE: a database
//         schemagate_dev_<pid>_<n> is created there and dropped at the end.
// Nothing outside the scratch database is touched. Errors: NOT_FOUND when
// `auto` finds no server binaries, UNAVAILABLE when the server cannot be
// started or reached, PERMISSION_DENIED without CREATE DATABASE.
// Thread-compatible.
#ifndef SCHEMAGATE_SERVER_MIGRATE_DEV_DATABASE_H_
#define SCHEMAGATE_SERVER_MIGRATE_DEV_DATABASE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/generator/schema_oracle.h"
#include "server/migrate/db.h"

namespace schemagate::migrate {

class ScratchServer;

class DevDatabase : public generator::SchemaOracle {
 public:
  static absl::StatusOr<std::unique_ptr<DevDatabase>> Open(const std::string& spec);
  ~DevDatabase() override;

  absl::Status Reset() override;
  absl::Status Apply(absl::string_view sql, bool no_transaction) override;
  absl::StatusOr<std::vector<generator::LiveTable>> Tables() override;
  std::string Describe() const override;

  // A connection string for the current scratch database (tests use it to
  // look at what was replayed).
  const std::string& url() const { return url_; }

 private:
  DevDatabase() = default;
  absl::Status Drop();

  std::unique_ptr<ScratchServer> server_;  // auto only
  std::string admin_url_;                  // where CREATE/DROP DATABASE run
  std::string url_;                        // the scratch database
  std::string database_;                   // its name ("" before Reset())
  std::string description_;
  std::unique_ptr<Connection> conn_;
  int generation_ = 0;
};

// Introspects the tables of every user schema of `conn` (names as the
// catalog writes them: "t" in public, "s.t" elsewhere; index columns
// "(expression)" for expressions).
absl::StatusOr<std::vector<generator::LiveTable>> IntrospectTables(Connection* conn);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_DEV_DATABASE_H_
