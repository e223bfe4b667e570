// What the static replay can only partly model: CREATE TABLE AS (typed
// from the tables it reads, casts, constants and common functions), DO
// blocks and functions whose PL/pgSQL changes the schema (replayed
// leniently), each recorded as an UnmodelledStatement.
#include <functional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "pg_walk.h"
#include "server/generator/internal/replay_util.h"
#include "server/sql/parser.h"

namespace schemagate::generator::internal {
namespace {

// The text of a DO block's or a function's body: the "as" DefElem.
std::string BodyOf(const sql::NodeList& options) {
  for (const pg_query::Node& o : options) {
    if (!o.has_def_elem() || o.def_elem().defname() != "as") continue;
    const pg_query::DefElem& d = o.def_elem();
    if (!d.has_arg()) return "";
    if (d.arg().has_list()) {
      std::vector<std::string> parts = sql::StringList(d.arg().list().items());
      return parts.empty() ? "" : parts.front();
    }
    if (d.arg().has_string()) return d.arg().string().sval();
  }
  return "";
}

// Does a PL/pgSQL (or SQL) body change what the catalog holds: CREATE,
// ALTER or DROP of a table, column, constraint or index, also through
// EXECUTE of a string that does? (Triggers, functions, views, comments and
// policies are not in the catalog.)
bool BodyChangesSchema(absl::string_view body, int depth = 0) {
  if (body.empty() || depth > 2) return false;
  absl::StatusOr<pg_query::ScanResult> scan = sql::Scan(body);
  if (!scan.ok()) return false;
  static const std::set<std::string> kVerbs = {"create", "alter", "drop"};
  static const std::set<std::string> kObjects = {"table",  "index",    "column",    "constraint",
                                                 "unique", "unlogged", "temporary", "temp"};
  std::string verb;
  int since_verb = 0;
  for (const pg_query::ScanToken& t : scan->tokens()) {
    absl::string_view raw = body.substr(t.start(), t.end() - t.start());
    if (t.token() == pg_query::SCONST) {
      std::string inner(raw);
      size_t q = inner.find('\'');
      if (q != std::string::npos && inner.size() >= q + 2) {
        inner = inner.substr(q + 1, inner.size() - q - 2);
      }
      if (BodyChangesSchema(inner, depth + 1)) return true;
      continue;
    }
    std::string word = absl::AsciiStrToLower(raw);
    if (kVerbs.count(word)) {
      verb = word;
      since_verb = 0;
      continue;
    }
    if (!verb.empty() && ++since_verb <= 3 && kObjects.count(word)) {
      // CREATE TEMP TABLE makes a session table, not schema.
      if (word == "temporary" || word == "temp") {
        verb.clear();
        continue;
      }
      return true;
    }
    if (since_verb > 3) verb.clear();
  }
  return false;
}

// Names of the functions and procedures a statement calls: FuncCall nodes
// and CALL's own procedure (CallStmt.funccall).
class FunctionCalls final : public sql::PgVisitor {
 public:
  explicit FunctionCalls(std::set<std::string>* out) : out_(out) {}
  bool Pre(const pg_query::FuncCall& call) override {
    const absl::string_view f = field();
    if (f == "FuncCall" || f == "funccall") out_->insert(QualifiedName(call.funcname()));
    return true;
  }

 private:
  std::set<std::string>* out_;
};

// The type PostgreSQL gives a constant in a CREATE TABLE AS target list
// ("" when unknown).
std::string ConstantType(const pg_query::A_Const& c) {
  if (c.isnull()) return "text";
  if (c.has_ival()) return "integer";
  if (c.has_fval()) return "numeric";
  if (c.has_sval()) return "text";
  if (c.has_boolval()) return "boolean";
  return "";
}

std::string SqlValueFunctionType(pg_query::SQLValueFunctionOp op) {
  switch (op) {
    case pg_query::SVFOP_CURRENT_DATE:
      return "date";
    case pg_query::SVFOP_CURRENT_TIME:
    case pg_query::SVFOP_CURRENT_TIME_N:
      return "time with time zone";
    case pg_query::SVFOP_CURRENT_TIMESTAMP:
    case pg_query::SVFOP_CURRENT_TIMESTAMP_N:
      return "timestamp with time zone";
    case pg_query::SVFOP_LOCALTIME:
    case pg_query::SVFOP_LOCALTIME_N:
      return "time without time zone";
    case pg_query::SVFOP_LOCALTIMESTAMP:
    case pg_query::SVFOP_LOCALTIMESTAMP_N:
      return "timestamp without time zone";
    case pg_query::SVFOP_CURRENT_ROLE:
    case pg_query::SVFOP_CURRENT_USER:
    case pg_query::SVFOP_USER:
    case pg_query::SVFOP_SESSION_USER:
    case pg_query::SVFOP_CURRENT_CATALOG:
    case pg_query::SVFOP_CURRENT_SCHEMA:
      return "name";
    default:
      return "";
  }
}

// Result types of common functions in a CREATE TABLE AS target list.
std::string FunctionType(const std::string& name) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"now", "timestamp with time zone"},
      {"transaction_timestamp", "timestamp with time zone"},
      {"statement_timestamp", "timestamp with time zone"},
      {"clock_timestamp", "timestamp with time zone"},
      {"count", "bigint"},
      {"gen_random_uuid", "uuid"},
      {"uuid_generate_v4", "uuid"},
      {"md5", "text"},
      {"lower", "text"},
      {"upper", "text"},
      {"concat", "text"},
      {"concat_ws", "text"},
      {"length", "integer"},
      {"char_length", "integer"},
      {"row_number", "bigint"},
      {"rank", "bigint"},
      {"dense_rank", "bigint"},
      {"to_jsonb", "jsonb"},
      {"jsonb_build_object", "jsonb"},
      {"json_build_object", "json"},
      {"jsonb_agg", "jsonb"},
      {"json_agg", "json"},
      {"array_agg", ""},
      {"string_agg", "text"},
      {"bool_and", "boolean"},
      {"bool_or", "boolean"},
  };
  auto it = kTypes.find(name);
  return it == kTypes.end() ? "" : it->second;
}

}  // namespace

