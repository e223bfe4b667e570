// The import's SQL analysis, per statement kind: the dispatch over the
// statements (Analyzer::Specific) and DROP, renames and the objects named
// by COMMENT/GRANT-like statements, as members of the Analyzer
// (analyze_internal.h).
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

namespace schemagate::generator::import::analyze_internal {

void Analyzer::Specific(const Node& node) {
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
        f_->renames.push_back({Obj{ObjKind::kRelation, table, ""}, InSchema(s.newschema(), table)});
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
        Create(ObjKind::kRelation, sql::RelationName(node.select_stmt().into_clause().rel()), 't');
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

void Analyzer::Drop(const pg_query::DropStmt& s) {
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

void Analyzer::Rename(const pg_query::RenameStmt& s) {
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

void Analyzer::NamedObject(pg_query::ObjectType type, const Node& object) {
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

}  // namespace schemagate::generator::import::analyze_internal
