// The import's SQL analysis (analyze.h): what each statement of a flat
// migration creates, changes, drops and mentions. This file has the walk
// (Run, the visitors collecting mentions), the name helpers, CREATE and
// ALTER TABLE, functions and sequences; analyze_statement.cc the rest.
#include "server/generator/import/analyze.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pg_walk.h"
#include "server/generator/import/analyze_internal.h"
#include "server/sql/pg_names.h"
#include "server/sql/pg_proto.h"

namespace schemagate::generator::import {
namespace analyze_internal {

std::vector<std::string> Strings(const RepeatedPtrField<Node>& list) {
  std::vector<std::string> out;
  for (const Node& n : list) out.push_back(sql::StringOf(n));
  return out;
}

// "t" / "s.t" from the leading parts of a name list whose last `drop`
// elements are not part of the relation name (a column, a trigger name).
std::string RelationOfList(const RepeatedPtrField<Node>& list, int drop) {
  RepeatedPtrField<Node> head;
  for (int i = 0; i + drop < list.size(); ++i) *head.Add() = list[i];
  return sql::QualifiedName(head);
}

std::string Last(const RepeatedPtrField<Node>& list) {
  return list.empty() ? "" : sql::StringOf(list[list.size() - 1]);
}

// A qualified name moved to `schema` ("t" stays "t" in public).
std::string InSchema(const std::string& schema, const std::string& name) {
  std::string bare = sql::BareName(name);
  return schema.empty() || schema == "public" ? bare : schema + "." + bare;
}

std::string SchemaOf(const std::string& name) {
  size_t dot = name.rfind('.');
  return dot == std::string::npos ? "" : name.substr(0, dot);
}

// Identifiers and the words inside string constants of a body that is not
// parsed (PL/pgSQL, or SQL of another language): every word that could name
// an object, lowercased unless quoted, with "a.b" for qualified ones.
void ScanWords(absl::string_view text, int depth, std::set<std::string>* out) {
  absl::StatusOr<pg_query::ScanResult> scan = sql::Scan(text);
  if (!scan.ok()) {
    // Not scannable as SQL: fall back to runs of identifier characters.
    std::string word;
    for (char c : std::string(text) + " ") {
      if (absl::ascii_isalnum(c) || c == '_' || c == '.') {
        word += absl::ascii_tolower(c);
      } else if (!word.empty()) {
        out->insert(word);
        size_t dot = word.rfind('.');
        if (dot != std::string::npos) out->insert(word.substr(dot + 1));
        word.clear();
      }
    }
    return;
  }
  std::string previous;  // the last word, for "a . b"
  bool dot = false;
  for (const pg_query::ScanToken& t : scan->tokens()) {
    absl::string_view raw = text.substr(t.start(), t.end() - t.start());
    if (t.token() == pg_query::SCONST || t.token() == pg_query::USCONST) {
      if (depth < 2) {
        std::string inner(raw);
        if (absl::StartsWith(inner, "$")) {
          size_t open = inner.find('$', 1);
          size_t close = inner.rfind('$', inner.size() - 2);
          if (open != std::string::npos && close != std::string::npos && close > open) {
            inner = inner.substr(open + 1, inner.rfind('$', close - 1) - open - 1);
          }
        } else {
          size_t q = inner.find('\'');
          if (q != std::string::npos && inner.size() >= q + 2) {
            inner = inner.substr(q + 1, inner.size() - q - 2);
          }
        }
        ScanWords(inner, depth + 1, out);
      }
      previous.clear();
      dot = false;
      continue;
    }
    if (raw == ".") {
      dot = !previous.empty();
      continue;
    }
    bool word = t.token() == pg_query::IDENT || t.keyword_kind() != pg_query::NO_KEYWORD;
    if (!word) {
      previous.clear();
      dot = false;
      continue;
    }
    std::string name = absl::StartsWith(raw, "\"") && raw.size() >= 2
                           ? std::string(raw.substr(1, raw.size() - 2))
                           : absl::AsciiStrToLower(raw);
    if (dot) {
      std::string qualified = previous == "public" ? name : previous + "." + name;
      out->insert(qualified);
    }
    out->insert(name);
    previous = name;
    dot = false;
  }
}

// The text of a function body (`AS '...'` / `AS $$...$$`), or "".
std::string BodyOf(const RepeatedPtrField<Node>& options, std::string* language) {
  std::string body;
  for (const Node& o : options) {
    if (!o.has_def_elem()) continue;
    const pg_query::DefElem& d = o.def_elem();
    if (d.defname() == "as") {
      if (d.arg().has_list() && !d.arg().list().items().empty()) {
        body = sql::StringOf(d.arg().list().items(0));
      } else {
        body = sql::StringOf(d.arg());
      }
    } else if (d.defname() == "language" && language != nullptr) {
      *language = sql::StringOf(d.arg());
    }
  }
  return body;
}

namespace {

// Collects every name below a node.
class Mentions : public sql::PgVisitor {
 public:
  Mentions(StatementFacts* facts, const std::set<std::string>* ctes, bool call_strings)
      : facts_(facts), ctes_(ctes), call_strings_(call_strings) {}

