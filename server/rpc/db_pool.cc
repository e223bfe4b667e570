#include "server/rpc/db_pool.h"

namespace schemagate::rpc {

ConnectionPool::ConnectionPool(migrate::ConnectOptions options, size_t max_idle)
    : options_(std::move(options)), max_idle_(max_idle) {}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    while (!idle_.empty()) {
      std::unique_ptr<migrate::Connection> c = std::move(idle_.back());
      idle_.pop_back();
      // Dropped when the server ended it while it was idle (a restart, a
      // failover): the caller gets a fresh connection to the primary instead
      // of an error.
      if (c->LooksAlive()) return Lease(this, std::move(c));
    }
  }
  migrate::ConnectOptions o = options_;
  absl::Duration left = deadline - absl::Now();
  o.timeout = std::max(absl::ZeroDuration(), std::min(left, absl::Seconds(5)));
  o.attempt_timeout = std::max(absl::Seconds(1), std::min(left, absl::Seconds(5)));
  absl::StatusOr<std::unique_ptr<migrate::Connection>> c = migrate::Connection::Open(o);
  if (!c.ok()) {
    if (c.status().code() == absl::StatusCode::kPermissionDenied ||
        c.status().code() == absl::StatusCode::kInvalidArgument) {
      return absl::UnavailableError(c.status().message());
    }
    return c.status();
  }
  return Lease(this, *std::move(c));
}

void ConnectionPool::Return(std::unique_ptr<migrate::Connection> conn) {
  if (conn->broken() || conn->in_transaction()) return;
  absl::MutexLock lock(&mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

absl::StatusOr<migrate::Connection*> ReconnectToPrimary(migrate::ConnectOptions options,
                                                        absl::Mutex* mu,
                                                        std::unique_ptr<migrate::Connection>* slot,
                                                        migrate::Connection** current) {
  options.need = migrate::ConnectOptions::Need::kWritable;
  absl::StatusOr<std::unique_ptr<migrate::Connection>> next = migrate::Connection::Open(options);
  if (!next.ok()) return next.status();
  absl::MutexLock lock(mu);
  *slot = *std::move(next);
  *current = slot->get();
  return *current;
}

}  // namespace schemagate::rpc
