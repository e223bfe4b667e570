#include "server/generator/internal/schema_model.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/sql/pg_json.h"
#include "server/sql/pg_proto.h"

namespace schemagate::generator::internal {

using nlohmann::json;
using sql::BareName;
using sql::BoolMember;
using sql::ExpressionName;
using sql::FormatType;
using sql::IntMember;
using sql::MakeObjectName;
using sql::Member;
using sql::NameAddition;
using sql::RelationName;
using sql::StringList;
using sql::StringMember;
using sql::Unwrap;

struct SchemaModel::Context {
  std::string cluster;
  const std::set<std::string>* closure = nullptr;
  std::string path;
  absl::string_view text;
  uint64_t version = 0;
  size_t statement_offset = 0;
  std::string statement_type;
  // (relation, verb) pairs already reported for the current statement.
  std::set<std::string> reported;
  bool lint = true;

  int Location(int location) const {
    return location >= 0 ? location : static_cast<int>(statement_offset);
  }
};

namespace {

// The location member of a node, or -1.
int LocationOf(const json& node) { return IntMember(node, "location", -1); }

std::string Quote(absl::string_view name) { return absl::StrCat("\"", name, "\""); }

std::string ClosureText(const std::set<std::string>& closure) {
  return absl::StrJoin(closure, ", ");
}

v1::Column* FindColumn(v1::Table& t, const std::string& name) {
  for (v1::Column& c : *t.mutable_columns()) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

bool HasColumn(const v1::Table& t, const std::string& name) {
  for (const v1::Column& c : t.columns()) {
    if (c.name() == name) return true;
  }
  return false;
}

template <typename T, typename Pred>
void EraseIf(google::protobuf::RepeatedPtrField<T>* items, Pred pred) {
  google::protobuf::RepeatedPtrField<T> kept;
  for (T& item : *items) {
    if (!pred(item)) *kept.Add() = std::move(item);
  }
  items->Swap(&kept);
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list,
              const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Distinct column names referenced by an expression (for CHECK names).
void ColumnRefs(const json& node, std::set<std::string>* out) {
  if (node.is_object()) {
    if (const json* ref = Member(node, "ColumnRef")) {
      std::vector<std::string> fields = StringList(Member(*ref, "fields"));
      if (!fields.empty()) out->insert(fields.back());
      return;
    }
    for (const auto& [key, value] : node.items()) ColumnRefs(value, out);
  } else if (node.is_array()) {
    for (const json& item : node) ColumnRefs(item, out);
  }
}

void CollectCtes(const json& node, std::set<std::string>* out) {
  if (node.is_object()) {
    if (const json* name = Member(node, "ctename"); name && name->is_string()) {
      out->insert(name->get<std::string>());
    }
    for (const auto& [key, value] : node.items()) CollectCtes(value, out);
  } else if (node.is_array()) {
    for (const json& item : node) CollectCtes(item, out);
  }
}

// Qualified name from a list of String nodes ("public" dropped).
std::string QualifiedName(const std::vector<std::string>& parts) {
  if (parts.empty()) return "";
  if (parts.size() >= 2 && parts[parts.size() - 2] != "public") {
    return parts[parts.size() - 2] + "." + parts.back();
  }
  return parts.back();
}

// The text of a DO block's or a function's body: the "as" DefElem.
std::string BodyOf(const json* options) {
  if (options == nullptr || !options->is_array()) return "";
  for (const json& o : *options) {
    const json* d = Member(o, "DefElem");
    if (d == nullptr || StringMember(*d, "defname") != "as") continue;
    const json* arg = Member(*d, "arg");
    if (arg == nullptr) return "";
    if (const json* list = Member(*arg, "List")) {
      std::vector<std::string> parts = StringList(Member(*list, "items"));
      return parts.empty() ? "" : parts.front();
    }
    if (const json* str = Member(*arg, "String")) return StringMember(*str, "sval");
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
  static const std::set<std::string> kObjects = {"table",      "index",     "column",
                                                 "constraint", "unique",    "unlogged",
                                                 "temporary",  "temp"};
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

// Names of the functions a statement calls (FuncCall nodes).
void FunctionCalls(const json& node, std::set<std::string>* out) {
  if (node.is_object()) {
    if (const json* call = Member(node, "FuncCall")) {
      out->insert(QualifiedName(StringList(Member(*call, "funcname"))));
    }
    for (const auto& [key, value] : node.items()) FunctionCalls(value, out);
  } else if (node.is_array()) {
    for (const json& item : node) FunctionCalls(item, out);
  }
}

// The type PostgreSQL gives a constant in a CREATE TABLE AS target list
// ("" when unknown).
std::string ConstantType(const json& c) {
  if (BoolMember(c, "isnull")) return "text";
  if (Member(c, "ival")) return "integer";
  if (Member(c, "fval")) return "numeric";
  if (Member(c, "sval")) return "text";
  if (Member(c, "boolval")) return "boolean";
  return "";
}

std::string SqlValueFunctionType(const std::string& op) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"SVFOP_CURRENT_DATE", "date"},
      {"SVFOP_CURRENT_TIME", "time with time zone"},
      {"SVFOP_CURRENT_TIME_N", "time with time zone"},
      {"SVFOP_CURRENT_TIMESTAMP", "timestamp with time zone"},
      {"SVFOP_CURRENT_TIMESTAMP_N", "timestamp with time zone"},
      {"SVFOP_LOCALTIME", "time without time zone"},
      {"SVFOP_LOCALTIME_N", "time without time zone"},
      {"SVFOP_LOCALTIMESTAMP", "timestamp without time zone"},
      {"SVFOP_LOCALTIMESTAMP_N", "timestamp without time zone"},
      {"SVFOP_CURRENT_ROLE", "name"},
      {"SVFOP_CURRENT_USER", "name"},
      {"SVFOP_USER", "name"},
      {"SVFOP_SESSION_USER", "name"},
      {"SVFOP_CURRENT_CATALOG", "name"},
      {"SVFOP_CURRENT_SCHEMA", "name"},
  };
  auto it = kTypes.find(op);
  return it == kTypes.end() ? "" : it->second;
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

TreeFacts CollectFacts(const SourceTree& tree, const ParsedFiles& parsed,
                       Diagnostics* diagnostics) {
  TreeFacts facts;
  std::vector<catalog::ClusterSpec> specs;
  for (const SourceCluster& c : tree.clusters) {
    catalog::ClusterSpec spec;
    spec.name = c.name;
    spec.depends_on.assign(c.manifest.depends_on().begin(),
                           c.manifest.depends_on().end());
    specs.push_back(std::move(spec));
  }
  for (const SourceCluster& c : tree.clusters) {
    std::vector<std::string> closure = catalog::DependencyClosure(specs, c.name);
    facts.closures[c.name] = std::set<std::string>(closure.begin(), closure.end());
  }
  auto record = [&](std::map<std::string, Origin>& map, const std::string& name,
                    const Origin& origin, const char* what) {
    if (name.empty()) return;
    auto [it, inserted] = map.emplace(name, origin);
    if (!inserted && it->second.cluster != origin.cluster) {
      diagnostics->Add(origin.file, origin.line, origin.column,
                       absl::StrCat(what, " ", Quote(name),
                                    " is created by two clusters: ",
                                    Quote(origin.cluster), " here and ",
                                    Quote(it->second.cluster), " at ",
                                    it->second.file, ":", it->second.line,
                                    "; each table belongs to exactly one "
                                    "cluster"));
    }
  };
  for (const SourceCluster& c : tree.clusters) {
    for (const SourceMigration& m : c.migrations) {
      auto found = parsed.find(m.up_path);
      if (found == parsed.end()) continue;
      sql::LineIndex lines(m.up_sql);
      for (const sql::Statement& s : found->second.statements) {
        auto [type, stmt] = Unwrap(s.node);
        if (stmt == nullptr) continue;
        auto origin_at = [&](int location) {
          size_t offset = location >= 0 ? static_cast<size_t>(location) : s.offset;
          sql::LineCol at = lines.PositionOf(offset);
          return Origin{c.name, m.up_path, at.line, at.column, false};
        };
        if (type == "CreateStmt") {
          const json* rel = Member(*stmt, "relation");
          if (rel) record(facts.relations, RelationName(*rel),
                          origin_at(LocationOf(*rel)), "table");
        } else if (type == "ViewStmt" || type == "CreateTableAsStmt") {
          const json* rel = type == "ViewStmt" ? Member(*stmt, "view")
                                               : Member(*stmt, "into");
          if (rel && type == "CreateTableAsStmt") rel = Member(*rel, "rel");
          if (rel) {
            Origin o = origin_at(LocationOf(*rel));
            o.view = type == "ViewStmt" ||
                     StringMember(*stmt, "objtype") == "OBJECT_MATVIEW";
            record(facts.relations, RelationName(*rel), o, o.view ? "view" : "table");
          }
        } else if (type == "SelectStmt" && Member(*stmt, "intoClause") != nullptr) {
          const json* rel = Member(*Member(*stmt, "intoClause"), "rel");
          if (rel) record(facts.relations, RelationName(*rel),
                          origin_at(LocationOf(*rel)), "table");
        } else if (type == "CreateEnumStmt" || type == "CreateRangeStmt") {
          record(facts.types,
                 QualifiedName(StringList(Member(*stmt, "typeName"))),
                 origin_at(-1), "type");
        } else if (type == "CreateDomainStmt") {
          record(facts.types,
                 QualifiedName(StringList(Member(*stmt, "domainname"))),
                 origin_at(-1), "type");
        } else if (type == "CompositeTypeStmt") {
          const json* rel = Member(*stmt, "typevar");
          if (rel) record(facts.types, RelationName(*rel),
                          origin_at(LocationOf(*rel)), "type");
        } else if (type == "RenameStmt" &&
                   StringMember(*stmt, "renameType") == "OBJECT_TABLE") {
          const json* rel = Member(*stmt, "relation");
          if (rel) {
            auto it = facts.relations.find(RelationName(*rel));
            std::string newname = StringMember(*stmt, "newname");
            std::string schema = StringMember(*rel, "schemaname");
            if (!schema.empty() && schema != "public") {
              newname = schema + "." + newname;
            }
            if (it != facts.relations.end()) {
              record(facts.relations, newname, origin_at(LocationOf(*rel)),
                     "table");
            }
          }
        }
      }
    }
  }
  return facts;
}

SchemaModel::SchemaModel(const TreeFacts* facts, Diagnostics* diagnostics)
    : facts_(facts), diagnostics_(diagnostics) {}

void SchemaModel::ApplyUp(const SourceMigration& migration,
                          const std::string& cluster,
                          const sql::ParseTree& tree) {
  Context ctx;
  ctx.cluster = cluster;
  auto closure = facts_->closures.find(cluster);
  static const std::set<std::string> kEmpty;
  ctx.closure = closure == facts_->closures.end() ? &kEmpty : &closure->second;
  ctx.path = migration.up_path;
  ctx.text = migration.up_sql;
  ctx.version = migration.version;
  for (const sql::Statement& s : tree.statements) {
    ctx.statement_offset = s.offset;
    ctx.reported.clear();
    Statement(ctx, s.node);
  }
}

void SchemaModel::CheckDown(const SourceMigration& migration,
                            const std::string& cluster,
                            const sql::ParseTree& tree) {
  Context ctx;
  ctx.cluster = cluster;
  auto closure = facts_->closures.find(cluster);
  static const std::set<std::string> kEmpty;
  ctx.closure = closure == facts_->closures.end() ? &kEmpty : &closure->second;
  ctx.path = migration.down_path;
  ctx.text = migration.down_sql;
  for (const sql::Statement& s : tree.statements) {
    ctx.statement_offset = s.offset;
    ctx.reported.clear();
    auto [type, stmt] = Unwrap(s.node);
    if (stmt == nullptr) continue;
    ctx.statement_type = type;
    std::set<std::string> ctes;
    CollectCtes(*stmt, &ctes);
    GatingWalk(ctx, *stmt, "", "", ctes);
    if (type == "DropStmt") {
      std::string kind = StringMember(*stmt, "removeType");
      if (kind == "OBJECT_TABLE" || kind == "OBJECT_VIEW" ||
          kind == "OBJECT_MATVIEW") {
        const json* objects = Member(*stmt, "objects");
        if (objects && objects->is_array()) {
          for (const json& obj : *objects) {
            const json* list = Member(obj, "List");
            std::string name =
                QualifiedName(StringList(list ? Member(*list, "items") : nullptr));
            CheckRelationOwner(ctx, name, -1, "drop");
          }
        }
      }
    }
  }
}

std::vector<v1::Table> SchemaModel::Tables() const {
  std::vector<v1::Table> out;
  for (const std::string& name : order_) {
    auto it = tables_.find(name);
    if (it != tables_.end()) out.push_back(it->second.table);
  }
  return out;
}

void SchemaModel::Statement(Context& ctx, const json& node) {
  auto [type, stmt] = Unwrap(node);
  if (stmt == nullptr) return;
  ctx.statement_type = type;
  std::set<std::string> ctes;
  CollectCtes(*stmt, &ctes);
  GatingWalk(ctx, *stmt, "", "", ctes);

  if (type == "CreateStmt") {
    CreateTable(ctx, *stmt);
  } else if (type == "AlterTableStmt") {
    AlterTable(ctx, *stmt);
  } else if (type == "IndexStmt") {
    CreateIndex(ctx, *stmt);
  } else if (type == "DropStmt") {
    Drop(ctx, *stmt);
  } else if (type == "RenameStmt") {
    Rename(ctx, *stmt);
  } else if (type == "AlterObjectSchemaStmt") {
    SetSchema(ctx, *stmt);
  } else if (type == "ViewStmt") {
    const json* rel = Member(*stmt, "view");
    if (rel) {
      std::string name = RelationName(*rel);
      views_.insert(name);
      relnames_.insert(name);
    }
  } else if (type == "CreateTableAsStmt") {
    const json* into = Member(*stmt, "into");
    const json* rel = into ? Member(*into, "rel") : nullptr;
    if (StringMember(*stmt, "objtype") != "OBJECT_MATVIEW") {
      CreateTableAs(ctx, *stmt);
    } else if (rel) {
      std::string name = RelationName(*rel);
      views_.insert(name);
      relnames_.insert(name);
    }
  } else if (type == "DoStmt") {
    std::string body = BodyOf(Member(*stmt, "args"));
    if (BodyChangesSchema(body)) {
      Unmodelled(ctx, "a DO block that changes the schema (its PL/pgSQL runs only in a "
                      "database)");
      ReplayBody(ctx, body);
    }
  } else if (type == "CreateFunctionStmt") {
    std::string body = BodyOf(Member(*stmt, "options"));
    if (BodyChangesSchema(body)) {
      ddl_functions_[QualifiedName(StringList(Member(*stmt, "funcname")))] = body;
    }
  } else if (type == "SelectStmt" && Member(*stmt, "intoClause") != nullptr) {
    // SELECT ... INTO t: CREATE TABLE t AS SELECT ...
    json query = *stmt;
    query.erase("intoClause");
    json ctas = {{"into", *Member(*stmt, "intoClause")},
                 {"query", {{"SelectStmt", std::move(query)}}},
                 {"objtype", "OBJECT_TABLE"}};
    CreateTableAs(ctx, ctas);
  } else if (type == "SelectStmt" || type == "CallStmt") {
    std::set<std::string> called;
    FunctionCalls(*stmt, &called);
    for (const std::string& f : called) {
      auto body = ddl_functions_.find(f);
      if (body != ddl_functions_.end()) {
        Unmodelled(ctx, absl::StrCat("a call of ", f,
                                     "(), which changes the schema in its body"));
        ReplayBody(ctx, body->second);
        break;
      }
    }
  } else if (type == "CreateEnumStmt" || type == "CreateRangeStmt") {
    CreateType(ctx, QualifiedName(StringList(Member(*stmt, "typeName"))), -1);
  } else if (type == "CreateDomainStmt") {
    CreateType(ctx, QualifiedName(StringList(Member(*stmt, "domainname"))), -1);
  } else if (type == "CompositeTypeStmt") {
    const json* rel = Member(*stmt, "typevar");
    if (rel) CreateType(ctx, RelationName(*rel), LocationOf(*rel));
  } else if (type == "AlterEnumStmt") {
    CheckTypeOwner(ctx, QualifiedName(StringList(Member(*stmt, "typeName"))),
                   -1);
  } else if (type == "CreateSeqStmt") {
    const json* rel = Member(*stmt, "sequence");
    if (rel) relnames_.insert(RelationName(*rel));
  } else if (type == "CommentStmt") {
    std::string kind = StringMember(*stmt, "objtype");
    const json* object = Member(*stmt, "object");
    const json* list = object ? Member(*object, "List") : nullptr;
    std::vector<std::string> parts =
        StringList(list ? Member(*list, "items") : nullptr);
    if (kind == "OBJECT_COLUMN" && !parts.empty()) parts.pop_back();
    if ((kind == "OBJECT_TABLE" || kind == "OBJECT_COLUMN") && !parts.empty()) {
      CheckRelationOwner(ctx, QualifiedName(parts), -1, "comment on");
    }
  }
}

void SchemaModel::GatingWalk(Context& ctx, const json& node,
                             const std::string& key, const std::string& verb,
                             const std::set<std::string>& ctes) {
  if (node.is_array()) {
    for (const json& item : node) GatingWalk(ctx, item, key, verb, ctes);
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("relname")) {
    bool unqualified = StringMember(node, "schemaname").empty();
    std::string name = RelationName(node);
    if (unqualified && ctes.count(name)) return;
    std::string v = verb;
    if (v.empty()) {
      const std::string& t = ctx.statement_type;
      if (key == "pktable") {
        v = "reference by foreign key";
      } else if (t == "AlterTableStmt" && key == "relation") {
        v = "alter";
      } else if (t == "IndexStmt" && key == "relation") {
        v = "create an index on";
      } else if (t == "CreateTrigStmt" && key == "relation") {
        v = "create a trigger on";
      } else if (t == "InsertStmt" && key == "relation") {
        v = "insert into";
      } else if (t == "UpdateStmt" && key == "relation") {
        v = "update";
      } else if (t == "DeleteStmt" && key == "relation") {
        v = "delete from";
      } else if (t == "RenameStmt" && key == "relation") {
        v = "rename";
      } else if (t == "AlterObjectSchemaStmt" && key == "relation") {
        v = "move";
      } else if (t == "CreateStmt" && key == "relation") {
        v = "create";
      } else {
        v = "reference";
      }
    }
    CheckRelationOwner(ctx, name, LocationOf(node), v);
    return;
  }
  if (node.contains("names") && node.contains("typemod")) {
    bool serial = false;
    std::string user_type;
    FormatType(node, &serial, &user_type);
    if (!user_type.empty()) CheckTypeOwner(ctx, user_type, LocationOf(node));
    return;
  }
  for (const auto& [k, value] : node.items()) {
    GatingWalk(ctx, value, k, verb, ctes);
  }
}

void SchemaModel::CheckRelationOwner(Context& ctx, const std::string& name,
                                     int location, const std::string& verb) {
  if (!ctx.lint) return;
  auto it = facts_->relations.find(name);
  if (it == facts_->relations.end()) return;
  const Origin& owner = it->second;
  if (ctx.closure->count(owner.cluster)) return;
  if (!ctx.reported.insert(name).second) return;
  sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(location));
  diagnostics_->Add(
      ctx.path, at.line, at.column,
      absl::StrCat(
          "gating rule: cluster ", Quote(ctx.cluster), " may not ", verb, " ",
          owner.view ? "view " : "table ", Quote(name), " of cluster ",
          Quote(owner.cluster), ", which is outside its dependency closure {",
          ClosureText(*ctx.closure), "}; add depends_on: ",
          Quote(owner.cluster), " to ", ctx.cluster,
          "/cluster.textproto, or move this SQL to a bridge cluster that "
          "requires both features"));
}

void SchemaModel::CheckTypeOwner(Context& ctx, const std::string& name,
                                 int location) {
  if (!ctx.lint || name.empty()) return;
  auto it = facts_->types.find(name);
  if (it == facts_->types.end()) return;
  if (ctx.closure->count(it->second.cluster)) return;
  if (!ctx.reported.insert("type:" + name).second) return;
  sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(location));
  diagnostics_->Add(
      ctx.path, at.line, at.column,
      absl::StrCat("gating rule: cluster ", Quote(ctx.cluster),
                   " may not use type ", Quote(name), " of cluster ",
                   Quote(it->second.cluster),
                   ", which is outside its dependency closure {",
                   ClosureText(*ctx.closure), "}"));
}

SchemaModel::TableState* SchemaModel::RequireTable(Context& ctx,
                                                   const std::string& name,
                                                   int location,
                                                   const std::string& verb) {
  auto it = tables_.find(name);
  if (it != tables_.end()) return &it->second;
  auto origin = facts_->relations.find(name);
  if (origin != facts_->relations.end() &&
      !ctx.closure->count(origin->second.cluster)) {
    return nullptr;  // the gating walk has reported it
  }
  sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(location));
  std::string why =
      origin == facts_->relations.end()
          ? "no migration of the tree creates it"
          : absl::StrCat("it is created at ", origin->second.file, ":",
                         origin->second.line,
                         ", which does not run before this migration");
  if (views_.count(name)) why = "it is a view, not a table";
  diagnostics_->Add(ctx.path, at.line, at.column,
                    absl::StrCat("cannot ", verb, " table ", Quote(name),
                                 ": ", why));
  return nullptr;
}

void SchemaModel::CreateType(Context& ctx, const std::string& name,
                             int location) {
  (void)location;
  if (!name.empty()) types_[name] = ctx.cluster;
}

namespace {

// ChooseRelationName / ChooseConstraintName: the first of name_label,
// name_label1, name_label2, ... not in `taken`.
std::string ChooseName(const std::set<std::string>& taken,
                       const std::string& name1, const std::string& name2,
                       const std::string& label) {
  for (int pass = 0;; ++pass) {
    std::string candidate = MakeObjectName(
        name1, name2, pass == 0 ? label : absl::StrCat(label, pass));
    if (!taken.count(candidate)) return candidate;
  }
}

}  // namespace

std::string SchemaModel::ChooseRelationName(const std::string& name1,
                                            const std::string& name2,
                                            const std::string& label) const {
  return ChooseName(relnames_, name1, name2, label);
}

std::string SchemaModel::ChooseConstraintName(const std::string& name1,
                                              const std::string& name2,
                                              const std::string& label) const {
  return ChooseName(connames_, name1, name2, label);
}

std::optional<SchemaModel::TableState> SchemaModel::NewTable(Context& ctx,
                                                            const std::string& name,
                                                            const json& rel,
                                                            bool if_not_exists) {
  if (auto owner = facts_->relations.find(name);
      owner != facts_->relations.end() && owner->second.cluster != ctx.cluster) {
    return std::nullopt;  // created by two clusters: CollectFacts reported it
  }
  if (tables_.count(name) || views_.count(name)) {
    if (!if_not_exists) {
      sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(LocationOf(rel)));
      diagnostics_->Add(ctx.path, at.line, at.column,
                        absl::StrCat("table ", Quote(name), " already exists"));
    }
    return std::nullopt;
  }
  TableState state;
  state.table.set_name(name);
  state.table.set_cluster(ctx.cluster);
  state.table.set_created_by(absl::StrCat(ctx.cluster, "/", ctx.version));
  state.table.set_created_by_version(ctx.version);
  return state;
}

