// Join validation and query checks: Google Benchmark, each case next to its
// reference measured in the same run (scripts/bench/join.sh):
//   - a direct pair vs two hash lookups of the table names (the least work
//     any answer needs);
//   - a query check vs libpg_query's parse of the same SQL alone.
// Catalogs: the bundled full build (SCHEMAGATE_CATALOG_FULL, a
// catalog.binpb) and a generated one of 5,000 tables in 50 clusters.
//
// Catalog loading at start-up (scripts/bench/plan.sh): for each LABEL=PATH
// of SCHEMAGATE_BENCH_CATALOGS (comma-separated catalog.binpb files, e.g. of
// the generated trees of scripts/bench/trees.sh), Catalog::Load of the
// embedded bytes next to protobuf's parse of the same bytes alone (the
// least loading can cost), and the join graph build that serve adds:
//   BM_Limit_ParseProto/LABEL, BM_LoadCatalog/LABEL, BM_BuildGraphOf/LABEL
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_map.h"
extern "C" {
#include <pg_query.h>
}
#include "server/catalog/join.h"
#include "server/catalog/query.h"
#include "server/sql/parser.h"
#include "tests/support/generated_catalog.h"

namespace schemagate {
namespace {

using catalog::Catalog;
using catalog::JoinGraph;

struct Fixture {
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<JoinGraph> graph;
};

Fixture& Bundled() {
  static Fixture* f = [] {
    auto* out = new Fixture;
    const char* path = std::getenv("SCHEMAGATE_CATALOG_FULL");
    std::ifstream in(path != nullptr ? path : "build/generated/full/catalog.binpb",
                     std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    absl::StatusOr<Catalog> c = Catalog::Load(s.str());
    if (!c.ok()) {
      fprintf(stderr, "cannot load the bundled catalog: %s\n",
              std::string(c.status().message()).c_str());
      std::exit(2);
    }
    out->catalog = std::make_unique<Catalog>(*std::move(c));
    out->graph = std::make_unique<JoinGraph>(*out->catalog);
    return out;
  }();
  return *f;
}

Fixture& Generated() {
  static Fixture* f = [] {
    auto* out = new Fixture;
    test::GeneratedCatalogOptions o;  // 5,000 tables, 50 clusters
    out->catalog = std::make_unique<Catalog>(*Catalog::FromProto(test::GenerateCatalog(o)));
    out->graph = std::make_unique<JoinGraph>(*out->catalog);
    return out;
  }();
  return *f;
}

// A pair joined by one foreign key, and `k` tables that a tree connects
// within a small neighbourhood (what a real query joins).
std::pair<std::string, std::string> DirectPair(const Catalog& c) {
  JoinGraph graph(c);
  for (const v1::Table& t : c.enabled().tables()) {
    for (const v1::ForeignKey& fk : t.foreign_keys()) {
      if (fk.references_table() != t.name() &&
          graph.Direct(t.name(), fk.references_table()).size() == 1) {
        return {t.name(), fk.references_table()};
      }
    }
  }
  fprintf(stderr, "no table pair joined by exactly one foreign key\n");
  std::exit(2);
}

std::vector<std::string> Neighbourhood(const Catalog& c, size_t k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto& tables = c.enabled().tables();
  std::uniform_int_distribution<int> pick(0, tables.size() - 1);
  while (true) {
    const v1::Table& start = tables[pick(rng)];
    std::vector<std::string> out = {start.name()};
    std::set<std::string> seen = {start.name()};
    // Walk foreign keys out and back in (children of the same parent).
    for (const v1::ForeignKey& fk : start.foreign_keys()) {
      if (seen.insert(fk.references_table()).second) out.push_back(fk.references_table());
    }
    for (const v1::Table& t : tables) {
      if (out.size() >= k) break;
      for (const v1::ForeignKey& fk : t.foreign_keys()) {
        if (seen.count(fk.references_table()) && seen.insert(t.name()).second) {
          out.push_back(t.name());
          break;
        }
      }
    }
    if (out.size() >= k) {
      out.resize(k);
      // Drop the connecting tables from the request: the tree must find them.
      return out;
    }
  }
}

void BM_Limit_TwoLookups(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  auto [a, b] = DirectPair(*f.catalog);
  absl::flat_hash_map<std::string, int> index;
  int i = 0;
  for (const v1::Table& t : f.catalog->enabled().tables()) index[t.name()] = i++;
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.find(a));
    benchmark::DoNotOptimize(index.find(b));
  }
}

void BM_DirectPair(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  auto [a, b] = DirectPair(*f.catalog);
  catalog::JoinRequest request{{a, b}, {}};
  if (f.graph->Join(request).pairs[0].status != catalog::PairStatus::kDirect) {
    state.SkipWithError("not a direct pair");
  }
  state.SetLabel(a + " - " + b);
  for (auto _ : state) {
    catalog::JoinResult r = f.graph->Join(request);
    benchmark::DoNotOptimize(r);
  }
}

// An unknown table name: the lookup plus "did you mean" suggestions, which
// compare the name with every table (JoinGraph::Suggest). Arg 0: a typo of
// a table of the catalog (one letter dropped); arg 1: an unrelated name of
// 63 bytes, PostgreSQL's longest identifier.
void BM_UnknownName(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  auto [a, b] = DirectPair(*f.catalog);
  std::string name =
      state.range(0) == 0 ? a.substr(0, a.size() - 1) : std::string(63, 'q').replace(0, 5, "zzzz_");
  if (f.catalog->Lookup(name).state != catalog::TableState::kUnknown) {
    state.SkipWithError("the name is known");
  }
  state.SetLabel(name.substr(0, 20));
  for (auto _ : state) {
    catalog::JoinResult r = f.graph->Join({{name}, {}});
    benchmark::DoNotOptimize(r);
  }
}

void BM_Tree(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  std::vector<std::vector<std::string>> requests;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    requests.push_back(Neighbourhood(*f.catalog, state.range(0), seed));
  }
  size_t i = 0;
  for (auto _ : state) {
    catalog::JoinResult r = f.graph->Join({requests[i++ % requests.size()], {}});
    benchmark::DoNotOptimize(r);
  }
}

