#include "server/generator/lint/lock_lint_facts.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/sql/parser.h"

namespace schemagate::generator::lint::facts {

using pg_query::Node;

std::string Quoted(absl::string_view name) { return absl::StrCat("\"", name, "\""); }

std::string TypeKey::ToString() const {
  static const std::map<std::string, std::string> kSpelling = {
      {"int2", "smallint"},           {"int4", "integer"}, {"int8", "bigint"}, {"float4", "real"},
      {"float8", "double precision"}, {"bool", "boolean"}, {"bpchar", "char"}};
  auto spelled = kSpelling.find(base);
  std::string out = spelled != kSpelling.end() ? spelled->second : base;
  if (!mods.empty()) absl::StrAppend(&out, "(", absl::StrJoin(mods, ","), ")");
  if (array) out += "[]";
  return out;
}

TypeKey KeyOf(const pg_query::TypeName& t) {
  TypeKey k;
  if (t.names().empty()) {
    k.known = false;
    return k;
  }
  k.base = absl::AsciiStrToLower(sql::StringOf(t.names(t.names_size() - 1)));
  static const std::map<std::string, std::string> kAliases = {
      {"integer", "int4"},
      {"int", "int4"},
      {"smallint", "int2"},
      {"bigint", "int8"},
      {"serial", "int4"},
      {"bigserial", "int8"},
      {"smallserial", "int2"},
      {"serial4", "int4"},
      {"serial8", "int8"},
      {"serial2", "int2"},
      {"real", "float4"},
      {"double", "float8"},
      {"character varying", "varchar"},
      {"character", "bpchar"},
      {"char", "bpchar"},
      {"decimal", "numeric"},
      {"boolean", "bool"},
      {"timestamp with time zone", "timestamptz"},
  };
  if (auto it = kAliases.find(k.base); it != kAliases.end()) k.base = it->second;
  for (const Node& m : t.typmods()) {
    if (m.has_a_const() && m.a_const().has_ival()) {
      k.mods.push_back(m.a_const().ival().ival());
    } else if (m.has_integer()) {
      k.mods.push_back(m.integer().ival());
    }
  }
  k.array = t.array_bounds_size() > 0;
  return k;
}

TypeChange Classify(const std::optional<TypeKey>& from, const TypeKey& to) {
  TypeChange c;
  if (!from || !from->known || !to.known) return c;  // unknown: assume a rewrite
  const TypeKey& a = *from;
  if (a == to) return {false, false};
  if (a.array != to.array) return c;
  auto text_like = [](const std::string& b) { return b == "text" || b == "varchar"; };
  if (text_like(a.base) && text_like(to.base)) {
    // varchar(n) -> varchar(m >= n) / varchar / text: no rewrite.
    if (to.mods.empty()) return {false, false};
    if (a.base == "varchar" && !a.mods.empty() && to.mods[0] >= a.mods[0]) return {false, false};
    return {true, true};  // to a shorter limit: every value is checked
  }
  if (a.base == "numeric" && to.base == "numeric") {
    if (to.mods.empty()) return {false, false};
    if (a.mods.empty()) return {true, true};
    int from_scale = a.mods.size() > 1 ? a.mods[1] : 0;
    int to_scale = to.mods.size() > 1 ? to.mods[1] : 0;
    if (from_scale == to_scale && to.mods[0] >= a.mods[0]) return {false, false};
    return {true, to.mods[0] - to_scale < a.mods[0] - from_scale || to_scale < from_scale};
  }
  if ((a.base == "varbit" || a.base == "bit varying") && a.base == to.base) {
    if (to.mods.empty() || (!a.mods.empty() && to.mods[0] >= a.mods[0])) return {false, false};
    return {true, true};
  }
  if (a.base == "cidr" && to.base == "inet") return {false, false};
  static const std::map<std::string, int> kIntWidth = {{"int2", 2}, {"int4", 4}, {"int8", 8}};
  auto fa = kIntWidth.find(a.base), fb = kIntWidth.find(to.base);
  if (fa != kIntWidth.end() && fb != kIntWidth.end()) return {true, fb->second < fa->second};
  if (text_like(to.base) && to.mods.empty()) return {true, false};  // anything to text
  return {true, text_like(a.base) && !text_like(to.base)};
}

bool VolatileBuiltin(const std::string& name) {
  static const std::set<std::string> kVolatile = {
      "random",           "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
      "uuid_generate_v4", "clock_timestamp", "timeofday",        "nextval",
      "setval",           "random_normal",   "txid_current",     "pg_current_xact_id"};
  return kVolatile.count(name) > 0;
}

std::string NotNullColumn(const Node& expr) {
  if (!expr.has_null_test() || expr.null_test().nulltesttype() != pg_query::IS_NOT_NULL) return "";
  const Node& arg = expr.null_test().arg();
  if (!arg.has_column_ref() || arg.column_ref().fields_size() != 1) return "";
  return sql::StringOf(arg.column_ref().fields(0));
}

// `-- schemagate:allow <rule> <reason>` lines in the comments just before a
// statement (its text up to the first token).
std::map<std::string, std::string> Allows(absl::string_view lead) {
  std::map<std::string, std::string> out;
  for (absl::string_view raw : absl::StrSplit(lead, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (!absl::ConsumePrefix(&line, "--")) continue;
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "schemagate:allow")) continue;
    line = absl::StripAsciiWhitespace(line);
    size_t space = line.find_first_of(" \t");
    if (space == absl::string_view::npos) continue;
    out[std::string(line.substr(0, space))] =
        std::string(absl::StripAsciiWhitespace(line.substr(space)));
  }
  return out;
}