void SchemaModel::CreateTable(Context& ctx, const json& stmt) {
  const json* rel = Member(stmt, "relation");
  if (rel == nullptr) return;
  std::string name = RelationName(*rel);
  std::optional<TableState> fresh = NewTable(ctx, name, *rel, BoolMember(stmt, "if_not_exists"));
  if (!fresh) return;
  TableState state = *std::move(fresh);
  v1::Table& t = state.table;

  // Inherited / partition parent columns and LIKE come first.
  if (const json* parents = Member(stmt, "inhRelations");
      parents && parents->is_array()) {
    for (const json& parent : *parents) {
      std::string pname = RelationName(parent);
      TableState* p = RequireTable(ctx, pname, LocationOf(parent), "inherit from");
      if (p == nullptr) continue;
      for (const v1::Column& c : p->table.columns()) {
        if (!HasColumn(t, c.name())) {
          v1::Column* col = t.add_columns();
          *col = c;
          col->set_cluster(ctx.cluster);
        }
      }
    }
  }
  const json* elts = Member(stmt, "tableElts");
  std::vector<const json*> coldefs, constraints;
  // LIKE ... INCLUDING INDEXES / CONSTRAINTS: copied once the table exists.
  std::vector<std::pair<std::string, int>> likes;  // source table, options
  if (elts && elts->is_array()) {
    for (const json& e : *elts) {
      auto [type, inner] = Unwrap(e);
      if (inner == nullptr) continue;
      if (type == "ColumnDef") {
        coldefs.push_back(inner);
      } else if (type == "Constraint") {
        constraints.push_back(inner);
      } else if (type == "TableLikeClause") {
        const json* like = Member(*inner, "relation");
        if (!like) continue;
        TableState* p =
            RequireTable(ctx, RelationName(*like), LocationOf(*like), "copy");
        if (p == nullptr) continue;
        for (const v1::Column& c : p->table.columns()) {
          v1::Column* col = t.add_columns();
          *col = c;
          col->set_cluster(ctx.cluster);
        }
        likes.emplace_back(RelationName(*like), IntMember(*inner, "options", 0));
      }
    }
  }
  for (const json* c : coldefs) AddColumn(ctx, state, *c, false);
  // Register the name before constraints so a self-reference resolves.
  relnames_.insert(name);
  auto [it, inserted] = tables_.emplace(name, std::move(state));
  order_.push_back(name);
  for (const json* c : coldefs) ApplyColumnConstraints(ctx, it->second, *c);
  for (const json* c : constraints) {
    AddConstraint(ctx, it->second, {}, *c);
  }
  for (const auto& [source, options] : likes) CopyLike(ctx, it->second, source, options);
  // PARTITION OF: the parent's indexes, foreign keys and CHECKs.
  const json* parents = Member(stmt, "inhRelations");
  if (Member(stmt, "partbound") != nullptr && parents && parents->is_array() &&
      parents->size() == 1) {
    auto parent = tables_.find(RelationName((*parents)[0]));
    if (parent != tables_.end()) {
      AddPartition(parent->second, name, it->second);
      AddCheckNames(it->second, parent->second.checks);
    }
  }
}

