// The fleet targets a server serves (`serve --targets`, docs/FLEETS.md):
// each target's definition and its own ServiceState (its feature set's
// catalog and join graph, shared with every target of the same set, and the
// snapshot of its history). Replaced as a whole when the target set is read
// again (SIGHUP, --targets-refresh): unchanged targets keep their state,
// new ones get a fresh one, removed and redefined ones are retired (their
// watchers' streams end; their health goes NOT_SERVING).
//
//   TargetRegistry registry(history);
//   registry.Replace(*fleet::LoadTargets(source, catalogs), absl::Now());
//   std::shared_ptr<TargetEntry> t = registry.Find("acme");   // null: unknown
//
// Thread-safe.
#ifndef SCHEMAGATE_SERVER_RPC_TARGETS_H_
#define SCHEMAGATE_SERVER_RPC_TARGETS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/fleet/targets.h"
#include "server/migrate/history.h"
#include "server/rpc/state.h"

namespace schemagate::rpc {

struct TargetEntry {
  fleet::Target target;
  // Null when the definition has a problem (target.problem).
  std::shared_ptr<ServiceState> state;
  // When an RPC last named it (nanoseconds since the epoch): the monitor
  // gives recently used targets a LISTEN connection.
  std::atomic<int64_t> last_use_ns{0};

  void Touch() { last_use_ns.store(absl::GetCurrentTimeNanos(), std::memory_order_relaxed); }
};

class TargetRegistry {
 public:
  explicit TargetRegistry(migrate::HistoryName history);

  // Replaces the target set read at `loaded_at`.
  void Replace(std::vector<fleet::Target> targets, absl::Time loaded_at);
  // A read of the target set failed: the set stays, the error is reported
  // (ListTargets) until a read succeeds.
  void LoadFailed(const std::string& error, absl::Time at);

  // The target `id`, or null.
  std::shared_ptr<TargetEntry> Find(const std::string& id) const;
  // Every target, by id.
  std::vector<std::shared_ptr<TargetEntry>> All() const;
  size_t size() const;
  // Changes with every Replace().
  uint64_t generation() const;
  absl::Time loaded_at() const;
  std::string load_error() const;

  // Health of each target (ServiceState::TargetServiceName), now and on
  // every change; a target with a problem reports NOT_SERVING.
  void SetHealthSink(std::function<void(const std::string&, bool)> sink);

 private:
  std::shared_ptr<const BuildView> ViewFor(const std::shared_ptr<const catalog::Catalog>& c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const migrate::HistoryName history_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<TargetEntry>> entries_ ABSL_GUARDED_BY(mu_);
  // One view per distinct catalog (feature set).
  std::map<const catalog::Catalog*, std::shared_ptr<const BuildView>> views_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time loaded_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string load_error_ ABSL_GUARDED_BY(mu_);
  std::function<void(const std::string&, bool)> health_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_TARGETS_H_
