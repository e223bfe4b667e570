// How SQL writes the catalog's names.
//
// Catalog names are PostgreSQL's own spelling of identifiers ("users",
// "Order Items", "app.User Accounts" for a table outside public). SQL the
// catalog hands out (join ON clauses, the generated headers' constants)
// writes them so that PostgreSQL reads back the same name:
//
//   SqlIdentifier("assignee_id")        -> assignee_id
//   SqlIdentifier("Email")              -> "Email"
//   SqlIdentifier("order")              -> "order"   (reserved keyword)
//   SqlTableName("app.User Accounts")   -> app."User Accounts"
//
// Pure; thread-safe.
#ifndef SCHEMAGATE_SERVER_CATALOG_SQL_NAMES_H_
#define SCHEMAGATE_SERVER_CATALOG_SQL_NAMES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace schemagate::catalog {

// `name` as SQL must write it: bare when it is a lowercase identifier that is
// not a reserved PostgreSQL keyword (quote_ident's rule), else in double
// quotes with '"' doubled.
std::string SqlIdentifier(absl::string_view name);

// SqlIdentifier() of each part of a catalog table name ("schema.name").
std::string SqlTableName(absl::string_view table);

// "app.accounts" -> "accounts"; "users" -> "users".
std::string UnqualifiedName(absl::string_view table);

// The alias, as SQL, of the referenced side of a self-referencing foreign
// key of `table` whose first column is `first_column`: the column without
// "_id" ("parent_id" -> parent), or "<table>_2" when that leaves nothing
// or the table's own name. The join answers and the generated headers
// both use it, so they agree.
std::string SelfJoinAlias(absl::string_view first_column, absl::string_view table);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_SQL_NAMES_H_
