// Keeps ServiceState's snapshot fresh: one database connection that LISTENs
// on the history's channel (migrations applied by this server, another
// replica or a `schemagate migrate` Job all notify it) and re-reads the
// history on every notification and every poll interval (the fallback when
// notifications are lost, e.g. through a transaction-pooling proxy). When
// the database is unreachable the snapshot says so within one poll interval
// and the monitor reconnects with backoff. Its connection carries the
// server's statement_timeout and a client-side call timeout
// (ConnectOptions), so a silent network partition cannot hang it: the read
// fails, the last state is kept and marked stale (not reachable). Stop()
// shuts the connection down, so it returns promptly whatever the database
// does.
//
// High availability: the connection must reach the primary (a standby is
// "not reachable yet") unless the URL asks for a standby. When the primary
// goes away (a switchover or failover) the connection breaks, the snapshot
// turns unreachable (health NOT_SERVING) and the monitor reconnects — with
// several hosts in the URL, to whichever is the primary now — LISTENs
// again and re-reads the history at once, which covers the notifications
// sent while nobody listened.
//
// Thread safety: Start/Stop/Refresh from any thread.
#ifndef SCHEMAGATE_SERVER_RPC_MONITOR_H_
#define SCHEMAGATE_SERVER_RPC_MONITOR_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/migrate/db.h"
#include "server/rpc/state.h"

namespace schemagate::rpc {

// One read of the history into `state`: the cluster states, the applied set
// and the unmanaged tables, published when they changed. A failed read keeps
// the last state read and marks it stale (not reachable: health
// NOT_SERVING), logging once per outage. Returns false when `conn` broke.
// Shared by Monitor and the fleet's pollers (fleet_monitor.h).
bool ReadHistoryInto(ServiceState* state, migrate::Connection* conn,
                     absl::Duration statement_timeout);
// Marks `state` not reachable because of `error` (the database cannot be
// reached), keeping the last state read; logs once per outage.
void PublishUnreachable(ServiceState* state, const std::string& error);

class Monitor {
 public:
  // `state` must outlive the monitor.
  // Each read is a read-only transaction bounded by `statement_timeout`
  // (zero: the database's setting).
  Monitor(ServiceState* state, migrate::ConnectOptions connect, absl::Duration poll_interval,
          absl::Duration statement_timeout = absl::ZeroDuration());
  ~Monitor();

  void Start();
  void Stop();
  // Read the history now (e.g. after this server applied migrations).
  void Refresh();

 private:
  void Run();

  ServiceState* state_;
  migrate::ConnectOptions connect_;
  absl::Duration poll_;
  absl::Duration statement_timeout_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> refresh_{false};
  // Wakes the loop between polls.
  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  // The connection in use (for Stop() to shut down).
  migrate::Connection* current_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_MONITOR_H_
