#include "server/generator/schema_headers.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace schemagate::generator {
namespace {

using catalog::UnqualifiedName;

constexpr absl::string_view kHeaderDir = "schemagate/schema/";
constexpr absl::string_view kFeaturesHeader = "schemagate/schema/features.h";
constexpr absl::string_view kUmbrellaHeader = "schemagate/schema.h";
constexpr absl::string_view kTypesHeader = "schemagate/schema_types.h";
constexpr absl::string_view kNamespace = "::schemagate::schema";

// C++ keywords (through C++20) and alternative tokens, names that common C
// headers define as macros, and names that would shadow the namespaces the
// generated code and its users name (std, schemagate).
const std::set<std::string>& CppReservedWords() {
  static const auto* words = new std::set<std::string>{
      // Keywords.
      "alignas", "alignof", "asm", "auto", "bool", "break", "case", "catch", "char", "char8_t",
      "char16_t", "char32_t", "class", "co_await", "co_return", "co_yield", "concept", "const",
      "const_cast", "consteval", "constexpr", "constinit", "continue", "decltype", "default",
      "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern",
      "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable",
      "namespace", "new", "noexcept", "nullptr", "operator", "private", "protected", "public",
      "register", "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local",
      "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "wchar_t", "while",
      // Alternative tokens.
      "and", "and_eq", "bitand", "bitor", "compl", "not", "not_eq", "or", "or_eq", "xor", "xor_eq",
      // Macros of the C library and of GNU modes.
      "NULL", "EOF", "BUFSIZ", "errno", "stdin", "stdout", "stderr", "assert", "offsetof", "setjmp",
      "va_arg", "va_start", "va_end", "va_copy", "linux", "unix", "i386", "major", "minor",
      "makedev", "TRUE", "FALSE", "DEBUG", "NDEBUG",
      // Namespaces the generated code and consumers refer to.
      "std", "schemagate"};
  return *words;
}

// Members of the generated structs: a table, column or join descriptor may
// not take these names in the scope they are members of.
const std::set<std::string> kClusterMembers = {"kCluster", "joins"};
const std::set<std::string> kTableMembers = {"name",    "sql",         "cluster",
                                             "columns", "all_columns", "primary_key"};
const std::set<std::string> kColumnsMembers = {"columns"};
const std::set<std::string> kJoinMembers = {"left_table",
                                            "right_table",
                                            "name",
                                            "cluster",
                                            "left_columns",
                                            "right_columns",
                                            "left_columns_sql",
                                            "right_columns_sql",
                                            "left_alias",
                                            "right_alias",
                                            "on",
                                            "join"};

// Decodes one UTF-8 sequence at `s[*i]`; advances *i. Invalid bytes come
// back as themselves.
uint32_t NextCodePoint(absl::string_view s, size_t* i) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
  uint32_t cp = extra == 3 ? (c & 0x07) : extra == 2 ? (c & 0x0f) : extra == 1 ? (c & 0x1f) : c;
  size_t start = *i;
  ++*i;
  for (int k = 0; k < extra; ++k) {
    if (*i >= s.size() || (static_cast<unsigned char>(s[*i]) & 0xc0) != 0x80) {
      *i = start + 1;
      return c;
    }
    cp = (cp << 6) | (static_cast<unsigned char>(s[*i]) & 0x3f);
    ++*i;
  }
  return cp;
}

// A C++ string literal holding exactly `bytes` (octal escapes for anything
// but printable ASCII; '?' too, so no trigraph can form).
std::string Literal(absl::string_view bytes) {
  static constexpr char kDigits[] = "01234567";
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f && c != '?') {
      out += static_cast<char>(c);
    } else {
      out += '\\';
      out += kDigits[(c >> 6) & 7];
      out += kDigits[(c >> 3) & 7];
      out += kDigits[c & 7];
    }
  }
  out += '"';
  return out;
}

// Free text safe inside a // comment (no line break, no trailing '\').
std::string CommentText(absl::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c == '\\' ? '/' : c;
  }
  return out;
}

// A name shown in a comment: its literal form, so nothing in it can end the
// comment's line.
std::string Quoted(absl::string_view name) { return Literal(name); }

// "{"a", "b"}": the initializer of a Names<N>.
std::string Braced(const std::vector<std::string>& names) {
  std::vector<std::string> literals;
  for (const std::string& n : names) literals.push_back(Literal(n));
  return absl::StrCat("{", absl::StrJoin(literals, ", "), "}");
}

// Assigns identifiers within one scope and reports clashes.
class Scope {
 public:
  // `where` describes the scope for messages; `what` the kind of name.
  Scope(std::string where, std::string what, const std::set<std::string>* reserved)
      : where_(std::move(where)), what_(std::move(what)), reserved_(reserved) {}

