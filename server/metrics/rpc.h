// RPC metrics, recorded by the service's handlers for every call they
// finish (server/rpc/service.cc):
//   schemagate_rpc_requests_total{service,method,code}     counter
//   schemagate_rpc_duration_seconds{service,method,code}   histogram, from
//       the call's start to its status (streams: their whole life)
// `method` comes from a fixed table of the service's methods; any other
// name counts as method="unknown", so nothing a client sends can grow the
// label sets. `code` is the gRPC status code's name.
//
// Thread safety: every method may be called from any thread. The hot path
// (Observe of a method and code seen before) takes no lock.
#ifndef SCHEMAGATE_SERVER_METRICS_RPC_H_
#define SCHEMAGATE_SERVER_METRICS_RPC_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace schemagate::metrics {

class RpcMetrics {
 public:
  // `service`: the full service name ("schemagate.v1.SchemaGate");
  // `methods`: its method names ("CheckTables"). `registry` must outlive
  // this.
  RpcMetrics(prometheus::Registry& registry, std::string service,
             const std::vector<std::string>& methods);

  // The index of `method` in the table, or of "unknown".
  int MethodIndex(absl::string_view method) const;

  // One finished call; `code` is a grpc::StatusCode (0-16; anything else
  // counts as UNKNOWN).
  void Observe(int method, int code, double seconds);

  // The status code names used as the `code` label ("OK", "NOT_FOUND", ...).
  static const char* CodeName(int code);

 private:
  static constexpr int kCodes = 17;
  struct Method {
    std::string name;
    std::array<std::atomic<prometheus::Counter*>, kCodes> count{};
    std::array<std::atomic<prometheus::Histogram*>, kCodes> duration{};
  };

  const std::string service_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  std::vector<std::unique_ptr<Method>> methods_;  // the last is "unknown"
  absl::flat_hash_map<std::string, int> index_;
  absl::Mutex mu_;  // creating a series
};

}  // namespace schemagate::metrics

#endif  // SCHEMAGATE_SERVER_METRICS_RPC_H_
