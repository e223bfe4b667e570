// schemagate::rpc — start here for the gRPC service.
//
// SchemaGateService implements schemagate.v1.SchemaGate with gRPC's callback
// API on raw byte buffers: each handler decodes the request itself, so a
// malformed request (bad bytes, invalid UTF-8 in a string) is
// INVALID_ARGUMENT, never the INTERNAL gRPC's generated decoding would
// return. Handlers are thin: decode, validate, ask the domain (catalog,
// join graph, engine), convert, map Status to a gRPC code. Memory-only RPCs
// run inline; database work runs on a worker pool, never on gRPC threads.
//
// Where things are: service.cc (admission, target resolution), service_read.cc
// (memory RPCs, WatchClusters, ListTargets), service_database.cc (database
// reads and admin RPCs), reactors.h (the streams), call.h (what every call
// shares: decoding, the response cache, finishing, offloading), convert.h
// (domain -> proto).
//
// Thread safety: all handlers may run concurrently.
#ifndef SCHEMAGATE_SERVER_RPC_SERVICE_H_
#define SCHEMAGATE_SERVER_RPC_SERVICE_H_

#include <atomic>
#include <memory>
#include <string>

#include "schemagate/v1/schemagate.grpc.pb.h"
#include "server/metrics/rpc.h"
#include "server/migrate/engine.h"
#include "server/rpc/auth.h"
#include "server/rpc/db_pool.h"
#include "server/rpc/fleet_monitor.h"
#include "server/rpc/monitor.h"
#include "server/rpc/response_cache.h"
#include "server/rpc/state.h"
#include "server/rpc/targets.h"
#include "server/util/thread_pool.h"

namespace schemagate::rpc {

struct ServiceLimits {
  size_t max_tables = 10000;     // CheckTables
  size_t max_join_tables = 64;   // ValidateJoin tables + pairs
  size_t max_name_bytes = 1024;  // any table or cluster name
  int max_watches = 10000;       // open WatchClusters streams
  // Answers of the memory RPCs kept for repeated requests (ResponseCache);
  // 0 keeps none.
  size_t response_cache_bytes = 8 << 20;
  // ValidateQuery: the largest SQL accepted. Parsing costs hundreds of
  // bytes of memory per byte of SQL (measured: ~390 for a long IN list, so
  // 128 KiB may cost ~50 MiB while it runs).
  size_t max_query_bytes = 128 << 10;
  // SQL of at least this size is parsed on the parser pool, against the
  // parse budget (ServiceContext), not inline on a gRPC thread.
  size_t large_query_bytes = 16 << 10;
};

struct ServiceContext {
  ServiceState* state = nullptr;
  ConnectionPool* pool = nullptr;
  TokenVerifier* auth = nullptr;
  ThreadPool* workers = nullptr;
  Monitor* monitor = nullptr;
  // Engine settings for Apply/Rollback/Repair/Adopt.
  migrate::EngineOptions engine;
  ServiceLimits limits;
  // statement_timeout of the database reads of status, plan and verify.
  absl::Duration statement_timeout = absl::ZeroDuration();
  // The database URL asks for a standby (reads only): admin RPCs, which
  // need the primary, are refused (FAILED_PRECONDITION).
  bool reads_standby = false;
  // Connection settings of the engine's reconnection after a failover
  // during ApplyMigrations (EngineOptions::reconnect), bounded by the
  // call's deadline.
  migrate::ConnectOptions database;
  // ValidateQuery parses: the threads large ones run on (bounding how many
  // run at once; `workers` when null), and the bytes of SQL all of them may
  // hold, queued or running (unbounded when null). A call past either is
  // RESOURCE_EXHAUSTED naming the limit.
  ThreadPool* parsers = nullptr;
  ByteBudget* parse_budget = nullptr;
  // Answers of the memory RPCs by request (null: none kept).
  ResponseCache* cache = nullptr;
  // Fleets (serve --targets, docs/FLEETS.md): the targets and their
  // monitor; null without --targets (then a target_id is NOT_FOUND).
  TargetRegistry* targets = nullptr;
  FleetMonitor* fleet_monitor = nullptr;
  // Timeouts of the connections a database RPC opens to a target (url
  // unused; connect timeout bounded by the call's deadline).
  migrate::ConnectOptions target_connect;
  // False when the server has no database of its own (only --targets): a
  // request without target_id is then INVALID_ARGUMENT; `state` still
  // holds the build's catalog.
  bool has_default = true;
  // Every finished call is recorded here (by method and code) when set
  // (--metrics-listen); must outlive the service.
  metrics::RpcMetrics* rpc_metrics = nullptr;
  // Open WatchClusters streams, against limits.max_watches: services given
  // the same counter (a server's two listeners) share the limit; a service
  // given none counts its own.
  std::shared_ptr<std::atomic<int>> watches;
};

namespace internal {
using RawService = v1::SchemaGate::WithRawCallbackMethod_ListClusters<
    v1::SchemaGate::WithRawCallbackMethod_CheckTables<
        v1::SchemaGate::WithRawCallbackMethod_ValidateJoin<
            v1::SchemaGate::WithRawCallbackMethod_ValidateQuery<
                v1::SchemaGate::WithRawCallbackMethod_GetMigrationStatus<
                    v1::SchemaGate::WithRawCallbackMethod_PlanMigrations<
                        v1::SchemaGate::WithRawCallbackMethod_VerifySchema<
                            v1::SchemaGate::WithRawCallbackMethod_ApplyMigrations<
                                v1::SchemaGate::WithRawCallbackMethod_RollbackCluster<
                                    v1::SchemaGate::WithRawCallbackMethod_RepairChecksums<
                                        v1::SchemaGate::WithRawCallbackMethod_AdoptDatabase<
                                            v1::SchemaGate::WithRawCallbackMethod_WatchClusters<
                                                v1::SchemaGate::WithRawCallbackMethod_ListTargets<
                                                    v1::SchemaGate::Service>>>>>>>>>>>>>;
}  // namespace internal

class SchemaGateService final : public internal::RawService {
 public:
  // `admin` false: mutating RPCs are refused on this instance (they are
  // served by another listener). `context` members must outlive it.
  SchemaGateService(ServiceContext context, bool admin);

