#include "server/metrics/migration.h"

#include "absl/time/time.h"

namespace schemagate::metrics {
namespace {

// Migrations take from milliseconds (an index on an empty table) to hours
// (a backfill); lock waits from nothing to --lock-wait-timeout (10 min).
const prometheus::Histogram::BucketBoundaries& MigrationBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
  return *b;
}
const prometheus::Histogram::BucketBoundaries& LockWaitBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800};
  return *b;
}

}  // namespace

MigrationMetrics::MigrationMetrics(prometheus::Registry& registry)
    : duration_(prometheus::BuildHistogram()
                    .Name("schemagate_migration_duration_seconds")
                    .Help("Time each migration (or rollback step) took, by cluster and "
                          "result: applied, failed, rolled_back.")
                    .Register(registry)),
      lock_wait_(prometheus::BuildHistogram()
                     .Name("schemagate_migration_lock_wait_seconds")
                     .Help("Time each run waited for the migration lock, by result: "
                           "acquired, timeout (--lock-wait-timeout), cancelled.")
                     .Register(registry)),
      lock_waiting_(prometheus::BuildGauge()
                        .Name("schemagate_migration_lock_waiting")
                        .Help("Runs of this process waiting now for the migration lock "
                              "another migrator holds.")
                        .Register(registry)
                        .Add({})),
      retries_(prometheus::BuildCounter()
                   .Name("schemagate_migration_lock_timeout_retries_total")
                   .Help("Migrations retried after PostgreSQL's lock_timeout "
                         "(--lock-timeout) cancelled one of their statements.")
                   .Register(registry)),
      reconnects_(prometheus::BuildCounter()
                      .Name("schemagate_migration_reconnects_total")
                      .Help("Runs that lost their connection to the primary (a failover, a "
                            "restart, a broken network, or a server that turned out to be "
                            "a standby) and reconnected to go on.")
                      .Register(registry)
                      .Add({})) {}

void MigrationMetrics::Observe(const migrate::Event& e) {
  using migrate::Event;
  const double seconds = absl::ToDoubleSeconds(e.duration);
  auto end_wait = [&](const char* result) {
    lock_wait_.Add({{"result", result}}, LockWaitBuckets()).Observe(seconds);
    absl::MutexLock lock(&mu_);
    if (waiting_.erase(std::this_thread::get_id()) > 0) lock_waiting_.Decrement();
  };
  switch (e.kind) {
    case Event::kLockWaiting: {
      absl::MutexLock lock(&mu_);
      if (waiting_.insert(std::this_thread::get_id()).second) lock_waiting_.Increment();
      break;
    }
    case Event::kLockAcquired:
      end_wait("acquired");
      break;
    case Event::kLockGaveUp:
      end_wait(e.message == "timeout"     ? "timeout"
               : e.message == "cancelled" ? "cancelled"
                                          : "error");
      break;
    case Event::kFinished:
      duration_
          .Add({{"cluster", e.cluster},
                {"result", e.message == "rolled back" ? "rolled_back" : "applied"}},
               MigrationBuckets())
          .Observe(seconds);
      break;
    case Event::kFailed:
      duration_.Add({{"cluster", e.cluster}, {"result", "failed"}}, MigrationBuckets())
          .Observe(seconds);
      break;
    case Event::kRetrying:
      retries_.Add({{"cluster", e.cluster}}).Increment();
      break;
    case Event::kReconnecting:
      reconnects_.Increment();
      break;
    case Event::kStarted:
    case Event::kCleanedUp:
    case Event::kRepaired:
    case Event::kReconnected:
    case Event::kResolved:
      break;
  }
}

}  // namespace schemagate::metrics