void SchemaModel::Unmodelled(Context& ctx, std::string what) {
  unmodelled_.push_back(
      {ctx.cluster, ctx.path,
       sql::PositionOf(ctx.text, sql::SkipSpaceAndComments(ctx.text, ctx.statement_offset)).line,
       std::move(what)});
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
    absl::StatusOr<sql::ParseTree> tree = sql::Parse(text);
    if (!tree.ok()) continue;
    Context inner = ctx;
    inner.lint = false;
    inner.text = text;
    for (const sql::Statement& s : tree->statements) {
      inner.statement_offset = s.offset;
      inner.reported.clear();
      Statement(inner, s.node);
    }
  }
  diagnostics_ = saved;
}

void SchemaModel::CreateTableAs(Context& ctx, const json& stmt) {
  const json* into = Member(stmt, "into");
  const json* rel = into ? Member(*into, "rel") : nullptr;
  if (rel == nullptr) return;
  std::string name = RelationName(*rel);
  std::optional<TableState> fresh = NewTable(ctx, name, *rel, BoolMember(stmt, "if_not_exists"));
  if (!fresh) return;
  TableState state = *std::move(fresh);
  v1::Table& t = state.table;

  // The query: its first SELECT (the left arm of a set operation names and
  // types the columns).
  auto [qtype, query] = Unwrap(*Member(stmt, "query"));
  while (query != nullptr && qtype == "SelectStmt" && Member(*query, "larg") != nullptr &&
         StringMember(*query, "op") != "SETOP_NONE" && !StringMember(*query, "op").empty()) {
    query = Member(*query, "larg");
    qtype = "SelectStmt";
  }
  std::vector<std::string> names = StringList(Member(*into, "colNames"));
  std::vector<std::string> unknown;
  // FROM items: (alias or name, table).
  std::vector<std::pair<std::string, const TableState*>> scope;
  std::function<void(const json&)> add_from = [&](const json& item) {
    auto [type, inner] = Unwrap(item);
    if (inner == nullptr) return;
    if (type == "RangeVar") {
      std::string table = RelationName(*inner);
      auto it = tables_.find(table);
      std::string alias = table;
      if (const json* a = Member(*inner, "alias")) alias = StringMember(*a, "aliasname");
      scope.emplace_back(alias, it == tables_.end() ? nullptr : &it->second);
    } else if (type == "JoinExpr") {
      if (const json* l = Member(*inner, "larg")) add_from(*l);
      if (const json* r = Member(*inner, "rarg")) add_from(*r);
    } else {
      scope.emplace_back("", nullptr);  // a subquery or function: not typed
    }
  };
  if (query != nullptr && qtype == "SelectStmt") {
    if (const json* from = Member(*query, "fromClause"); from && from->is_array()) {
      for (const json& item : *from) add_from(item);
    }
  }
  auto find_column = [&](const std::string& qualifier,
                         const std::string& column) -> const v1::Column* {
    for (const auto& [alias, table] : scope) {
      if (table == nullptr || (!qualifier.empty() && qualifier != alias &&
                               qualifier != BareName(table->table.name()))) {
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
  const json* targets = query != nullptr && qtype == "SelectStmt"
                            ? Member(*query, "targetList")
                            : nullptr;
  if (targets == nullptr || !targets->is_array()) {
    Unmodelled(ctx, absl::StrCat("CREATE TABLE AS ", name,
                                 " (a query without a target list to type)"));
  } else {
    for (const json& item : *targets) {
      const json* target = Member(item, "ResTarget");
      if (target == nullptr) continue;
      std::string alias = StringMember(*target, "name");
      const json* val = Member(*target, "val");
      auto [vtype, v] = val ? Unwrap(*val) : std::pair<std::string, const json*>{"", nullptr};
      if (v == nullptr) continue;
      if (vtype == "ColumnRef") {
        const json* fields = Member(*v, "fields");
        std::vector<std::string> parts = StringList(fields);
        bool star = fields && fields->is_array() && !fields->empty() &&
                    Member(fields->back(), "A_Star") != nullptr;
        if (star) {
          std::string qualifier = parts.empty() ? "" : parts.back();
          bool any = false;
          for (const auto& [a, table] : scope) {
            if (table == nullptr) continue;
            if (!qualifier.empty() && qualifier != a && qualifier != BareName(table->table.name())) {
              continue;
            }
            for (const v1::Column& c : table->table.columns()) add(c.name(), c.type());
            any = true;
          }
          if (!any) unknown.push_back("*");
          continue;
        }
        std::string column = parts.empty() ? "" : parts.back();
        std::string qualifier = parts.size() >= 2 ? parts[parts.size() - 2] : "";
        const v1::Column* c = find_column(qualifier, column);
        add(alias.empty() ? column : alias, c ? c->type() : "");
      } else if (vtype == "TypeCast") {
        bool serial = false;
        std::string user_type;
        const json* type_name = Member(*v, "typeName");
        std::string type = type_name ? FormatType(*type_name, &serial, &user_type) : "";
        std::string colname = alias;
        if (colname.empty()) {
          const json* arg = Member(*v, "arg");
          auto [atype, a] = arg ? Unwrap(*arg) : std::pair<std::string, const json*>{"", nullptr};
          if (a != nullptr && atype == "ColumnRef") {
            std::vector<std::string> parts = StringList(Member(*a, "fields"));
            colname = parts.empty() ? "" : parts.back();
          } else if (a != nullptr && atype == "FuncCall") {
            colname = ExpressionName(*arg);
          } else {
            std::vector<std::string> tn = StringList(type_name ? Member(*type_name, "names") : nullptr);
            colname = tn.empty() ? "?column?" : tn.back();
          }
        }
        add(colname, type);
      } else if (vtype == "A_Const") {
        add(alias.empty() ? "?column?" : alias, ConstantType(*v));
      } else if (vtype == "SQLValueFunction") {
        add(alias.empty() ? ExpressionName(*val) : alias,
            SqlValueFunctionType(StringMember(*v, "op")));
      } else if (vtype == "FuncCall") {
        std::string fname = QualifiedName(StringList(Member(*v, "funcname")));
        std::string colname = alias.empty() ? ExpressionName(*val) : alias;
        add(colname == "expr" ? "?column?" : colname, FunctionType(fname));
      } else {
        std::string colname = alias.empty() ? ExpressionName(*val) : alias;
        add(colname == "expr" ? "?column?" : colname, "");
      }
    }
    if (!unknown.empty()) {
      Unmodelled(ctx, absl::StrCat("CREATE TABLE AS ", name, ": the type of column",
                                   unknown.size() > 1 ? "s " : " ",
                                   absl::StrJoin(unknown, ", "),
                                   " needs a database to derive"));
    }
  }
  relnames_.insert(name);
  tables_.emplace(name, std::move(state));
  order_.push_back(name);
}

void SchemaModel::ClonePartitionIndex(TableState& partition, const v1::Index& ix,
                                      const std::vector<std::string>& primary_key) {
  if (ix.primary() && partition.table.primary_key_size() > 0) return;
  std::vector<std::string> cols(ix.columns().begin(), ix.columns().end());
  // An equivalent index the partition already has (ATTACH PARTITION of a
  // table with its own indexes) is adopted as it is, as
  // AttachPartitionEnsureIndexes() does; a constraint's index only by a
  // constraint's index.
  for (const v1::Index& have : partition.table.indexes()) {
    if (std::equal(have.columns().begin(), have.columns().end(), cols.begin(), cols.end()) &&
        have.unique() == ix.unique() && (!ix.constraint() || have.constraint())) {
      return;
    }
  }
  AddIndexCopy(partition, ix, primary_key);
  for (const std::string& p : partition.partitions) {
    auto sub = tables_.find(p);
    if (sub != tables_.end()) ClonePartitionIndex(sub->second, ix, primary_key);
  }
}

void SchemaModel::ClonePartitionForeignKey(TableState& partition, const v1::ForeignKey& fk) {
  for (const v1::ForeignKey& have : partition.table.foreign_keys()) {
    // Already there, or an equivalent one to adopt (ATTACH PARTITION).
    if (have.name() == fk.name() ||
        (have.references_table() == fk.references_table() &&
         have.on_delete() == fk.on_delete() && have.on_update() == fk.on_update() &&
         std::equal(have.columns().begin(), have.columns().end(), fk.columns().begin(),
                    fk.columns().end()) &&
         std::equal(have.references_columns().begin(), have.references_columns().end(),
                    fk.references_columns().begin(), fk.references_columns().end()))) {
      return;
    }
  }
  *partition.table.add_foreign_keys() = fk;
  for (const std::string& p : partition.partitions) {
    auto sub = tables_.find(p);
    if (sub != tables_.end()) ClonePartitionForeignKey(sub->second, fk);
  }
}

// CREATE_TABLE_LIKE_* bits of TableLikeClause.options (PostgreSQL's
// parsenodes.h); INCLUDING ALL sets them all.
constexpr int kLikeConstraints = 1 << 2;
constexpr int kLikeIndexes = 1 << 6;

void SchemaModel::CopyLike(Context& ctx, TableState& t, const std::string& source,
                           int options) {
  auto it = tables_.find(source);
  if (it == tables_.end() || &it->second == &t) return;
  const TableState& from = it->second;
  // CHECK constraints keep their names.
  if (options & kLikeConstraints) AddCheckNames(t, from.checks);
  if (!(options & kLikeIndexes)) return;
  // Each index is created again and named as DefineIndex() names an
  // unnamed one: <table>_pkey, <table>_<columns>_key for a constraint's
  // index, <table>_<columns>_idx otherwise.
  for (const v1::Index& ix : from.table.indexes()) {
    if (std::find(ix.columns().begin(), ix.columns().end(), "(expression)") !=
        ix.columns().end()) {
      diagnostics_->Add(ctx.path, sql::PositionOf(ctx.text, ctx.statement_offset).line, 0,
                        absl::StrCat("LIKE ", Quote(source), " INCLUDING INDEXES copies the "
                                     "expression index ", Quote(ix.name()),
                                     ", whose new name schemagate cannot derive; copy the "
                                     "columns only and create the indexes explicitly"));
      continue;
    }
    if (ix.primary() && t.table.primary_key_size() > 0) continue;
    std::vector<std::string> pk(from.table.primary_key().begin(), from.table.primary_key().end());
    AddIndexCopy(t, ix, pk)->set_cluster(ctx.cluster);
  }
}

v1::Index* SchemaModel::AddIndexCopy(TableState& t, const v1::Index& ix,
                                     const std::vector<std::string>& primary_key) {
  std::vector<std::string> cols(ix.columns().begin(), ix.columns().end());
  std::string name = ChooseRelationName(
      BareName(t.table.name()), ix.primary() ? "" : NameAddition(cols),
      ix.primary() ? "pkey" : ix.constraint() ? "key" : "idx");
  v1::Index* copy = t.table.add_indexes();
  *copy = ix;
  copy->set_name(name);
  relnames_.insert(name);
  if (ix.constraint()) connames_.insert(name);
  if (ix.primary()) {
    for (const std::string& c : primary_key) {
      t.table.add_primary_key(c);
      if (v1::Column* col = FindColumn(t.table, c)) col->set_nullable(false);
    }
  }
  return copy;
}

void SchemaModel::AddCheckNames(TableState& t, const std::vector<std::string>& checks) {
  for (const std::string& check : checks) {
    if (std::find(t.checks.begin(), t.checks.end(), check) == t.checks.end()) {
      t.checks.push_back(check);
    }
  }
}

void SchemaModel::AddPartition(TableState& parent, const std::string& name,
                               TableState& partition) {
  parent.partitions.push_back(name);
  std::vector<std::string> pk(parent.table.primary_key().begin(),
                              parent.table.primary_key().end());
  for (const v1::Index& ix : parent.table.indexes()) ClonePartitionIndex(partition, ix, pk);
  for (const v1::ForeignKey& fk : parent.table.foreign_keys()) {
    ClonePartitionForeignKey(partition, fk);
  }
}

void SchemaModel::AddColumn(Context& ctx, TableState& t, const json& coldef,
                            bool if_not_exists) {
  std::string name = StringMember(coldef, "colname");
  if (HasColumn(t.table, name)) {
    if (!if_not_exists) {
      sql::LineCol at =
          sql::PositionOf(ctx.text, ctx.Location(LocationOf(coldef)));
      diagnostics_->Add(ctx.path, at.line, at.column,
                        absl::StrCat("column ", Quote(name), " of table ",
                                     Quote(t.table.name()), " already exists"));
    }
    return;
  }
  v1::Column* col = t.table.add_columns();
  col->set_name(name);
  col->set_cluster(ctx.cluster);
  col->set_nullable(true);
  if (const json* type = Member(coldef, "typeName")) {
    bool serial = false;
    std::string user_type;
    col->set_type(FormatType(*type, &serial, &user_type));
    if (serial) col->set_nullable(false);
  }
  if (BoolMember(coldef, "is_not_null")) col->set_nullable(false);
  if (const json* cons = Member(coldef, "constraints"); cons && cons->is_array()) {
    for (const json& c : *cons) {
      auto [type, inner] = Unwrap(c);
      if (inner == nullptr) continue;
      std::string contype = StringMember(*inner, "contype");
      if (contype == "CONSTR_NOTNULL" || contype == "CONSTR_PRIMARY" ||
          contype == "CONSTR_IDENTITY") {
        col->set_nullable(false);
      } else if (contype == "CONSTR_NULL") {
        col->set_nullable(true);
      }
    }
  }
}

void SchemaModel::ApplyColumnConstraints(Context& ctx, TableState& t,
                                         const json& coldef) {
  std::string name = StringMember(coldef, "colname");
  const json* cons = Member(coldef, "constraints");
  if (!cons || !cons->is_array()) return;
  for (const json& c : *cons) {
    auto [type, inner] = Unwrap(c);
    if (inner == nullptr) continue;
    AddConstraint(ctx, t, {name}, *inner);
  }
}

void SchemaModel::AddConstraint(Context& ctx, TableState& t,
                                const std::vector<std::string>& column_scope,
                                const json& constraint) {
  std::string contype = StringMember(constraint, "contype");
  std::string conname = StringMember(constraint, "conname");
  int location = LocationOf(constraint);
  v1::Table& table = t.table;
  auto report = [&](const std::string& message) {
    sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(location));
    diagnostics_->Add(ctx.path, at.line, at.column, message);
  };
  auto keys = [&](const char* member) {
    std::vector<std::string> k = StringList(Member(constraint, member));
    return k.empty() ? column_scope : k;
  };
  auto check_columns = [&](const v1::Table& on,
                           const std::vector<std::string>& cols) {
    for (const std::string& c : cols) {
      if (!HasColumn(on, c)) {
        report(absl::StrCat("column ", Quote(c), " does not exist in table ",
                            Quote(on.name())));
        return false;
      }
    }
    return true;
  };

  if (contype == "CONSTR_PRIMARY" || contype == "CONSTR_UNIQUE") {
    bool primary = contype == "CONSTR_PRIMARY";
    std::vector<std::string> cols = keys("keys");
    if (!check_columns(table, cols)) return;
    if (primary && table.primary_key_size() > 0) {
      report(absl::StrCat("table ", Quote(table.name()),
                          " already has a primary key"));
      return;
    }
    std::string name = conname;
    // ADD CONSTRAINT c PRIMARY KEY / UNIQUE USING INDEX i: the index becomes
    // the constraint's, renamed to c when c is given.
    if (std::string using_index = StringMember(constraint, "indexname");
        !using_index.empty()) {
      auto ix = std::find_if(table.indexes().begin(), table.indexes().end(),
                             [&](const v1::Index& i) { return i.name() == using_index; });
      if (ix == table.indexes().end()) {
        report(absl::StrCat("index ", Quote(using_index), " does not exist on table ",
                            Quote(table.name())));
        return;
      }
      if (!ix->unique() || ix->constraint()) {
        report(absl::StrCat("index ", Quote(using_index), " is ",
                            ix->constraint() ? "already a constraint's" : "not unique"));
        return;
      }
      cols.assign(ix->columns().begin(), ix->columns().end());
      if (name.empty()) name = using_index;
      table.mutable_indexes()->erase(table.mutable_indexes()->begin() +
                                     (ix - table.indexes().begin()));
      relnames_.erase(using_index);
    }
    if (name.empty()) {
      name = primary
                 ? ChooseRelationName(BareName(table.name()), "", "pkey")
                 : ChooseRelationName(BareName(table.name()), NameAddition(cols),
                                      "key");
    }
    v1::Index* ix = table.add_indexes();
    ix->set_name(name);
    for (const std::string& c : cols) ix->add_columns(c);
    for (const std::string& c :
         StringList(Member(constraint, "including"))) {
      ix->add_columns(c);
    }
    ix->set_unique(true);
    ix->set_primary(primary);
    ix->set_constraint(true);
    ix->set_cluster(ctx.cluster);
    relnames_.insert(name);
    connames_.insert(name);
    if (primary) {
      for (const std::string& c : cols) {
        table.add_primary_key(c);
        FindColumn(table, c)->set_nullable(false);
      }
    }
    const v1::Index added = *ix;
    for (const std::string& p : t.partitions) {
      if (auto sub = tables_.find(p); sub != tables_.end()) {
        ClonePartitionIndex(sub->second, added, cols);
      }
    }
  } else if (contype == "CONSTR_FOREIGN") {
    const json* pktable = Member(constraint, "pktable");
    if (pktable == nullptr) return;
    std::vector<std::string> cols = keys("fk_attrs");
    std::string target_name = RelationName(*pktable);
    TableState* target =
        target_name == table.name()
            ? &t
            : RequireTable(ctx, target_name, LocationOf(*pktable),
                           "reference by foreign key");
    if (target == nullptr) return;
    std::vector<std::string> ref = StringList(Member(constraint, "pk_attrs"));
    if (ref.empty()) {
      ref.assign(target->table.primary_key().begin(),
                 target->table.primary_key().end());
      if (ref.empty()) {
        report(absl::StrCat("foreign key references table ",
                            Quote(target_name),
                            " without columns, and it has no primary key"));
        return;
      }
    }
    if (!check_columns(table, cols) || !check_columns(target->table, ref)) {
      return;
    }
    if (ref.size() != cols.size()) {
      report(absl::StrCat("foreign key on ", Quote(table.name()), " has ",
                          cols.size(), " columns but references ", ref.size()));
      return;
    }
    std::string name = conname.empty()
                           ? ChooseConstraintName(BareName(table.name()),
                                                  NameAddition(cols), "fkey")
                           : conname;
    connames_.insert(name);
    v1::ForeignKey* fk = table.add_foreign_keys();
    fk->set_name(name);
    for (const std::string& c : cols) fk->add_columns(c);
    fk->set_references_table(target_name);
    for (const std::string& c : ref) fk->add_references_columns(c);
    fk->set_cluster(ctx.cluster);
    std::string del = StringMember(constraint, "fk_del_action");
    std::string upd = StringMember(constraint, "fk_upd_action");
    fk->set_on_delete(del.empty() ? "a" : del);
    fk->set_on_update(upd.empty() ? "a" : upd);
    const v1::ForeignKey added = *fk;
    for (const std::string& p : t.partitions) {
      if (auto sub = tables_.find(p); sub != tables_.end()) {
        ClonePartitionForeignKey(sub->second, added);
      }
    }
  } else if (contype == "CONSTR_CHECK") {
    std::string name = conname;
    if (name.empty()) {
      std::string col;
      if (column_scope.size() == 1) {
        col = column_scope[0];
      } else {
        std::set<std::string> refs;
        if (const json* expr = Member(constraint, "raw_expr")) {
          ColumnRefs(*expr, &refs);
        }
        if (refs.size() == 1) col = *refs.begin();
      }
      name = ChooseConstraintName(BareName(table.name()), col, "check");
    }
    connames_.insert(name);
    t.checks.push_back(name);
  } else if (contype == "CONSTR_EXCLUSION") {
    std::string name = conname.empty()
                           ? ChooseRelationName(BareName(table.name()), "", "excl")
                           : conname;
    relnames_.insert(name);
    connames_.insert(name);
    t.checks.push_back(name);
  }
}

void SchemaModel::AlterTable(Context& ctx, const json& stmt) {
  if (StringMember(stmt, "objtype") != "OBJECT_TABLE") return;
  const json* rel = Member(stmt, "relation");
  if (rel == nullptr) return;
  std::string name = RelationName(*rel);
  if (BoolMember(stmt, "missing_ok") && !tables_.count(name)) return;
  TableState* t = RequireTable(ctx, name, LocationOf(*rel), "alter");
  if (t == nullptr) return;
  const json* cmds = Member(stmt, "cmds");
  if (!cmds || !cmds->is_array()) return;
  for (const json& item : *cmds) {
    const json* cmd = Member(item, "AlterTableCmd");
    if (cmd == nullptr) continue;
    std::string subtype = StringMember(*cmd, "subtype");
    std::string column = StringMember(*cmd, "name");
    const json* def = Member(*cmd, "def");
    bool missing_ok = BoolMember(*cmd, "missing_ok");
    bool cascade = StringMember(*cmd, "behavior") == "DROP_CASCADE";
    auto need_column = [&]() -> v1::Column* {
      v1::Column* c = FindColumn(t->table, column);
      if (c == nullptr) {
        sql::LineCol at =
            sql::PositionOf(ctx.text, ctx.Location(LocationOf(*rel)));
        diagnostics_->Add(ctx.path, at.line, at.column,
                          absl::StrCat("column ", Quote(column),
                                       " does not exist in table ",
                                       Quote(name)));
      }
      return c;
    };
    if (subtype == "AT_AddColumn" && def) {
      const json* coldef = Member(*def, "ColumnDef");
      if (coldef == nullptr) continue;
      std::string colname = StringMember(*coldef, "colname");
      bool existed = HasColumn(t->table, colname);
      AddColumn(ctx, *t, *coldef, missing_ok);
      if (!existed) ApplyColumnConstraints(ctx, *t, *coldef);
    } else if (subtype == "AT_DropColumn") {
      if (!HasColumn(t->table, column)) {
        if (!missing_ok) need_column();
        continue;
      }
      DropColumn(ctx, *t, column, cascade, LocationOf(*rel));
    } else if (subtype == "AT_AlterColumnType" && def) {
      v1::Column* c = need_column();
      const json* coldef = Member(*def, "ColumnDef");
      const json* type = coldef ? Member(*coldef, "typeName") : nullptr;
      if (c && type) {
        bool serial = false;
        std::string user_type;
        c->set_type(FormatType(*type, &serial, &user_type));
      }
    } else if (subtype == "AT_SetNotNull") {
      if (v1::Column* c = need_column()) c->set_nullable(false);
    } else if (subtype == "AT_DropNotNull") {
      if (v1::Column* c = need_column()) {
        if (Contains(t->table.primary_key(), column)) {
          sql::LineCol at =
              sql::PositionOf(ctx.text, ctx.Location(LocationOf(*rel)));
          diagnostics_->Add(ctx.path, at.line, at.column,
                            absl::StrCat("column ", Quote(column),
                                         " is in the primary key of ",
                                         Quote(name)));
        } else {
          c->set_nullable(true);
        }
      }
    } else if (subtype == "AT_AddIdentity") {
      if (v1::Column* c = need_column()) c->set_nullable(false);
    } else if (subtype == "AT_AddConstraint" && def) {
      const json* c = Member(*def, "Constraint");
      if (c) AddConstraint(ctx, *t, {}, *c);
    } else if (subtype == "AT_DropConstraint") {
      DropConstraint(ctx, *t, column, missing_ok, LocationOf(*rel));
    } else if ((subtype == "AT_AttachPartition" || subtype == "AT_DetachPartition") && def) {
      const json* cmd_def = Member(*def, "PartitionCmd");
      const json* part = cmd_def ? Member(*cmd_def, "name") : nullptr;
      if (part == nullptr) continue;
      std::string part_name = RelationName(*part);
      TableState* p = RequireTable(ctx, part_name, LocationOf(*part),
                                   subtype == "AT_AttachPartition" ? "attach" : "detach");
      if (p == nullptr) continue;
      auto& parts = t->partitions;
      if (subtype == "AT_DetachPartition") {
        // The partition keeps what it was given, now as its own.
        parts.erase(std::remove(parts.begin(), parts.end(), part_name), parts.end());
        continue;
      }
      if (std::find(parts.begin(), parts.end(), part_name) != parts.end()) continue;
      AddPartition(*t, part_name, *p);
    }
  }
}

void SchemaModel::DropColumn(Context& ctx, TableState& t,
                             const std::string& column, bool cascade,
                             int location) {
  v1::Table& table = t.table;
  // Foreign keys of other tables that reference this column.
  for (auto& [other_name, other] : tables_) {
    for (const v1::ForeignKey& fk : other.table.foreign_keys()) {
      if (fk.references_table() == table.name() &&
          Contains(fk.references_columns(), column) &&
          other_name != table.name() && !cascade) {
        sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(location));
        diagnostics_->Add(ctx.path, at.line, at.column,
                          absl::StrCat("cannot drop column ", Quote(column),
                                       " of ", Quote(table.name()),
                                       ": foreign key ", Quote(fk.name()),
                                       " of ", Quote(other_name),
                                       " references it (use CASCADE)"));
        return;
      }
    }
  }
  for (auto& [other_name, other] : tables_) {
    // Not other_name in the lambda: C++17 lambdas cannot capture a
    // structured binding (clang refuses it).
    const bool same_table = other_name == table.name();
    EraseIf(other.table.mutable_foreign_keys(), [&](const v1::ForeignKey& fk) {
      bool gone = (fk.references_table() == table.name() &&
                   Contains(fk.references_columns(), column)) ||
                  (same_table && Contains(fk.columns(), column));
      if (gone) connames_.erase(fk.name());
      return gone;
    });
  }
  EraseIf(table.mutable_indexes(), [&](const v1::Index& ix) {
    bool gone = Contains(ix.columns(), column);
    if (gone) {
      relnames_.erase(ix.name());
      connames_.erase(ix.name());
    }
    return gone;
  });
  if (Contains(table.primary_key(), column)) table.clear_primary_key();
  EraseIf(table.mutable_columns(),
          [&](const v1::Column& c) { return c.name() == column; });
}

void SchemaModel::DropConstraint(Context& ctx, TableState& t,
                                 const std::string& name, bool missing_ok,
                                 int location) {
  v1::Table& table = t.table;
  bool found = false;
  EraseIf(table.mutable_foreign_keys(), [&](const v1::ForeignKey& fk) {
    bool match = fk.name() == name;
    found = found || match;
    return match;
  });
  EraseIf(table.mutable_indexes(), [&](const v1::Index& ix) {
    bool match = ix.constraint() && ix.name() == name;
    if (match && ix.primary()) table.clear_primary_key();
    if (match) relnames_.erase(name);
    found = found || match;
    return match;
  });
  auto check = std::find(t.checks.begin(), t.checks.end(), name);
  if (check != t.checks.end()) {
    t.checks.erase(check);
    found = true;
  }
  if (found) {
    connames_.erase(name);
  } else if (!missing_ok) {
    sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(location));
    diagnostics_->Add(ctx.path, at.line, at.column,
                      absl::StrCat("constraint ", Quote(name),
                                   " of table ", Quote(table.name()),
                                   " does not exist"));
  }
}

