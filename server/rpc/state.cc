#include "server/rpc/state.h"

#include <atomic>
#include <vector>

namespace schemagate::rpc {

bool Snapshot::ClusterServing(const std::string& cluster) const {
  if (!known || !reachable) return false;
  const migrate::ClusterState* c = state.Find(cluster);
  return c != nullptr && c->ready();
}

ServiceState::ServiceState(catalog::Catalog catalog, migrate::HistoryName history)
    : ServiceState(std::make_shared<const BuildView>(
                       std::make_shared<const catalog::Catalog>(std::move(catalog))),
                   std::move(history)) {}

ServiceState::ServiceState(std::shared_ptr<const BuildView> view, migrate::HistoryName history,
                           std::string target_id)
    : view_(std::move(view)), history_(std::move(history)), target_id_(std::move(target_id)) {
  snapshot_ = std::make_shared<const Snapshot>();
}

std::shared_ptr<const Snapshot> ServiceState::snapshot() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

void ServiceState::ReportHealth(const Snapshot& s,
                                const std::function<void(const std::string&, bool)>& sink) const {
  if (!sink) return;
  bool serving = s.Serving();
  if (!target_id_.empty()) {
    sink(TargetServiceName(target_id_), serving && !s.retired);
    return;
  }
  sink("", serving);
  sink(kServiceName, serving);
  sink(kReadinessName, s.generation > 0);
  for (const v1::Cluster& c : catalog().enabled().clusters()) {
    sink(ClusterServiceName(c.name()), s.ClusterServing(c.name()));
  }
}

namespace {
uint64_t NextGeneration() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace

void ServiceState::Publish(Snapshot next) {
  std::shared_ptr<const Snapshot> published;
  std::vector<Listener> listeners;
  std::function<void(const std::string&, bool)> health;
  {
    absl::MutexLock lock(&mu_);
    // Unique in the process, not only in this state: the ResponseCache
    // tells answers apart by it (a fleet target redefined gets a new state,
    // whose snapshots must not look like the old one's).
    next.generation = NextGeneration();
    snapshot_ = std::make_shared<const Snapshot>(std::move(next));
    published = snapshot_;
    for (auto& [id, l] : listeners_) listeners.push_back(l);
    health = health_;
  }
  ReportHealth(*published, health);
  for (const Listener& l : listeners) l(published);
}

void ServiceState::Retire(bool redefined) {
  Snapshot last = *snapshot();
  last.retired = true;
  last.redefined = redefined;
  last.reachable = false;
  Publish(std::move(last));
  absl::MutexLock lock(&mu_);
  health_ = nullptr;
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
