#include "server/generator/lint/lock_lint.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pg_walk.h"
#include "server/sql/parser.h"

namespace schemagate::generator::lint {
namespace {

using google::protobuf::RepeatedPtrField;
using pg_query::Node;

std::string Quoted(absl::string_view name) { return absl::StrCat("\"", name, "\""); }

// --- types -----------------------------------------------------------------------

// A type as a comparable key: base name (PostgreSQL's internal one, as the
// grammar resolves SQL's spellings) and its modifiers.
struct TypeKey {
  std::string base;       // "int8", "varchar", "numeric", "text", ...
  std::vector<int> mods;  // (20) / (10, 2); empty when unconstrained
  bool array = false;
  bool known = true;

  // As people write it (format_type's spelling of the integer, float and
  // boolean types).
  std::string ToString() const {
    static const std::map<std::string, std::string> kSpelling = {
        {"int2", "smallint"},           {"int4", "integer"}, {"int8", "bigint"}, {"float4", "real"},
        {"float8", "double precision"}, {"bool", "boolean"}, {"bpchar", "char"}};
    auto spelled = kSpelling.find(base);
    std::string out = spelled != kSpelling.end() ? spelled->second : base;
    if (!mods.empty()) absl::StrAppend(&out, "(", absl::StrJoin(mods, ","), ")");
    if (array) out += "[]";
    return out;
  }
  bool operator==(const TypeKey& o) const {
    return base == o.base && mods == o.mods && array == o.array;
  }
};

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

struct TypeChange {
  bool rewrite = true;
  bool narrows = false;
};

// Whether ALTER COLUMN ... TYPE rewrites the table (PostgreSQL skips the
// rewrite when the old type is binary coercible to the new one and no
// value can fail: docs "ALTER TABLE", Notes), and whether it narrows what
// the column accepts.
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

// --- expressions -------------------------------------------------------------------

// Functions PostgreSQL declares volatile that migrations use as defaults.
bool VolatileBuiltin(const std::string& name) {
  static const std::set<std::string> kVolatile = {
      "random",           "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
      "uuid_generate_v4", "clock_timestamp", "timeofday",        "nextval",
      "setval",           "random_normal",   "txid_current",     "pg_current_xact_id"};
  return kVolatile.count(name) > 0;
}

class Calls : public sql::PgVisitor {
 public:
  bool Pre(const pg_query::FuncCall& f) override {
    names.push_back(sql::QualifiedName(f.funcname()));
    return true;
  }
  std::vector<std::string> names;
};

// String constants, the strings cast to a type, and the relations named
// below a node.
class Strings : public sql::PgVisitor {
 public:
  bool Pre(const pg_query::A_Const& c) override {
    if (c.has_sval()) values.insert(c.sval().sval());
    return true;
  }
  bool Pre(const pg_query::TypeCast& c) override {
    if (c.has_type_name() && c.arg().has_a_const() && c.arg().a_const().has_sval()) {
      casts.insert({absl::AsciiStrToLower(sql::QualifiedName(c.type_name().names())),
                    c.arg().a_const().sval().sval()});
    }
    return true;
  }
  bool Pre(const pg_query::RangeVar& r) override {
    relations.insert(sql::RelationName(r));
    return true;
  }
  std::set<std::string> values;
  std::set<std::pair<std::string, std::string>> casts;  // (type, value)
  std::set<std::string> relations;
};

// `col IS NOT NULL` (a CHECK that lets SET NOT NULL skip its scan).
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

}  // namespace

const char* LockName(Lock lock) {
  switch (lock) {
    case Lock::kAccessShare:
      return "ACCESS SHARE";
    case Lock::kRowShare:
      return "ROW SHARE";
    case Lock::kRowExclusive:
      return "ROW EXCLUSIVE";
    case Lock::kShareUpdateExclusive:
      return "SHARE UPDATE EXCLUSIVE";
    case Lock::kShare:
      return "SHARE";
    case Lock::kShareRowExclusive:
      return "SHARE ROW EXCLUSIVE";
    case Lock::kExclusive:
      return "EXCLUSIVE";
    case Lock::kAccessExclusive:
      return "ACCESS EXCLUSIVE";
  }
  return "ACCESS EXCLUSIVE";
}

const std::vector<Rule>& Rules() {
  static const std::vector<Rule> kRules = {
      {"index-not-concurrent", RuleKind::kBlocking,
       "CREATE INDEX CONCURRENTLY, in a migration marked -- schemagate:no-transaction"},
      {"drop-index-not-concurrent", RuleKind::kBlocking,
       "DROP INDEX CONCURRENTLY, in a migration marked -- schemagate:no-transaction"},
      {"reindex-not-concurrent", RuleKind::kBlocking,
       "REINDEX ... CONCURRENTLY, in a migration marked -- schemagate:no-transaction"},
      {"foreign-key-not-valid", RuleKind::kBlocking,
       "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in "
       "a "
       "later migration (it takes SHARE UPDATE EXCLUSIVE: writes go on)"},
      {"check-not-valid", RuleKind::kBlocking,
       "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
      {"unique-without-index", RuleKind::kBlocking,
       "CREATE UNIQUE INDEX CONCURRENTLY (a no-transaction migration), then ADD CONSTRAINT ... "
       "UNIQUE/PRIMARY KEY USING INDEX"},
      {"column-type-rewrite", RuleKind::kBlocking,
       "add a column of the new type, backfill it in batches, switch reads and writes, then drop "
       "the old one; or change only what is binary coercible (varchar(n) to a longer varchar or "
       "text, numeric to a larger precision)"},
      {"set-not-null-scan", RuleKind::kBlocking,
       "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (a later "
       "migration); then SET NOT NULL, which uses the validated check and skips the scan"},
      {"volatile-default", RuleKind::kBlocking,
       "add the column without a default (or with a constant one), backfill it in batches, then "
       "SET DEFAULT"},
      {"vacuum-full", RuleKind::kBlocking, "plain VACUUM, or pg_repack, outside migrations"},
      {"cluster", RuleKind::kBlocking, "pg_repack, outside migrations"},
      {"lock-table", RuleKind::kBlocking,
       "let each statement take the lock it needs; if the lock is needed, keep the migration "
       "short"},
      {"whole-table-update", RuleKind::kBlocking,
       "update in batches (WHERE id BETWEEN ...), outside the schema migration or in several"},
      {"whole-table-delete", RuleKind::kBlocking,
       "delete in batches, or TRUNCATE a table nobody uses any more"},
      {"multiple-access-exclusive", RuleKind::kBlocking,
       "one table per migration: split the migration, so no lock waits behind another"},
      {"concurrently-in-transaction", RuleKind::kError,
       "mark the migration -- schemagate:no-transaction (and keep it to statements that are safe "
       "to "
       "retry)"},
      {"enum-value-in-same-transaction", RuleKind::kError,
       "add the value in one migration and use it in a later one"},
      {"drop-column", RuleKind::kIncompatible,
       "stop using the column in one release, drop it in the next"},
      {"rename-column", RuleKind::kIncompatible,
       "add the new column, write both, move reads, then drop the old one in a later release"},
      {"drop-table", RuleKind::kIncompatible,
       "stop using the table in one release, drop it in the next"},
      {"rename-table", RuleKind::kIncompatible,
       "create the new name as a view or a new table, move the code, then drop the old name later"},
      {"narrow-type", RuleKind::kIncompatible,
       "widen, never narrow, while older replicas still write; narrow after they are gone"},
  };
  return kRules;
}

const Rule* FindRule(absl::string_view name) {
  for (const Rule& r : Rules()) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

struct Linter::State {
  struct Table {
    std::map<std::string, TypeKey> columns;
    std::set<std::string> not_null_checked;        // columns with a validated IS NOT NULL check
    std::map<std::string, std::string> not_valid;  // NOT VALID IS NOT NULL checks: name -> column
  };
  std::map<std::string, Table> tables;
  std::map<std::string, bool> functions;  // declared in the tree: volatile?

  // Per migration: each table name first added to or removed from `tables`
  // during it, and whether it existed when the migration started (names
  // not here are as they were). Kept instead of a copy of every name per
  // migration, which made the lint quadratic in the tree's size.
  std::map<std::string, bool> changed;
  std::set<std::pair<std::string, std::string>> new_enum_values;  // (type, value)
  std::vector<std::string> exclusive;  // pre-existing tables locked ACCESS EXCLUSIVE, in order
  const MigrationInput* m = nullptr;
  std::vector<TableLock> out;
  // The statement being linted.
  std::string what;
  int line = 0, column = 0;
  std::map<std::string, std::string> allows;
  std::vector<std::string> judged_safe;  // for the statement's summary

  bool Existed(const std::string& table) const {
    auto it = changed.find(table);
    return it != changed.end() ? it->second : tables.count(table) > 0;
  }
  // tables[name], noting a name that was not there.
  Table& TableAt(const std::string& name) {
    auto it = tables.find(name);
    if (it != tables.end()) return it->second;
    changed.emplace(name, false);  // keeps an earlier record
    return tables[name];
  }
  void EraseTable(const std::string& name) {
    auto it = tables.find(name);
    if (it == tables.end()) return;
    changed.emplace(name, true);
    tables.erase(it);
  }

  bool Volatile(const Node& expr) const {
    Calls calls;
    sql::Walk(expr, calls);
    for (const std::string& f : calls.names) {
      auto it = functions.find(f);
      if (it != functions.end() ? it->second : VolatileBuiltin(f)) return true;
    }
    return false;
  }

  // A lock on `table`; `rule` ("" for none) makes it a finding with
  // `message` (the part after "[rule] ").
  void Add(const std::string& table, Lock lock, const std::string& rule = "",
           const std::string& message = "") {
    bool error_rule = false;
    const Rule* r = rule.empty() ? nullptr : FindRule(rule);
    if (r != nullptr) error_rule = r->kind == RuleKind::kError;
    if (!Existed(table) && !error_rule) return;  // new tables are empty
    TableLock l;
    l.table = table;
    l.lock = lock;
    l.line = line;
    l.column = column;
    l.statement = what;
    if (r != nullptr) {
      l.rule = rule;
      l.kind = r->kind;
      l.message = absl::StrCat("[", rule, "] ", message, "; instead: ", r->rewrite);
      auto allow = allows.find(rule);
      if (allow != allows.end()) {
        l.acknowledged = true;
        l.reason = allow->second;
      }
    }
    if (lock == Lock::kAccessExclusive && Existed(table) && !m->no_transaction &&
        std::find(exclusive.begin(), exclusive.end(), table) == exclusive.end()) {
      exclusive.push_back(table);
    }
    out.push_back(std::move(l));
  }

  std::string Existing(const std::string& table) const {
    return absl::StrCat(Quoted(table), " (it existed before this migration)");
  }

  void AlterTable(const pg_query::AlterTableStmt& s) {
    if (s.objtype() != pg_query::OBJECT_TABLE) return;
    std::string table = sql::RelationName(s.relation());
    Table& t = TableAt(table);
    for (const Node& n : s.cmds()) {
      if (!n.has_alter_table_cmd()) continue;
      const pg_query::AlterTableCmd& c = n.alter_table_cmd();
      switch (c.subtype()) {
        case pg_query::AT_AddColumn:
        case pg_query::AT_AddColumnRecurse: {
          if (!c.def().has_column_def()) break;
          const pg_query::ColumnDef& def = c.def().column_def();
          std::string why;
          TypeKey type = def.has_type_name() ? KeyOf(def.type_name()) : TypeKey{};
          bool serial = absl::StrContains(
              def.has_type_name() && !def.type_name().names().empty()
                  ? sql::StringOf(def.type_name().names(def.type_name().names_size() - 1))
                  : "",
              "serial");
          if (serial) why = "a serial column's default calls nextval()";
          for (const Node& cn : def.constraints()) {
            if (!cn.has_constraint()) continue;
            const pg_query::Constraint& k = cn.constraint();
            if (k.contype() == pg_query::CONSTR_DEFAULT && Volatile(k.raw_expr())) {
              why = "its default is volatile";
            } else if (k.contype() == pg_query::CONSTR_IDENTITY) {
              why = "an identity column is filled for every row";
            } else if (k.contype() == pg_query::CONSTR_GENERATED) {
              why = "a stored generated column is computed for every row";
            } else if (k.contype() == pg_query::CONSTR_FOREIGN && k.has_pktable()) {
              ForeignKey(table, sql::RelationName(k.pktable()), k, def.colname(),
                         /*new_column=*/true);
            } else if ((k.contype() == pg_query::CONSTR_UNIQUE ||
                        k.contype() == pg_query::CONSTR_PRIMARY)) {
              Add(table, Lock::kAccessExclusive, "unique-without-index",
                  absl::StrCat("ADD COLUMN ", def.colname(), " ",
                               k.contype() == pg_query::CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
                               " builds an index under an ACCESS EXCLUSIVE lock on ",
                               Existing(table), ": reads and writes wait until it is built"));
            } else if (k.contype() == pg_query::CONSTR_CHECK) {
              Add(table, Lock::kAccessExclusive, "check-not-valid",
                  absl::StrCat("ADD COLUMN ", def.colname(), " with a CHECK scans ",
                               Existing(table), " under an ACCESS EXCLUSIVE lock"));
            }
          }
          if (why.empty() && Existed(table)) {
            judged_safe.push_back(absl::StrCat("ADD COLUMN ", def.colname(),
                                               ": no default or a non-volatile one, no rewrite"));
          }
          if (!why.empty()) {
            Add(table, Lock::kAccessExclusive, "volatile-default",
                absl::StrCat("ADD COLUMN ", def.colname(), " rewrites ", Existing(table),
                             " under an ACCESS EXCLUSIVE lock (", why,
                             "): reads and writes wait for the whole rewrite"));
          } else {
            Add(table, Lock::kAccessExclusive);
          }
          t.columns[def.colname()] = type;
          if (def.is_not_null()) t.not_null_checked.insert(def.colname());
          break;
        }
        case pg_query::AT_DropColumn:
        case pg_query::AT_DropColumnRecurse:
          Add(table, Lock::kAccessExclusive, "drop-column",
              absl::StrCat("DROP COLUMN ", c.name(), " of ", Existing(table),
                           ": replicas still running the previous build read and write it"));
          t.columns.erase(c.name());
          break;
        case pg_query::AT_AlterColumnType: {
          std::optional<TypeKey> from;
          if (auto it = t.columns.find(c.name()); it != t.columns.end()) from = it->second;
          TypeKey to = c.def().has_column_def() && c.def().column_def().has_type_name()
                           ? KeyOf(c.def().column_def().type_name())
                           : TypeKey{};
          TypeChange change = Classify(from, to);
          std::string desc = absl::StrCat(c.name(), from ? " from " + from->ToString() : "", " to ",
                                          to.ToString());
          if (change.rewrite) {
            Add(table, Lock::kAccessExclusive, "column-type-rewrite",
                absl::StrCat("ALTER COLUMN ", desc, " rewrites ", Existing(table),
                             " under an ACCESS EXCLUSIVE lock: reads and writes wait for the "
                             "whole rewrite"));
          } else {
            Add(table, Lock::kAccessExclusive);
            if (Existed(table)) {
              judged_safe.push_back(absl::StrCat(desc, ": binary coercible, no rewrite"));
            }
          }
          if (change.narrows) {
            Add(table, Lock::kAccessExclusive, "narrow-type",
                absl::StrCat("ALTER COLUMN ", desc, " narrows a column of ", Existing(table),
                             ": values the previous build writes may no longer fit"));
          }
          t.columns[c.name()] = to;
          break;
        }
        case pg_query::AT_SetNotNull:
          if (t.not_null_checked.count(c.name())) {
            Add(table, Lock::kAccessExclusive);
            if (Existed(table)) {
              judged_safe.push_back(c.name() + " has a validated IS NOT NULL check: no scan");
            }
          } else {
            Add(table, Lock::kAccessExclusive, "set-not-null-scan",
                absl::StrCat("SET NOT NULL on ", c.name(), " scans ", Existing(table),
                             " under an ACCESS EXCLUSIVE lock: reads and writes wait for the "
                             "scan"));
          }
          t.not_null_checked.insert(c.name());
          break;
        case pg_query::AT_AddConstraint:
        case pg_query::AT_AddConstraintRecurse:
          if (c.def().has_constraint()) Constraint(table, c.def().constraint());
          break;
        case pg_query::AT_ValidateConstraint:
        case pg_query::AT_ValidateConstraintRecurse:
          Add(table, Lock::kShareUpdateExclusive);
          if (auto it = t.not_valid.find(c.name()); it != t.not_valid.end()) {
            t.not_null_checked.insert(it->second);
            t.not_valid.erase(it);
          }
          break;
        case pg_query::AT_SetStatistics:
        case pg_query::AT_ClusterOn:
        case pg_query::AT_SetRelOptions:
        case pg_query::AT_ResetRelOptions:
        case pg_query::AT_AttachPartition:
          Add(table, Lock::kShareUpdateExclusive);
          break;
        case pg_query::AT_EnableTrig:
        case pg_query::AT_DisableTrig:
        case pg_query::AT_EnableAlwaysTrig:
        case pg_query::AT_EnableReplicaTrig:
        case pg_query::AT_EnableTrigAll:
        case pg_query::AT_DisableTrigAll:
        case pg_query::AT_EnableTrigUser:
        case pg_query::AT_DisableTrigUser:
          Add(table, Lock::kShareRowExclusive);
          break;
        default:
          Add(table, Lock::kAccessExclusive);
          break;
      }
    }
  }

  void ForeignKey(const std::string& table, const std::string& ref, const pg_query::Constraint& k,
                  const std::string& column, bool new_column) {
    if (k.skip_validation() || !Existed(table)) {
      Add(table, Lock::kShareRowExclusive);
      judged_safe.push_back(k.skip_validation()
                                ? "the foreign key is NOT VALID: no scan"
                                : absl::StrCat(Quoted(table), " is new: its scan reads nothing"));
    } else {
      Add(table, Lock::kShareRowExclusive, "foreign-key-not-valid",
          absl::StrCat(new_column ? "ADD COLUMN " + column + " REFERENCES " : "ADD FOREIGN KEY to ",
                       ref, " validates every row of ", Existing(table),
                       " under a SHARE ROW EXCLUSIVE lock on it and on ", Quoted(ref),
                       ": writes to both wait for the scan"));
    }
    if (ref != table) Add(ref, Lock::kShareRowExclusive);
  }

  void Constraint(const std::string& table, const pg_query::Constraint& k) {
    Table& t = TableAt(table);
    switch (k.contype()) {
      case pg_query::CONSTR_FOREIGN:
        if (k.has_pktable()) ForeignKey(table, sql::RelationName(k.pktable()), k, "", false);
        break;
      case pg_query::CONSTR_CHECK: {
        std::string col = NotNullColumn(k.raw_expr());
        if (k.skip_validation()) {
          Add(table, Lock::kAccessExclusive);
          judged_safe.push_back("the check is NOT VALID: no scan");
          if (!col.empty() && !k.conname().empty()) t.not_valid[k.conname()] = col;
        } else {
          Add(table, Lock::kAccessExclusive, "check-not-valid",
              absl::StrCat("ADD CHECK", k.conname().empty() ? "" : " " + k.conname(), " scans ",
                           Existing(table),
                           " under an ACCESS EXCLUSIVE lock: reads and writes "
                           "wait for the scan"));
          if (!col.empty()) t.not_null_checked.insert(col);
        }
        break;
      }
      case pg_query::CONSTR_PRIMARY:
      case pg_query::CONSTR_UNIQUE:
      case pg_query::CONSTR_EXCLUSION:
        if (!k.indexname().empty()) {
          Add(table, Lock::kAccessExclusive);  // USING INDEX: brief
        } else {
          Add(table, Lock::kAccessExclusive, "unique-without-index",
              absl::StrCat("ADD ",
                           k.contype() == pg_query::CONSTR_PRIMARY  ? "PRIMARY KEY"
                           : k.contype() == pg_query::CONSTR_UNIQUE ? "UNIQUE"
                                                                    : "EXCLUDE",
                           " builds an index under an ACCESS EXCLUSIVE lock on ", Existing(table),
                           ": reads and writes wait until it is built"));
        }
        break;
      default:
        Add(table, Lock::kAccessExclusive);
        break;
    }
  }

  void CreateTable(const pg_query::CreateStmt& s) {
    std::string table = sql::RelationName(s.relation());
    Table t;
    for (const Node& e : s.table_elts()) {
      if (e.has_column_def()) {
        const pg_query::ColumnDef& def = e.column_def();
        t.columns[def.colname()] =
            def.has_type_name() ? KeyOf(def.type_name()) : TypeKey{"", {}, false, false};
        bool not_null = def.is_not_null();
        for (const Node& cn : def.constraints()) {
          if (!cn.has_constraint()) continue;
          const pg_query::Constraint& k = cn.constraint();
          if (k.contype() == pg_query::CONSTR_NOTNULL || k.contype() == pg_query::CONSTR_PRIMARY) {
            not_null = true;
          }
          if (k.contype() == pg_query::CONSTR_FOREIGN && k.has_pktable()) {
            std::string ref = sql::RelationName(k.pktable());
            if (ref != table) Add(ref, Lock::kShareRowExclusive);
          }
        }
        if (not_null) t.not_null_checked.insert(def.colname());
      } else if (e.has_constraint() && e.constraint().contype() == pg_query::CONSTR_FOREIGN &&
                 e.constraint().has_pktable()) {
        std::string ref = sql::RelationName(e.constraint().pktable());
        if (ref != table) Add(ref, Lock::kShareRowExclusive);
      }
    }
    for (const Node& p : s.inh_relations()) {
      if (!p.has_range_var()) continue;
      std::string parent = sql::RelationName(p.range_var());
      // PARTITION OF / INHERITS lock the parent.
      Add(parent, s.has_partbound() ? Lock::kShareUpdateExclusive : Lock::kShareUpdateExclusive);
      auto it = tables.find(parent);
      if (it != tables.end()) {
        for (const auto& [col, type] : it->second.columns) t.columns.emplace(col, type);
      }
    }
    TableAt(table) = std::move(t);
  }

  void Statement(const Node& node) {
    switch (node.node_case()) {
      case Node::kCreateStmt:
        what = "CREATE TABLE";
        CreateTable(node.create_stmt());
        break;
      case Node::kCreateTableAsStmt:
        what = "CREATE TABLE AS";
        if (node.create_table_as_stmt().has_into()) {
          TableAt(sql::RelationName(node.create_table_as_stmt().into().rel()));
        }
        break;
      case Node::kAlterTableStmt:
        what = "ALTER TABLE";
        AlterTable(node.alter_table_stmt());
        break;
      case Node::kIndexStmt: {
        const pg_query::IndexStmt& s = node.index_stmt();
        what = s.unique() ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
        std::string table = sql::RelationName(s.relation());
        if (s.concurrent()) {
          Add(table, Lock::kShareUpdateExclusive);
          Concurrently("CREATE INDEX CONCURRENTLY", table);
        } else {
          Add(table, Lock::kShare, "index-not-concurrent",
              absl::StrCat(what, s.idxname().empty() ? "" : " " + s.idxname(),
                           " takes a SHARE lock on ", Existing(table),
                           ": inserts, updates and deletes wait until the index is built"));
        }
        break;
      }
      case Node::kDropStmt: {
        const pg_query::DropStmt& s = node.drop_stmt();
        what = "DROP";
        for (const Node& o : s.objects()) {
          if (!o.has_list()) continue;
          std::string name = sql::QualifiedName(o.list().items());
          if (s.remove_type() == pg_query::OBJECT_INDEX) {
            std::string table = index_tables.count(name) ? index_tables[name] : "";
            if (s.concurrent()) {
              if (!table.empty()) Add(table, Lock::kShareUpdateExclusive);
              Concurrently("DROP INDEX CONCURRENTLY", table.empty() ? name : table);
            } else if (!table.empty()) {
              Add(table, Lock::kAccessExclusive, "drop-index-not-concurrent",
                  absl::StrCat("DROP INDEX ", name, " takes an ACCESS EXCLUSIVE lock on ",
                               Existing(table),
                               ": it waits for every running query on the table, and every "
                               "query after it waits for it"));
            }
            index_tables.erase(name);
          } else if (s.remove_type() == pg_query::OBJECT_TABLE) {
            Add(name, Lock::kAccessExclusive, "drop-table",
                absl::StrCat("DROP TABLE ", Existing(name),
                             ": replicas still running the previous build use it"));
            EraseTable(name);
          }
        }
        break;
      }
      case Node::kRenameStmt: {
        const pg_query::RenameStmt& s = node.rename_stmt();
        what = "RENAME";
        std::string table = s.has_relation() ? sql::RelationName(s.relation()) : "";
        if (s.rename_type() == pg_query::OBJECT_TABLE) {
          Add(table, Lock::kAccessExclusive, "rename-table",
              absl::StrCat("RENAME ", Existing(table), " to ", s.newname(),
                           ": replicas still running the previous build use the old name"));
          std::string schema =
              table.find('.') == std::string::npos ? "" : table.substr(0, table.find('.'));
          std::string to = schema.empty() ? s.newname() : schema + "." + s.newname();
          if (auto it = tables.find(table); it != tables.end()) {
            Table moved = std::move(it->second);
            EraseTable(table);
            TableAt(to) = std::move(moved);
          }
          if (Existed(table)) changed[to] = true;
        } else if (s.rename_type() == pg_query::OBJECT_COLUMN) {
          Add(table, Lock::kAccessExclusive, "rename-column",
              absl::StrCat("RENAME COLUMN ", s.subname(), " of ", Existing(table), " to ",
                           s.newname(),
                           ": replicas still running the previous build use the old name"));
          Table& t = TableAt(table);
          if (auto it = t.columns.find(s.subname()); it != t.columns.end()) {
            TypeKey type = it->second;
            t.columns.erase(it);
            t.columns[s.newname()] = type;
          }
        } else if (s.rename_type() == pg_query::OBJECT_INDEX) {
          if (auto it = index_tables.find(table); it != index_tables.end()) {
            std::string on = it->second;
            index_tables.erase(it);
            index_tables[s.newname()] = on;
            Add(on, Lock::kShareUpdateExclusive);
          }
        } else if (!table.empty()) {
          Add(table, Lock::kAccessExclusive);
        }
        break;
      }
      case Node::kVacuumStmt: {
        const pg_query::VacuumStmt& s = node.vacuum_stmt();
        bool full = false;
        for (const Node& o : s.options()) {
          full = full || (o.has_def_elem() && o.def_elem().defname() == "full");
        }
        what = s.is_vacuumcmd() ? (full ? "VACUUM FULL" : "VACUUM") : "ANALYZE";
        if (s.is_vacuumcmd()) Concurrently(what, "");
        for (const Node& r : s.rels()) {
          if (!r.has_vacuum_relation() || !r.vacuum_relation().has_relation()) continue;
          std::string table = sql::RelationName(r.vacuum_relation().relation());
          if (full) {
            Add(table, Lock::kAccessExclusive, "vacuum-full",
                absl::StrCat("VACUUM FULL rewrites ", Existing(table),
                             " under an ACCESS EXCLUSIVE lock: reads and writes wait"));
          } else {
            Add(table, Lock::kShareUpdateExclusive);
          }
        }
        break;
      }
      case Node::kClusterStmt:
        what = "CLUSTER";
        if (node.cluster_stmt().has_relation()) {
          std::string table = sql::RelationName(node.cluster_stmt().relation());
          Add(table, Lock::kAccessExclusive, "cluster",
              absl::StrCat("CLUSTER rewrites ", Existing(table),
                           " under an ACCESS EXCLUSIVE lock: reads and writes wait"));
        }
        break;
      case Node::kLockStmt: {
        const pg_query::LockStmt& s = node.lock_stmt();
        what = "LOCK TABLE";
        Lock lock = s.mode() >= 1 && s.mode() <= 8 ? static_cast<Lock>(s.mode() - 1)
                                                   : Lock::kAccessExclusive;
        for (const Node& r : s.relations()) {
          if (!r.has_range_var()) continue;
          std::string table = sql::RelationName(r.range_var());
          Add(table, lock, "lock-table",
              absl::StrCat("LOCK TABLE takes ", LockName(lock), " on ", Existing(table),
                           " until the migration commits"));
        }
        break;
      }
      case Node::kReindexStmt: {
        const pg_query::ReindexStmt& s = node.reindex_stmt();
        what = "REINDEX";
        bool concurrent = false;
        for (const Node& p : s.params()) {
          concurrent = concurrent || (p.has_def_elem() && p.def_elem().defname() == "concurrently");
        }
        std::string name = s.has_relation() ? sql::RelationName(s.relation()) : "";
        std::string table = s.kind() == pg_query::REINDEX_OBJECT_INDEX
                                ? (index_tables.count(name) ? index_tables[name] : "")
                                : name;
        if (concurrent) {
          if (!table.empty()) Add(table, Lock::kShareUpdateExclusive);
          Concurrently("REINDEX CONCURRENTLY", table.empty() ? name : table);
        } else if (!table.empty()) {
          Add(table, Lock::kShare, "reindex-not-concurrent",
              absl::StrCat("REINDEX takes a SHARE lock on ", Existing(table),
                           " and ACCESS EXCLUSIVE on the index: writes wait, and reads that "
                           "would use the index"));
        }
        break;
      }
      case Node::kUpdateStmt: {
        const pg_query::UpdateStmt& s = node.update_stmt();
        what = "UPDATE";
        std::string table = sql::RelationName(s.relation());
        if (!s.has_where_clause() && s.from_clause().empty()) {
          Add(table, Lock::kRowExclusive, "whole-table-update",
              absl::StrCat("UPDATE of every row of ", Existing(table),
                           ": each row stays locked until the migration commits, and the table "
                           "doubles in size until vacuumed"));
        } else {
          Add(table, Lock::kRowExclusive);
        }
        EnumUse(node);
        break;
      }
      case Node::kDeleteStmt: {
        const pg_query::DeleteStmt& s = node.delete_stmt();
        what = "DELETE";
        std::string table = sql::RelationName(s.relation());
        if (!s.has_where_clause() && s.using_clause().empty()) {
          Add(table, Lock::kRowExclusive, "whole-table-delete",
              absl::StrCat("DELETE of every row of ", Existing(table),
                           ": each row stays locked until the migration commits"));
        } else {
          Add(table, Lock::kRowExclusive);
        }
        break;
      }
      case Node::kInsertStmt:
        what = "INSERT";
        Add(sql::RelationName(node.insert_stmt().relation()), Lock::kRowExclusive);
        EnumUse(node);
        break;
      case Node::kTruncateStmt:
        what = "TRUNCATE";
        for (const Node& r : node.truncate_stmt().relations()) {
          if (r.has_range_var()) Add(sql::RelationName(r.range_var()), Lock::kAccessExclusive);
        }
        break;
      case Node::kCreateTrigStmt:
        what = "CREATE TRIGGER";
        Add(sql::RelationName(node.create_trig_stmt().relation()), Lock::kShareRowExclusive);
        break;
      case Node::kAlterEnumStmt: {
        const pg_query::AlterEnumStmt& s = node.alter_enum_stmt();
        what = "ALTER TYPE";
        if (!s.new_val().empty() && s.old_val().empty()) {
          new_enum_values.insert({sql::QualifiedName(s.type_name()), s.new_val()});
        }
        break;
      }
      case Node::kCreateFunctionStmt: {
        const pg_query::CreateFunctionStmt& s = node.create_function_stmt();
        bool is_volatile = true;
        for (const Node& o : s.options()) {
          if (o.has_def_elem() && o.def_elem().defname() == "volatility") {
            is_volatile = sql::StringOf(o.def_elem().arg()) == "volatile";
          }
        }
        functions[sql::QualifiedName(s.funcname())] = is_volatile;
        break;
      }
      default:
        EnumUse(node);
        break;
    }
    if (node.has_index_stmt()) {
      const pg_query::IndexStmt& s = node.index_stmt();
      if (!s.idxname().empty()) {
        std::string table = sql::RelationName(s.relation());
        std::string schema =
            table.find('.') == std::string::npos ? "" : table.substr(0, table.find('.'));
        index_tables[schema.empty() ? s.idxname() : schema + "." + s.idxname()] = table;
      }
    }
  }

  // CONCURRENTLY (and VACUUM) cannot run inside a transaction block.
  void Concurrently(const std::string& verb, const std::string& on) {
    if (m->no_transaction) return;
    TableLock l;
    l.table = on;
    l.lock = Lock::kShareUpdateExclusive;
    l.line = line;
    l.column = column;
    l.statement = what;
    l.rule = "concurrently-in-transaction";
    l.kind = RuleKind::kError;
    l.message = absl::StrCat("[concurrently-in-transaction] ", verb,
                             " cannot run inside a transaction block, and this migration runs in "
                             "one; instead: ",
                             FindRule("concurrently-in-transaction")->rewrite);
    auto allow = allows.find(l.rule);
    if (allow != allows.end()) {
      l.acknowledged = true;
      l.reason = allow->second;
    }
    out.push_back(std::move(l));
  }

  // A value added by ALTER TYPE ... ADD VALUE in this transaction, used.
  void EnumUse(const Node& node) {
    if (m->no_transaction || new_enum_values.empty()) return;
    Strings strings;
    sql::Walk(node, strings);
    for (const auto& [type, value] : new_enum_values) {
      if (!strings.values.count(value)) continue;
      // Used as the enum: cast to it, or a string in a statement on a table
      // with a column of that type.
      bool used = strings.casts.count({type, value}) > 0;
      for (const std::string& r : strings.relations) {
        auto t = tables.find(r);
        if (t == tables.end()) continue;
        for (const auto& [col, key] : t->second.columns) used = used || key.base == type;
      }
      if (!used) continue;
      TableLock l;
      l.table = type;
      l.line = line;
      l.column = column;
      l.statement = what;
      l.rule = "enum-value-in-same-transaction";
      l.kind = RuleKind::kError;
      l.message = absl::StrCat("[enum-value-in-same-transaction] '", value, "' is added to ", type,
                               " by this migration and used in the same transaction: PostgreSQL "
                               "refuses it (unsafe use of new value); instead: ",
                               FindRule(l.rule)->rewrite);
      auto allow = allows.find(l.rule);
      if (allow != allows.end()) {
        l.acknowledged = true;
        l.reason = allow->second;
      }
      out.push_back(std::move(l));
      return;
    }
  }

  std::map<std::string, std::string> index_tables;  // index -> table
};

Linter::Linter() : state_(std::make_unique<State>()) {}
Linter::~Linter() = default;

std::vector<TableLock> Linter::Migration(const MigrationInput& m,
                                         std::vector<StatementSummary>* summaries) {
  State& s = *state_;
  s.m = &m;
  s.out.clear();
  s.changed.clear();
  s.new_enum_values.clear();
  s.exclusive.clear();
  if (m.tree != nullptr) {
    for (const sql::ProtoStatement& st : m.tree->statements) {
      size_t at = sql::SkipSpaceAndComments(m.sql, st.offset);
      sql::LineCol lc = sql::PositionOf(m.sql, at);
      s.line = lc.line;
      s.column = lc.column;
      s.allows = Allows(m.sql.substr(st.offset, at - st.offset));
      s.what.clear();
      const size_t before = s.exclusive.size();
      s.judged_safe.clear();
      if (summaries != nullptr) {
        StatementSummary sum;
        sum.target = TargetOf(*st.node);
        sum.line = lc.line;
        sum.end_line = sql::PositionOf(m.sql, std::min(m.sql.size(), st.offset + st.length)).line;
        Strings names;
        sql::Walk(*st.node, names);
        for (const std::string& r : names.relations) {
          sum.tables.push_back(r);
          if (s.Existed(r)) sum.existing.push_back(r);
        }
        summaries->push_back(std::move(sum));
      }
      s.Statement(*st.node);
      if (summaries != nullptr) {
        summaries->back().statement = s.what;
        summaries->back().judged_safe = s.judged_safe;
      }
      // Another table under ACCESS EXCLUSIVE in the same transaction.
      if (before >= 1 && s.exclusive.size() > before) {
        const std::string& first = s.exclusive.front();
        const std::string& next = s.exclusive.back();
        TableLock l;
        l.table = next;
        l.lock = Lock::kAccessExclusive;
        l.line = s.line;
        l.column = s.column;
        l.statement = s.what;
        l.rule = "multiple-access-exclusive";
        l.kind = RuleKind::kBlocking;
        l.message = absl::StrCat("[multiple-access-exclusive] ", s.what,
                                 " takes ACCESS EXCLUSIVE on ", s.Existing(next),
                                 " while this migration already holds it on ", Quoted(first),
                                 ": both stay locked until it commits, and the locks can "
                                 "deadlock with the application's; instead: ",
                                 FindRule(l.rule)->rewrite);
        auto allow = s.allows.find(l.rule);
        if (allow != s.allows.end()) {
          l.acknowledged = true;
          l.reason = allow->second;
        }
        s.out.push_back(std::move(l));
      }
    }
  }
  return std::move(s.out);
}

}  // namespace schemagate::generator::lint