void BM_TreeRandomTables(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  std::mt19937_64 rng(7);
  const auto& tables = f.catalog->enabled().tables();
  std::uniform_int_distribution<int> pick(0, tables.size() - 1);
  std::vector<std::vector<std::string>> requests;
  for (int r = 0; r < 16; ++r) {
    std::vector<std::string> names;
    for (int i = 0; i < state.range(0); ++i) names.push_back(tables[pick(rng)].name());
    requests.push_back(names);
  }
  size_t i = 0;
  for (auto _ : state) {
    catalog::JoinResult r = f.graph->Join({requests[i++ % requests.size()], {}});
    benchmark::DoNotOptimize(r);
  }
}

// About 300 characters, three joins, a subquery.
std::string Query300(const Catalog& c) {
  if (c.FindTable("tasks") != nullptr) {
    return "SELECT t.id, t.title, u.email, p.name FROM tasks t JOIN users u ON "
           "t.assignee_id = u.id JOIN projects p ON p.id = t.project_id LEFT "
           "JOIN task_comments tc ON tc.task_id = t.id WHERE t.status = 'open' "
           "AND EXISTS (SELECT 1 FROM task_watchers w WHERE w.task_id = t.id AND "
           "w.user_id = $1) ORDER BY t.due_at LIMIT 50";
  }
  return "SELECT a.id, b.id, c.id FROM c3_t10 a JOIN c3_t11 b ON b.fk0_id = "
         "a.id JOIN core_t5 c ON c.id = a.fk1_id LEFT JOIN c3_t12 d ON d.fk0_id "
         "= b.id WHERE a.id > 100 AND EXISTS (SELECT 1 FROM c3_t13 e WHERE "
         "e.fk0_id = a.id AND e.id = $1) ORDER BY a.id DESC LIMIT 50 OFFSET 10";
}

// The query of state.range(0) statements: Query300 repeated, each copy
// its own statement (1 ~ 300 chars, 10 ~ 3 KB, 100 ~ 30 KB).
std::string QueryOfSize(const Catalog& c, int64_t statements) {
  std::string one = Query300(c), sql;
  for (int64_t i = 0; i < statements; ++i) sql += (i == 0 ? "" : ";\n") + one;
  return sql;
}

// libpg_query's own parse (its JSON output), the least any check costs.
void BM_Limit_ParseOnly(benchmark::State& state, Fixture& (*fixture)()) {
  std::string sql = QueryOfSize(*fixture().catalog, state.range(0));
  for (auto _ : state) {
    PgQueryParseResult r = pg_query_parse(sql.c_str());
    benchmark::DoNotOptimize(r.parse_tree);
    pg_query_free_parse_result(r);
  }
  state.SetLabel(std::to_string(sql.size()) + " chars");
}