// The table a statement changes, for reports.
std::string TargetOf(const Node& node) {
  switch (node.node_case()) {
    case Node::kAlterTableStmt:
      return node.alter_table_stmt().objtype() == pg_query::OBJECT_TABLE
                 ? sql::RelationName(node.alter_table_stmt().relation())
                 : "";
    case Node::kIndexStmt:
      return sql::RelationName(node.index_stmt().relation());
    case Node::kCreateStmt:
      return sql::RelationName(node.create_stmt().relation());
    case Node::kUpdateStmt:
      return sql::RelationName(node.update_stmt().relation());
    case Node::kDeleteStmt:
      return sql::RelationName(node.delete_stmt().relation());
    case Node::kInsertStmt:
      return sql::RelationName(node.insert_stmt().relation());
    case Node::kRenameStmt:
      return node.rename_stmt().has_relation() ? sql::RelationName(node.rename_stmt().relation())
                                               : "";
    case Node::kClusterStmt:
      return node.cluster_stmt().has_relation() ? sql::RelationName(node.cluster_stmt().relation())
                                                : "";
    case Node::kReindexStmt:
      return node.reindex_stmt().has_relation() ? sql::RelationName(node.reindex_stmt().relation())
                                                : "";
    case Node::kCreateTrigStmt:
      return sql::RelationName(node.create_trig_stmt().relation());
    case Node::kVacuumStmt:
      for (const Node& r : node.vacuum_stmt().rels()) {
        if (r.has_vacuum_relation() && r.vacuum_relation().has_relation()) {
          return sql::RelationName(r.vacuum_relation().relation());
        }
      }
      return "";
    case Node::kLockStmt:
    case Node::kTruncateStmt: {
      const auto& rels =
          node.has_lock_stmt() ? node.lock_stmt().relations() : node.truncate_stmt().relations();
      for (const Node& r : rels) {
        if (r.has_range_var()) return sql::RelationName(r.range_var());
      }
      return "";
    }
    case Node::kDropStmt:
      if (node.drop_stmt().remove_type() == pg_query::OBJECT_TABLE &&
          !node.drop_stmt().objects().empty() && node.drop_stmt().objects(0).has_list()) {
        return sql::QualifiedName(node.drop_stmt().objects(0).list().items());
      }
      return "";
    default:
      return "";
  }
}

}  // namespace schemagate::generator::lint::facts