  grpc::ServerUnaryReactor* ListClusters(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CheckTables(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ValidateJoin(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ValidateQuery(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetMigrationStatus(grpc::CallbackServerContext* ctx,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PlanMigrations(grpc::CallbackServerContext* ctx,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* VerifySchema(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ApplyMigrations(
      grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* RollbackCluster(grpc::CallbackServerContext* ctx,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RepairChecksums(grpc::CallbackServerContext* ctx,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* AdoptDatabase(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchClusters(
      grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* ListTargets(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

  // What a request's target_id names: the server's own database (empty) or
  // a fleet target. Public for the reactors (reactors.h).
  struct Scope {
    std::shared_ptr<ServiceState> state;  // never null once resolved
    std::shared_ptr<TargetEntry> entry;   // null for the server's own database
    const ServiceContext* context = nullptr;
    // A connection to the scope's database (pooled for the server's own).
    absl::StatusOr<ConnectionPool::Lease> Acquire(absl::Time deadline) const;
    // Read its history again now (after an admin RPC).
    void Refresh() const;
  };

  // Open WatchClusters streams counted by this service's counter
  // (ServiceContext::watches).
  int active_watches() const;

 private:
  grpc::Status CheckAdmin(grpc::CallbackServerContext* ctx) const;
  // Resolves `target_id`: INVALID_ARGUMENT (malformed; empty on a server
  // without a database of its own), NOT_FOUND (reason UNKNOWN_TARGET: not
  // in the target set, or no --targets), FAILED_PRECONDITION (reason
  // TARGET_NOT_SERVED: its definition has a problem), naming it.
  grpc::Status Resolve(const std::string& target_id, Scope* out) const;

  ServiceContext context_;
  const bool admin_;
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_SERVICE_H_
