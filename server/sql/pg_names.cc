#include "server/sql/pg_names.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schemagate::sql {
namespace {

constexpr size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1

// Built-in type names (pg_catalog or unqualified aliases) -> format_type().
const std::map<std::string, std::string, std::less<>>& BuiltinTypes() {
  static const auto* types = new std::map<std::string, std::string, std::less<>>{
      {"int2", "smallint"},
      {"smallint", "smallint"},
      {"int4", "integer"},
      {"int", "integer"},
      {"integer", "integer"},
      {"int8", "bigint"},
      {"bigint", "bigint"},
      {"float4", "real"},
      {"real", "real"},
      {"float8", "double precision"},
      {"bool", "boolean"},
      {"boolean", "boolean"},
      {"numeric", "numeric"},
      {"decimal", "numeric"},
      {"varchar", "character varying"},
      {"bpchar", "character"},
      {"timestamp", "timestamp without time zone"},
      {"timestamptz", "timestamp with time zone"},
      {"time", "time without time zone"},
      {"timetz", "time with time zone"},
      {"interval", "interval"},
      {"bit", "bit"},
      {"varbit", "bit varying"},
      {"text", "text"},
      {"uuid", "uuid"},
      {"json", "json"},
      {"jsonb", "jsonb"},
      {"date", "date"},
      {"bytea", "bytea"},
      {"inet", "inet"},
      {"cidr", "cidr"},
      {"macaddr", "macaddr"},
      {"macaddr8", "macaddr8"},
      {"money", "money"},
      {"tsvector", "tsvector"},
      {"tsquery", "tsquery"},
      {"xml", "xml"},
      {"oid", "oid"},
      {"point", "point"},
      {"line", "line"},
      {"lseg", "lseg"},
      {"box", "box"},
      {"path", "path"},
      {"polygon", "polygon"},
      {"circle", "circle"},
      {"int4range", "int4range"},
      {"int8range", "int8range"},
      {"numrange", "numrange"},
      {"tsrange", "tsrange"},
      {"tstzrange", "tstzrange"},
      {"daterange", "daterange"},
      {"regclass", "regclass"},
      {"name", "name"},
      {"char", "\"char\""},
      {"pg_lsn", "pg_lsn"},
  };
  return *types;
}

std::vector<int> TypeMods(const pg_query::TypeName& type_name) {
  std::vector<int> mods;
  for (const pg_query::Node& item : type_name.typmods()) {
    if (!item.has_a_const()) continue;
    const pg_query::A_Const& c = item.a_const();
    mods.push_back(c.has_ival() ? c.ival().ival() : 0);
  }
  return mods;
}

// intervaltypmodout()'s field names for an INTERVAL_MASK combination
// (bits as in PostgreSQL's datetime.h: MONTH 1, YEAR 2, DAY 3, HOUR 10,
// MINUTE 11, SECOND 12); the full range prints nothing.
std::string IntervalFields(int mask) {
  constexpr int kMonth = 1 << 1, kYear = 1 << 2, kDay = 1 << 3, kHour = 1 << 10, kMinute = 1 << 11,
                kSecond = 1 << 12;
  static const std::map<int, const char*>* fields =
      new std::map<int, const char*>{{kYear, " year"},
                                     {kMonth, " month"},
                                     {kDay, " day"},
                                     {kHour, " hour"},
                                     {kMinute, " minute"},
                                     {kSecond, " second"},
                                     {kYear | kMonth, " year to month"},
                                     {kDay | kHour, " day to hour"},
                                     {kDay | kHour | kMinute, " day to minute"},
                                     {kDay | kHour | kMinute | kSecond, " day to second"},
                                     {kHour | kMinute, " hour to minute"},
                                     {kHour | kMinute | kSecond, " hour to second"},
                                     {kMinute | kSecond, " minute to second"}};
  auto it = fields->find(mask);
  return it == fields->end() ? "" : it->second;
}

}  // namespace

std::vector<std::string> StringList(const NodeList& list) {
  std::vector<std::string> out;
  for (const pg_query::Node& item : list) {
    if (item.has_string()) out.push_back(item.string().sval());
  }
  return out;
}

std::string FormatType(const pg_query::TypeName& type_name, bool* serial, std::string* user_type) {
  *serial = false;
  user_type->clear();
  std::vector<std::string> names = StringList(type_name.names());
  std::string suffix = type_name.array_bounds_size() > 0 ? "[]" : "";
  if (names.empty()) return "unknown" + suffix;

  bool qualified_builtin = names.size() == 2 && names[0] == "pg_catalog";
  std::string base = names.back();
  if (names.size() == 1 || qualified_builtin) {
    static const std::map<std::string, std::string, std::less<>> kSerial = {
        {"serial", "integer"}, {"serial4", "integer"},      {"bigserial", "bigint"},
        {"serial8", "bigint"}, {"smallserial", "smallint"}, {"serial2", "smallint"}};
    if (auto s = kSerial.find(base); s != kSerial.end() && !qualified_builtin) {
      *serial = true;
      return s->second + suffix;
    }
    // `"char"` (quoted) is the internal one-byte type, which format_type
    // prints quoted; `char` the keyword arrives as pg_catalog.bpchar.
    {
      auto it = BuiltinTypes().find(base);
      if (it != BuiltinTypes().end()) {
        std::string out = it->second;
        std::vector<int> mods = TypeMods(type_name);
        if (out == "numeric" && !mods.empty()) {
          out = absl::StrCat("numeric(", mods[0], ",", mods.size() > 1 ? mods[1] : 0, ")");
        } else if ((out == "character varying" || out == "character" || out == "bit" ||
                    out == "bit varying") &&
                   !mods.empty()) {
          absl::StrAppend(&out, "(", mods[0], ")");
        } else if (absl::StartsWith(out, "timestamp") && !mods.empty()) {
          out = absl::StrCat("timestamp(", mods[0], ")", out.substr(9));
        } else if (absl::StartsWith(out, "time ") && !mods.empty()) {
          out = absl::StrCat("time(", mods[0], ")", out.substr(4));
        } else if (out == "interval" && !mods.empty()) {
          // The grammar's typmods: the field mask, then the precision.
          out += IntervalFields(mods[0]);
          if (mods.size() > 1) absl::StrAppend(&out, "(", mods[1], ")");
        }
        return out + suffix;
      }
    }
  }
  // A user-defined (or extension) type.
  std::string qualified = names.size() >= 2 && names[names.size() - 2] != "public"
                              ? names[names.size() - 2] + "." + base
                              : base;
  *user_type = qualified;
  return qualified + suffix;
}

