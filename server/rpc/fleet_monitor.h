// Keeps the snapshots of thousands of fleet targets fresh with a bounded
// number of database connections (docs/FLEETS.md#sizing):
//
//   - `listeners` targets at a time get a Monitor of their own: a connection
//     that LISTENs on the history's channel (a migration's commit is seen
//     within milliseconds) and re-reads every `listen_poll_interval`. They
//     are the targets clients use: any with an open WatchClusters stream,
//     then those an RPC named in the last `hot_for`. A target keeps its
//     slot while it qualifies; a free slot goes to the next candidate.
//   - every other target is read in turn by `pollers` threads, each with
//     one short-lived connection at a time (connect, one read-only
//     transaction, close), at most once per `poll_interval`. A target that
//     cannot be reached is retried with backoff (up to `max_backoff`).
//   - Refresh(id) reads a target next (after an admin RPC changed it, or
//     when an RPC names a target never read yet).
//
// So connections: at most pollers + listeners, whatever the number of
// targets; a polled target's state is at most max(poll_interval,
// targets x read time / pollers) old, a listened one's milliseconds.
//
// Thread safety: every method may be called from any thread.
#ifndef SCHEMAGATE_SERVER_RPC_FLEET_MONITOR_H_
#define SCHEMAGATE_SERVER_RPC_FLEET_MONITOR_H_

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/migrate/db.h"
#include "server/rpc/monitor.h"
#include "server/rpc/targets.h"

namespace schemagate::rpc {

struct FleetMonitorOptions {
  size_t pollers = 4;
  size_t listeners = 16;
  absl::Duration poll_interval = absl::Seconds(30);
  absl::Duration listen_poll_interval = absl::Seconds(1);
  absl::Duration statement_timeout = absl::Seconds(30);
  absl::Duration hot_for = absl::Minutes(2);
  absl::Duration max_backoff = absl::Minutes(1);
  // How often the listened set is reconsidered.
  absl::Duration rebalance_every = absl::Seconds(1);
};

class FleetMonitor {
 public:
  // `registry` must outlive the monitor. `connect` holds the timeouts and
  // application_name of every connection (its url is unused).
  FleetMonitor(TargetRegistry* registry, migrate::ConnectOptions connect,
               FleetMonitorOptions options);
  ~FleetMonitor();

  void Start();
  void Stop();

  // Reads target `id` next.
  void Refresh(const std::string& id);
  // An RPC named `entry`: it becomes a candidate for a LISTEN slot, and is
  // read at once if it never was.
  void Used(TargetEntry& entry);

  // "listen" or "poll".
  std::string Monitoring(const std::string& id) const;

  struct Stats {
    size_t targets = 0;
    size_t listening = 0;
    uint64_t reads = 0;  // polled reads so far
    uint64_t read_failures = 0;
  };
  Stats stats() const;

 private:
  struct Slot {
    std::shared_ptr<TargetEntry> entry;
    absl::Time due = absl::InfinitePast();
    int failures = 0;
    bool busy = false;    // a poller reads it now
    bool queued = false;  // in urgent_
    std::unique_ptr<Monitor> listener;
  };

  void Sync() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Poll();
  void Rebalance();
  migrate::ConnectOptions ConnectFor(const TargetEntry& e) const;
  // Picks the next slot to read (urgent first, then round robin among due
  // ones); null when none is due (then *wait says how long).
  Slot* Pick(absl::Duration* wait) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  TargetRegistry* registry_;
  const migrate::ConnectOptions connect_;
  const FleetMonitorOptions options_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};

  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = ~uint64_t{0};
  std::vector<std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);  // by id
  std::map<std::string, Slot*> by_id_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> urgent_ ABSL_GUARDED_BY(mu_);
  // Listeners of targets gone from the set, for Rebalance to stop.
  std::vector<std::unique_ptr<Monitor>> retired_listeners_ ABSL_GUARDED_BY(mu_);
  size_t cursor_ ABSL_GUARDED_BY(mu_) = 0;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t reads_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  // Connections pollers use now (for Stop to shut down).
  std::vector<migrate::Connection*> in_use_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_FLEET_MONITOR_H_
