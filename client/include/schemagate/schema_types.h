// schemagate/schema_types.h — the types of the generated schema headers.
//
// A schemagate build generates, for its feature set, one header per enabled
// cluster (schemagate/schema/<cluster>.h), schemagate/schema/features.h
// (SCHEMAGATE_HAS_<CLUSTER> macros) and the umbrella schemagate/schema.h.
// They describe each table as a struct of constants and each foreign key
// as a join descriptor struct; this header holds what they share. See
// docs/CONSUMERS.md.
//
//   #include "schemagate/schema.h"
//   namespace s = schemagate::schema;
//   #if SCHEMAGATE_HAS_SHOP                  // a cluster "shop" with a table
//   using J = s::shop::joins::orders_customer_id_fkey;  // orders -> customers
//   static_assert(J::on == "orders.customer_id = customers.id");
//   std::string sql = "SELECT count(*) FROM " + std::string(J::left_table::sql) +
//                     " " + std::string(J::join);
//   // "SELECT count(*) FROM orders JOIN customers ON orders.customer_id = customers.id"
//   #endif
//
// Everything is constexpr data (C++17, header only, nothing to link); the
// strings have static storage duration. Thread-safe: immutable.
#ifndef SCHEMAGATE_SCHEMA_TYPES_H_
#define SCHEMAGATE_SCHEMA_TYPES_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace schemagate::schema {

// A column of a table, as a fresh install of the build's migrations leaves
// it.
struct Column {
  // The name as PostgreSQL stores it (unquoted), e.g. "assignee_id" or
  // "Due Date".
  ::std::string_view name;
  // The name as SQL must spell it: quoted when PostgreSQL needs quotes
  // ("\"Due Date\"", "\"order\""), else the bare name.
  ::std::string_view sql;
  // The type as PostgreSQL's format_type() prints it, e.g. "bigint",
  // "character varying(255)", "timestamp with time zone".
  ::std::string_view type;
  bool nullable;
  // The cluster that added the column: the table's own cluster, or a
  // cluster that altered it (a column a bridge adds exists only in builds
  // where that bridge is enabled).
  ::std::string_view cluster;
};

// N names (of columns), usable in constant expressions.
template <::std::size_t N>
using Names = ::std::array<::std::string_view, N>;

// Writes `join_descriptor`'s JOIN clause with other aliases: "JOIN <right
// table> AS <right_alias> ON <left_alias>.<col> = <right_alias>.<col> AND
// ...". Aliases are inserted as given (quote them if they need it). For the
// descriptor's own aliases use J::join, a constant.
template <typename J>
::std::string JoinWithAliases(::std::string_view left_alias, ::std::string_view right_alias) {
  ::std::string out = "JOIN ";
  out.append(J::right_table::sql);
  out.append(" AS ");
  out.append(right_alias);
  out.append(" ON ");
  for (::std::size_t i = 0; i < J::left_columns_sql.size(); ++i) {
    if (i > 0) out.append(" AND ");
    out.append(left_alias);
    out.append(".");
    out.append(J::left_columns_sql[i]);
    out.append(" = ");
    out.append(right_alias);
    out.append(".");
    out.append(J::right_columns_sql[i]);
  }
  return out;
}

}  // namespace schemagate::schema

#endif  // SCHEMAGATE_SCHEMA_TYPES_H_
