// What recording Prometheus metrics costs, in process (Google Benchmark;
// scripts/bench/rpc_metrics.sh puts it beside the server's CPU time per RPC
// measured with and without --metrics-listen):
//   BM_RecordRpc            one finished RPC recorded (RpcMetrics::Observe:
//                           a counter and a histogram of a series that
//                           exists), from 1 and 2 threads on the same series
//   BM_RecordMigrationEvent one engine event (a finished migration)
//   BM_Scrape               the text exposition of a registry holding what a
//                           busy full-build server holds (12 methods x 3
//                           codes, 19 clusters' migrations), per scrape
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "server/metrics/metrics.h"
#include "server/metrics/migration.h"
#include "server/metrics/rpc.h"

namespace schemagate::metrics {
namespace {

const std::vector<std::string>& Methods() {
  static const auto* m = new std::vector<std::string>{
      "ListClusters",       "CheckTables",     "ValidateJoin",  "ValidateQuery",
      "GetMigrationStatus", "PlanMigrations",  "VerifySchema",  "ApplyMigrations",
      "RollbackCluster",    "RepairChecksums", "AdoptDatabase", "WatchClusters"};
  return *m;
}

void BM_RecordRpc(benchmark::State& state) {
  static auto* registry = new prometheus::Registry();
  static auto* rpcs = new RpcMetrics(*registry, "schemagate.v1.SchemaGate", Methods());
  const int method = rpcs->MethodIndex("CheckTables");
  rpcs->Observe(method, 0, 0.0002);  // the series exists, as on a running server
  for (auto _ : state) rpcs->Observe(method, 0, 0.0002);
}
BENCHMARK(BM_RecordRpc)->Threads(1)->Threads(2)->UseRealTime();

void BM_RecordMigrationEvent(benchmark::State& state) {
  prometheus::Registry registry;
  MigrationMetrics migrations(registry);
  migrate::Event e{migrate::Event::kFinished, "core", 1, "init", absl::Milliseconds(30), "", ""};
  for (auto _ : state) migrations.Observe(e);
}
BENCHMARK(BM_RecordMigrationEvent);

void BM_Scrape(benchmark::State& state) {
  auto registry = std::make_shared<prometheus::Registry>();
  AddBuildInfo(*registry, {kVersion, "all"});
  RpcMetrics rpcs(*registry, "schemagate.v1.SchemaGate", Methods());
  for (const std::string& m : Methods()) {
    for (int code : {0, 3, 14}) rpcs.Observe(rpcs.MethodIndex(m), code, 0.001);
  }
  MigrationMetrics migrations(*registry);
  for (int c = 0; c < 19; ++c) {
    migrations.Observe(migrate::Event{migrate::Event::kFinished, "cluster" + std::to_string(c), 1,
                                      "init", absl::Milliseconds(30), "", ""});
  }
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = TextExposition({registry});
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetLabel(std::to_string(bytes) + " bytes per scrape");
}
BENCHMARK(BM_Scrape);

}  // namespace
}  // namespace schemagate::metrics

BENCHMARK_MAIN();
