// schemagate::metrics — start here: what schemagate exports to Prometheus
// (docs/OPERATIONS.md, "Metrics", lists every name with its labels).
//
// Built on prometheus-cpp's core (Debian's prometheus-cpp-dev): metrics live
// in a prometheus::Registry; `schemagate serve --metrics-listen` exposes
// the registry and a few scrape-time gauges over HTTP (server/rpc/metrics.h),
// and `schemagate migrate --metrics-file` writes the migration metrics in
// the text format node_exporter's textfile collector reads (WriteTextfile).
//   metrics.h    build info, scrape-time gauges, the text format and files
//   migration.h  MigrationMetrics: migrations and the migration lock
//   rpc.h        RpcMetrics: RPCs by service, method and code
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   AddBuildInfo(*registry, {kVersion, "core,tasks"});
//   MigrationMetrics migrations(*registry);
//   engine_options.observer = [&](const migrate::Event& e) { migrations.Observe(e); };
//   ...
//   absl::Status s = WriteTextfile({registry}, "/var/lib/node_exporter/schemagate.prom");
//
// Conventions: base units (seconds), `_total` counters, `_info` for the
// build, and only bounded label values — cluster names of the build's tree,
// gRPC method names of the services the server registers, status codes,
// fixed results. Never a table name, an SQL text, a URL or a user input.
//
// Thread safety: every method may be called from any thread.
#ifndef SCHEMAGATE_SERVER_METRICS_METRICS_H_
#define SCHEMAGATE_SERVER_METRICS_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace schemagate::metrics {

// The version schemagate was built as (CMake's PROJECT_VERSION).
extern const char kVersion[];

struct BuildInfo {
  std::string version = kVersion;
  std::string features;  // the compiled features, comma-separated
};

// schemagate_build_info{version,features} 1.
void AddBuildInfo(prometheus::Registry& registry, const BuildInfo& info);

// Gauges computed when scraped: each family's samples come from its
// function (e.g. a snapshot of the migration state, open streams). The
// functions run on the scraping thread and must not block.
class ScrapeGauges final : public prometheus::Collectable {
 public:
  struct Sample {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
  };
  using Samples = std::function<std::vector<Sample>()>;

  // Adds a gauge family (before the collectable is registered).
  void Add(std::string name, std::string help, Samples samples);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Family {
    std::string name, help;
    Samples samples;
  };
  std::vector<Family> families_;
};

// The text exposition format (version 0.0.4) of everything `collectables`
// hold, as node_exporter's textfile collector and Prometheus read it.
std::string TextExposition(
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);

// Writes TextExposition(collectables) to `path` atomically (a temporary
// file in the same folder, then rename), so a collector never reads half a
// file. INVALID_ARGUMENT naming the path when it cannot be written.
absl::Status WriteTextfile(
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables,
    const std::string& path);

}  // namespace schemagate::metrics

#endif  // SCHEMAGATE_SERVER_METRICS_METRICS_H_