// The same parse as serialized protobuf (what sql::ParseProto starts from).
void BM_Limit_ParseProtobuf(benchmark::State& state, Fixture& (*fixture)()) {
  std::string sql = QueryOfSize(*fixture().catalog, state.range(0));
  for (auto _ : state) {
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql.c_str());
    benchmark::DoNotOptimize(r.parse_tree.data);
    pg_query_free_protobuf_parse_result(r);
  }
  state.SetLabel(std::to_string(sql.size()) + " chars");
}

void BM_Query(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  std::string sql = QueryOfSize(*f.catalog, state.range(0));
  for (auto _ : state) {
    absl::StatusOr<catalog::QueryResult> r = catalog::AnalyzeQuery(*f.graph, sql);
    if (!r.ok()) {
      state.SkipWithError("the query does not check");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(std::to_string(sql.size()) + " chars");
}

void BM_BuildGraph(benchmark::State& state, Fixture& (*fixture)()) {
  Fixture& f = fixture();
  for (auto _ : state) {
    JoinGraph g(*f.catalog);
    benchmark::DoNotOptimize(g);
  }
}

BENCHMARK_CAPTURE(BM_Limit_TwoLookups, bundled, &Bundled);
BENCHMARK_CAPTURE(BM_DirectPair, bundled, &Bundled);
BENCHMARK_CAPTURE(BM_UnknownName, bundled, &Bundled)->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(BM_Tree, bundled, &Bundled)->Arg(5);
BENCHMARK_CAPTURE(BM_Limit_ParseOnly, bundled, &Bundled)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_Limit_ParseProtobuf, bundled, &Bundled)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_Query, bundled, &Bundled)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_BuildGraph, bundled, &Bundled);
BENCHMARK_CAPTURE(BM_Limit_TwoLookups, generated5000, &Generated);
BENCHMARK_CAPTURE(BM_DirectPair, generated5000, &Generated);
BENCHMARK_CAPTURE(BM_UnknownName, generated5000, &Generated)->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(BM_Tree, generated5000, &Generated)->Arg(3)->Arg(5)->Arg(8);
BENCHMARK_CAPTURE(BM_TreeRandomTables, generated5000, &Generated)->Arg(5);
BENCHMARK_CAPTURE(BM_Limit_ParseOnly, generated5000, &Generated)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_Limit_ParseProtobuf, generated5000, &Generated)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_Query, generated5000, &Generated)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_BuildGraph, generated5000, &Generated);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void BM_Limit_ParseProto(benchmark::State& state, const std::string& bytes) {
  for (auto _ : state) {
    v1::BuildCatalog c;
    benchmark::DoNotOptimize(c.ParseFromString(bytes));
  }
  state.SetLabel(std::to_string(bytes.size()) + " bytes");
}

void BM_LoadCatalog(benchmark::State& state, const std::string& bytes) {
  size_t tables = 0, migrations = 0;
  for (auto _ : state) {
    absl::StatusOr<Catalog> c = Catalog::Load(bytes);
    if (!c.ok()) {
      state.SkipWithError("catalog does not load");
      break;
    }
    tables = c->enabled().tables_size();
    migrations = c->ApplyOrder().size();
    benchmark::DoNotOptimize(c);
  }
  state.SetLabel(std::to_string(migrations) + " migrations, " + std::to_string(tables) + " tables");
}

void BM_BuildGraphOf(benchmark::State& state, const std::string& bytes) {
  Catalog c = *Catalog::Load(bytes);
  for (auto _ : state) {
    JoinGraph g(c);
    benchmark::DoNotOptimize(g);
  }
}

// One set of the three per SCHEMAGATE_BENCH_CATALOGS entry.
void RegisterCatalogLoads() {
  const char* env = std::getenv("SCHEMAGATE_BENCH_CATALOGS");
  if (env == nullptr) return;
  std::stringstream list(env);
  std::string item;
  while (std::getline(list, item, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) continue;
    std::string label = item.substr(0, eq);
    auto* bytes = new std::string(ReadFile(item.substr(eq + 1)));  // lives for the run
    benchmark::RegisterBenchmark(("BM_Limit_ParseProto/" + label).c_str(),
                                 [bytes](benchmark::State& s) { BM_Limit_ParseProto(s, *bytes); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_LoadCatalog/" + label).c_str(), [bytes](benchmark::State& s) {
      BM_LoadCatalog(s, *bytes);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_BuildGraphOf/" + label).c_str(), [bytes](
                                                                           benchmark::State& s) {
      BM_BuildGraphOf(s, *bytes);
    })->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace
}  // namespace schemagate

int main(int argc, char** argv) {
  schemagate::RegisterCatalogLoads();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
