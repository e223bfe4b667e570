// `schemagate join` and `schemagate query`: the join questions, answered
// from the embedded catalog (no database).
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/catalog/join.h"
#include "server/catalog/query.h"
#include "server/catalog/sql_names.h"
#include "server/main/catalog_json.h"
#include "server/main/commands.h"
#include "server/main/common.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"

namespace schemagate::commands {
namespace {

constexpr int kExitWarnings = exit_codes::kWarnings;
constexpr int kExitNotJoinable = exit_codes::kNotAvailable;

void PrintEdge(const catalog::JoinEdge& e, const std::string& indent) {
  std::cout << indent << "ON " << e.on << "   (" << e.foreign_key;
  if (e.to_alias != catalog::SqlTableName(e.to_table)) {
    std::cout << "; the referenced side as " << e.to_alias;
  }
  std::cout << ")\n";
}

void PrintStep(const catalog::JoinStep& s) {
  std::cout << "  " << s.sql << "   (" << s.edge.foreign_key << ")\n";
  for (const catalog::JoinEdge& alt : s.alternatives) {
    std::cout << "       or ON " << alt.on << "   (" << alt.foreign_key << ")\n";
  }
}

void PrintTables(const std::vector<catalog::TableResult>& tables) {
  for (const catalog::TableResult& t : tables) {
    std::cout << t.requested << ": " << catalog::ToString(t.status());
    if (t.lookup.state == catalog::TableState::kClusterDisabled) {
      std::cout << " (cluster " << t.lookup.cluster << "; enable feature "
                << absl::StrJoin(t.lookup.enable_features, ", ")
                << (t.lookup.compiled ? "" : "; not compiled into this build") << ")";
    } else if (!t.suggestions.empty()) {
      std::cout << " (did you mean " << absl::StrJoin(t.suggestions, ", ") << "?)";
    } else if (t.lookup.state == catalog::TableState::kAvailable) {
      std::cout << " (cluster " << t.lookup.cluster << ")";
    }
    std::cout << "\n";
  }
}

int ExitFor(catalog::JoinVerdict v) {
  switch (v) {
    case catalog::JoinVerdict::kOk:
      return 0;
    case catalog::JoinVerdict::kAmbiguous:
      return kExitWarnings;
    default:
      return kExitNotJoinable;
  }
}

}  // namespace

int Join(const Args& args) {
  CommonFlags common;
  bool json = false;
  std::vector<std::string> pairs;
  cli::FlagSet flags("schemagate join",
                     "May these tables appear together in this build, and how are they "
                     "joined? Prints each table's availability, the ON clause of a direct "
                     "foreign key (or every candidate when several), the shortest path "
                     "when there is none, and for three or more tables a connecting join "
                     "tree with the fewest extra tables.");
  flags.SetPositionalUsage("TABLE [TABLE...]");
  common.Register(flags);
  flags.Bool("json", &json, "print the answer as JSON");
  flags.List("pair", &pairs,
             "LEFT:RIGHT[:FOREIGN_KEY] — ask about this pair, optionally "
             "choosing one of several keys (repeatable)");
  flags.SetEpilog(exit_codes::kHelp);
  cli::ParseResult parsed = flags.Parse(args);
  if (int code = flags.Finish(parsed, 1000, exit_codes::kUsage); code >= 0) {
    return code;
  }
  if (absl::Status s = common.Apply(); !s.ok()) return Fail("schemagate join", s);
  catalog::JoinRequest request;
  request.tables = parsed.positional;
  for (const std::string& p : pairs) {
    std::vector<std::string> parts = absl::StrSplit(p, ':');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
      return Fail(
          "schemagate join",
          errors::WithKind(absl::InvalidArgumentError(
                               "--pair must be LEFT:RIGHT[:FOREIGN_KEY], got \"" + p + "\""),
                           errors::ErrorKind::kUsage));
    }
    request.pairs.push_back({parts[0], parts[1], parts.size() == 3 ? parts[2] : ""});
  }
  if (request.tables.empty() && request.pairs.empty()) {
    return Fail("schemagate join",
                errors::WithKind(absl::InvalidArgumentError("name at least one table (see --help)"),
                                 errors::ErrorKind::kUsage));
  }
  absl::StatusOr<catalog::Catalog> catalog = LoadCatalog(common, flags.IsSet("features"));
  if (!catalog.ok()) return Fail("schemagate join", catalog.status());
  catalog::JoinGraph graph(*catalog);
  catalog::JoinResult result = graph.Join(request);
  if (json) {
    std::cout << JoinJson(result).dump(2) << "\n";
    return ExitFor(result.verdict);
  }
  PrintTables(result.tables);
  for (const catalog::PairResult& p : result.pairs) {
    std::cout << "\n" << p.left << " - " << p.right << ": " << catalog::ToString(p.status);
    if (!p.message.empty()) std::cout << " — " << p.message;
    std::cout << "\n";
    for (const catalog::JoinEdge& e : p.candidates) PrintEdge(e, "  ");
    if (!p.path.empty()) {
      std::cout << "  FROM " << catalog::SqlTableName(p.path[0].to) << "\n";
      for (const catalog::JoinStep& s : p.path) PrintStep(s);
    }
  }
  const catalog::TreeResult& tree = result.tree;
  if (result.tables.size() > 2 && tree.connected && !tree.steps.empty()) {
    std::cout << "\njoin tree" << (tree.optimal ? "" : " (best found)") << ":\n"
              << "  FROM " << catalog::SqlTableName(tree.root) << "\n";
    for (const catalog::JoinStep& s : tree.steps) PrintStep(s);
    if (!tree.extra_tables.empty()) {
      std::cout << "  extra tables: " << absl::StrJoin(tree.extra_tables, ", ") << "\n";
    }
  } else if (!tree.connected && !tree.message.empty()) {
    std::cout << "\n" << tree.message << "\n";
  }
  std::cout << "\nverdict: " << catalog::ToString(result.verdict) << "\n";
  return ExitFor(result.verdict);
}

