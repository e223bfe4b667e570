// A fixed pool of worker threads with a bounded queue, for RPC work that
// blocks (database round trips, migrations) so it never runs on gRPC's
// callback threads.
//
// Thread-safe. The destructor finishes queued work and joins the threads.
#ifndef SCHEMAGATE_SERVER_UTIL_THREAD_POOL_H_
#define SCHEMAGATE_SERVER_UTIL_THREAD_POOL_H_

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

}  // namespace schemagate

#endif  // SCHEMAGATE_SERVER_UTIL_THREAD_POOL_H_
