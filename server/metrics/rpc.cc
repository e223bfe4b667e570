#include "server/metrics/rpc.h"

namespace schemagate::metrics {
namespace {

// From the empty RPC on loopback (~0.1 ms) to a slow VerifySchema.
const prometheus::Histogram::BucketBoundaries& RpcBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
  return *b;
}

}  // namespace

const char* RpcMetrics::CodeName(int code) {
  static constexpr const char* kNames[kCodes] = {"OK",
                                                 "CANCELLED",
                                                 "UNKNOWN",
                                                 "INVALID_ARGUMENT",
                                                 "DEADLINE_EXCEEDED",
                                                 "NOT_FOUND",
                                                 "ALREADY_EXISTS",
                                                 "PERMISSION_DENIED",
                                                 "RESOURCE_EXHAUSTED",
                                                 "FAILED_PRECONDITION",
                                                 "ABORTED",
                                                 "OUT_OF_RANGE",
                                                 "UNIMPLEMENTED",
                                                 "INTERNAL",
                                                 "UNAVAILABLE",
                                                 "DATA_LOSS",
                                                 "UNAUTHENTICATED"};
  return code >= 0 && code < kCodes ? kNames[code] : kNames[2];
}

RpcMetrics::RpcMetrics(prometheus::Registry& registry, std::string service,
                       const std::vector<std::string>& methods)
    : service_(std::move(service)),
      requests_(prometheus::BuildCounter()
                    .Name("schemagate_rpc_requests_total")
                    .Help("RPCs the server finished, by service, method and status code.")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("schemagate_rpc_duration_seconds")
                     .Help("Time from an RPC's start to its status, by service, method "
                           "and status code (streams: their whole life).")
                     .Register(registry)) {
  for (const std::string& name : methods) {
    if (name.empty() || index_.count(name) > 0) continue;
    auto m = std::make_unique<Method>();
    m->name = name;
    index_.emplace(name, static_cast<int>(methods_.size()));
    methods_.push_back(std::move(m));
  }
  auto unknown = std::make_unique<Method>();
  unknown->name = "unknown";
  methods_.push_back(std::move(unknown));
}

int RpcMetrics::MethodIndex(absl::string_view method) const {
  auto it = index_.find(method);
  return it == index_.end() ? static_cast<int>(methods_.size()) - 1 : it->second;
}

void RpcMetrics::Observe(int method, int code, double seconds) {
  if (method < 0 || method >= static_cast<int>(methods_.size())) {
    method = static_cast<int>(methods_.size()) - 1;
  }
  if (code < 0 || code >= kCodes) code = 2;  // UNKNOWN
  Method& m = *methods_[method];
  prometheus::Counter* count = m.count[code].load(std::memory_order_acquire);
  prometheus::Histogram* duration = m.duration[code].load(std::memory_order_acquire);
  if (count == nullptr || duration == nullptr) {
    absl::MutexLock lock(&mu_);
    const prometheus::Labels labels = {
        {"service", service_}, {"method", m.name}, {"code", CodeName(code)}};
    count = &requests_.Add(labels);
    duration = &durations_.Add(labels, RpcBuckets());
    m.count[code].store(count, std::memory_order_release);
    m.duration[code].store(duration, std::memory_order_release);
  }
  count->Increment();
  duration->Observe(seconds);
}

}  // namespace schemagate::metrics
