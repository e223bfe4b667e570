#include "server/catalog/query.h"

#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/sql/parser.h"
#include "server/sql/pg_json.h"

namespace schemagate::catalog {
namespace {

using json = sql::JsonNode;

const json* Member(const json& obj, absl::string_view key) { return obj.Get(key); }
std::string StringMember(const json& obj, absl::string_view key) {
  const json* m = obj.Get(key);
  return m != nullptr ? std::string(m->str()) : "";
}
bool BoolMember(const json& obj, absl::string_view key) {
  const json* m = obj.Get(key);
  return m != nullptr && m->boolean();
}
int IntMember(const json& obj, absl::string_view key, int fallback) {
  const json* m = obj.Get(key);
  return m != nullptr && m->type() == json::kNumber ? static_cast<int>(m->number()) : fallback;
}
std::vector<std::string> StringList(const json* list) {
  std::vector<std::string> out;
  if (list == nullptr || !list->is_array()) return out;
  for (const json& item : *list) {
    const json* s = item.Get("String");
    if (s != nullptr) out.push_back(StringMember(*s, "sval"));
  }
  return out;
}
// {"Type": {...}} -> ("Type", inner); otherwise ("", null).
std::pair<absl::string_view, const json*> Unwrap(const json& node) {
  if (!node.is_object() || node.size() != 1) return {"", nullptr};
  const json& only = *node.begin();
  if (!only.is_object()) return {"", nullptr};
  return {only.key(), &only};
}

int RoleRank(absl::string_view role) {
  if (role == "reference") return 0;
  if (role == "read") return 1;
  return 2;  // writes
}

// Names visible in one query level: aliases and CTEs.
struct Scope {
  const Scope* parent = nullptr;
  // alias (or unaliased table name) -> catalog table name, "" for derived
  // tables, CTE references and unknown tables.
  std::map<std::string, std::string> relations;
  std::set<std::string> ctes;

  bool IsCte(const std::string& name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent) {
      if (s->ctes.count(name)) return true;
    }
    return false;
  }
  const std::string* Resolve(const std::string& alias) const {
    for (const Scope* s = this; s != nullptr; s = s->parent) {
      auto it = s->relations.find(alias);
      if (it != s->relations.end()) return &it->second;
    }
    return nullptr;
  }
};

class Analyzer {
 public:
  Analyzer(const JoinGraph& graph, absl::string_view sql, QueryResult* out)
      : graph_(graph), catalog_(graph.catalog()), lines_(sql), out_(out) {}

  absl::Status Statement(const json& node, int index) {
    statement_ = index;
    Scope root;
    return Visit(node, root, 0);
  }

 private:
  absl::Status TooDeep() const {
    return absl::InvalidArgumentError(
        absl::StrCat("query nests more than ", kMaxQueryDepth, " levels deep"));
  }

  std::string TableName(const json& rv) const {
    std::string schema = StringMember(rv, "schemaname");
    std::string name = StringMember(rv, "relname");
    return schema.empty() ? name : schema + "." + name;
  }

  // Records a relation; returns the catalog name ("" if not a known table).
  std::string AddRelation(const json& rv, Scope& scope, const std::string& role) {
    std::string written = TableName(rv);
    bool unqualified = StringMember(rv, "schemaname").empty();
    std::string alias;
    if (const json* a = Member(rv, "alias")) alias = StringMember(*a, "aliasname");
    std::string key = alias.empty() ? StringMember(rv, "relname") : alias;
    if (unqualified && scope.IsCte(written)) {
      scope.relations[key] = "";
      return "";
    }
    // The parser has folded unquoted names already: what it returns is
    // exact ("ORGS" quoted is not orgs).
    TableLookup lookup = catalog_.Lookup(written, /*fold_case=*/false);
    std::string canonical = lookup.state == TableState::kUnknown ? written : lookup.name;
    auto it = index_.find(canonical);
    if (it == index_.end()) {
      QueryTable t;
      t.name = written;
      t.lookup = lookup;
      if (lookup.state == TableState::kUnknown) t.suggestions = graph_.Suggest(written);
      t.role = role;
      t.statement = statement_;
      sql::LineCol at = lines_.PositionOf(std::max(0, IntMember(rv, "location", 0)));
      t.line = at.line;
      t.column = at.column;
      it = index_.emplace(canonical, out_->tables.size()).first;
      out_->tables.push_back(std::move(t));
    }
    QueryTable& t = out_->tables[it->second];
    if (RoleRank(role) > RoleRank(t.role)) t.role = role;
    if (!alias.empty() && std::find(t.aliases.begin(), t.aliases.end(), alias) == t.aliases.end()) {
      t.aliases.push_back(alias);
    }
    std::string resolved = lookup.state == TableState::kAvailable ? lookup.name : "";
    scope.relations[key] = resolved;
    // A schema-qualified reference can also be used by its bare name.
    if (alias.empty() && !unqualified) scope.relations[written] = resolved;
    return resolved;
  }

