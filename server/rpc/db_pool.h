// A small pool of database connections for RPC handlers that read the
// database (status, plan, verify) or run the engine (apply, rollback,
// repair). Broken connections are dropped, not returned.
//
// Thread-safe.
#ifndef SCHEMAGATE_SERVER_RPC_DB_POOL_H_
#define SCHEMAGATE_SERVER_RPC_DB_POOL_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/migrate/db.h"

namespace schemagate::rpc {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<migrate::Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (pool_ != nullptr && conn_ != nullptr) pool_->Return(std::move(conn_));
    }
    migrate::Connection* operator->() const { return conn_.get(); }
    migrate::Connection* get() const { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<migrate::Connection> conn_;
  };

  // At most `max_idle` idle connections are kept.
  ConnectionPool(migrate::ConnectOptions options, size_t max_idle);

  // An idle connection or a new one (connecting for at most until
  // `deadline`); UNAVAILABLE when the database cannot be reached.
  absl::StatusOr<Lease> Acquire(absl::Time deadline);

 private:
  void Return(std::unique_ptr<migrate::Connection> conn);

  migrate::ConnectOptions options_;
  size_t max_idle_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<migrate::Connection>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_DB_POOL_H_
