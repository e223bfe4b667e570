#include "server/generator/import/analyze.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pg_walk.h"
#include "server/sql/pg_names.h"
#include "server/sql/pg_proto.h"

namespace schemagate::generator::import {
namespace {

using google::protobuf::RepeatedPtrField;
using pg_query::Node;

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

class Analyzer {
 public:
  explicit Analyzer(StatementFacts* f) : f_(f) {}

  void Run(const Node& node) {
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

 private:
  void Create(ObjKind kind, const std::string& name, char relkind = 0,
              const std::string& table = "") {
    if (name.empty()) return;
    f_->creates.push_back({Obj{kind, name, table}, relkind});
  }
  void Subject(ObjKind kind, const std::string& name, const std::string& table = "") {
    if (!name.empty() && !f_->subject) f_->subject = Obj{kind, name, table};
  }

  // Constraints of a table (column-level when `column` is set).
  void Constraint(const std::string& table, const std::string& column,
                  const pg_query::Constraint& c) {
    std::vector<std::string> keys = Strings(c.keys());
    std::vector<std::string> fk = Strings(c.fk_attrs());
    if (keys.empty() && !column.empty()) keys = {column};
    if (fk.empty() && !column.empty()) fk = {column};
    for (const std::string& k : keys) f_->columns.insert({table, k});
    std::string bare = sql::BareName(table);
    switch (c.contype()) {
      case pg_query::CONSTR_PRIMARY: {
        std::string name =
            c.conname().empty() ? sql::MakeObjectName(bare, "", "pkey") : c.conname();
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

  void ColumnDef(const std::string& table, const pg_query::ColumnDef& def) {
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

  void TableElements(const std::string& table, const RepeatedPtrField<Node>& elts) {
    for (const Node& e : elts) {
      if (e.has_column_def()) {
        ColumnDef(table, e.column_def());
      } else if (e.has_constraint()) {
        Constraint(table, "", e.constraint());
      }
    }
  }

  void AlterTable(const pg_query::AlterTableStmt& s) {
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

  void Drop(const pg_query::DropStmt& s) {
    if (s.concurrent()) f_->no_transaction = true;
    for (const Node& o : s.objects()) {
      switch (s.remove_type()) {
        case pg_query::OBJECT_TABLE:
        case pg_query::OBJECT_VIEW:
        case pg_query::OBJECT_MATVIEW:
        case pg_query::OBJECT_SEQUENCE:
        case pg_query::OBJECT_FOREIGN_TABLE:
          if (o.has_list()) {
            std::string name = sql::QualifiedName(o.list().items());
            Subject(ObjKind::kRelation, name);
            f_->relations.insert(name);
            f_->drops.push_back(Obj{ObjKind::kRelation, name, ""});
          }
          break;
        case pg_query::OBJECT_INDEX:
          if (o.has_list()) {
            std::string name = sql::QualifiedName(o.list().items());
            Subject(ObjKind::kIndex, name);
            f_->objects.insert(Obj{ObjKind::kIndex, name, ""});
            f_->drops.push_back(Obj{ObjKind::kIndex, name, ""});
          }
          break;
        case pg_query::OBJECT_TYPE:
        case pg_query::OBJECT_DOMAIN:
          if (o.has_type_name()) {
            std::string name = sql::QualifiedName(o.type_name().names());
            Subject(ObjKind::kType, name);
            f_->drops.push_back(Obj{ObjKind::kType, name, ""});
          }
          break;
        case pg_query::OBJECT_FUNCTION:
        case pg_query::OBJECT_PROCEDURE:
        case pg_query::OBJECT_AGGREGATE:
        case pg_query::OBJECT_ROUTINE:
          if (o.has_object_with_args()) {
            std::string name = sql::QualifiedName(o.object_with_args().objname());
            Subject(ObjKind::kFunction, name);
            f_->functions.insert(name);
            f_->drops.push_back(Obj{ObjKind::kFunction, name, ""});
          }
          break;
        case pg_query::OBJECT_TRIGGER:
        case pg_query::OBJECT_POLICY:
        case pg_query::OBJECT_RULE:
          if (o.has_list() && o.list().items_size() >= 2) {
            ObjKind kind = s.remove_type() == pg_query::OBJECT_TRIGGER  ? ObjKind::kTrigger
                           : s.remove_type() == pg_query::OBJECT_POLICY ? ObjKind::kPolicy
                                                                        : ObjKind::kRule;
            std::string table = RelationOfList(o.list().items(), 1);
            std::string name = Last(o.list().items());
            Subject(ObjKind::kRelation, table);
            f_->relations.insert(table);
            f_->objects.insert(Obj{kind, name, table});
            f_->drops.push_back(Obj{kind, name, table});
          }
          break;
        default:
          break;
      }
    }
  }

  void Rename(const pg_query::RenameStmt& s) {
    std::string table = s.has_relation() ? sql::RelationName(s.relation()) : "";
    std::string schema = SchemaOf(table);
    switch (s.rename_type()) {
      case pg_query::OBJECT_TABLE:
      case pg_query::OBJECT_VIEW:
      case pg_query::OBJECT_MATVIEW:
      case pg_query::OBJECT_SEQUENCE:
      case pg_query::OBJECT_FOREIGN_TABLE:
        Subject(ObjKind::kRelation, table);
        f_->renames.push_back({Obj{ObjKind::kRelation, table, ""}, InSchema(schema, s.newname())});
        break;
      case pg_query::OBJECT_INDEX:
        Subject(ObjKind::kIndex, table);
        f_->objects.insert(Obj{ObjKind::kIndex, table, ""});
        f_->renames.push_back({Obj{ObjKind::kIndex, table, ""}, InSchema(schema, s.newname())});
        not_relations_.insert(table);
        break;
      case pg_query::OBJECT_COLUMN:
      case pg_query::OBJECT_ATTRIBUTE:
        Subject(ObjKind::kRelation, table);
        f_->columns.insert({table, s.subname()});
        f_->renames.push_back({Obj{ObjKind::kColumn, s.subname(), table}, s.newname()});
        break;
      case pg_query::OBJECT_TABCONSTRAINT:
        Subject(ObjKind::kRelation, table);
        f_->objects.insert(Obj{ObjKind::kConstraint, s.subname(), table});
        f_->renames.push_back({Obj{ObjKind::kConstraint, s.subname(), table}, s.newname()});
        break;
      case pg_query::OBJECT_TRIGGER:
      case pg_query::OBJECT_POLICY:
      case pg_query::OBJECT_RULE: {
        ObjKind kind = s.rename_type() == pg_query::OBJECT_TRIGGER  ? ObjKind::kTrigger
                       : s.rename_type() == pg_query::OBJECT_POLICY ? ObjKind::kPolicy
                                                                    : ObjKind::kRule;
        Subject(ObjKind::kRelation, table);
        f_->objects.insert(Obj{kind, s.subname(), table});
        f_->renames.push_back({Obj{kind, s.subname(), table}, s.newname()});
        break;
      }
      case pg_query::OBJECT_TYPE:
      case pg_query::OBJECT_DOMAIN:
        if (s.object().has_list()) {
          std::string name = sql::QualifiedName(s.object().list().items());
          Subject(ObjKind::kType, name);
          f_->renames.push_back(
              {Obj{ObjKind::kType, name, ""}, InSchema(SchemaOf(name), s.newname())});
        }
        break;
      case pg_query::OBJECT_FUNCTION:
      case pg_query::OBJECT_PROCEDURE:
      case pg_query::OBJECT_ROUTINE:
      case pg_query::OBJECT_AGGREGATE:
        if (s.object().has_object_with_args()) {
          std::string name = sql::QualifiedName(s.object().object_with_args().objname());
          Subject(ObjKind::kFunction, name);
          f_->renames.push_back(
              {Obj{ObjKind::kFunction, name, ""}, InSchema(SchemaOf(name), s.newname())});
        }
        break;
      default:
        break;
    }
  }

  // COMMENT ON / ALTER ... OWNER / SET SCHEMA: the object they name.
  void NamedObject(pg_query::ObjectType type, const Node& object) {
    switch (type) {
      case pg_query::OBJECT_TABLE:
      case pg_query::OBJECT_VIEW:
      case pg_query::OBJECT_MATVIEW:
      case pg_query::OBJECT_SEQUENCE:
      case pg_query::OBJECT_FOREIGN_TABLE:
        if (object.has_list()) {
          std::string name = sql::QualifiedName(object.list().items());
          Subject(ObjKind::kRelation, name);
          f_->relations.insert(name);
        }
        break;
      case pg_query::OBJECT_INDEX:
        if (object.has_list()) {
          std::string name = sql::QualifiedName(object.list().items());
          Subject(ObjKind::kIndex, name);
          f_->objects.insert(Obj{ObjKind::kIndex, name, ""});
        }
        break;
      case pg_query::OBJECT_COLUMN:
        if (object.has_list() && object.list().items_size() >= 2) {
          std::string table = RelationOfList(object.list().items(), 1);
          Subject(ObjKind::kRelation, table);
          f_->relations.insert(table);
          f_->columns.insert({table, Last(object.list().items())});
        }
        break;
      case pg_query::OBJECT_TABCONSTRAINT:
      case pg_query::OBJECT_TRIGGER:
      case pg_query::OBJECT_POLICY:
      case pg_query::OBJECT_RULE:
        if (object.has_list() && object.list().items_size() >= 2) {
          ObjKind kind = type == pg_query::OBJECT_TABCONSTRAINT ? ObjKind::kConstraint
                         : type == pg_query::OBJECT_TRIGGER     ? ObjKind::kTrigger
                         : type == pg_query::OBJECT_POLICY      ? ObjKind::kPolicy
                                                                : ObjKind::kRule;
          std::string table = RelationOfList(object.list().items(), 1);
          Subject(ObjKind::kRelation, table);
          f_->relations.insert(table);
          f_->objects.insert(Obj{kind, Last(object.list().items()), table});
        }
        break;
      case pg_query::OBJECT_TYPE:
      case pg_query::OBJECT_DOMAIN:
        if (object.has_type_name()) {
          Subject(ObjKind::kType, sql::QualifiedName(object.type_name().names()));
        } else if (object.has_list()) {
          Subject(ObjKind::kType, sql::QualifiedName(object.list().items()));
        }
        break;
      case pg_query::OBJECT_FUNCTION:
      case pg_query::OBJECT_PROCEDURE:
      case pg_query::OBJECT_ROUTINE:
      case pg_query::OBJECT_AGGREGATE:
        if (object.has_object_with_args()) {
          std::string name = sql::QualifiedName(object.object_with_args().objname());
          Subject(ObjKind::kFunction, name);
          f_->functions.insert(name);
        }
        break;
      default:
        break;
    }
  }

  void Function(const pg_query::CreateFunctionStmt& s) {
    std::string name = sql::QualifiedName(s.funcname());
    Create(ObjKind::kFunction, name);
    std::string language;
    std::string body = BodyOf(s.options(), &language);
    if (!body.empty()) {
      f_->has_body = true;
      ScanWords(body, 0, &f_->body_words);
    }
  }

  void Specific(const Node& node) {
    switch (node.node_case()) {
      case Node::kCreateStmt: {
        const pg_query::CreateStmt& s = node.create_stmt();
        std::string table = sql::RelationName(s.relation());
        f_->what = "CREATE TABLE";
        Create(ObjKind::kRelation, table, 't');
        TableElements(table, s.table_elts());
        for (const Node& c : s.constraints()) {
          if (c.has_constraint()) Constraint(table, "", c.constraint());
        }
        break;
      }
      case Node::kCreateTableAsStmt: {
        const pg_query::CreateTableAsStmt& s = node.create_table_as_stmt();
        bool matview = s.objtype() == pg_query::OBJECT_MATVIEW;
        f_->what = matview              ? "CREATE MATERIALIZED VIEW"
                   : s.is_select_into() ? "SELECT INTO"
                                        : "CREATE TABLE AS";
        if (s.has_into() && s.into().has_rel()) {
          Create(ObjKind::kRelation, sql::RelationName(s.into().rel()), matview ? 'm' : 't');
        }
        break;
      }
      case Node::kViewStmt:
        f_->what = "CREATE VIEW";
        Create(ObjKind::kRelation, sql::RelationName(node.view_stmt().view()), 'v');
        break;
      case Node::kCreateSeqStmt: {
        const pg_query::CreateSeqStmt& s = node.create_seq_stmt();
        f_->what = "CREATE SEQUENCE";
        Create(ObjKind::kRelation, sql::RelationName(s.sequence()), 'S');
        Sequence(sql::RelationName(s.sequence()), s.options());
        break;
      }
      case Node::kAlterSeqStmt: {
        const pg_query::AlterSeqStmt& s = node.alter_seq_stmt();
        f_->what = "ALTER SEQUENCE";
        Subject(ObjKind::kRelation, sql::RelationName(s.sequence()));
        Sequence(sql::RelationName(s.sequence()), s.options());
        break;
      }
      case Node::kAlterTableStmt:
        f_->what = node.alter_table_stmt().objtype() == pg_query::OBJECT_INDEX ? "ALTER INDEX"
                                                                               : "ALTER TABLE";
        AlterTable(node.alter_table_stmt());
        break;
      case Node::kIndexStmt: {
        const pg_query::IndexStmt& s = node.index_stmt();
        f_->what = "CREATE INDEX";
        std::string table = sql::RelationName(s.relation());
        Subject(ObjKind::kRelation, table);
        std::vector<std::string> cols;
        for (const Node& p : s.index_params()) {
          if (p.has_index_elem() && !p.index_elem().name().empty()) {
            cols.push_back(p.index_elem().name());
            f_->columns.insert({table, p.index_elem().name()});
          } else {
            cols.push_back("expr");
          }
        }
        std::string name = s.idxname().empty()
                               ? sql::MakeObjectName(sql::BareName(table), sql::NameAddition(cols),
                                                     s.unique() ? "key" : "idx")
                               : s.idxname();
        Create(ObjKind::kIndex, InSchema(SchemaOf(table), name));
        if (s.concurrent()) f_->no_transaction = true;
        break;
      }
      case Node::kCreateTrigStmt: {
        const pg_query::CreateTrigStmt& s = node.create_trig_stmt();
        f_->what = "CREATE TRIGGER";
        std::string table = sql::RelationName(s.relation());
        Subject(ObjKind::kRelation, table);
        Create(ObjKind::kTrigger, s.trigname(), 0, table);
        f_->functions.insert(sql::QualifiedName(s.funcname()));
        for (const Node& a : s.args()) {
          std::string arg = sql::StringOf(a);
          if (!arg.empty()) f_->strings.insert(arg);
        }
        for (const Node& c : s.columns()) f_->columns.insert({table, sql::StringOf(c)});
        break;
      }
      case Node::kCreatePolicyStmt: {
        const pg_query::CreatePolicyStmt& s = node.create_policy_stmt();
        f_->what = "CREATE POLICY";
        std::string table = sql::RelationName(s.table());
        Subject(ObjKind::kRelation, table);
        Create(ObjKind::kPolicy, s.policy_name(), 0, table);
        break;
      }
      case Node::kRuleStmt: {
        const pg_query::RuleStmt& s = node.rule_stmt();
        f_->what = "CREATE RULE";
        std::string table = sql::RelationName(s.relation());
        Subject(ObjKind::kRelation, table);
        Create(ObjKind::kRule, s.rulename(), 0, table);
        break;
      }
      case Node::kCreateFunctionStmt:
        f_->what =
            node.create_function_stmt().is_procedure() ? "CREATE PROCEDURE" : "CREATE FUNCTION";
        Function(node.create_function_stmt());
        break;
      case Node::kDoStmt: {
        f_->what = "DO";
        std::string body = BodyOf(node.do_stmt().args(), nullptr);
        f_->has_body = true;
        ScanWords(body, 0, &f_->body_words);
        break;
      }
      case Node::kAlterFunctionStmt:
        f_->what = "ALTER FUNCTION";
        if (node.alter_function_stmt().has_func()) {
          Subject(ObjKind::kFunction,
                  sql::QualifiedName(node.alter_function_stmt().func().objname()));
        }
        break;
      case Node::kDropStmt:
        f_->what = "DROP";
        Drop(node.drop_stmt());
        break;
      case Node::kRenameStmt:
        f_->what = "RENAME";
        Rename(node.rename_stmt());
        break;
      case Node::kAlterObjectSchemaStmt: {
        const pg_query::AlterObjectSchemaStmt& s = node.alter_object_schema_stmt();
        f_->what = "SET SCHEMA";
        if (s.has_relation()) {
          std::string table = sql::RelationName(s.relation());
          Subject(ObjKind::kRelation, table);
          f_->renames.push_back(
              {Obj{ObjKind::kRelation, table, ""}, InSchema(s.newschema(), table)});
        } else {
          NamedObject(s.object_type(), s.object());
        }
        break;
      }
      case Node::kCommentStmt:
        f_->what = "COMMENT";
        NamedObject(node.comment_stmt().objtype(), node.comment_stmt().object());
        break;
      case Node::kAlterOwnerStmt: {
        const pg_query::AlterOwnerStmt& s = node.alter_owner_stmt();
        f_->what = "ALTER OWNER";
        if (s.has_relation()) {
          Subject(ObjKind::kRelation, sql::RelationName(s.relation()));
        } else {
          NamedObject(s.object_type(), s.object());
        }
        break;
      }
      case Node::kGrantStmt: {
        const pg_query::GrantStmt& s = node.grant_stmt();
        f_->what = s.is_grant() ? "GRANT" : "REVOKE";
        if (s.targtype() != pg_query::ACL_TARGET_OBJECT) break;
        for (const Node& o : s.objects()) {
          if (o.has_range_var()) {
            Subject(ObjKind::kRelation, sql::RelationName(o.range_var()));
          } else if (o.has_object_with_args()) {
            std::string name = sql::QualifiedName(o.object_with_args().objname());
            Subject(ObjKind::kFunction, name);
            f_->functions.insert(name);
          } else if (o.has_type_name()) {
            Subject(ObjKind::kType, sql::QualifiedName(o.type_name().names()));
          }
        }
        break;
      }
      case Node::kInsertStmt: {
        const pg_query::InsertStmt& s = node.insert_stmt();
        f_->what = "INSERT";
        f_->data = true;
        std::string table = sql::RelationName(s.relation());
        Subject(ObjKind::kRelation, table);
        for (const Node& c : s.cols()) {
          if (c.has_res_target()) f_->columns.insert({table, c.res_target().name()});
        }
        break;
      }
      case Node::kUpdateStmt: {
        const pg_query::UpdateStmt& s = node.update_stmt();
        f_->what = "UPDATE";
        f_->data = true;
        std::string table = sql::RelationName(s.relation());
        Subject(ObjKind::kRelation, table);
        for (const Node& c : s.target_list()) {
          if (c.has_res_target()) f_->columns.insert({table, c.res_target().name()});
        }
        break;
      }
      case Node::kDeleteStmt:
        f_->what = "DELETE";
        f_->data = true;
        Subject(ObjKind::kRelation, sql::RelationName(node.delete_stmt().relation()));
        break;
      case Node::kMergeStmt:
        f_->what = "MERGE";
        f_->data = true;
        Subject(ObjKind::kRelation, sql::RelationName(node.merge_stmt().relation()));
        break;
      case Node::kCopyStmt: {
        const pg_query::CopyStmt& s = node.copy_stmt();
        f_->what = "COPY";
        f_->data = true;
        if (s.has_relation()) {
          std::string table = sql::RelationName(s.relation());
          Subject(ObjKind::kRelation, table);
          for (const Node& c : s.attlist()) f_->columns.insert({table, sql::StringOf(c)});
        }
        break;
      }
      case Node::kTruncateStmt:
        f_->what = "TRUNCATE";
        for (const Node& r : node.truncate_stmt().relations()) {
          if (r.has_range_var()) Subject(ObjKind::kRelation, sql::RelationName(r.range_var()));
        }
        break;
      case Node::kLockStmt:
        f_->what = "LOCK";
        for (const Node& r : node.lock_stmt().relations()) {
          if (r.has_range_var()) Subject(ObjKind::kRelation, sql::RelationName(r.range_var()));
        }
        break;
      case Node::kVacuumStmt:
        f_->what = node.vacuum_stmt().is_vacuumcmd() ? "VACUUM" : "ANALYZE";
        if (node.vacuum_stmt().is_vacuumcmd()) f_->no_transaction = true;
        for (const Node& r : node.vacuum_stmt().rels()) {
          if (r.has_vacuum_relation() && r.vacuum_relation().has_relation()) {
            Subject(ObjKind::kRelation, sql::RelationName(r.vacuum_relation().relation()));
          }
        }
        break;
      case Node::kClusterStmt:
        f_->what = "CLUSTER";
        if (node.cluster_stmt().has_relation()) {
          Subject(ObjKind::kRelation, sql::RelationName(node.cluster_stmt().relation()));
        }
        break;
      case Node::kReindexStmt: {
        const pg_query::ReindexStmt& s = node.reindex_stmt();
        f_->what = "REINDEX";
        for (const Node& p : s.params()) {
          if (p.has_def_elem() && p.def_elem().defname() == "concurrently") {
            f_->no_transaction = true;
          }
        }
        if (s.has_relation()) {
          std::string name = sql::RelationName(s.relation());
          if (s.kind() == pg_query::REINDEX_OBJECT_INDEX) {
            Subject(ObjKind::kIndex, name);
            f_->objects.insert(Obj{ObjKind::kIndex, name, ""});
            not_relations_.insert(name);
          } else {
            Subject(ObjKind::kRelation, name);
          }
        } else {
          f_->no_transaction = f_->no_transaction || s.kind() != pg_query::REINDEX_OBJECT_INDEX;
        }
        break;
      }
      case Node::kRefreshMatViewStmt:
        f_->what = "REFRESH MATERIALIZED VIEW";
        Subject(ObjKind::kRelation, sql::RelationName(node.refresh_mat_view_stmt().relation()));
        break;
      case Node::kCreateEnumStmt:
        f_->what = "CREATE TYPE";
        Create(ObjKind::kType, sql::QualifiedName(node.create_enum_stmt().type_name()));
        break;
      case Node::kCreateRangeStmt:
        f_->what = "CREATE TYPE";
        Create(ObjKind::kType, sql::QualifiedName(node.create_range_stmt().type_name()));
        break;
      case Node::kCreateDomainStmt:
        f_->what = "CREATE DOMAIN";
        Create(ObjKind::kType, sql::QualifiedName(node.create_domain_stmt().domainname()));
        break;
      case Node::kCompositeTypeStmt:
        f_->what = "CREATE TYPE";
        Create(ObjKind::kType, sql::RelationName(node.composite_type_stmt().typevar()));
        break;
      case Node::kDefineStmt: {
        const pg_query::DefineStmt& s = node.define_stmt();
        f_->what = "CREATE";
        if (s.kind() == pg_query::OBJECT_TYPE) {
          Create(ObjKind::kType, sql::QualifiedName(s.defnames()));
        } else if (s.kind() == pg_query::OBJECT_AGGREGATE) {
          Create(ObjKind::kFunction, sql::QualifiedName(s.defnames()));
        }
        break;
      }
      case Node::kAlterEnumStmt:
        f_->what = "ALTER TYPE";
        Subject(ObjKind::kType, sql::QualifiedName(node.alter_enum_stmt().type_name()));
        break;
      case Node::kAlterDomainStmt:
        f_->what = "ALTER DOMAIN";
        Subject(ObjKind::kType, sql::QualifiedName(node.alter_domain_stmt().type_name()));
        break;
      case Node::kTransactionStmt:
        f_->what = "transaction control";
        f_->transaction_control = true;
        break;
      case Node::kVariableSetStmt:
        f_->what = "SET";
        f_->session = true;
        break;
      case Node::kSelectStmt:
        f_->what = "SELECT";
        if (node.select_stmt().has_into_clause() && node.select_stmt().into_clause().has_rel()) {
          f_->what = "SELECT INTO";
          Create(ObjKind::kRelation, sql::RelationName(node.select_stmt().into_clause().rel()),
                 't');
        }
        break;
      case Node::kCallStmt:
        f_->what = "CALL";
        break;
      case Node::kCreateExtensionStmt:
        f_->what = "CREATE EXTENSION";
        break;
      case Node::kCreateSchemaStmt:
        f_->what = "CREATE SCHEMA";
        break;
      case Node::kCreatedbStmt:
      case Node::kDropdbStmt:
      case Node::kAlterSystemStmt:
        f_->what = "database-level statement";
        f_->no_transaction = true;
        break;
      default:
        f_->what = "statement";
        break;
    }
  }

  void Sequence(const std::string& sequence, const RepeatedPtrField<Node>& options) {
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

 private:
  StatementFacts* f_;
  std::set<std::string> ctes_;
  std::set<std::string> not_relations_;
};

}  // namespace

absl::StatusOr<std::vector<StatementFacts>> AnalyzeSql(absl::string_view sql) {
  absl::StatusOr<sql::ProtoTree> tree = sql::ParseProto(sql);
  if (!tree.ok()) return tree.status();
  std::vector<StatementFacts> out;
  out.reserve(tree->statements.size());
  for (const sql::ProtoStatement& s : tree->statements) {
    StatementFacts f;
    f.offset = s.offset;
    f.length = s.length;
    Analyzer(&f).Run(*s.node);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace schemagate::generator::import