void SchemaModel::Unmodelled(Context& ctx, std::string what) {
  unmodelled_.push_back(
      {ctx.cluster, ctx.path,
       sql::PositionOf(ctx.text, sql::SkipSpaceAndComments(ctx.text, ctx.statement_offset)).line,
       std::move(what)});
}

void SchemaModel::DoBlock(Context& ctx, const pg_query::DoStmt& stmt) {
  std::string body = BodyOf(stmt.args());
  if (BodyChangesSchema(body)) {
    Unmodelled(ctx,
               "a DO block that changes the schema (its PL/pgSQL runs only in a "
               "database)");
    ReplayBody(ctx, body);
  }
}

void SchemaModel::CreateFunction(const pg_query::CreateFunctionStmt& stmt) {
  std::string body = BodyOf(stmt.options());
  if (BodyChangesSchema(body)) ddl_functions_[QualifiedName(stmt.funcname())] = body;
}

void SchemaModel::CallFunctions(Context& ctx, const pg_query::Node& stmt) {
  std::set<std::string> called;
  FunctionCalls visitor(&called);
  sql::WalkByName(stmt, visitor);
  for (const std::string& f : called) {
    auto body = ddl_functions_.find(f);
    if (body != ddl_functions_.end()) {
      Unmodelled(ctx, absl::StrCat("a call of ", f, "(), which changes the schema in its body"));
      ReplayBody(ctx, body->second);
      break;
    }
  }
}

void SchemaModel::ReplayBody(Context& ctx, const std::string& body) {
  absl::StatusOr<std::vector<std::string>> statements = sql::PlpgsqlStatements(body);
  if (!statements.ok()) return;
  // Leniently: every branch, no diagnostics (the statement is reported as
  // unmodelled; this only keeps later migrations from failing the lint on
  // what the body made, e.g. a table created in an IF NOT EXISTS block).
  Diagnostics scratch;
  Diagnostics* saved = diagnostics_;
  diagnostics_ = &scratch;
  for (const std::string& text : *statements) {
    absl::StatusOr<sql::ProtoTree> tree = sql::ParseProto(text);
    if (!tree.ok()) continue;
    Context inner = ctx;
    inner.lint = false;
    inner.text = text;
    for (const sql::ProtoStatement& s : tree->statements) {
      inner.statement_offset = s.offset;
      inner.reported.clear();
      Statement(inner, *s.node);
    }
  }
  diagnostics_ = saved;
}

