#include "server/catalog/sql_names.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schemagate::catalog {
namespace {

// PostgreSQL 15 keywords that are not UNRESERVED_KEYWORD (reserved, column
// name and type/function name keywords): quote_ident() quotes these.
const std::set<std::string>& SqlKeywordsNeedingQuotes() {
  static const auto* words = new std::set<std::string>{
      // RESERVED_KEYWORD
      "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case",
      "cast", "check", "collate", "column", "constraint", "create", "current_catalog",
      "current_date", "current_role", "current_time", "current_timestamp", "current_user",
      "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch",
      "for", "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into",
      "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on",
      "only", "or", "order", "placing", "primary", "references", "returning", "select",
      "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true",
      "union", "unique", "user", "using", "variadic", "when", "where", "window", "with",
      // TYPE_FUNC_NAME_KEYWORD
      "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze",
      "full", "ilike", "inner", "is", "isnull", "join", "left", "like", "natural", "notnull",
      "outer", "overlaps", "right", "similar", "tablesample", "verbose",
      // COL_NAME_KEYWORD
      "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal",
      "exists", "extract", "float", "greatest", "grouping", "inout", "int", "integer", "interval",
      "json", "json_array", "json_arrayagg", "json_object", "json_objectagg", "json_scalar",
      "json_serialize", "least", "national", "nchar", "none", "normalize", "nullif", "numeric",
      "out", "overlay", "position", "precision", "real", "row", "setof", "smallint", "substring",
      "time", "timestamp", "treat", "trim", "values", "varchar", "xmlattributes", "xmlconcat",
      "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot",
      "xmlserialize", "xmltable"};
  return *words;
}

}  // namespace

std::string SqlIdentifier(absl::string_view name) {
  bool safe =
      !name.empty() && (absl::ascii_islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!(absl::ascii_islower(u) || absl::ascii_isdigit(u) || c == '_')) {
      safe = false;
    }
  }
  if (safe && SqlKeywordsNeedingQuotes().count(std::string(name)) == 0) {
    return std::string(name);
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string SqlTableName(absl::string_view table) {
  size_t dot = table.find('.');
  if (dot == absl::string_view::npos) return SqlIdentifier(table);
  return absl::StrCat(SqlIdentifier(table.substr(0, dot)), ".",
                      SqlIdentifier(table.substr(dot + 1)));
}

std::string UnqualifiedName(absl::string_view table) {
  size_t dot = table.find('.');
  return std::string(dot == absl::string_view::npos ? table : table.substr(dot + 1));
}

std::string SelfJoinAlias(absl::string_view first_column, absl::string_view table) {
  std::string stem(first_column);
  if (absl::EndsWith(stem, "_id")) stem.resize(stem.size() - 3);
  std::string unqualified = UnqualifiedName(table);
  if (stem.empty() || stem == unqualified) stem = unqualified + "_2";
  return SqlIdentifier(stem);
}

}  // namespace schemagate::catalog
