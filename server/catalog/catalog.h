// schemagate::catalog — start here.
//
// The catalog is the single source of truth for clusters, tables, columns,
// keys and migrations of one build, and of which of them are enabled. It is
// pure: built from the serialized BuildCatalog the generator embedded in the
// binary, with no I/O. Everything else (migration engine, join validation,
// RPC) asks it.
//
//   absl::StatusOr<Catalog> compiled = Catalog::Load(EmbeddedCatalogBytes());
//   // Optionally narrow to a subset of the compiled features (--features):
//   absl::StatusOr<Catalog> catalog = compiled->Narrow({"tasks"});
//   TableLookup t = catalog->Lookup("crm_contacts");
//   if (t.state == TableState::kClusterDisabled) Say(t.enable_features);
//
// Thread safety: a Catalog is immutable after construction; all const
// methods may be called concurrently. Pointers it returns live as long as
// the Catalog (it is movable; moving keeps them valid).
#ifndef SCHEMAGATE_SERVER_CATALOG_CATALOG_H_
#define SCHEMAGATE_SERVER_CATALOG_CATALOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/catalog/features.h"

namespace schemagate::catalog {

// The catalog format this code reads (BuildCatalog.format).
inline constexpr uint32_t kCatalogFormat = 1;

// Keyed 64-bit hash under which absent clusters' table names are stored.
uint64_t TableKey(absl::string_view table_name);

// Keyed 64-bit hash under which columns ("column") and foreign keys ("fk")
// that absent clusters add to compiled tables are stored.
uint64_t ObjectKey(absl::string_view kind, absl::string_view table, absl::string_view name);

// Hex encoding used for absent clusters' names.
std::string HexEncode(absl::string_view bytes);
std::string HexDecode(absl::string_view hex);  // invalid input -> ""

// The digest of a set of applied migrations: lowercase hex SHA-256 of one
// line "<cluster> <version> <up_sha256>" per migration, sorted by cluster
// (bytes) then version, joined with "\n". The history table digests to the
// same value (migrate::History::MatchesAppliedDigest) exactly when it
// records these migrations with these checksums, and no other.
struct AppliedKey {
  absl::string_view cluster;
  uint64_t version = 0;
  absl::string_view checksum;
};
std::string AppliedSetDigest(std::vector<AppliedKey> migrations);

// What a serialized BuildCatalog says about itself, read without parsing
// it (a scan of its top-level fields: microseconds for a catalog of
// thousands of migrations): its format and applied_digest.
struct CatalogSummary {
  uint32_t format = 0;
  std::string applied_digest;
  // BuildCatalog.features: the compiled features, in the catalog's order.
  std::vector<std::string> features;
};
// INVALID_ARGUMENT when the bytes are not a well-formed message.
absl::StatusOr<CatalogSummary> Summarize(absl::string_view serialized);

enum class TableState {
  kAvailable,        // its cluster is enabled (migration state not checked)
  kClusterDisabled,  // its cluster is in the tree but not enabled here
  kUnknown,          // no cluster of the build's tree creates it
};

struct TableLookup {
  TableState state = TableState::kUnknown;
  // The table's name as the catalog spells it (empty when unknown).
  std::string name;
  // Owning cluster; empty when unknown.
  std::string cluster;
  // Features to turn on so that the table's cluster is enabled.
  std::vector<std::string> enable_features;
  // True when the cluster is compiled into this binary (so --features can
  // enable it); false when a rebuild with more features is needed.
  bool compiled = false;
  // The enabled table, for kAvailable; otherwise null.
  const v1::Table* table = nullptr;
};

class Catalog {
 public:
  // Parses a serialized BuildCatalog. INVALID_ARGUMENT when it does not
  // parse or is of an unknown format.
  static absl::StatusOr<Catalog> Load(absl::string_view serialized);
  static absl::StatusOr<Catalog> FromProto(const v1::BuildCatalog& compiled);

  Catalog(Catalog&&);
  Catalog& operator=(Catalog&&);
  ~Catalog();

  // A catalog with only `features` (and what they pull in) enabled. Each
  // must be compiled in: otherwise INVALID_ARGUMENT saying how to rebuild
  // (or, for a name the tree does not know, listing the valid features).
  // An empty list means core only.
  absl::StatusOr<Catalog> Narrow(const std::vector<std::string>& features) const;

  // Everything compiled into the binary.
  const v1::BuildCatalog& compiled() const;
  // The enabled part: clusters, tables, columns, keys, indexes and apply
  // order restricted to enabled clusters. Same as compiled() unless narrowed.
  const v1::BuildCatalog& enabled() const;
  const EnabledSet& enabled_set() const;

  bool IsEnabled(absl::string_view cluster) const;
  bool IsCompiled(absl::string_view cluster) const;

  // Enabled cluster / table by name, or null. Table names may be given
  // schema-qualified ("public.users").
  const v1::Cluster* FindCluster(absl::string_view name) const;
  const v1::Table* FindTable(absl::string_view name) const;
  const v1::Migration* FindMigration(absl::string_view cluster, uint64_t version) const;

  // Where `name` stands in this build (see TableState). A name that matches
  // no table as written is tried in lowercase too ("Users" finds users), as
  // for a name a person typed; with fold_case false only the exact name
  // matches, as for a name PostgreSQL's parser read from SQL (where "Users"
  // quoted is not users).
  TableLookup Lookup(absl::string_view name, bool fold_case = true) const;

  // The cluster, not compiled into this build, that adds the column
  // (kind "column") or foreign key ("fk") `name` to `table`; "" when none
  // does (as far as this build's tree knows).
  std::string AbsentOwner(absl::string_view kind, absl::string_view table,
                          absl::string_view name) const;

  // The enabled migrations in fresh-install order.
  std::vector<const v1::Migration*> ApplyOrder() const;

  // AppliedSetDigest of the enabled migrations.
  const std::string& applied_digest() const;

  // Names of features of the tree that are not compiled in.
  std::vector<std::string> AbsentFeatures() const;

 private:
  struct State;
  explicit Catalog(std::unique_ptr<State> state);
  // Checks state->compiled and derives the rest of the state from it.
  static absl::StatusOr<Catalog> Build(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

// "public.users" -> "users"; other schemas are kept.
std::string NormalizeTableName(absl::string_view name);

// "cluster/0002_add_due": the migration's folder in the tree, how every
// message and listing names a migration.
std::string MigrationPath(const v1::Migration& m);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_CATALOG_H_