  // Tables of a FROM item (for USING / NATURAL).
  void ItemTables(const json& item, std::vector<std::string>* tables, Scope& scope) {
    auto [type, inner] = Unwrap(item);
    if (type == "RangeVar" && inner != nullptr) {
      std::string alias;
      if (const json* a = Member(*inner, "alias")) alias = StringMember(*a, "aliasname");
      const std::string* t = scope.Resolve(alias.empty() ? StringMember(*inner, "relname") : alias);
      if (t != nullptr && !t->empty()) tables->push_back(*t);
    } else if (type == "JoinExpr" && inner != nullptr) {
      if (const json* l = Member(*inner, "larg")) ItemTables(*l, tables, scope);
      if (const json* r = Member(*inner, "rarg")) ItemTables(*r, tables, scope);
    }
  }

  const v1::Table* Table(const std::string& name) const {
    return name.empty() ? nullptr : catalog_.FindTable(name);
  }
  bool HasColumn(const std::string& table, const std::string& column) const {
    const v1::Table* t = Table(table);
    if (t == nullptr) return false;
    for (const v1::Column& c : t->columns()) {
      if (c.name() == column) return true;
    }
    return false;
  }

  void AddCondition(const std::string& lt, const std::string& lc, const std::string& rt,
                    const std::string& rc, const std::string& text, int location) {
    if (lt.empty() || rt.empty()) return;
    QueryCondition c;
    c.left_table = lt;
    c.left_column = lc;
    c.right_table = rt;
    c.right_column = rc;
    c.text = text;
    c.foreign_key = graph_.MatchForeignKey(lt, lc, rt, rc);
    c.matches_foreign_key = !c.foreign_key.empty();
    c.statement = statement_;
    sql::LineCol at = lines_.PositionOf(std::max(0, location));
    c.line = at.line;
    c.column = at.column;
    out_->conditions.push_back(std::move(c));
  }

  void Using(const json& join, Scope& scope) {
    std::vector<std::string> columns = StringList(Member(join, "usingClause"));
    std::vector<std::string> left, right;
    if (const json* l = Member(join, "larg")) ItemTables(*l, &left, scope);
    if (const json* r = Member(join, "rarg")) ItemTables(*r, &right, scope);
    if (BoolMember(join, "isNatural")) {
      // NATURAL: the columns the two sides share.
      for (const std::string& lt : left) {
        const v1::Table* t = Table(lt);
        if (t == nullptr) continue;
        for (const v1::Column& c : t->columns()) {
          for (const std::string& rt : right) {
            if (HasColumn(rt, c.name())) columns.push_back(c.name());
          }
        }
      }
    }
    for (const std::string& col : columns) {
      std::string lt, rt;
      for (const std::string& t : left) {
        if (HasColumn(t, col)) lt = t;
      }
      for (const std::string& t : right) {
        if (HasColumn(t, col)) rt = t;
      }
      AddCondition(lt, col, rt, col, absl::StrCat("USING (", col, ")"), -1);
    }
  }

  // table and column of a ColumnRef, resolved in `scope`.
  std::pair<std::string, std::string> ResolveColumn(const json& ref, const Scope& scope) {
    std::vector<std::string> fields = StringList(Member(ref, "fields"));
    if (fields.empty()) return {"", ""};
    const std::string column = fields.back();
    if (fields.size() >= 2) {
      std::string rel = fields[fields.size() - 2];
      if (fields.size() >= 3) rel = fields[fields.size() - 3] + "." + rel;
      const std::string* t = scope.Resolve(rel);
      if (t == nullptr && fields.size() >= 3) t = scope.Resolve(fields[fields.size() - 2]);
      return {t != nullptr ? *t : "", column};
    }
    // Unqualified: the one table in the nearest scope level that has it.
    for (const Scope* s = &scope; s != nullptr; s = s->parent) {
      std::string found;
      int matches = 0;
      std::set<std::string> seen;
      for (const auto& [alias, table] : s->relations) {
        if (table.empty() || !seen.insert(table).second) continue;
        if (HasColumn(table, column)) {
          found = table;
          ++matches;
        }
      }
      if (matches == 1) return {found, column};
      if (matches > 1) return {"", column};
    }
    return {"", column};
  }

  std::string Text(const json& ref) const {
    return absl::StrJoin(StringList(Member(ref, "fields")), ".");
  }