  // The identifier of `name`; `label` is how a message names it.
  std::string Add(absl::string_view name, std::string label, std::vector<std::string>* errors) {
    std::string id = CppIdentifier(name, *reserved_);
    auto [it, inserted] = seen_.emplace(id, label);
    if (!inserted) {
      errors->push_back(absl::StrCat(where_, ": ", it->second, " and ", label,
                                     " both become the C++ identifier \"", id, "\" (", what_,
                                     "); rename one of them"));
    }
    return id;
  }

 private:
  std::string where_, what_;
  const std::set<std::string>* reserved_;
  std::map<std::string, std::string> seen_;
};

struct JoinInfo {
  const v1::Table* left;
  const v1::ForeignKey* fk;
  std::string id;
};

std::string GuardOf(absl::string_view cluster_id) {
  return absl::StrCat("SCHEMAGATE_SCHEMA_CLUSTER_", absl::AsciiStrToUpper(cluster_id), "_H_");
}

}  // namespace

std::string CppIdentifier(absl::string_view name, const std::set<std::string>& reserved) {
  std::string out;
  for (size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      ++i;
      bool keep = absl::ascii_isalnum(c) || c == '_';
      char next = keep ? static_cast<char>(c) : '_';
      if (next == '_' && !out.empty() && out.back() == '_') continue;
      out += next;
    } else {
      uint32_t cp = NextCodePoint(name, &i);
      std::string piece = absl::StrCat("u", absl::Hex(cp, absl::kZeroPad4));
      if (out.empty() || out.back() != '_') out += '_';
      out += piece;
    }
  }
  if (out.empty()) out = "_";
  if (absl::ascii_isdigit(static_cast<unsigned char>(out[0]))) {
    out.insert(out.begin(), '_');
  } else if (out.size() > 1 && out[0] == '_' &&
             absl::ascii_isupper(static_cast<unsigned char>(out[1]))) {
    out.insert(out.begin(), 'x');
  }
  if (CppReservedWords().count(out) > 0 || reserved.count(out) > 0) {
    out += '_';
  }
  return out;
}

