// The server's Prometheus endpoint (`schemagate serve --metrics-listen`):
// one registry with the build info, the RPC metrics of
// schemagate.v1.SchemaGate (recorded by the service's handlers, which
// know their method's index: no per-call lookup or allocation; the cost is
// measured in docs/BENCHMARKS.md), the migration metrics (the engine's observer) and
// gauges read from the service state when scraped:
//   schemagate_database_up                       1 when the last read of the history succeeded
//   schemagate_history_read_timestamp_seconds    when the history was last read
//   schemagate_cluster_ready{cluster}            1 when the cluster is migrated (its health)
//   schemagate_cluster_applied_version{cluster}  highest applied version (0: none)
//   schemagate_cluster_latest_version{cluster}   highest version in this build
//   schemagate_cluster_pending_migrations{cluster}
//   schemagate_watch_streams                     open WatchClusters streams
// (clusters: the enabled ones; server/metrics/ has the rest of the list).
// Served over HTTP by prometheus-cpp's pull exposer (civetweb) on its own
// threads, at /metrics.
//
// Thread safety: every method may be called from any thread. The object
// must outlive the services that record into rpcs().
#ifndef SCHEMAGATE_SERVER_RPC_METRICS_H_
#define SCHEMAGATE_SERVER_RPC_METRICS_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "server/metrics/metrics.h"
#include "server/metrics/migration.h"
#include "server/metrics/rpc.h"
#include "server/migrate/engine.h"
#include "server/rpc/state.h"

namespace schemagate::rpc {

class ServerMetrics {
 public:
  // Serves /metrics on `listen` (HOST:PORT; port 0 picks one). `state`
  // must outlive the returned object. INVALID_ARGUMENT for an address that
  // is not HOST:PORT, UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<ServerMetrics>> Start(const std::string& listen,
                                                              const ServiceState* state);
  ~ServerMetrics();

  // The port actually bound.
  int port() const { return port_; }

  // For EngineOptions::observer.
  void ObserveMigration(const migrate::Event& event) { migrations_.Observe(event); }

  // For ServiceContext::rpc_metrics.
  metrics::RpcMetrics* rpcs() { return &rpcs_; }
  // For ServiceContext::watches: the open WatchClusters streams the
  // schemagate_watch_streams gauge shows.
  std::shared_ptr<std::atomic<int>> watch_streams() const { return watches_; }

 private:
  explicit ServerMetrics(const ServiceState* state);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<metrics::ScrapeGauges> gauges_;
  metrics::RpcMetrics rpcs_;
  metrics::MigrationMetrics migrations_;
  std::shared_ptr<std::atomic<int>> watches_ = std::make_shared<std::atomic<int>>(0);
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_METRICS_H_