void SchemaModel::CreateIndex(Context& ctx, const json& stmt) {
  const json* rel = Member(stmt, "relation");
  if (rel == nullptr) return;
  std::string table_name = RelationName(*rel);
  if (views_.count(table_name)) return;  // an index on a materialized view
  TableState* t = RequireTable(ctx, table_name, LocationOf(*rel),
                               "create an index on");
  if (t == nullptr) return;
  std::string name = StringMember(stmt, "idxname");
  std::string schema = StringMember(*rel, "schemaname");
  std::string qualified_name =
      !name.empty() && !schema.empty() && schema != "public"
          ? schema + "." + name
          : name;
  if (!name.empty() && relnames_.count(qualified_name)) {
    if (!BoolMember(stmt, "if_not_exists")) {
      sql::LineCol at =
          sql::PositionOf(ctx.text, ctx.Location(LocationOf(*rel)));
      diagnostics_->Add(ctx.path, at.line, at.column,
                        absl::StrCat("relation ", Quote(name),
                                     " already exists"));
    }
    return;
  }
  std::vector<std::string> columns, name_parts;
  auto add_elems = [&](const json* params) {
    if (!params || !params->is_array()) return;
    for (const json& p : *params) {
      const json* elem = Member(p, "IndexElem");
      if (elem == nullptr) continue;
      std::string col = StringMember(*elem, "name");
      std::string part = col;
      if (part.empty()) part = StringMember(*elem, "indexcolname");
      if (part.empty()) {
        const json* expr = Member(*elem, "expr");
        part = expr ? ExpressionName(*expr) : "expr";
      }
      if (!col.empty() && !HasColumn(t->table, col)) {
        sql::LineCol at =
            sql::PositionOf(ctx.text, ctx.Location(LocationOf(*rel)));
        diagnostics_->Add(ctx.path, at.line, at.column,
                          absl::StrCat("column ", Quote(col),
                                       " does not exist in table ",
                                       Quote(table_name)));
      }
      // ChooseIndexColumnNames: make the names unique with a number.
      std::string unique_part = part;
      for (int i = 1; std::find(name_parts.begin(), name_parts.end(),
                                unique_part) != name_parts.end();
           ++i) {
        unique_part = absl::StrCat(part, i);
      }
      name_parts.push_back(unique_part);
      columns.push_back(col.empty() ? "(expression)" : col);
    }
  };
  add_elems(Member(stmt, "indexParams"));
  add_elems(Member(stmt, "indexIncludingParams"));
  if (name.empty()) {
    std::string base = StringMember(*rel, "relname");
    name = ChooseRelationName(base, NameAddition(name_parts), "idx");
  }
  relnames_.insert(name);
  v1::Index* ix = t->table.add_indexes();
  ix->set_name(name);
  for (const std::string& c : columns) ix->add_columns(c);
  ix->set_unique(BoolMember(stmt, "unique"));
  ix->set_cluster(ctx.cluster);
  // On a partitioned table the index is created on every partition too
  // (unless ON ONLY).
  const v1::Index added = *ix;
  const bool only = !BoolMember(*rel, "inh");  // the parser's JSON omits false
  if (!only) {
    std::vector<std::string> pk(t->table.primary_key().begin(), t->table.primary_key().end());
    for (const std::string& p : t->partitions) {
      if (auto sub = tables_.find(p); sub != tables_.end()) {
        ClonePartitionIndex(sub->second, added, pk);
      }
    }
  }
}

