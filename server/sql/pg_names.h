// Names and type texts PostgreSQL derives from a parse tree, over the typed
// messages of pg_proto.h: format_type()'s spelling of a TypeName,
// FigureColname()'s name of an expression, makeObjectName()'s truncation of
// generated index and constraint names.
//
//   bool serial = false;
//   std::string user_type;
//   FormatType(column_def.type_name(), &serial, &user_type);  // "integer"
//
// Pure functions; thread-safe.
#ifndef SCHEMAGATE_SERVER_SQL_PG_NAMES_H_
#define SCHEMAGATE_SERVER_SQL_PG_NAMES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/sql/pg_proto.h"

namespace schemagate::sql {

using NodeList = google::protobuf::RepeatedPtrField<pg_query::Node>;

// [String "a", A_Star, String "b"] -> {"a", "b"}: the String nodes' texts,
// other nodes skipped.
std::vector<std::string> StringList(const NodeList& list);

// The type as format_type() prints it; sets *serial for serial types and
// *user_type to the name of a non-built-in type ("" otherwise).
std::string FormatType(const pg_query::TypeName& type_name, bool* serial, std::string* user_type);

// PostgreSQL's makeObjectName(): name1[_name2][_label] truncated to 63 bytes.
std::string MakeObjectName(absl::string_view name1, absl::string_view name2,
                           absl::string_view label);

// FigureIndexColname(): the name PostgreSQL gives an index expression
// column ("lower" for lower(email), "coalesce", ...), or "expr".
std::string ExpressionName(const pg_query::Node& expr);

// "schema.name" -> "name".
std::string BareName(const std::string& qualified);

// ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: names
// joined by '_' up to 63 bytes.
std::string NameAddition(const std::vector<std::string>& names);

}  // namespace schemagate::sql

#endif  // SCHEMAGATE_SERVER_SQL_PG_NAMES_H_
