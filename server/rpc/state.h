// The service's state, apart from any transport: the catalog and join graph
// of this server (immutable), and the latest migration snapshot read from
// the database (replaced as a whole by the Monitor). Consumers of state —
// RPC handlers, health, WatchClusters streams — read snapshots and subscribe
// to changes.
//
// Thread safety: every method may be called from any thread.
#ifndef SCHEMAGATE_SERVER_RPC_STATE_H_
#define SCHEMAGATE_SERVER_RPC_STATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/catalog/catalog.h"
#include "server/catalog/join.h"
#include "server/migrate/history.h"
#include "server/migrate/state.h"
#include "server/migrate/unmanaged.h"

namespace schemagate::rpc {

// The migration state at one moment.
struct Snapshot {
  bool known = false;      // the history has been read at least once
  bool reachable = false;  // the last attempt to read it succeeded
  absl::Time as_of = absl::InfinitePast();
  migrate::MigrationState state;  // valid when known
  std::set<std::pair<std::string, uint64_t>> applied;
  // Tables present whose cluster is not enabled here (read with the state).
  std::vector<migrate::UnmanagedTable> unmanaged;
  std::string error;  // why it is not reachable
  // Set by ServiceState::Publish: increasing, and unique among every
  // state's snapshots in the process; 0 before the first Publish.
  uint64_t generation = 0;
  // The last snapshot of a fleet target removed from the target set (or
  // redefined: `redefined`); watchers end their streams.
  bool retired = false;
  bool redefined = false;

  bool IsApplied(const std::string& cluster, uint64_t version) const {
    return applied.count({cluster, version}) > 0;
  }
  // Every enabled cluster up to date and the database reachable.
  bool Serving() const { return known && reachable && state.ready(); }
  bool ClusterServing(const std::string& cluster) const;
};

// A catalog and its join graph, immutable; shared by every fleet target
// with the same feature set.
struct BuildView {
  explicit BuildView(std::shared_ptr<const catalog::Catalog> c)
      : catalog(std::move(c)), graph(*catalog) {}
  const std::shared_ptr<const catalog::Catalog> catalog;
  const catalog::JoinGraph graph;  // refers to *catalog
};

class ServiceState {
 public:
  ServiceState(catalog::Catalog catalog, migrate::HistoryName history);
  // A fleet target's state (`target_id` set): its health is the one service
  // TargetServiceName(target_id).
  ServiceState(std::shared_ptr<const BuildView> view, migrate::HistoryName history,
               std::string target_id = "");

  const catalog::Catalog& catalog() const { return *view_->catalog; }
  const catalog::JoinGraph& graph() const { return view_->graph; }
  const std::shared_ptr<const BuildView>& view() const { return view_; }
  const migrate::HistoryName& history() const { return history_; }
  // "" for the server's own database.
  const std::string& target_id() const { return target_id_; }

  std::shared_ptr<const Snapshot> snapshot() const;

  // Replaces the snapshot (its generation is set here) and tells the health
  // sink and every subscriber.
  void Publish(Snapshot snapshot);

  using Listener = std::function<void(std::shared_ptr<const Snapshot>)>;
  // Returns an id for Unsubscribe. The listener is called (outside the
  // state's lock) on every Publish; it must not block.
  int Subscribe(Listener listener);
  void Unsubscribe(int id);
  size_t subscribers() const;

  // Called with (service name, serving) for "", "schemagate.v1.SchemaGate",
  // "schemagate.cluster.<name>" and kReadinessName on every Publish, and
  // once at once; for a fleet target, with TargetServiceName(target_id).
  void SetHealthSink(std::function<void(const std::string&, bool)> sink);

  // A fleet target leaves the set (or is redefined): publishes a last,
  // retired snapshot (watchers end), reports NOT_SERVING and drops the
  // health sink.
  void Retire(bool redefined);

  // Health service names.
  static constexpr char kServiceName[] = "schemagate.v1.SchemaGate";
  // SERVING while the process serves, whatever the database: for liveness
  // probes (a database outage must not restart every pod).
  static constexpr char kLivenessName[] = "schemagate.liveness";
  // SERVING once this replica answers the API correctly: its listeners are
  // up and the monitor has made its first attempt to read the history
  // (whatever the outcome: an unreachable database is an answer the RPCs
  // give, not a reason to leave the Service); NOT_SERVING while draining.
  // For readiness probes: a database blip must not take every replica out.
  static constexpr char kReadinessName[] = "schemagate.readiness";
  // With --migrate-on-start: NOT_SERVING until this server's own migration
  // run brought the database up to date (it retries until then).
  static constexpr char kMigrateOnStartName[] = "schemagate.migrate_on_start";
  static std::string ClusterServiceName(const std::string& cluster) {
    return "schemagate.cluster." + cluster;
  }
  // A fleet target's health: SERVING when its database is reachable and
  // every cluster of its feature set is ready.
  static std::string TargetServiceName(const std::string& target_id) {
    return "schemagate.target." + target_id;
  }

 private:
  void ReportHealth(const Snapshot& s,
                    const std::function<void(const std::string&, bool)>& sink) const;

  const std::shared_ptr<const BuildView> view_;
  const migrate::HistoryName history_;
  const std::string target_id_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  std::map<int, Listener> listeners_ ABSL_GUARDED_BY(mu_);
  int next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::function<void(const std::string&, bool)> health_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_STATE_H_