void SchemaModel::CreateTableAs(Context& ctx, const pg_query::IntoClause& into,
                                const pg_query::SelectStmt* query, bool if_not_exists) {
  if (!into.has_rel()) return;
  std::string name = sql::RelationName(into.rel());
  std::optional<TableState> fresh = NewTable(ctx, name, into.rel(), if_not_exists);
  if (!fresh) return;
  TableState state = *std::move(fresh);
  v1::Table& t = state.table;

  // The query: its first SELECT (the left arm of a set operation names and
  // types the columns).
  while (query != nullptr && query->has_larg() && query->op() != pg_query::SETOP_NONE &&
         query->op() != pg_query::SET_OPERATION_UNDEFINED) {
    query = &query->larg();
  }
  std::vector<std::string> names = sql::StringList(into.col_names());
  std::vector<std::string> unknown;
  // FROM items: (alias or name, table).
  std::vector<std::pair<std::string, const TableState*>> scope;
  std::function<void(const pg_query::Node&)> add_from = [&](const pg_query::Node& item) {
    switch (item.node_case()) {
      case pg_query::Node::NODE_NOT_SET:
        return;
      case pg_query::Node::kRangeVar: {
        std::string table = sql::RelationName(item.range_var());
        auto it = tables_.find(table);
        std::string alias =
            item.range_var().has_alias() ? item.range_var().alias().aliasname() : table;
        scope.emplace_back(alias, it == tables_.end() ? nullptr : &it->second);
        return;
      }
      case pg_query::Node::kJoinExpr:
        if (item.join_expr().has_larg()) add_from(item.join_expr().larg());
        if (item.join_expr().has_rarg()) add_from(item.join_expr().rarg());
        return;
      default:
        scope.emplace_back("", nullptr);  // a subquery or function: not typed
    }
  };
  if (query != nullptr) {
    for (const pg_query::Node& item : query->from_clause()) add_from(item);
  }
  auto find_column = [&](const std::string& qualifier,
                         const std::string& column) -> const v1::Column* {
    for (const auto& [alias, table] : scope) {
      if (table == nullptr || (!qualifier.empty() && qualifier != alias &&
                               qualifier != sql::BareName(table->table.name()))) {
        continue;
      }
      for (const v1::Column& c : table->table.columns()) {
        if (c.name() == column) return &c;
      }
    }
    return nullptr;
  };
  auto add = [&](const std::string& colname, const std::string& type) {
    v1::Column* c = t.add_columns();
    size_t i = static_cast<size_t>(t.columns_size() - 1);
    c->set_name(i < names.size() ? names[i] : colname);
    c->set_type(type);
    c->set_nullable(true);
    c->set_cluster(ctx.cluster);
    if (type.empty()) unknown.push_back(c->name());
  };
  if (query == nullptr || query->target_list_size() == 0) {
    Unmodelled(ctx,
               absl::StrCat("CREATE TABLE AS ", name, " (a query without a target list to type)"));
  } else {
    for (const pg_query::Node& item : query->target_list()) {
      if (!item.has_res_target() || !item.res_target().has_val()) continue;
      const std::string& alias = item.res_target().name();
      const pg_query::Node& val = item.res_target().val();
      switch (val.node_case()) {
        case pg_query::Node::NODE_NOT_SET:
          break;
        case pg_query::Node::kColumnRef: {
          const sql::NodeList& fields = val.column_ref().fields();
          std::vector<std::string> parts = sql::StringList(fields);
          if (!fields.empty() && fields[fields.size() - 1].has_a_star()) {
            std::string qualifier = parts.empty() ? "" : parts.back();
            bool any = false;
            for (const auto& [a, table] : scope) {
              if (table == nullptr) continue;
              if (!qualifier.empty() && qualifier != a &&
                  qualifier != sql::BareName(table->table.name())) {
                continue;
              }
              for (const v1::Column& c : table->table.columns()) add(c.name(), c.type());
              any = true;
            }
            if (!any) unknown.push_back("*");
            break;
          }
          std::string column = parts.empty() ? "" : parts.back();
          std::string qualifier = parts.size() >= 2 ? parts[parts.size() - 2] : "";
          const v1::Column* c = find_column(qualifier, column);
          add(alias.empty() ? column : alias, c ? c->type() : "");
          break;
        }
        case pg_query::Node::kTypeCast: {
          const pg_query::TypeCast& cast = val.type_cast();
          bool serial = false;
          std::string user_type;
          std::string type =
              cast.has_type_name() ? sql::FormatType(cast.type_name(), &serial, &user_type) : "";
          std::string colname = alias;
          if (colname.empty()) {
            if (cast.arg().has_column_ref()) {
              std::vector<std::string> parts = sql::StringList(cast.arg().column_ref().fields());
              colname = parts.empty() ? "" : parts.back();
            } else if (cast.arg().has_func_call()) {
              colname = sql::ExpressionName(cast.arg());
            } else {
              std::vector<std::string> tn = sql::StringList(cast.type_name().names());
              colname = tn.empty() ? "?column?" : tn.back();
            }
          }
          add(colname, type);
          break;
        }
        case pg_query::Node::kAConst:
          add(alias.empty() ? "?column?" : alias, ConstantType(val.a_const()));
          break;
        case pg_query::Node::kSqlvalueFunction:
          add(alias.empty() ? sql::ExpressionName(val) : alias,
              SqlValueFunctionType(val.sqlvalue_function().op()));
          break;
        case pg_query::Node::kFuncCall: {
          std::string colname = alias.empty() ? sql::ExpressionName(val) : alias;
          add(colname == "expr" ? "?column?" : colname,
              FunctionType(QualifiedName(val.func_call().funcname())));
          break;
        }
        default: {
          std::string colname = alias.empty() ? sql::ExpressionName(val) : alias;
          add(colname == "expr" ? "?column?" : colname, "");
        }
      }
    }
    if (!unknown.empty()) {
      Unmodelled(ctx, absl::StrCat("CREATE TABLE AS ", name, ": the type of column",
                                   unknown.size() > 1 ? "s " : " ", absl::StrJoin(unknown, ", "),
                                   " needs a database to derive"));
    }
  }
  relnames_.insert(name);
  tables_.emplace(name, std::move(state));
  order_.push_back(name);
}

}  // namespace schemagate::generator::internal
