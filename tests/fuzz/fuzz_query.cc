// Fuzz target: the SQL splitter (sql::Split, server/sql/parser.h) and the
// query analyzer (catalog::AnalyzeQuery / AnalyzeParsedQuery,
// server/catalog/query.h: the SQL parsed once, checked twice) against
// the catalog embedded in this build (server/catalog/embedded.h): once with
// every compiled cluster enabled and once narrowed to core and tasks (when
// compiled), so tables of disabled clusters are met too. The input is SQL.
//
// Checks besides "no crash": Split's ranges lie inside the text, in order,
// without overlap; positions reported by AnalyzeQuery point into the text;
// a text AnalyzeQuery accepts is also accepted by Split (same parser); both
// catalogs see the same tables and conditions in the same places.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "server/catalog/catalog.h"
#include "server/catalog/embedded.h"
#include "server/catalog/join.h"
#include "server/catalog/query.h"
#include "server/sql/parser.h"

namespace {

using schemagate::catalog::AnalyzeParsedQuery;
using schemagate::catalog::AnalyzeQuery;
using schemagate::catalog::Catalog;
using schemagate::catalog::JoinGraph;
using schemagate::catalog::QueryResult;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_query: %s\n", what);
  std::abort();
}

struct Graphs {
  std::unique_ptr<Catalog> full, narrow;
  std::unique_ptr<JoinGraph> full_graph, narrow_graph;
};

const Graphs& GetGraphs() {
  static const Graphs* graphs = [] {
    auto* g = new Graphs;
    absl::StatusOr<Catalog> full = Catalog::Load(schemagate::catalog::EmbeddedCatalogBytes());
    Check(full.ok(), "the embedded catalog does not load");
    g->full = std::make_unique<Catalog>(*std::move(full));
    absl::StatusOr<Catalog> narrow = g->full->Narrow({"tasks"});
    if (!narrow.ok()) narrow = g->full->Narrow({});  // a build without tasks
    Check(narrow.ok(), "the embedded catalog does not narrow to core");
    g->narrow = std::make_unique<Catalog>(*std::move(narrow));
    g->full_graph = std::make_unique<JoinGraph>(*g->full);
    g->narrow_graph = std::make_unique<JoinGraph>(*g->narrow);
    return g;
  }();
  return *graphs;
}

int Lines(absl::string_view text) {
  return 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

void CheckResult(const QueryResult& r, absl::string_view text) {
  const int lines = Lines(text);
  Check(r.statements >= 1, "an accepted query without statements");
  for (const auto& t : r.tables) {
    Check(t.line >= 1 && t.line <= lines && t.column >= 1, "a table position outside the text");
    Check(t.statement >= 0 && t.statement < r.statements, "a table in no statement");
    Check(!t.role.empty(), "a table without a role");
  }
  for (const auto& c : r.conditions) {
    Check(c.line >= 1 && c.line <= lines && c.column >= 1, "a condition position outside the text");
    Check(c.statement >= 0 && c.statement < r.statements, "a condition in no statement");
    Check(c.matches_foreign_key == !c.foreign_key.empty(), "matches_foreign_key disagrees");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  GetGraphs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  const Graphs& g = GetGraphs();

  absl::StatusOr<std::vector<schemagate::sql::StatementRange>> ranges =
      schemagate::sql::Split(text);
  if (ranges.ok()) {
    size_t end = 0;
    for (const schemagate::sql::StatementRange& r : *ranges) {
      Check(r.offset >= end, "split ranges overlap or go backwards");
      Check(r.offset <= text.size() && r.length <= text.size() - r.offset,
            "a split range outside the text");
      end = r.offset + r.length;
    }
  }

  // Parsed once and checked against both catalogs (AnalyzeQuery would
  // parse it again for each: a third of the target's time).
  absl::StatusOr<schemagate::sql::ProtoTree> tree = schemagate::sql::ParseProto(text);
  absl::StatusOr<QueryResult> full, narrow;
  if (!tree.ok()) {
    // What AnalyzeQuery answers for SQL that does not parse, whatever the
    // catalog.
    full = narrow = tree.status();
  } else if (tree->statements.empty() || absl::StripAsciiWhitespace(text).empty()) {
    full = AnalyzeQuery(*g.full_graph, text);
    narrow = AnalyzeQuery(*g.narrow_graph, text);
  } else {
    full = AnalyzeParsedQuery(*g.full_graph, text, *tree);
    narrow = AnalyzeParsedQuery(*g.narrow_graph, text, *tree);
  }
  Check(full.ok() == narrow.ok(), "the catalogs disagree on whether the query is valid");
  if (!full.ok()) {
    Check(full.status().code() == absl::StatusCode::kInvalidArgument,
          "AnalyzeQuery failed with another code than INVALID_ARGUMENT");
    Check(full.status() == narrow.status(), "the catalogs give different errors");
    return 0;
  }
  Check(ranges.ok(), "AnalyzeQuery accepts what Split refuses");
  CheckResult(*full, text);
  CheckResult(*narrow, text);
  Check(full->statements == narrow->statements, "statement counts differ");
  Check(full->tables.size() == narrow->tables.size(), "table counts differ");
  for (size_t i = 0; i < full->tables.size(); ++i) {
    Check(full->tables[i].line == narrow->tables[i].line &&
              full->tables[i].column == narrow->tables[i].column,
          "tables at different places");
  }
  return 0;
}