int Query(const Args& args) {
  CommonFlags common;
  bool json = false;
  std::string file;
  cli::FlagSet flags("schemagate query",
                     "Checks SQL against this build: every relation it references (FROM, "
                     "JOIN, subqueries, CTE bodies, INSERT/UPDATE/DELETE/MERGE targets, "
                     "USING) and whether each join condition follows a foreign key. The SQL "
                     "is the argument, --file, or standard input ('-').");
  flags.SetPositionalUsage("SQL|-");
  common.Register(flags);
  flags.Bool("json", &json, "print the answer as JSON");
  flags.String("file", &file, "read the SQL from this file");
  flags.SetEpilog(exit_codes::kHelp);
  cli::ParseResult parsed = flags.Parse(args);
  if (int code = flags.Finish(parsed, 1, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate query";
  if (absl::Status s = common.Apply(); !s.ok()) return Fail(cmd, s);
  std::string sql;
  if (!file.empty() || (!parsed.positional.empty() && parsed.positional[0] == "-")) {
    std::ostringstream buffer;
    if (!file.empty()) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        return Fail(cmd, errors::WithKind(absl::InvalidArgumentError("cannot read --file " + file),
                                          errors::ErrorKind::kUsage));
      }
      buffer << in.rdbuf();
    } else {
      buffer << std::cin.rdbuf();
    }
    sql = buffer.str();
  } else if (!parsed.positional.empty()) {
    sql = parsed.positional[0];
  } else {
    return Fail(cmd, errors::WithKind(absl::InvalidArgumentError("give the SQL, --file or -"),
                                      errors::ErrorKind::kUsage));
  }
  absl::StatusOr<catalog::Catalog> catalog = LoadCatalog(common, flags.IsSet("features"));
  if (!catalog.ok()) return Fail(cmd, catalog.status());
  catalog::JoinGraph graph(*catalog);
  absl::StatusOr<catalog::QueryResult> result = catalog::AnalyzeQuery(graph, sql);
  if (!result.ok()) {
    return Fail(cmd, errors::WithKind(result.status(), errors::ErrorKind::kUsage));
  }
  int code = result->verdict == catalog::QueryVerdict::kOk         ? 0
             : result->verdict == catalog::QueryVerdict::kWarnings ? kExitWarnings
                                                                   : kExitNotJoinable;
  if (json) {
    std::cout << QueryJson(*result).dump(2) << "\n";
    return code;
  }
  for (const catalog::QueryTable& t : result->tables) {
    std::cout << t.name << ": " << catalog::ToString(t.status()) << " (" << t.role;
    if (!t.lookup.cluster.empty()) std::cout << ", cluster " << t.lookup.cluster;
    std::cout << ", " << t.line << ":" << t.column << ")\n";
  }
  for (const catalog::QueryCondition& c : result->conditions) {
    std::cout << "condition " << c.text << ": "
              << (c.matches_foreign_key ? "foreign key " + c.foreign_key
                                        : std::string("no foreign key"))
              << "\n";
  }
  for (const std::string& m : result->messages) std::cout << "note: " << m << "\n";
  std::cout << "verdict: " << catalog::ToString(result->verdict) << "\n";
  return code;
}

}  // namespace schemagate::commands
