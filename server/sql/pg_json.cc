#include "server/sql/pg_json.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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

std::vector<int> TypeMods(const Json& type_name) {
  std::vector<int> mods;
  const Json* list = Member(type_name, "typmods");
  if (list == nullptr || !list->is_array()) return mods;
  for (const Json& item : *list) {
    const Json* c = Member(item, "A_Const");
    if (c == nullptr) continue;
    const Json* ival = Member(*c, "ival");
    mods.push_back(ival != nullptr ? IntMember(*ival, "ival", 0) : 0);
  }
  return mods;
}

}  // namespace

const Json* Member(const Json& obj, absl::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string StringMember(const Json& obj, absl::string_view key) {
  const Json* m = Member(obj, key);
  return m != nullptr && m->is_string() ? m->get<std::string>() : "";
}

bool BoolMember(const Json& obj, absl::string_view key) {
  const Json* m = Member(obj, key);
  return m != nullptr && m->is_boolean() && m->get<bool>();
}

int IntMember(const Json& obj, absl::string_view key, int fallback) {
  const Json* m = Member(obj, key);
  return m != nullptr && m->is_number_integer() ? m->get<int>() : fallback;
}

std::pair<std::string, const Json*> Unwrap(const Json& node) {
  if (!node.is_object() || node.size() != 1) return {"", nullptr};
  auto it = node.begin();
  return {it.key(), &it.value()};
}

std::vector<std::string> StringList(const Json* list) {
  std::vector<std::string> out;
  if (list == nullptr || !list->is_array()) return out;
  for (const Json& item : *list) {
    const Json* s = Member(item, "String");
    if (s != nullptr) out.push_back(StringMember(*s, "sval"));
  }
  return out;
}

std::string RelationName(const Json& range_var) {
  const Json* rv = Member(range_var, "RangeVar");
  const Json& r = rv != nullptr ? *rv : range_var;
  std::string schema = StringMember(r, "schemaname");
  std::string name = StringMember(r, "relname");
  if (schema.empty() || schema == "public") return name;
  return schema + "." + name;
}

namespace {

// intervaltypmodout()'s field names for an INTERVAL_MASK combination
// (bits as in PostgreSQL's datetime.h: MONTH 1, YEAR 2, DAY 3, HOUR 10,
// MINUTE 11, SECOND 12); the full range prints nothing.
std::string IntervalFields(int mask) {
  constexpr int kMonth = 1 << 1, kYear = 1 << 2, kDay = 1 << 3, kHour = 1 << 10,
                kMinute = 1 << 11, kSecond = 1 << 12;
  static const std::map<int, const char*>* fields = new std::map<int, const char*>{
      {kYear, " year"},
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

std::string FormatType(const Json& type_name, bool* serial,
                       std::string* user_type) {
  *serial = false;
  user_type->clear();
  std::vector<std::string> names = StringList(Member(type_name, "names"));
  const Json* bounds = Member(type_name, "arrayBounds");
  std::string suffix =
      bounds != nullptr && bounds->is_array() && !bounds->empty() ? "[]" : "";
  if (names.empty()) return "unknown" + suffix;

  bool qualified_builtin = names.size() == 2 && names[0] == "pg_catalog";
  std::string base = names.back();
  if (names.size() == 1 || qualified_builtin) {
    static const std::map<std::string, std::string, std::less<>> kSerial = {
        {"serial", "integer"},      {"serial4", "integer"},
        {"bigserial", "bigint"},    {"serial8", "bigint"},
        {"smallserial", "smallint"}, {"serial2", "smallint"}};
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
          out = absl::StrCat("numeric(", mods[0], ",",
                             mods.size() > 1 ? mods[1] : 0, ")");
        } else if ((out == "character varying" || out == "character" ||
                    out == "bit" || out == "bit varying") &&
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
std::string FigureName(const Json& node) {
  auto [type, inner] = Unwrap(node);
  if (inner == nullptr) return "";
  if (type == "ColumnRef") {
    std::vector<std::string> fields = StringList(Member(*inner, "fields"));
    return fields.empty() ? "" : fields.back();
  }
  if (type == "FuncCall") {
    std::vector<std::string> name = StringList(Member(*inner, "funcname"));
    return name.empty() ? "" : name.back();
  }
  if (type == "TypeCast") {
    if (const Json* arg = Member(*inner, "arg")) {
      std::string name = FigureName(*arg);
      if (!name.empty()) return name;
    }
    if (const Json* tn = Member(*inner, "typeName")) {
      std::vector<std::string> names = StringList(Member(*tn, "names"));
      return names.empty() ? "" : names.back();
    }
    return "";
  }
  if (type == "CollateClause") {
    const Json* arg = Member(*inner, "arg");
    return arg ? FigureName(*arg) : "";
  }
  if (type == "A_Indirection") {
    const Json* ind = Member(*inner, "indirection");
    if (ind && ind->is_array() && !ind->empty()) {
      std::vector<std::string> names = StringList(ind);
      if (!names.empty()) return names.back();
    }
    const Json* arg = Member(*inner, "arg");
    return arg ? FigureName(*arg) : "";
  }
  if (type == "A_Expr" && StringMember(*inner, "kind") == "AEXPR_NULLIF") {
    return "nullif";
  }
  if (type == "CaseExpr") return "case";
  if (type == "CoalesceExpr") return "coalesce";
  if (type == "A_ArrayExpr") return "array";
  if (type == "RowExpr") return "row";
  if (type == "GroupingFunc") return "grouping";
  if (type == "MinMaxExpr") {
    return StringMember(*inner, "op") == "IS_GREATEST" ? "greatest" : "least";
  }
  if (type == "SubLink") {
    std::string kind = StringMember(*inner, "subLinkType");
    if (kind == "EXISTS_SUBLINK") return "exists";
    if (kind == "ARRAY_SUBLINK") return "array";
    return "";
  }
  if (type == "SQLValueFunction") {
    static const std::map<std::string, std::string, std::less<>> kNames = {
        {"SVFOP_CURRENT_DATE", "current_date"},
        {"SVFOP_CURRENT_TIME", "current_time"},
        {"SVFOP_CURRENT_TIME_N", "current_time"},
        {"SVFOP_CURRENT_TIMESTAMP", "current_timestamp"},
        {"SVFOP_CURRENT_TIMESTAMP_N", "current_timestamp"},
        {"SVFOP_LOCALTIME", "localtime"},
        {"SVFOP_LOCALTIME_N", "localtime"},
        {"SVFOP_LOCALTIMESTAMP", "localtimestamp"},
        {"SVFOP_LOCALTIMESTAMP_N", "localtimestamp"},
        {"SVFOP_CURRENT_ROLE", "current_role"},
        {"SVFOP_CURRENT_USER", "current_user"},
        {"SVFOP_USER", "user"},
        {"SVFOP_SESSION_USER", "session_user"},
        {"SVFOP_CURRENT_CATALOG", "current_catalog"},
        {"SVFOP_CURRENT_SCHEMA", "current_schema"},
    };
    auto it = kNames.find(StringMember(*inner, "op"));
    return it == kNames.end() ? "" : it->second;
  }
  return "";
}

}  // namespace

std::string ExpressionName(const Json& expr) {
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