  void Equality(const json& expr, const Scope& scope) {
    if (StringMember(expr, "kind") != "AEXPR_OP") return;
    std::vector<std::string> op = StringList(Member(expr, "name"));
    if (op.size() != 1 || op[0] != "=") return;
    const json* l = Member(expr, "lexpr");
    const json* r = Member(expr, "rexpr");
    const json* lref = l != nullptr ? Member(*l, "ColumnRef") : nullptr;
    const json* rref = r != nullptr ? Member(*r, "ColumnRef") : nullptr;
    if (lref == nullptr || rref == nullptr) return;
    auto [lt, lc] = ResolveColumn(*lref, scope);
    auto [rt, rc] = ResolveColumn(*rref, scope);
    AddCondition(lt, lc, rt, rc, absl::StrCat(Text(*lref), " = ", Text(*rref)),
                 IntMember(expr, "location", -1));
  }

  absl::Status FromItem(const json& item, Scope& scope, int depth, const std::string& role) {
    if (depth > kMaxQueryDepth) return TooDeep();
    auto [type, inner] = Unwrap(item);
    if (inner == nullptr) return absl::OkStatus();
    if (type == "RangeVar") {
      AddRelation(*inner, scope, role);
      return absl::OkStatus();
    }
    if (type == "JoinExpr") {
      for (const char* side : {"larg", "rarg"}) {
        if (const json* s = Member(*inner, side)) {
          if (absl::Status st = FromItem(*s, scope, depth + 1, role); !st.ok()) return st;
        }
      }
      if (Member(*inner, "usingClause") != nullptr || BoolMember(*inner, "isNatural")) {
        Using(*inner, scope);
      }
      if (const json* q = Member(*inner, "quals")) return Visit(*q, scope, depth + 1);
      return absl::OkStatus();
    }
    if (type == "RangeSubselect") {
      std::string alias;
      if (const json* a = Member(*inner, "alias")) alias = StringMember(*a, "aliasname");
      if (!alias.empty()) scope.relations[alias] = "";
      if (const json* q = Member(*inner, "subquery")) return Visit(*q, scope, depth + 1);
      return absl::OkStatus();
    }
    return Visit(*inner, scope, depth + 1);  // functions, table samples, ...
  }

  absl::Status With(const json& stmt, Scope& scope, int depth) {
    const json* with = Member(stmt, "withClause");
    if (with == nullptr) return absl::OkStatus();
    const json* ctes = Member(*with, "ctes");
    if (ctes == nullptr || !ctes->is_array()) return absl::OkStatus();
    bool recursive = BoolMember(*with, "recursive");
    for (const json& c : *ctes) {
      const json* cte = Member(c, "CommonTableExpr");
      if (cte == nullptr) continue;
      std::string name = StringMember(*cte, "ctename");
      if (recursive) scope.ctes.insert(name);
      if (const json* q = Member(*cte, "ctequery")) {
        Scope body;
        body.parent = &scope;
        if (absl::Status s = Visit(*q, body, depth + 1); !s.ok()) return s;
      }
      scope.ctes.insert(name);
    }
    return absl::OkStatus();
  }

