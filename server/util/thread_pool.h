// A fixed pool of worker threads with a bounded queue, for RPC work that
// blocks (database round trips, migrations) so it never runs on gRPC's
// callback threads.
//
// Thread-safe. The destructor finishes queued work and joins the threads.
#ifndef SCHEMAGATE_SERVER_UTIL_THREAD_POOL_H_
#define SCHEMAGATE_SERVER_UTIL_THREAD_POOL_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace schemagate {

class ThreadPool {
 public:
  ThreadPool(size_t threads, size_t max_queue);
  ~ThreadPool();

  // False when the queue is full (the caller answers RESOURCE_EXHAUSTED).
  bool TrySubmit(std::function<void()> work);

 private:
  void Loop();

  const size_t max_queue_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// A budget of bytes (of queued and running work) shared by threads: work
// takes its size before it is queued and gives it back when done, so the
// memory held by queued and running work is bounded by bytes, not counts.
//
// Thread-safe.
class ByteBudget {
 public:
  explicit ByteBudget(size_t max) : max_(max) {}

  // False (taking nothing) when `n` more bytes would pass the maximum.
  bool TryTake(size_t n) {
    size_t used = used_.load();
    do {
      if (n > max_ || used > max_ - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n));
    return true;
  }
  void Give(size_t n) { used_ -= n; }
  size_t max() const { return max_; }
  size_t used() const { return used_.load(); }

 private:
  const size_t max_;
  std::atomic<size_t> used_{0};
};

}  // namespace schemagate

#endif  // SCHEMAGATE_SERVER_UTIL_THREAD_POOL_H_
