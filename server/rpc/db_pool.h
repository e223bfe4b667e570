// A small pool of database connections for RPC handlers that read the
// database (status, plan, verify) or run the engine (apply, rollback,
// repair). Broken connections are dropped, not returned, and so are idle
// ones the server has closed meanwhile (a restart, a failover:
// Connection::LooksAlive), so a call after a failover gets a new
// connection to the new primary.
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

// For migrate::EngineOptions::reconnect on the server (ApplyMigrations,
// --migrate-on-start): connects to a writable primary with `options`
// (retrying until options.timeout, or until options.stop says so), keeps
// the connection in *slot (the one there before is closed) and publishes it
// in *current, both under `mu` (another thread may Cancel() *current).
absl::StatusOr<migrate::Connection*> ReconnectToPrimary(migrate::ConnectOptions options,
                                                        absl::Mutex* mu,
                                                        std::unique_ptr<migrate::Connection>* slot,
                                                        migrate::Connection** current);

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_DB_POOL_H_