  bool Pre(const pg_query::RangeVar& r) override {
    std::string name = sql::RelationName(r);
    if (r.schemaname().empty() && ctes_->count(name)) return true;
    facts_->relations.insert(name);
    return true;
  }
  bool Pre(const pg_query::TypeName& t) override {
    if (!t.names().empty() && !t.pct_type()) facts_->types.insert(sql::QualifiedName(t.names()));
    return true;
  }
  bool Pre(const pg_query::FuncCall& f) override {
    std::string name = sql::QualifiedName(f.funcname());
    facts_->functions.insert(name);
    bool names_relation = name == "nextval" || name == "currval" || name == "setval" ||
                          name == "to_regclass" || name == "pg_get_serial_sequence";
    if (names_relation || call_strings_) {
      for (const Node& a : f.args()) {
        if (a.has_a_const() && a.a_const().has_sval()) {
          facts_->strings.insert(a.a_const().sval().sval());
        }
      }
    }
    return true;
  }
  bool Pre(const pg_query::TypeCast& c) override {
    if (c.has_type_name() && sql::QualifiedName(c.type_name().names()) == "regclass" &&
        c.arg().has_a_const() && c.arg().a_const().has_sval()) {
      facts_->strings.insert(c.arg().a_const().sval().sval());
    }
    return true;
  }
  bool Pre(const pg_query::ColumnRef& c) override {
    if (c.fields().empty() || !c.fields(c.fields_size() - 1).has_string()) return true;
    std::string column = Last(c.fields());
    std::string relation = c.fields_size() >= 2 ? RelationOfList(c.fields(), 1) : "";
    facts_->columns.insert({relation, column});
    return true;
  }

 private:
  StatementFacts* facts_;
  const std::set<std::string>* ctes_;
  bool call_strings_;
};

class CteNames : public sql::PgVisitor {
 public:
  explicit CteNames(std::set<std::string>* out) : out_(out) {}
  bool Pre(const pg_query::CommonTableExpr& c) override {
    out_->insert(c.ctename());
    return true;
  }