void SchemaModel::DropTable(Context& ctx, const std::string& name, bool cascade,
                            int location) {
  auto it = tables_.find(name);
  for (auto& [other_name, other] : tables_) {
    if (other_name == name) continue;
    for (const v1::ForeignKey& fk : other.table.foreign_keys()) {
      if (fk.references_table() == name && !cascade) {
        sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(location));
        diagnostics_->Add(ctx.path, at.line, at.column,
                          absl::StrCat("cannot drop table ", Quote(name),
                                       ": foreign key ", Quote(fk.name()),
                                       " of ", Quote(other_name),
                                       " references it"));
        return;
      }
    }
  }
  for (auto& [other_name, other] : tables_) {
    EraseIf(other.table.mutable_foreign_keys(), [&](const v1::ForeignKey& fk) {
      bool gone = fk.references_table() == name;
      if (gone) connames_.erase(fk.name());
      return gone;
    });
  }
  for (const v1::Index& ix : it->second.table.indexes()) {
    relnames_.erase(ix.name());
    connames_.erase(ix.name());
  }
  for (const v1::ForeignKey& fk : it->second.table.foreign_keys()) {
    connames_.erase(fk.name());
  }
  for (const std::string& c : it->second.checks) connames_.erase(c);
  relnames_.erase(name);
  tables_.erase(it);
  order_.erase(std::remove(order_.begin(), order_.end(), name), order_.end());
}

