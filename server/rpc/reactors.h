// The server-streaming RPCs of SchemaGateService (ApplyMigrations,
// WatchClusters): each starts a reactor that owns the stream until it ends.
//
// Thread safety: reactors push messages from worker and monitor threads;
// their write queues are locked.
#ifndef SCHEMAGATE_SERVER_RPC_REACTORS_H_
#define SCHEMAGATE_SERVER_RPC_REACTORS_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "schemagate/v1/schemagate.pb.h"
#include "server/rpc/service.h"
#include "server/rpc/state.h"

namespace schemagate::rpc {

// ApplyMigrations' stream: progress events, then the summary; the work runs
// on `service.workers` with a connection to `scope`'s database. Ends at
// once with `refusal` when that is not OK (malformed, not admitted, unknown
// target).
grpc::ServerWriteReactor<grpc::ByteBuffer>* StartApply(grpc::CallbackServerContext* ctx,
                                                       const ServiceContext& service,
                                                       v1::ApplyMigrationsRequest request,
                                                       SchemaGateService::Scope scope,
                                                       const grpc::Status& refusal);

// WatchClusters' stream over `state`: the clusters of `filter` (all when
// empty), in full first, then what changed. `count` counts the open
// streams (this one included while it is open); past
// `service.limits.max_watches` the stream ends RESOURCE_EXHAUSTED, else
// with `refusal` when that is not OK.
grpc::ServerWriteReactor<grpc::ByteBuffer>* StartWatch(grpc::CallbackServerContext* ctx,
                                                       const ServiceContext& service,
                                                       std::shared_ptr<ServiceState> state,
                                                       std::set<std::string> filter,
                                                       std::shared_ptr<std::atomic<int>> count,
                                                       const grpc::Status& refusal);

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_REACTORS_H_
