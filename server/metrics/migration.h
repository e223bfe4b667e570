// Migration metrics, from the migration engine's events: the one-shot
// `migrate` (--metrics-file) and the server's ApplyMigrations,
// RollbackCluster and --migrate-on-start runs (EngineOptions::observer).
// Thread safety: Observe may be called from any thread.
#ifndef SCHEMAGATE_SERVER_METRICS_MIGRATION_H_
#define SCHEMAGATE_SERVER_METRICS_MIGRATION_H_

#include <thread>
#include <unordered_set>

#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/migrate/engine.h"

namespace schemagate::metrics {

// The families, registered in `registry` (which must outlive this):
//   schemagate_migration_duration_seconds{cluster,result}  histogram;
//       result: applied | failed | rolled_back
//   schemagate_migration_lock_wait_seconds{result}         histogram of the
//       waits for the migration lock (session mode: every run's, 0 when it
//       was free; transaction mode: each contended one); result: acquired |
//       timeout | cancelled | error
//   schemagate_migration_lock_waiting                      gauge: runs of this
//       process waiting for another migrator's lock now
//   schemagate_migration_lock_timeout_retries_total{cluster} counter: migrations
//       retried after PostgreSQL's lock_timeout (--lock-timeout)
//   schemagate_migration_reconnects_total                 counter: runs that
//       lost the primary and reconnected (EngineOptions::reconnect)
class MigrationMetrics {
 public:
  explicit MigrationMetrics(prometheus::Registry& registry);

  void Observe(const migrate::Event& event);

 private:
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Histogram>& lock_wait_;
  prometheus::Gauge& lock_waiting_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Counter& reconnects_;
  absl::Mutex mu_;
  // The threads whose run announced a wait (kLockWaiting) that has not
  // ended yet (kLockAcquired, kLockGaveUp): a run's events come from the
  // thread that runs it.
  std::unordered_set<std::thread::id> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schemagate::metrics

#endif  // SCHEMAGATE_SERVER_METRICS_MIGRATION_H_
