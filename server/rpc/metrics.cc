#include "server/rpc/metrics.h"

#include <exception>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "schemagate/v1/schemagate.grpc.pb.h"

namespace schemagate::rpc {
namespace {

// The methods of schemagate.v1.SchemaGate, from its descriptor.
std::vector<std::string> ServiceMethods() {
  std::vector<std::string> methods;
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::SchemaGate::service_full_name());
  for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
    methods.push_back(service->method(i)->name());
  }
  return methods;
}

using Sample = metrics::ScrapeGauges::Sample;

}  // namespace

ServerMetrics::ServerMetrics(const ServiceState* state)
    : registry_(std::make_shared<prometheus::Registry>()),
      gauges_(std::make_shared<metrics::ScrapeGauges>()),
      rpcs_(*registry_, v1::SchemaGate::service_full_name(), ServiceMethods()),
      migrations_(*registry_) {
  metrics::AddBuildInfo(
      *registry_, {metrics::kVersion, absl::StrJoin(state->catalog().compiled().features(), ",")});
  auto snapshot = [state] { return state->snapshot(); };
  // The enabled clusters' states, as last read (none before the first read).
  auto per_cluster = [snapshot](double (*value)(const migrate::ClusterState&)) {
    return [snapshot, value] {
      std::vector<Sample> out;
      std::shared_ptr<const Snapshot> s = snapshot();
      if (!s->known) return out;
      for (const migrate::ClusterState& c : s->state.clusters) {
        if (c.enabled) out.push_back({{{"cluster", c.name}}, value(c)});
      }
      return out;
    };
  };
  gauges_->Add("schemagate_database_up",
               "1 when the server's last read of the migration history succeeded.", [snapshot] {
                 std::shared_ptr<const Snapshot> s = snapshot();
                 return std::vector<Sample>{{{}, s->known && s->reachable ? 1.0 : 0.0}};
               });
  gauges_->Add(
      "schemagate_history_read_timestamp_seconds",
      "When the server last read the migration history (Unix time; 0: never).", [snapshot] {
        std::shared_ptr<const Snapshot> s = snapshot();
        const double t = s->known ? absl::ToDoubleSeconds(s->as_of - absl::UnixEpoch()) : 0.0;
        return std::vector<Sample>{{{}, t}};
      });
  gauges_->Add("schemagate_cluster_ready",
               "1 when every migration of the cluster in this build is applied and "
               "none was edited (its health service is SERVING).",
               per_cluster([](const migrate::ClusterState& c) { return c.ready() ? 1.0 : 0.0; }));
  gauges_->Add("schemagate_cluster_applied_version",
               "Highest applied migration version of the cluster (0: none).",
               per_cluster([](const migrate::ClusterState& c) {
                 return static_cast<double>(c.applied_version);
               }));
  gauges_->Add("schemagate_cluster_latest_version",
               "Highest migration version of the cluster in this build.",
               per_cluster([](const migrate::ClusterState& c) {
                 return static_cast<double>(c.latest_version);
               }));
  gauges_->Add(
      "schemagate_cluster_pending_migrations",
      "Migrations of the cluster in this build not applied yet.",
      per_cluster([](const migrate::ClusterState& c) { return static_cast<double>(c.pending); }));
  gauges_->Add("schemagate_watch_streams", "Open WatchClusters streams.", [watches = watches_] {
    return std::vector<Sample>{{{}, static_cast<double>(watches->load())}};
  });
}

ServerMetrics::~ServerMetrics() = default;

absl::StatusOr<std::unique_ptr<ServerMetrics>> ServerMetrics::Start(const std::string& listen,
                                                                    const ServiceState* state) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen ", listen, " is not HOST:PORT"));
  }
  std::unique_ptr<ServerMetrics> m(new ServerMetrics(state));
  try {
    m->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", listen, "num_threads", "2"});
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on --metrics-listen ", listen, ": ", e.what()));
  }
  std::vector<int> ports = m->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot listen on --metrics-listen ", listen));
  }
  m->port_ = ports.front();
  m->exposer_->RegisterCollectable(m->registry_);
  m->exposer_->RegisterCollectable(m->gauges_);
  return m;
}

}  // namespace schemagate::rpc
