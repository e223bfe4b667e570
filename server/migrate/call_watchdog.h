// The client-side bound of a database call (Connection::SetCallTimeout):
// one thread for the process, started on first use, shuts down the socket
// of a call that outlives its deadline, so the thread blocked in libpq
// returns. No libpq or libpqxx here: it sees sockets and deadlines only.
//
//   std::atomic<bool> fired{false};
//   uint64_t id = CallWatchdog::Get().Arm(socket, absl::Now() + timeout, &fired);
//   ... the call ...
//   CallWatchdog::Get().Disarm(id);  // before the socket can be closed
//   if (fired) { /* the connection is gone */ }
//
// Thread-safe. An entry must be disarmed before its socket is closed (and
// `fired` must outlive it), so a socket is never touched after that.
#ifndef SCHEMAGATE_SERVER_MIGRATE_CALL_WATCHDOG_H_
#define SCHEMAGATE_SERVER_MIGRATE_CALL_WATCHDOG_H_

#include <atomic>
#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace schemagate::migrate {

class CallWatchdog {
 public:
  // The process's watchdog (never destroyed).
  static CallWatchdog& Get();

  // At `deadline`: sets *fired and shuts `socket` down (SHUT_RDWR), unless
  // disarmed first. Returns the entry's id (never 0).
  uint64_t Arm(int socket, absl::Time deadline, std::atomic<bool>* fired);
  void Disarm(uint64_t id);

 private:
  struct Entry {
    int socket;
    absl::Time deadline;
    std::atomic<bool>* fired;
  };

  CallWatchdog();
  void Loop();

  absl::Mutex mu_;
  absl::CondVar cv_;
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_CALL_WATCHDOG_H_
