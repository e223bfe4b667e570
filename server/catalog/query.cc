#include "server/catalog/query.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <type_traits>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pg_walk.h"
#include "server/sql/parser.h"

// The walk reads libpg_query's typed parse tree (pg_query.proto) and keeps,
// level for level, the answers of the JSON walk it replaced (same tables,
// roles, aliases, positions, conditions, order, and nesting limit). Depth is
// counted in levels of libpg_query's JSON form: a Node and the message it
// holds are one level, any other message one, a list one more. Two
// consequences of that form are kept as they were (pinned by
// tests/unit/catalog/query_test.cc):
//   - a set operation's arms (SelectStmt larg/rarg, typed SelectStmt fields
//     rather than Nodes) are walked as plain members in the set operation's
//     scope: a plain FROM table there is a "reference", not "read";
//   - a message reached through a typed (non-Node) field that has exactly
//     one field set, itself a message, is looked through: that message's
//     members are walked one level up, so a RangeVar there is not recorded
//     (CREATE PUBLICATION p FOR TABLE t lists no table).
namespace schemagate::catalog {
namespace {

using pg_query::Node;

// The strings of a String node list; other nodes (A_Star) are skipped.
std::vector<std::string> StringList(const google::protobuf::RepeatedPtrField<Node>& list) {
  std::vector<std::string> out;
  for (const Node& item : list) {
    if (item.has_string()) out.push_back(item.string().sval());
  }
  return out;
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

// The walk recurses once per nesting level (up to kMaxQueryDepth), so what
// sits on that path is kept small: the handlers marked
// ABSL_ATTRIBUTE_NOINLINE would otherwise be inlined into Value(Node) and
// VisitNode, whose frames then grew to ~1.1 KB each (2.8 MB of stack at the
// deepest accepted query; QueryTest.NestingLimitIsExact runs it on 1 MiB).
class Analyzer {
 public:
  Analyzer(const JoinGraph& graph, const sql::LineIndex& lines, QueryResult* out)
      : graph_(graph), catalog_(graph.catalog()), lines_(lines), out_(out) {}

  absl::Status Statement(const Node& node, int index) {
    statement_ = index;
    Scope root;
    Value(node, root, 0);
    return status_;
  }

 private:
  // False (and the error kept) when `depth` is past the limit or an error
  // is pending: the walk stops.
  bool Within(int depth) {
    if (!status_.ok()) return false;
    if (depth <= kMaxQueryDepth) return true;
    status_ = absl::InvalidArgumentError(
        absl::StrCat("query nests more than ", kMaxQueryDepth, " levels deep"));
    return false;
  }
  // Members of a message at `depth`: past the limit, any set field is an
  // error (the JSON walk checked scalars too).
  template <typename M>
  bool MembersWithin(const M& m, int depth, int ignored_fields = 0) {
    if (!status_.ok()) return false;
    if (depth <= kMaxQueryDepth) return true;
    if (sql::SetFields(m) > ignored_fields) Within(depth);
    return false;
  }

  // Records a relation; returns the catalog name ("" if not a known table).
  ABSL_ATTRIBUTE_NOINLINE std::string AddRelation(const pg_query::RangeVar& rv, Scope& scope,
                                                  const std::string& role) {
    const std::string& relname = rv.relname();
    bool unqualified = rv.schemaname().empty();
    std::string written = unqualified ? relname : absl::StrCat(rv.schemaname(), ".", relname);
    const std::string& alias = rv.alias().aliasname();
    const std::string& key = alias.empty() ? relname : alias;
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
      sql::LineCol at = lines_.PositionOf(std::max(0, rv.location()));
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
  void ItemTables(const Node& item, std::vector<std::string>* tables, Scope& scope) {
    if (item.has_range_var()) {
      const pg_query::RangeVar& rv = item.range_var();
      const std::string& alias = rv.alias().aliasname();
      const std::string* t = scope.Resolve(alias.empty() ? rv.relname() : alias);
      if (t != nullptr && !t->empty()) tables->push_back(*t);
    } else if (item.has_join_expr()) {
      const pg_query::JoinExpr& join = item.join_expr();
      if (join.has_larg()) ItemTables(join.larg(), tables, scope);
      if (join.has_rarg()) ItemTables(join.rarg(), tables, scope);
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
                    const std::string& rc, std::string text, int location) {
    if (lt.empty() || rt.empty()) return;
    QueryCondition c;
    c.left_table = lt;
    c.left_column = lc;
    c.right_table = rt;
    c.right_column = rc;
    c.text = std::move(text);
    c.foreign_key = graph_.MatchForeignKey(lt, lc, rt, rc);
    c.matches_foreign_key = !c.foreign_key.empty();
    c.statement = statement_;
    sql::LineCol at = lines_.PositionOf(std::max(0, location));
    c.line = at.line;
    c.column = at.column;
    out_->conditions.push_back(std::move(c));
  }

  ABSL_ATTRIBUTE_NOINLINE void Using(const pg_query::JoinExpr& join, Scope& scope) {
    std::vector<std::string> columns = StringList(join.using_clause());
    std::vector<std::string> left, right;
    if (join.has_larg()) ItemTables(join.larg(), &left, scope);
    if (join.has_rarg()) ItemTables(join.rarg(), &right, scope);
    if (join.is_natural()) {
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
  std::pair<std::string, std::string> ResolveColumn(const std::vector<std::string>& fields,
                                                    const Scope& scope) const {
    if (fields.empty()) return {"", ""};
    const std::string& column = fields.back();
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

  ABSL_ATTRIBUTE_NOINLINE void Equality(const pg_query::A_Expr& expr, const Scope& scope) {
    if (expr.kind() != pg_query::AEXPR_OP) return;
    if (expr.name_size() != 1 || expr.name(0).string().sval() != "=" ||
        !expr.name(0).has_string()) {
      return;
    }
    if (!expr.lexpr().has_column_ref() || !expr.rexpr().has_column_ref()) return;
    std::vector<std::string> left = StringList(expr.lexpr().column_ref().fields());
    std::vector<std::string> right = StringList(expr.rexpr().column_ref().fields());
    auto [lt, lc] = ResolveColumn(left, scope);
    auto [rt, rc] = ResolveColumn(right, scope);
    AddCondition(lt, lc, rt, rc,
                 absl::StrCat(absl::StrJoin(left, "."), " = ", absl::StrJoin(right, ".")),
                 expr.location());
  }

  // A FROM item (a Node) at `depth`.
  ABSL_ATTRIBUTE_NOINLINE void FromItem(const Node& item, Scope& scope, int depth,
                                        const std::string& role) {
    if (!Within(depth)) return;
    switch (item.node_case()) {
      case Node::kRangeVar:
        AddRelation(item.range_var(), scope, role);
        return;
      case Node::kJoinExpr: {
        const pg_query::JoinExpr& join = item.join_expr();
        if (join.has_larg()) FromItem(join.larg(), scope, depth + 1, role);
        if (join.has_rarg()) FromItem(join.rarg(), scope, depth + 1, role);
        if (!status_.ok()) return;
        if (join.using_clause_size() > 0 || join.is_natural()) Using(join, scope);
        if (join.has_quals()) Value(join.quals(), scope, depth + 1);
        return;
      }
      case Node::kRangeSubselect: {
        const pg_query::RangeSubselect& sub = item.range_subselect();
        if (!sub.alias().aliasname().empty()) scope.relations[sub.alias().aliasname()] = "";
        if (sub.has_subquery()) Value(sub.subquery(), scope, depth + 1);
        return;
      }
      default:  // functions, table samples, ...: the message as a member
        sql::VisitNode(item, [&](const auto& m) { Value(m, scope, depth + 1); });
        return;
    }
  }

  template <typename Stmt>
  ABSL_ATTRIBUTE_NOINLINE void With(const Stmt& stmt, Scope& scope, int depth) {
    if (!stmt.has_with_clause()) return;
    const pg_query::WithClause& with = stmt.with_clause();
    for (const Node& c : with.ctes()) {
      if (!c.has_common_table_expr()) continue;
      const pg_query::CommonTableExpr& cte = c.common_table_expr();
      if (with.recursive()) scope.ctes.insert(cte.ctename());
      if (cte.has_ctequery()) {
        Scope body;
        body.parent = &scope;
        Value(cte.ctequery(), body, depth + 1);
        if (!status_.ok()) return;
      }
      scope.ctes.insert(cte.ctename());
    }
  }

  ABSL_ATTRIBUTE_NOINLINE void Select(const pg_query::SelectStmt& select, const Scope& outer,
                                      int depth) {
    if (!MembersWithin(select, depth + 1)) return;
    Scope scope;
    scope.parent = &outer;
    With(select, scope, depth);
    if (select.has_larg()) Value(select.larg(), scope, depth + 1);
    if (select.has_rarg()) Value(select.rarg(), scope, depth + 1);
    for (const Node& item : select.from_clause()) FromItem(item, scope, depth + 1, "read");
    sql::ForEachChild(select, [&](const auto& child, bool in_list, int field) {
      using S = pg_query::SelectStmt;
      if (field == S::kFromClauseFieldNumber || field == S::kWithClauseFieldNumber ||
          field == S::kLargFieldNumber || field == S::kRargFieldNumber) {
        return;
      }
      Value(child, scope, in_list ? depth + 2 : depth + 1);
    });
  }

  // INSERT, UPDATE, DELETE, MERGE.
  template <typename Stmt>
  ABSL_ATTRIBUTE_NOINLINE void Modify(const Stmt& stmt, const std::string& role, const Scope& outer,
                                      int depth) {
    // The target is recorded without a look inside: it alone is never too deep.
    if (!MembersWithin(stmt, depth + 1, stmt.has_relation() ? 1 : 0)) return;
    Scope scope;
    scope.parent = &outer;
    With(stmt, scope, depth);
    if (!status_.ok()) return;
    if (stmt.has_relation()) AddRelation(stmt.relation(), scope, role);
    if constexpr (std::is_same_v<Stmt, pg_query::UpdateStmt>) {
      for (const Node& item : stmt.from_clause()) FromItem(item, scope, depth + 1, "read");
    }
    if constexpr (std::is_same_v<Stmt, pg_query::DeleteStmt>) {
      for (const Node& item : stmt.using_clause()) FromItem(item, scope, depth + 1, "read");
    }
    if constexpr (std::is_same_v<Stmt, pg_query::MergeStmt>) {
      if (stmt.has_source_relation()) FromItem(stmt.source_relation(), scope, depth + 1, "read");
    }
    sql::ForEachChild(stmt, [&](const auto& child, bool in_list, int field) {
      if (field == Stmt::kRelationFieldNumber || field == Stmt::kWithClauseFieldNumber) return;
      if constexpr (std::is_same_v<Stmt, pg_query::UpdateStmt>) {
        if (field == Stmt::kFromClauseFieldNumber) return;
      }
      if constexpr (std::is_same_v<Stmt, pg_query::DeleteStmt>) {
        if (field == Stmt::kUsingClauseFieldNumber) return;
      }
      if constexpr (std::is_same_v<Stmt, pg_query::MergeStmt>) {
        if (field == Stmt::kSourceRelationFieldNumber) return;
      }
      Value(child, scope, in_list ? depth + 2 : depth + 1);
    });
  }

  // The members of `m` at `depth` (lists one level deeper: their items at
  // depth + 1).
  template <typename M>
  ABSL_ATTRIBUTE_NOINLINE void Members(const M& m, Scope& scope, int depth) {
    if (!MembersWithin(m, depth)) return;
    sql::ForEachChild(m, [&](const auto& child, bool in_list, int) {
      Value(child, scope, in_list ? depth + 1 : depth);
    });
  }

  // A Node at `depth`.
  void Value(const Node& node, Scope& scope, int depth) {
    if (!Within(depth)) return;
    switch (node.node_case()) {
      case Node::kSelectStmt:
        return Select(node.select_stmt(), scope, depth);
      case Node::kInsertStmt:
        return Modify(node.insert_stmt(), "insert", scope, depth);
      case Node::kUpdateStmt:
        return Modify(node.update_stmt(), "update", scope, depth);
      case Node::kDeleteStmt:
        return Modify(node.delete_stmt(), "delete", scope, depth);
      case Node::kMergeStmt:
        return Modify(node.merge_stmt(), "merge", scope, depth);
      case Node::kRangeVar:
        AddRelation(node.range_var(), scope, "reference");
        return;
      case Node::kAExpr:
        Equality(node.a_expr(), scope);
        return Members(node.a_expr(), scope, depth + 1);
      case Node::kJoinExpr:
      case Node::kRangeSubselect:
        return FromItem(node, scope, depth + 1, "read");
      default:
        sql::VisitNode(node, [&](const auto& m) { Members(m, scope, depth + 1); });
    }
  }

  // A message reached through a typed field (not a Node) at `depth`.
  template <typename M>
  ABSL_ATTRIBUTE_NOINLINE void Value(const M& m, Scope& scope, int depth) {
    if (!Within(depth)) return;
    if constexpr (std::is_same_v<M, pg_query::RangeVar>) {
      if (!m.relname().empty()) {
        AddRelation(m, scope, "reference");
        return;
      }
    }
    if (sql::SetFields(m) == 1) {
      // Its one field is a message: looked through (see the top).
      bool through = false;
      sql::ForEachChild(m, [&](const auto& child, bool in_list, int) {
        if (in_list) return;
        through = true;
        using C = std::decay_t<decltype(child)>;
        if constexpr (std::is_same_v<C, Node>) {
          sql::VisitNode(child, [&](const auto& inner) { Value(inner, scope, depth + 1); });
        } else {
          Members(child, scope, depth + 1);
        }
      });
      if (through) return;
    }
    Members(m, scope, depth + 1);
  }

  const JoinGraph& graph_;
  const Catalog& catalog_;
  const sql::LineIndex& lines_;
  QueryResult* out_;
  int statement_ = 0;
  absl::Status status_;
  std::map<std::string, size_t> index_;
};

}  // namespace

TableStatus QueryTable::status() const { return StatusOf(lookup.state); }

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
  absl::StatusOr<sql::ProtoTree> tree = sql::ParseProto(text);
  if (!tree.ok()) return tree.status();
  return AnalyzeParsedQuery(graph, text, *tree);
}

absl::StatusOr<QueryResult> AnalyzeParsedQuery(const JoinGraph& graph, absl::string_view text,
                                               const sql::ProtoTree& tree) {
  if (tree.statements.empty()) {
    return absl::InvalidArgumentError("the query has no statement (only comments)");
  }
  QueryResult result;
  result.statements = static_cast<int>(tree.statements.size());
  sql::LineIndex lines(text);
  Analyzer analyzer(graph, lines, &result);
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