absl::StatusOr<std::vector<SchemaHeader>> EmitSchemaHeaders(const v1::BuildCatalog& catalog) {
  std::vector<std::string> errors;

  // Clusters: namespaces schemagate::schema::<id>; files <name>.h.
  Scope cluster_scope("schema headers", "namespaces of schemagate::schema", &kClusterMembers);
  std::map<std::string, std::string> cluster_id;  // cluster name -> id
  for (const v1::Cluster& c : catalog.clusters()) {
    cluster_id[c.name()] =
        cluster_scope.Add(c.name(), absl::StrCat("cluster ", Quoted(c.name())), &errors);
    if (absl::StrCat(kHeaderDir, c.name(), ".h") == kFeaturesHeader) {
      errors.push_back(absl::StrCat("schema headers: cluster ", Quoted(c.name()),
                                    ": its header would be ", kFeaturesHeader,
                                    ", the feature macros header; rename the cluster"));
    }
  }

  // Tables by name, and the struct identifier of each.
  std::map<std::string, const v1::Table*> table_by_name;
  std::map<std::string, std::string> table_id;  // table name -> struct id
  std::map<std::string, Scope> table_scopes;    // per cluster
  for (const v1::Table& t : catalog.tables()) {
    table_by_name[t.name()] = &t;
    auto [it, unused] = table_scopes.try_emplace(
        t.cluster(), absl::StrCat("schema headers: cluster ", Quoted(t.cluster())),
        absl::StrCat("structs of namespace schemagate::schema::", cluster_id[t.cluster()]),
        &kTableMembers);
    table_id[t.name()] =
        it->second.Add(t.name(), absl::StrCat("table ", Quoted(t.name())), &errors);
  }
  // Joins by the cluster that created the foreign key.
  std::map<std::string, std::vector<JoinInfo>> joins;
  std::map<std::string, Scope> join_scopes;
  for (const v1::Table& t : catalog.tables()) {
    for (const v1::ForeignKey& fk : t.foreign_keys()) {
      if (table_by_name.count(fk.references_table()) == 0) continue;
      std::string owner = fk.cluster().empty() ? t.cluster() : fk.cluster();
      if (cluster_id.count(owner) == 0) continue;
      std::string unqualified = UnqualifiedName(t.name());
      std::string raw;
      if (absl::StartsWith(fk.name(), unqualified + "_")) {
        size_t dot = t.name().find('.');
        raw = dot == std::string::npos ? fk.name()
                                       : absl::StrCat(t.name().substr(0, dot), "_", fk.name());
      } else {
        raw = absl::StrCat(t.name(), "_", fk.name());
      }
      auto [it, unused] = join_scopes.try_emplace(
          owner, absl::StrCat("schema headers: cluster ", Quoted(owner)),
          absl::StrCat("join descriptors of namespace schemagate::schema::", cluster_id[owner],
                       "::joins"),
          &kJoinMembers);
      std::string id = it->second.Add(
          raw, absl::StrCat("foreign key ", Quoted(fk.name()), " of table ", Quoted(t.name())),
          &errors);
      joins[owner].push_back(JoinInfo{&t, &fk, id});
    }
  }

  std::vector<SchemaHeader> headers;
  // schemagate/schema.h and features.h.
  {
    std::string umbrella = absl::StrCat(
        "// Generated by schemagate-gen. Do not edit.\n"
        "// schemagate/schema.h: the schema of this build, every enabled "
        "cluster.\n"
        "// See schemagate/schema_types.h and docs/CONSUMERS.md.\n"
        "#ifndef SCHEMAGATE_SCHEMA_H_\n#define SCHEMAGATE_SCHEMA_H_\n\n"
        "#include \"",
        kTypesHeader, "\"\n#include \"", kFeaturesHeader, "\"\n");
    for (const v1::Cluster& c : catalog.clusters()) {
      absl::StrAppend(&umbrella, "#include \"", kHeaderDir, c.name(), ".h\"\n");
    }
    absl::StrAppend(&umbrella, "\n#endif  // SCHEMAGATE_SCHEMA_H_\n");
    headers.push_back({std::string(kUmbrellaHeader), std::move(umbrella)});

    std::string f =
        "// Generated by schemagate-gen. Do not edit.\n"
        "// schemagate/schema/features.h: the feature set this schemagate "
        "build was made\n"
        "// with. SCHEMAGATE_HAS_<CLUSTER> is defined (as 1) for each enabled "
        "cluster,\n"
        "// bridges included, and not at all for the others, so test it with "
        "#if or\n"
        "// #ifdef:\n"
        "//   #if SCHEMAGATE_HAS_<CLUSTER>\n"
        "//   ... code that names the cluster's tables ...\n"
        "//   #endif\n"
        "#ifndef SCHEMAGATE_SCHEMA_FEATURES_H_\n"
        "#define SCHEMAGATE_SCHEMA_FEATURES_H_\n\n"
        "#include <array>\n#include <string_view>\n\n";
    for (const v1::Cluster& c : catalog.clusters()) {
      absl::StrAppend(&f, "#define SCHEMAGATE_HAS_", absl::AsciiStrToUpper(c.name()), " 1\n");
    }
    auto list = [](const auto& names) {
      std::vector<std::string> literals;
      for (const auto& n : names) literals.push_back(Literal(n));
      return absl::StrCat("::std::array<::std::string_view, ", literals.size(), "> {",
                          absl::StrJoin(literals, ", "), "}");
    };
    std::vector<std::string> clusters;
    for (const v1::Cluster& c : catalog.clusters()) clusters.push_back(c.name());
    absl::StrAppend(
        &f, "\nnamespace schemagate::schema {\n\n",
        "// The features as given at configure time (SCHEMAGATE_FEATURES, "
        "\"all\" expanded).\n",
        "inline constexpr auto kRequestedFeatures = ", list(catalog.requested_features()), ";\n",
        "// The enabled plain clusters (features): core, the requested ones "
        "and their\n// dependencies.\n",
        "inline constexpr auto kFeatures = ", list(catalog.features()), ";\n",
        "// Every enabled cluster, bridges included, in dependency order.\n",
        "inline constexpr auto kEnabledClusters = ", list(clusters), ";\n",
        "// SHA-256 over the enabled clusters' manifests and migrations (the "
        "server's\n// catalog digest).\n",
        "inline constexpr ::std::string_view kCatalogDigest = ", Literal(catalog.digest()), ";\n\n",
        "}  // namespace schemagate::schema\n\n"
        "#endif  // SCHEMAGATE_SCHEMA_FEATURES_H_\n");
    headers.push_back({std::string(kFeaturesHeader), std::move(f)});
  }

  for (const v1::Cluster& c : catalog.clusters()) {
    const std::string& cid = cluster_id[c.name()];
    std::string body;
    // Tables.
    for (const v1::Table& t : catalog.tables()) {
      if (t.cluster() != c.name()) continue;
      Scope columns_scope(
          absl::StrCat("schema headers: cluster ", Quoted(c.name()), ", table ", Quoted(t.name())),
          "members of struct columns", &kColumnsMembers);
      absl::StrAppend(&body, "// Table ", Quoted(t.name()));
      if (!t.created_by().empty()) {
        absl::StrAppend(&body, ", created by ", Quoted(t.created_by()));
      }
      absl::StrAppend(
          &body, ".\nstruct ", table_id[t.name()], " {\n",
          "  static constexpr ::std::string_view name = ", Literal(t.name()), ";\n",
          "  static constexpr ::std::string_view sql = ", Literal(SqlTableName(t.name())), ";\n",
          "  static constexpr ::std::string_view cluster = ", Literal(t.cluster()), ";\n",
          "  struct columns {\n");
      std::vector<std::string> column_ids;
      for (const v1::Column& col : t.columns()) {
        std::string id =
            columns_scope.Add(col.name(), absl::StrCat("column ", Quoted(col.name())), &errors);
        column_ids.push_back(id);
        absl::StrAppend(&body, "    static constexpr ", kNamespace, "::Column ", id, "{",
                        Literal(col.name()), ", ", Literal(SqlIdentifier(col.name())), ", ",
                        Literal(col.type()), ", ", col.nullable() ? "true" : "false", ", ",
                        Literal(col.cluster().empty() ? t.cluster() : col.cluster()), "};\n");
      }
      std::vector<std::string> refs;
      for (const std::string& id : column_ids) refs.push_back("columns::" + id);
      std::vector<std::string> pk(t.primary_key().begin(), t.primary_key().end());
      absl::StrAppend(&body, "  };\n", "  static constexpr ::std::array<", kNamespace, "::Column, ",
                      refs.size(), "> all_columns = {", absl::StrJoin(refs, ", "), "};\n",
                      "  static constexpr ", kNamespace, "::Names<", pk.size(),
                      "> primary_key = ", Braced(pk), ";\n};\n\n");
    }

    // Join descriptors and the headers they need.
    std::set<std::string> includes;
    std::string joins_body;
    for (const JoinInfo& j : joins[c.name()]) {
      const v1::Table& left = *j.left;
      const v1::ForeignKey& fk = *j.fk;
      const v1::Table& right = *table_by_name.at(fk.references_table());
      for (const v1::Table* t : {&left, &right}) {
        if (t->cluster() != c.name()) includes.insert(t->cluster());
      }
      std::vector<std::string> left_cols(fk.columns().begin(), fk.columns().end());
      std::vector<std::string> right_cols(fk.references_columns().begin(),
                                          fk.references_columns().end());
      std::string left_alias = SqlTableName(left.name());
      std::string right_alias = SqlTableName(right.name());
      bool self = left.name() == right.name();
      if (self) {
        // As the server's join answers do: the referenced side is named
        // after the key column ("parent_id" -> "parent").
        right_alias = catalog::SelfJoinAlias(left_cols.empty() ? "" : left_cols[0], right.name());
      }
      std::vector<std::string> left_sql, right_sql, parts;
      for (const std::string& col : left_cols) left_sql.push_back(SqlIdentifier(col));
      for (const std::string& col : right_cols) right_sql.push_back(SqlIdentifier(col));
      for (size_t i = 0; i < left_sql.size() && i < right_sql.size(); ++i) {
        parts.push_back(
            absl::StrCat(left_alias, ".", left_sql[i], " = ", right_alias, ".", right_sql[i]));
      }
      std::string on = absl::StrJoin(parts, " AND ");
      std::string join = absl::StrCat("JOIN ", SqlTableName(right.name()),
                                      self ? absl::StrCat(" AS ", right_alias) : "", " ON ", on);
      absl::StrAppend(
          &joins_body, "// Foreign key ", Quoted(fk.name()), ": ", Quoted(left.name()), " (",
          CommentText(absl::StrJoin(left_sql, ", ")), ") -> ", Quoted(right.name()), " (",
          CommentText(absl::StrJoin(right_sql, ", ")), ").\n", "struct ", j.id, " {\n",
          "  using left_table = ", kNamespace, "::", cluster_id[left.cluster()],
          "::", table_id[left.name()], ";\n", "  using right_table = ", kNamespace,
          "::", cluster_id[right.cluster()], "::", table_id[right.name()], ";\n",
          "  static constexpr ::std::string_view name = ", Literal(fk.name()), ";\n",
          "  static constexpr ::std::string_view cluster = ",
          Literal(fk.cluster().empty() ? left.cluster() : fk.cluster()), ";\n",
          "  static constexpr ", kNamespace, "::Names<", left_cols.size(),
          "> left_columns = ", Braced(left_cols), ";\n", "  static constexpr ", kNamespace,
          "::Names<", right_cols.size(), "> right_columns = ", Braced(right_cols), ";\n",
          "  static constexpr ", kNamespace, "::Names<", left_sql.size(),
          "> left_columns_sql = ", Braced(left_sql), ";\n", "  static constexpr ", kNamespace,
          "::Names<", right_sql.size(), "> right_columns_sql = ", Braced(right_sql), ";\n",
          "  static constexpr ::std::string_view left_alias = ", Literal(left_alias), ";\n",
          "  static constexpr ::std::string_view right_alias = ", Literal(right_alias), ";\n",
          "  static constexpr ::std::string_view on = ", Literal(on), ";\n",
          "  static constexpr ::std::string_view join = ", Literal(join), ";\n", "};\n\n");
    }

    std::string guard = GuardOf(cid);
    std::string out =
        absl::StrCat("// Generated by schemagate-gen. Do not edit.\n", "// schemagate/schema/",
                     CommentText(c.name()), ".h: cluster ", Quoted(c.name()));
    if (!c.description().empty()) {
      absl::StrAppend(&out, " - ", CommentText(c.description()));
    }
    absl::StrAppend(&out, "\n");
    if (c.bridge()) {
      absl::StrAppend(&out, "// A bridge: enabled when all of these features are: ",
                      CommentText(absl::StrJoin(c.requires_features(), ", ")), ".\n");
    }
    if (c.depends_on_size() > 0) {
      absl::StrAppend(&out, "// Depends on: ", CommentText(absl::StrJoin(c.depends_on(), ", ")),
                      ".\n");
    }
    absl::StrAppend(&out,
                    "//\n"
                    "// This header exists only in builds that enable the cluster (then\n"
                    "// SCHEMAGATE_HAS_",
                    absl::AsciiStrToUpper(c.name()),
                    " is defined). See docs/CONSUMERS.md.\n"
                    "//\n"
                    "// Each table the cluster creates is a struct of constants:\n"
                    "//   name         as PostgreSQL stores it (\"schema.name\" outside "
                    "public)\n"
                    "//   sql          as SQL writes it (quoted where needed)\n"
                    "//   cluster      the cluster that created it\n"
                    "//   columns::<c> a schemagate::schema::Column (schemagate/"
                    "schema_types.h); the\n"
                    "//                columns the table has in this build: one that "
                    "another cluster\n"
                    "//                adds exists only where that cluster is enabled "
                    "(Column::cluster)\n"
                    "//   all_columns  every column, in table order\n"
                    "//   primary_key  its columns' names (empty without one)\n"
                    "// Each foreign key the cluster created is a join descriptor in "
                    "namespace joins:\n"
                    "//   left_table, right_table  the table holding the key and the one "
                    "it references\n"
                    "//   name, cluster            the constraint and the cluster that "
                    "created it\n"
                    "//   left_columns[i]          references right_columns[i] (*_sql: "
                    "quoted as SQL needs)\n"
                    "//   left_alias, right_alias  the names `on` uses: the tables', but a "
                    "self-reference\n"
                    "//                            names the referenced side after the key "
                    "column\n"
                    "//   on                       \"<left_alias>.<column> = "
                    "<right_alias>.<column>\" (AND ...)\n"
                    "//   join                     \"JOIN <right table> [AS <alias>] ON "
                    "<on>\"\n"
                    "// A descriptor lives with the cluster that created the key, whose "
                    "dependency\n"
                    "// closure holds both tables, so it exists exactly when both tables "
                    "do.\n",
                    "#ifndef ", guard, "\n#define ", guard, "\n\n",
                    "#include <array>\n#include <string_view>\n\n", "#include \"", kTypesHeader,
                    "\"\n", "#include \"", kFeaturesHeader, "\"\n");
    for (const std::string& inc : includes) {
      absl::StrAppend(&out, "#include \"", kHeaderDir, inc, ".h\"\n");
    }
    absl::StrAppend(&out, "\nnamespace schemagate::schema::", cid, " {\n\n",
                    "inline constexpr ::std::string_view kCluster = ", Literal(c.name()), ";\n\n",
                    body);
    absl::StrAppend(&out, "namespace joins {\n\n", joins_body, "}  // namespace joins\n\n");
    absl::StrAppend(&out, "}  // namespace schemagate::schema::", cid, "\n\n#endif  // ", guard,
                    "\n");
    headers.push_back({absl::StrCat(kHeaderDir, c.name(), ".h"), std::move(out)});
  }

  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  return headers;
}

}  // namespace schemagate::generator