void SchemaModel::Drop(Context& ctx, const json& stmt) {
  std::string kind = StringMember(stmt, "removeType");
  bool missing_ok = BoolMember(stmt, "missing_ok");
  bool cascade = StringMember(stmt, "behavior") == "DROP_CASCADE";
  const json* objects = Member(stmt, "objects");
  if (!objects || !objects->is_array()) return;
  for (const json& obj : *objects) {
    if (kind == "OBJECT_TYPE" || kind == "OBJECT_DOMAIN") {
      const json* type = Member(obj, "TypeName");
      std::vector<std::string> parts =
          StringList(type ? Member(*type, "names") : nullptr);
      std::string name = QualifiedName(parts);
      CheckTypeOwner(ctx, name, type ? LocationOf(*type) : -1);
      types_.erase(name);
      continue;
    }
    const json* list = Member(obj, "List");
    std::string name =
        QualifiedName(StringList(list ? Member(*list, "items") : nullptr));
    if (name.empty()) continue;
    if (kind == "OBJECT_TABLE") {
      CheckRelationOwner(ctx, name, -1, "drop");
      if (!tables_.count(name)) {
        if (!missing_ok) RequireTable(ctx, name, -1, "drop");
        continue;
      }
      DropTable(ctx, name, cascade, -1);
    } else if (kind == "OBJECT_VIEW" || kind == "OBJECT_MATVIEW") {
      CheckRelationOwner(ctx, name, -1, "drop");
      views_.erase(name);
      relnames_.erase(name);
    } else if (kind == "OBJECT_INDEX") {
      bool found = false;
      for (auto& [table_name, t] : tables_) {
        EraseIf(t.table.mutable_indexes(), [&](const v1::Index& ix) {
          bool match = ix.name() == name && !ix.constraint();
          found = found || match;
          return match;
        });
      }
      if (found) {
        relnames_.erase(name);
      } else if (!missing_ok) {
        diagnostics_->Add(ctx.path,
                          sql::PositionOf(ctx.text, ctx.statement_offset).line,
                          0,
                          absl::StrCat("index ", Quote(name),
                                       " does not exist"));
      }
    } else if (kind == "OBJECT_SEQUENCE") {
      relnames_.erase(name);
    }
  }
}

