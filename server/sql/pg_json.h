// Helpers for reading libpg_query's JSON parse trees (PostgreSQL 15 nodes).
// Absent members mean the field's default (libpg_query omits them).
#ifndef SCHEMAGATE_SERVER_SQL_PG_JSON_H_
#define SCHEMAGATE_SERVER_SQL_PG_JSON_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace schemagate::sql {

using Json = nlohmann::json;

// The member `key` of `obj`, or null when absent or `obj` is not an object.
const Json* Member(const Json& obj, absl::string_view key);
std::string StringMember(const Json& obj, absl::string_view key);
bool BoolMember(const Json& obj, absl::string_view key);
int IntMember(const Json& obj, absl::string_view key, int fallback);

// {"CreateStmt": {...}} -> ("CreateStmt", &inner); otherwise ("", null).
std::pair<std::string, const Json*> Unwrap(const Json& node);

// [{"String": {"sval": "a"}}, ...] -> {"a", ...}. Non-strings are skipped.
std::vector<std::string> StringList(const Json* list);

// A RangeVar (inline or wrapped) -> "name" for the public schema or no
// schema, "schema.name" otherwise.
std::string RelationName(const Json& range_var);

// The type as format_type() prints it; sets *serial for serial types and
// *user_type to the name of a non-built-in type ("" otherwise).
std::string FormatType(const Json& type_name, bool* serial,
                       std::string* user_type);

// PostgreSQL's makeObjectName(): name1[_name2][_label] truncated to 63 bytes.
std::string MakeObjectName(absl::string_view name1, absl::string_view name2,
                           absl::string_view label);

// FigureIndexColname(): the name PostgreSQL gives an index expression
// column ("lower" for lower(email), "coalesce", ...), or "expr".
std::string ExpressionName(const Json& expr);

// "schema.name" -> "name".
std::string BareName(const std::string& qualified);

// ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: names
// joined by '_' up to 63 bytes.
std::string NameAddition(const std::vector<std::string>& names);

}  // namespace schemagate::sql

#endif  // SCHEMAGATE_SERVER_SQL_PG_JSON_H_
