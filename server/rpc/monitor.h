// Keeps ServiceState's snapshot fresh: one database connection that LISTENs
// on the history's channel (migrations applied by this server, another
// replica or a `schemagate migrate` Job all notify it) and re-reads the
// history on every notification and every poll interval (the fallback when
// notifications are lost, e.g. through a transaction-pooling proxy). When
// the database is unreachable the snapshot says so within one poll interval
// and the monitor reconnects with backoff.
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

class Monitor {
 public:
  // `state` must outlive the monitor.
  Monitor(ServiceState* state, migrate::ConnectOptions connect,
          absl::Duration poll_interval);
  ~Monitor();

  void Start();
  void Stop();
  // Read the history now (e.g. after this server applied migrations).
  void Refresh();

 private:
  void Run();
  bool ReadOnce(migrate::Connection* conn);  // false when the connection broke

  ServiceState* state_;
  migrate::ConnectOptions connect_;
  absl::Duration poll_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> refresh_{false};
  // Wakes the loop between polls.
  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_MONITOR_H_
