// Internal to the lock lint (lock_lint*.cc): what it reads from parse
// trees — types as comparable keys and whether changing one rewrites or
// narrows a column, volatile function calls, string constants and
// relations below a node, NOT NULL checks, `-- schemagate:allow` lines,
// the table a statement changes. Pure functions of their input.
#ifndef SCHEMAGATE_SERVER_GENERATOR_LINT_LOCK_LINT_FACTS_H_
#define SCHEMAGATE_SERVER_GENERATOR_LINT_LOCK_LINT_FACTS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "pg_query/pg_query.pb.h"
#include "pg_walk.h"
#include "server/sql/pg_proto.h"

namespace schemagate::generator::lint::facts {

// "name" with its double quotes, as reports write a table.
std::string Quoted(absl::string_view name);

// A type as a comparable key: base name (PostgreSQL's internal one, as the
// grammar resolves SQL's spellings) and its modifiers.
struct TypeKey {
  std::string base;       // "int8", "varchar", "numeric", "text", ...
  std::vector<int> mods;  // (20) / (10, 2); empty when unconstrained
  bool array = false;
  bool known = true;

  // As people write it (format_type's spelling of the integer, float and
  // boolean types).
  std::string ToString() const;
  bool operator==(const TypeKey& o) const {
    return base == o.base && mods == o.mods && array == o.array;
  }
};

// The key of a type as the grammar gives it (known = false without a name).
TypeKey KeyOf(const pg_query::TypeName& t);

struct TypeChange {
  bool rewrite = true;
  bool narrows = false;
};

// Whether ALTER COLUMN ... TYPE rewrites the table (PostgreSQL skips the
// rewrite when the old type is binary coercible to the new one and no
// value can fail: docs "ALTER TABLE", Notes), and whether it narrows what
// the column accepts. An unknown `from` is a rewrite.
TypeChange Classify(const std::optional<TypeKey>& from, const TypeKey& to);

// Functions PostgreSQL declares volatile that migrations use as defaults.
bool VolatileBuiltin(const std::string& name);

// The functions called below a node.
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

// `col IS NOT NULL` (a CHECK that lets SET NOT NULL skip its scan): the
// column, or "".
std::string NotNullColumn(const pg_query::Node& expr);

// `-- schemagate:allow <rule> <reason>` lines in the comments just before a
// statement (its text up to the first token): rule -> reason.
std::map<std::string, std::string> Allows(absl::string_view lead);

// The table a statement changes, for reports ("" when none).
std::string TargetOf(const pg_query::Node& node);

}  // namespace schemagate::generator::lint::facts

#endif  // SCHEMAGATE_SERVER_GENERATOR_LINT_LOCK_LINT_FACTS_H_
