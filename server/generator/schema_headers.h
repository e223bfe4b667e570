// Consumer schema headers: the build's catalog as C++17 constants.
//
// For one BuildCatalog (one feature set) EmitSchemaHeaders() renders
//   schemagate/schema/<cluster>.h  one per enabled cluster: its tables (name,
//                                  columns, primary key) as structs of
//                                  constants, and the foreign keys it
//                                  created as join descriptors;
//   schemagate/schema/features.h   SCHEMAGATE_HAS_<CLUSTER> (defined, as 1,
//                                  for enabled clusters only) and the
//                                  feature lists;
//   schemagate/schema.h            includes all of the above.
// They include schemagate/schema_types.h (client/include/), which defines
// schemagate::schema::Column. Headers of disabled clusters are not written,
// so a consumer that names a table of a disabled cluster does not compile;
// a join descriptor lives in the header of the cluster that created the
// foreign key, whose dependency closure holds both tables (the gating rule),
// so it exists exactly when both tables' clusters are enabled.
//
//   namespace schemagate::schema::tasks {
//   struct tasks {                       // table "tasks"
//     static constexpr ::std::string_view name = "tasks";
//     struct columns { static constexpr ::schemagate::schema::Column id{...}; };
//     static constexpr ::std::array<::schemagate::schema::Column, 3> all_columns = ...;
//     static constexpr ::schemagate::schema::Names<1> primary_key = {"id"};
//   };
//   namespace joins {
//   struct tasks_assignee_id_fkey {      // tasks.assignee_id -> users.id
//     using left_table = ::schemagate::schema::tasks::tasks;
//     using right_table = ::schemagate::schema::core::users;
//     static constexpr ::std::string_view on = "tasks.assignee_id = users.id";
//   }; }}
//
// Names become C++ identifiers by CppIdentifier(); two names of one scope
// that become the same identifier are an error naming both (see docs/
// CONSUMERS.md for the rules). Pure; thread-compatible.
#ifndef SCHEMAGATE_SERVER_GENERATOR_SCHEMA_HEADERS_H_
#define SCHEMAGATE_SERVER_GENERATOR_SCHEMA_HEADERS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/catalog/sql_names.h"

namespace schemagate::generator {

struct SchemaHeader {
  std::string path;  // relative to the include root, e.g. "schemagate/schema/tasks.h"
  std::string content;
};

// Renders the headers of `catalog`, in a stable order (the umbrella and
// features.h first, then the clusters in catalog order). INVALID_ARGUMENT
// when names collide as C++ identifiers (all collisions, one per line, each
// naming the cluster, the table and the clashing names) or when a cluster's
// header would be schemagate/schema/features.h.
absl::StatusOr<std::vector<SchemaHeader>> EmitSchemaHeaders(const v1::BuildCatalog& catalog);

// `name` (any PostgreSQL identifier, UTF-8) as a C++ identifier:
//   letters, digits and '_' are kept (case too); any other ASCII character
//   becomes '_'; a non-ASCII character becomes "_u<hex code point>"; runs of
//   '_' become one (no reserved "__"); a leading digit gets a '_' before it,
//   a leading "_<capital>" an 'x' before it; a C++ keyword, alternative
//   token, common C macro name (NULL, EOF, errno, linux, ...) or a name in
//   `reserved` (the members of the enclosing struct) gets a '_' after it.
// Examples: "Order Items" -> "Order_Items", "class" -> "class_",
// "1st" -> "_1st", "shop.addresses" -> "shop_addresses".
std::string CppIdentifier(absl::string_view name, const std::set<std::string>& reserved = {});

// How SQL writes a name (shared with the join answers).
using catalog::SqlIdentifier;
using catalog::SqlTableName;

}  // namespace schemagate::generator

#endif  // SCHEMAGATE_SERVER_GENERATOR_SCHEMA_HEADERS_H_