  absl::Status Visit(const json& node, const Scope& outer, int depth) {
    if (depth > kMaxQueryDepth) return TooDeep();
    if (node.is_array()) {
      for (const json& item : node) {
        if (absl::Status s = Visit(item, outer, depth + 1); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (!node.is_object()) return absl::OkStatus();
    auto [type, inner] = Unwrap(node);
    if (inner == nullptr) {
      // An inline struct (not a wrapped node): a RangeVar or plain fields.
      if (node.Get("relname") != nullptr) {
        Scope& scope = const_cast<Scope&>(outer);
        AddRelation(node, scope, "reference");
        return absl::OkStatus();
      }
      for (const json& value : node) {
        if (absl::Status s = Visit(value, outer, depth + 1); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (type == "SelectStmt") {
      Scope scope;
      scope.parent = &outer;
      if (absl::Status s = With(*inner, scope, depth); !s.ok()) return s;
      for (const char* set_side : {"larg", "rarg"}) {
        if (const json* side = Member(*inner, set_side)) {
          if (absl::Status s = Visit(*side, scope, depth + 1); !s.ok()) return s;
        }
      }
      if (const json* from = Member(*inner, "fromClause"); from && from->is_array()) {
        for (const json& item : *from) {
          if (absl::Status s = FromItem(item, scope, depth + 1, "read"); !s.ok()) return s;
        }
      }
      for (const json& value : *inner) {
        absl::string_view key = value.key();
        if (key == "fromClause" || key == "withClause" || key == "larg" || key == "rarg") {
          continue;
        }
        if (absl::Status s = Visit(value, scope, depth + 1); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt" ||
        type == "MergeStmt") {
      Scope scope;
      scope.parent = &outer;
      if (absl::Status s = With(*inner, scope, depth); !s.ok()) return s;
      const std::string role = type == "InsertStmt"   ? "insert"
                               : type == "UpdateStmt" ? "update"
                               : type == "DeleteStmt" ? "delete"
                                                      : "merge";
      if (const json* rel = Member(*inner, "relation")) AddRelation(*rel, scope, role);
      for (const char* list : {"fromClause", "usingClause"}) {
        if (const json* items = Member(*inner, list); items && items->is_array()) {
          for (const json& item : *items) {
            if (absl::Status s = FromItem(item, scope, depth + 1, "read"); !s.ok()) {
              return s;
            }
          }
        }
      }
      if (const json* source = Member(*inner, "sourceRelation")) {
        if (absl::Status s = FromItem(*source, scope, depth + 1, "read"); !s.ok()) {
          return s;
        }
      }
      for (const json& value : *inner) {
        absl::string_view key = value.key();
        if (key == "relation" || key == "fromClause" || key == "usingClause" ||
            key == "sourceRelation" || key == "withClause") {
          continue;
        }
        if (absl::Status s = Visit(value, scope, depth + 1); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (type == "RangeVar") {
      AddRelation(*inner, const_cast<Scope&>(outer), "reference");
      return absl::OkStatus();
    }
    if (type == "A_Expr") Equality(*inner, outer);
    if (type == "JoinExpr" || type == "RangeSubselect") {
      return FromItem(node, const_cast<Scope&>(outer), depth + 1, "read");
    }
    for (const json& value : *inner) {
      if (absl::Status s = Visit(value, outer, depth + 1); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  const JoinGraph& graph_;
  const Catalog& catalog_;
  sql::LineIndex lines_;
  QueryResult* out_;
  int statement_ = 0;
  std::map<std::string, size_t> index_;
};

}  // namespace

TableStatus QueryTable::status() const {
  switch (lookup.state) {
    case TableState::kAvailable:
      return TableStatus::kAvailable;
    case TableState::kClusterDisabled:
      return TableStatus::kClusterDisabled;
    case TableState::kUnknown:
      return TableStatus::kUnknownTable;
  }
  return TableStatus::kUnknownTable;
}

const char* ToString(QueryVerdict v) {
  switch (v) {
    case QueryVerdict::kOk:
      return "ok";
    case QueryVerdict::kWarnings:
      return "warnings";
    case QueryVerdict::kInvalid:
      return "invalid";
  }
  return "invalid";
}

absl::StatusOr<QueryResult> AnalyzeQuery(const JoinGraph& graph, absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError("the query is empty");
  }
  absl::StatusOr<sql::DomTree> tree = sql::ParseDom(text);
  if (!tree.ok()) return tree.status();
  return AnalyzeParsedQuery(graph, text, *tree);
}

absl::StatusOr<QueryResult> AnalyzeParsedQuery(const JoinGraph& graph, absl::string_view text,
                                               const sql::DomTree& tree) {
  if (tree.statements.empty()) {
    return absl::InvalidArgumentError("the query has no statement (only comments)");
  }
  QueryResult result;
  result.statements = static_cast<int>(tree.statements.size());
  Analyzer analyzer(graph, text, &result);
  for (size_t i = 0; i < tree.statements.size(); ++i) {
    absl::Status s = analyzer.Statement(*tree.statements[i].node, static_cast<int>(i));
    if (!s.ok()) return s;
  }
  std::stable_sort(
      result.tables.begin(), result.tables.end(), [](const QueryTable& a, const QueryTable& b) {
        return std::tie(a.statement, a.line, a.column) < std::tie(b.statement, b.line, b.column);
      });
  bool invalid = false, warnings = false;
  for (const QueryTable& t : result.tables) {
    if (t.lookup.state == TableState::kUnknown) {
      invalid = true;
      result.messages.push_back(absl::StrCat(
          "unknown table ", t.name, " at ", t.line, ":", t.column,
          t.suggestions.empty()
              ? ""
              : absl::StrCat(" (did you mean ", absl::StrJoin(t.suggestions, ", "), "?)")));
    } else if (t.lookup.state == TableState::kClusterDisabled) {
      invalid = true;
      result.messages.push_back(
          absl::StrCat("table ", t.lookup.name, " belongs to cluster ", t.lookup.cluster,
                       ", which is not enabled in this build; enable feature(s) ",
                       absl::StrJoin(t.lookup.enable_features, ", ")));
    }
  }
  for (const QueryCondition& c : result.conditions) {
    if (c.matches_foreign_key || c.left_table == c.right_table) continue;
    warnings = true;
    result.messages.push_back(absl::StrCat("join condition ", c.text, " at ", c.line, ":", c.column,
                                           " does not follow a foreign key between ", c.left_table,
                                           " and ", c.right_table));
  }
  result.verdict = invalid    ? QueryVerdict::kInvalid
                   : warnings ? QueryVerdict::kWarnings
                              : QueryVerdict::kOk;
  return result;
}

}  // namespace schemagate::catalog