void SchemaModel::MoveTable(const std::string& name, const std::string& qualified) {
  auto it = tables_.find(name);
  if (it == tables_.end() || name == qualified) return;
  TableState moved = std::move(it->second);
  tables_.erase(it);
  moved.table.set_name(qualified);
  for (auto& [other_name, other] : tables_) {
    for (v1::ForeignKey& fk : *other.table.mutable_foreign_keys()) {
      if (fk.references_table() == name) fk.set_references_table(qualified);
    }
  }
  for (v1::ForeignKey& fk : *moved.table.mutable_foreign_keys()) {
    if (fk.references_table() == name) fk.set_references_table(qualified);
  }
  tables_.emplace(qualified, std::move(moved));
  std::replace(order_.begin(), order_.end(), name, qualified);
  relnames_.erase(name);
  relnames_.insert(qualified);
}

// ALTER TABLE t SET SCHEMA s: the table (with its columns, keys and
// indexes) is now s.t, and foreign keys that reference it follow.
void SchemaModel::SetSchema(Context& ctx, const json& stmt) {
  if (StringMember(stmt, "objectType") != "OBJECT_TABLE") return;
  const json* rel = Member(stmt, "relation");
  if (rel == nullptr) return;
  std::string name = RelationName(*rel);
  if (BoolMember(stmt, "missing_ok") && !tables_.count(name)) return;
  if (RequireTable(ctx, name, LocationOf(*rel), "move") == nullptr) return;
  std::string schema = StringMember(stmt, "newschema");
  std::string relname = StringMember(*rel, "relname");
  MoveTable(name, schema.empty() || schema == "public" ? relname : schema + "." + relname);
}

