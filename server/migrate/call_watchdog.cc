// The watchdog thread that ends database calls past their deadline
// (call_watchdog.h).
#include "server/migrate/call_watchdog.h"

#include <sys/socket.h>

#include <algorithm>
#include <thread>

#include "absl/time/clock.h"

namespace schemagate::migrate {

CallWatchdog& CallWatchdog::Get() {
  static CallWatchdog* watchdog = new CallWatchdog();
  return *watchdog;
}

CallWatchdog::CallWatchdog() {
  std::thread([this] { Loop(); }).detach();
}

uint64_t CallWatchdog::Arm(int socket, absl::Time deadline, std::atomic<bool>* fired) {
  absl::MutexLock lock(&mu_);
  uint64_t id = next_++;
  entries_[id] = {socket, deadline, fired};
  cv_.Signal();
  return id;
}

void CallWatchdog::Disarm(uint64_t id) {
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
}

void CallWatchdog::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    absl::Time next = absl::InfiniteFuture();
    const absl::Time now = absl::Now();
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.deadline <= now) {
        it->second.fired->store(true);
        shutdown(it->second.socket, SHUT_RDWR);
        it = entries_.erase(it);
      } else {
        next = std::min(next, it->second.deadline);
        ++it;
      }
    }
    cv_.WaitWithDeadline(&mu_, next);
  }
}

}  // namespace schemagate::migrate