namespace {

// FigureColnameInternal(): "" when the expression gives no name.
std::string FigureName(const pg_query::Node& node) {
  switch (node.node_case()) {
    case pg_query::Node::kColumnRef: {
      std::vector<std::string> fields = StringList(node.column_ref().fields());
      return fields.empty() ? "" : fields.back();
    }
    case pg_query::Node::kFuncCall: {
      std::vector<std::string> name = StringList(node.func_call().funcname());
      return name.empty() ? "" : name.back();
    }
    case pg_query::Node::kTypeCast: {
      const pg_query::TypeCast& cast = node.type_cast();
      if (cast.has_arg()) {
        std::string name = FigureName(cast.arg());
        if (!name.empty()) return name;
      }
      if (cast.has_type_name()) {
        std::vector<std::string> names = StringList(cast.type_name().names());
        return names.empty() ? "" : names.back();
      }
      return "";
    }
    case pg_query::Node::kCollateClause:
      return node.collate_clause().has_arg() ? FigureName(node.collate_clause().arg()) : "";
    case pg_query::Node::kAIndirection: {
      const pg_query::A_Indirection& ind = node.a_indirection();
      std::vector<std::string> names = StringList(ind.indirection());
      if (!names.empty()) return names.back();
      return ind.has_arg() ? FigureName(ind.arg()) : "";
    }
    case pg_query::Node::kAExpr:
      return node.a_expr().kind() == pg_query::AEXPR_NULLIF ? "nullif" : "";
    case pg_query::Node::kCaseExpr:
      return "case";
    case pg_query::Node::kCoalesceExpr:
      return "coalesce";
    case pg_query::Node::kAArrayExpr:
      return "array";
    case pg_query::Node::kRowExpr:
      return "row";
    case pg_query::Node::kGroupingFunc:
      return "grouping";
    case pg_query::Node::kMinMaxExpr:
      return node.min_max_expr().op() == pg_query::IS_GREATEST ? "greatest" : "least";
    case pg_query::Node::kSubLink:
      switch (node.sub_link().sub_link_type()) {
        case pg_query::EXISTS_SUBLINK:
          return "exists";
        case pg_query::ARRAY_SUBLINK:
          return "array";
        default:
          return "";
      }
    case pg_query::Node::kSqlvalueFunction:
      switch (node.sqlvalue_function().op()) {
        case pg_query::SVFOP_CURRENT_DATE:
          return "current_date";
        case pg_query::SVFOP_CURRENT_TIME:
        case pg_query::SVFOP_CURRENT_TIME_N:
          return "current_time";
        case pg_query::SVFOP_CURRENT_TIMESTAMP:
        case pg_query::SVFOP_CURRENT_TIMESTAMP_N:
          return "current_timestamp";
        case pg_query::SVFOP_LOCALTIME:
        case pg_query::SVFOP_LOCALTIME_N:
          return "localtime";
        case pg_query::SVFOP_LOCALTIMESTAMP:
        case pg_query::SVFOP_LOCALTIMESTAMP_N:
          return "localtimestamp";
        case pg_query::SVFOP_CURRENT_ROLE:
          return "current_role";
        case pg_query::SVFOP_CURRENT_USER:
          return "current_user";
        case pg_query::SVFOP_USER:
          return "user";
        case pg_query::SVFOP_SESSION_USER:
          return "session_user";
        case pg_query::SVFOP_CURRENT_CATALOG:
          return "current_catalog";
        case pg_query::SVFOP_CURRENT_SCHEMA:
          return "current_schema";
        default:
          return "";
      }
    default:
      return "";
  }
}

}  // namespace

std::string ExpressionName(const pg_query::Node& expr) {
  std::string name = FigureName(expr);
  return name.empty() ? "expr" : name;
}

std::string BareName(const std::string& qualified) {
  size_t dot = qualified.rfind('.');
  return dot == std::string::npos ? qualified : qualified.substr(dot + 1);
}

std::string MakeObjectName(absl::string_view name1, absl::string_view name2,
                           absl::string_view label) {
  size_t overhead = 0;
  if (!label.empty()) overhead += label.size() + 1;
  if (!name2.empty()) overhead += 1;
  size_t avail = kMaxIdentifier - overhead;
  size_t n1 = name1.size(), n2 = name2.size();
  while (n1 + n2 > avail) {
    if (n1 > n2) {
      --n1;
    } else {
      --n2;
    }
  }
  std::string out(name1.substr(0, n1));
  if (!name2.empty()) absl::StrAppend(&out, "_", name2.substr(0, n2));
  if (!label.empty()) absl::StrAppend(&out, "_", label);
  return out;
}

std::string NameAddition(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += "_";
    out += n;
    if (out.size() >= kMaxIdentifier) {
      out.resize(kMaxIdentifier);
      break;
    }
  }
  return out;
}

}  // namespace schemagate::sql
