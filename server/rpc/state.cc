#include "server/rpc/state.h"

#include <vector>

namespace schemagate::rpc {

bool Snapshot::ClusterServing(const std::string& cluster) const {
  if (!known || !reachable) return false;
  const migrate::ClusterState* c = state.Find(cluster);
  return c != nullptr && c->ready();
}

ServiceState::ServiceState(catalog::Catalog catalog, migrate::HistoryName history)
    : catalog_(std::move(catalog)), graph_(catalog_), history_(std::move(history)) {
  snapshot_ = std::make_shared<const Snapshot>();
}

std::shared_ptr<const Snapshot> ServiceState::snapshot() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

void ServiceState::ReportHealth(
    const Snapshot& s, const std::function<void(const std::string&, bool)>& sink) const {
  if (!sink) return;
  bool serving = s.Serving();
  sink("", serving);
  sink(kServiceName, serving);
  sink(kReadinessName, s.generation > 0);
  for (const v1::Cluster& c : catalog_.enabled().clusters()) {
    sink(ClusterServiceName(c.name()), s.ClusterServing(c.name()));
  }
}

void ServiceState::Publish(Snapshot next) {
  std::shared_ptr<const Snapshot> published;
  std::vector<Listener> listeners;
  std::function<void(const std::string&, bool)> health;
  {
    absl::MutexLock lock(&mu_);
    next.generation = snapshot_->generation + 1;
    snapshot_ = std::make_shared<const Snapshot>(std::move(next));
    published = snapshot_;
    for (auto& [id, l] : listeners_) listeners.push_back(l);
    health = health_;
  }
  ReportHealth(*published, health);
  for (const Listener& l : listeners) l(published);
}

int ServiceState::Subscribe(Listener listener) {
  absl::MutexLock lock(&mu_);
  int id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void ServiceState::Unsubscribe(int id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

size_t ServiceState::subscribers() const {
  absl::MutexLock lock(&mu_);
  return listeners_.size();
}

void ServiceState::SetHealthSink(std::function<void(const std::string&, bool)> sink) {
  std::shared_ptr<const Snapshot> current;
  {
    absl::MutexLock lock(&mu_);
    health_ = sink;
    current = snapshot_;
  }
  ReportHealth(*current, sink);
}

}  // namespace schemagate::rpc