 private:
  std::set<std::string>* out_;
};

}  // namespace

void Analyzer::Run(const Node& node) {
  CteNames ctes(&ctes_);
  sql::Walk(node, ctes);
  bool calls = node.has_select_stmt() || node.has_call_stmt();
  Specific(node);
  Mentions mentions(f_, &ctes_, calls);
  sql::Walk(node, mentions);
  // An index named where a relation could be is not a relation mention.
  for (const std::string& name : not_relations_) f_->relations.erase(name);
  // What the statement creates is not a mention of itself.
  for (const StatementFacts::Created& c : f_->creates) {
    if (c.obj.kind == ObjKind::kRelation) f_->relations.erase(c.obj.name);
    if (c.obj.kind == ObjKind::kType) f_->types.erase(c.obj.name);
    if (c.obj.kind == ObjKind::kFunction) f_->functions.erase(c.obj.name);
  }
}

void Analyzer::Create(ObjKind kind, const std::string& name, char relkind,
                      const std::string& table) {
  if (name.empty()) return;
  f_->creates.push_back({Obj{kind, name, table}, relkind});
}

void Analyzer::Subject(ObjKind kind, const std::string& name, const std::string& table) {
  if (!name.empty() && !f_->subject) f_->subject = Obj{kind, name, table};
}

void Analyzer::Constraint(const std::string& table, const std::string& column,
                          const pg_query::Constraint& c) {
  std::vector<std::string> keys = Strings(c.keys());
  std::vector<std::string> fk = Strings(c.fk_attrs());
  if (keys.empty() && !column.empty()) keys = {column};
  if (fk.empty() && !column.empty()) fk = {column};
  for (const std::string& k : keys) f_->columns.insert({table, k});
  std::string bare = sql::BareName(table);
  switch (c.contype()) {
    case pg_query::CONSTR_PRIMARY: {
      std::string name = c.conname().empty() ? sql::MakeObjectName(bare, "", "pkey") : c.conname();
      Create(ObjKind::kConstraint, name, 0, table);
      Create(ObjKind::kIndex, InSchema(SchemaOf(table), name));
      break;
    }
    case pg_query::CONSTR_UNIQUE:
    case pg_query::CONSTR_EXCLUSION: {
      std::string name =
          c.conname().empty()
              ? sql::MakeObjectName(bare, sql::NameAddition(keys),
                                    c.contype() == pg_query::CONSTR_UNIQUE ? "key" : "excl")
              : c.conname();
      Create(ObjKind::kConstraint, name, 0, table);
      Create(ObjKind::kIndex, InSchema(SchemaOf(table), name));
      if (!c.indexname().empty()) {
        f_->objects.insert(Obj{ObjKind::kIndex, InSchema(SchemaOf(table), c.indexname()), ""});
      }
      break;
    }
    case pg_query::CONSTR_FOREIGN: {
      std::string ref = c.has_pktable() ? sql::RelationName(c.pktable()) : "";
      for (const std::string& k : fk) f_->columns.insert({table, k});
      for (const std::string& k : Strings(c.pk_attrs())) f_->columns.insert({ref, k});
      std::string name = c.conname().empty()
                             ? sql::MakeObjectName(bare, sql::NameAddition(fk), "fkey")
                             : c.conname();
      Create(ObjKind::kConstraint, name, 0, table);
      f_->foreign_keys.push_back({table, ref, name});
      break;
    }
    case pg_query::CONSTR_CHECK: {
      std::string name =
          c.conname().empty() ? sql::MakeObjectName(bare, column, "check") : c.conname();
      Create(ObjKind::kConstraint, name, 0, table);
      break;
    }
    default:
      if (!c.conname().empty()) Create(ObjKind::kConstraint, c.conname(), 0, table);
      break;
  }
}

void Analyzer::ColumnDef(const std::string& table, const pg_query::ColumnDef& def) {
  if (def.has_type_name()) {
    std::string type = absl::AsciiStrToLower(sql::QualifiedName(def.type_name().names()));
    if (type == "serial" || type == "bigserial" || type == "smallserial" || type == "serial4" ||
        type == "serial8" || type == "serial2") {
      Create(ObjKind::kRelation,
             InSchema(SchemaOf(table),
                      sql::MakeObjectName(sql::BareName(table), def.colname(), "seq")),
             'S');
    }
  }
  for (const Node& n : def.constraints()) {
    if (!n.has_constraint()) continue;
    if (n.constraint().contype() == pg_query::CONSTR_IDENTITY) {
      Create(ObjKind::kRelation,
             InSchema(SchemaOf(table),
                      sql::MakeObjectName(sql::BareName(table), def.colname(), "seq")),
             'S');
    }
    Constraint(table, def.colname(), n.constraint());
  }
}

void Analyzer::TableElements(const std::string& table, const RepeatedPtrField<Node>& elts) {
  for (const Node& e : elts) {
    if (e.has_column_def()) {
      ColumnDef(table, e.column_def());
    } else if (e.has_constraint()) {
      Constraint(table, "", e.constraint());
    }
  }
}

void Analyzer::AlterTable(const pg_query::AlterTableStmt& s) {
  std::string table = sql::RelationName(s.relation());
  if (s.objtype() == pg_query::OBJECT_INDEX) {
    Subject(ObjKind::kIndex, table);
    f_->objects.insert(Obj{ObjKind::kIndex, table, ""});
    not_relations_.insert(table);
    return;
  }
  Subject(ObjKind::kRelation, table);
  for (const Node& n : s.cmds()) {
    if (!n.has_alter_table_cmd()) continue;
    const pg_query::AlterTableCmd& c = n.alter_table_cmd();
    switch (c.subtype()) {
      case pg_query::AT_AddColumn:
      case pg_query::AT_AddColumnRecurse:
        if (c.def().has_column_def()) {
          f_->added_columns.push_back({table, c.def().column_def().colname()});
          ColumnDef(table, c.def().column_def());
        }
        break;
      case pg_query::AT_DropColumn:
      case pg_query::AT_DropColumnRecurse:
        f_->columns.insert({table, c.name()});
        f_->drops.push_back(Obj{ObjKind::kColumn, c.name(), table});
        break;
      case pg_query::AT_AlterColumnType:
        f_->columns.insert({table, c.name()});
        f_->retyped_columns.push_back({table, c.name()});
        break;
      case pg_query::AT_AddConstraint:
      case pg_query::AT_AddConstraintRecurse:
        if (c.def().has_constraint()) Constraint(table, "", c.def().constraint());
        break;
      case pg_query::AT_DropConstraint:
      case pg_query::AT_DropConstraintRecurse:
        f_->objects.insert(Obj{ObjKind::kConstraint, c.name(), table});
        f_->drops.push_back(Obj{ObjKind::kConstraint, c.name(), table});
        break;
      case pg_query::AT_ValidateConstraint:
      case pg_query::AT_ValidateConstraintRecurse:
      case pg_query::AT_AlterConstraint:
        f_->objects.insert(Obj{ObjKind::kConstraint, c.name(), table});
        break;
      case pg_query::AT_EnableTrig:
      case pg_query::AT_EnableAlwaysTrig:
      case pg_query::AT_EnableReplicaTrig:
      case pg_query::AT_DisableTrig:
        f_->objects.insert(Obj{ObjKind::kTrigger, c.name(), table});
        break;
      case pg_query::AT_EnableRule:
      case pg_query::AT_EnableAlwaysRule:
      case pg_query::AT_EnableReplicaRule:
      case pg_query::AT_DisableRule:
        f_->objects.insert(Obj{ObjKind::kRule, c.name(), table});
        break;
      case pg_query::AT_ClusterOn:
        f_->objects.insert(Obj{ObjKind::kIndex, InSchema(SchemaOf(table), c.name()), ""});
        break;
      default:
        // Column operations name the column in `name`.
        if (!c.name().empty()) f_->columns.insert({table, c.name()});
        break;
    }
  }
}

void Analyzer::Function(const pg_query::CreateFunctionStmt& s) {
  std::string name = sql::QualifiedName(s.funcname());
  Create(ObjKind::kFunction, name);
  std::string language;
  std::string body = BodyOf(s.options(), &language);
  if (!body.empty()) {
    f_->has_body = true;
    ScanWords(body, 0, &f_->body_words);
  }
}

void Analyzer::Sequence(const std::string& sequence, const RepeatedPtrField<Node>& options) {
  for (const Node& o : options) {
    if (!o.has_def_elem() || o.def_elem().defname() != "owned_by") continue;
    if (!o.def_elem().arg().has_list()) continue;
    const auto& items = o.def_elem().arg().list().items();
    if (items.size() < 2) continue;  // OWNED BY NONE
    std::string table = RelationOfList(items, 1);
    f_->relations.insert(table);
    f_->columns.insert({table, Last(items)});
    f_->sequence_owners.push_back({sequence, table});
  }
}

}  // namespace analyze_internal

absl::StatusOr<std::vector<StatementFacts>> AnalyzeSql(absl::string_view sql) {
  absl::StatusOr<sql::ProtoTree> tree = sql::ParseProto(sql);
  if (!tree.ok()) return tree.status();
  std::vector<StatementFacts> out;
  out.reserve(tree->statements.size());
  for (const sql::ProtoStatement& s : tree->statements) {
    StatementFacts f;
    f.offset = s.offset;
    f.length = s.length;
    analyze_internal::Analyzer(&f).Run(*s.node);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace schemagate::generator::import