void SchemaModel::Rename(Context& ctx, const json& stmt) {
  std::string kind = StringMember(stmt, "renameType");
  const json* rel = Member(stmt, "relation");
  std::string newname = StringMember(stmt, "newname");
  std::string subname = StringMember(stmt, "subname");
  bool missing_ok = BoolMember(stmt, "missing_ok");
  if (rel == nullptr) return;
  std::string name = RelationName(*rel);
  std::string schema = StringMember(*rel, "schemaname");
  if (kind == "OBJECT_TABLE") {
    if (missing_ok && !tables_.count(name)) return;
    TableState* t = RequireTable(ctx, name, LocationOf(*rel), "rename");
    if (t == nullptr) return;
    std::string qualified =
        !schema.empty() && schema != "public" ? schema + "." + newname : newname;
    MoveTable(name, qualified);
  } else if (kind == "OBJECT_COLUMN") {
    if (missing_ok && !tables_.count(name)) return;
    TableState* t = RequireTable(ctx, name, LocationOf(*rel), "rename a column of");
    if (t == nullptr) return;
    v1::Column* c = FindColumn(t->table, subname);
    if (c == nullptr) {
      sql::LineCol at = sql::PositionOf(ctx.text, ctx.Location(LocationOf(*rel)));
      diagnostics_->Add(ctx.path, at.line, at.column,
                        absl::StrCat("column ", Quote(subname),
                                     " does not exist in table ", Quote(name)));
      return;
    }
    c->set_name(newname);
    auto rename_in = [&](google::protobuf::RepeatedPtrField<std::string>* list) {
      for (std::string& s : *list) {
        if (s == subname) s = newname;
      }
    };
    rename_in(t->table.mutable_primary_key());
    for (v1::ForeignKey& fk : *t->table.mutable_foreign_keys()) {
      rename_in(fk.mutable_columns());
    }
    for (v1::Index& ix : *t->table.mutable_indexes()) {
      rename_in(ix.mutable_columns());
    }
    for (auto& [other_name, other] : tables_) {
      for (v1::ForeignKey& fk : *other.table.mutable_foreign_keys()) {
        if (fk.references_table() == name) {
          rename_in(fk.mutable_references_columns());
        }
      }
    }
  } else if (kind == "OBJECT_TABCONSTRAINT") {
    auto it = tables_.find(name);
    if (it == tables_.end()) return;
    for (v1::ForeignKey& fk : *it->second.table.mutable_foreign_keys()) {
      if (fk.name() == subname) fk.set_name(newname);
    }
    for (v1::Index& ix : *it->second.table.mutable_indexes()) {
      if (ix.constraint() && ix.name() == subname) {
        ix.set_name(newname);
        relnames_.erase(subname);
        relnames_.insert(newname);
      }
    }
    for (std::string& c : it->second.checks) {
      if (c == subname) c = newname;
    }
    connames_.erase(subname);
    connames_.insert(newname);
  } else if (kind == "OBJECT_INDEX") {
    for (auto& [table_name, t] : tables_) {
      for (v1::Index& ix : *t.table.mutable_indexes()) {
        if (ix.name() == name) {
          ix.set_name(newname);
          if (ix.constraint()) {
            connames_.erase(name);
            connames_.insert(newname);
          }
        }
      }
    }
    relnames_.erase(name);
    relnames_.insert(newname);
  }
}

}  // namespace schemagate::generator::internal
