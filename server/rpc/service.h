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
// Thread safety: all handlers may run concurrently.
#ifndef SCHEMAGATE_SERVER_RPC_SERVICE_H_
#define SCHEMAGATE_SERVER_RPC_SERVICE_H_

#include <atomic>
#include <memory>
#include <string>

#include "schemagate/v1/schemagate.grpc.pb.h"
#include "server/migrate/engine.h"
#include "server/rpc/auth.h"
#include "server/rpc/db_pool.h"
#include "server/rpc/monitor.h"
#include "server/rpc/response_cache.h"
#include "server/rpc/state.h"
#include "server/util/thread_pool.h"

namespace schemagate::rpc {

struct ServiceLimits {
  size_t max_tables = 10000;      // CheckTables
  size_t max_join_tables = 64;    // ValidateJoin tables + pairs
  size_t max_name_bytes = 1024;   // any table or cluster name
  int max_watches = 10000;        // open WatchClusters streams
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
  // ValidateQuery parses: the threads large ones run on (bounding how many
  // run at once; `workers` when null), and the bytes of SQL all of them may
  // hold, queued or running (unbounded when null). A call past either is
  // RESOURCE_EXHAUSTED naming the limit.
  ThreadPool* parsers = nullptr;
  ByteBudget* parse_budget = nullptr;
  // Answers of the memory RPCs by request (null: none kept).
  ResponseCache* cache = nullptr;
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
                                                v1::SchemaGate::Service>>>>>>>>>>>>;
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

  // Active WatchClusters streams (for tests and metrics).
  static int active_watches();

 private:
  class Call;

  grpc::Status CheckAdmin(grpc::CallbackServerContext* ctx) const;

  ServiceContext context_;
  const bool admin_;
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_SERVICE_H_
