// The life of one RPC of SchemaGateService, shared by its handlers: decoding
// and encoding raw byte buffers, the memory RPCs' answers through the
// ResponseCache, request checks every handler makes (names, credentials,
// deadline), finishing a unary call (log line and metrics), and running
// database work on the worker pool. No RPC's own logic lives here.
//
// Thread safety: the free functions may run on any thread; a Unary is
// copied into the worker that finishes it.
#ifndef SCHEMAGATE_SERVER_RPC_CALL_H_
#define SCHEMAGATE_SERVER_RPC_CALL_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "server/metrics/rpc.h"
#include "server/migrate/db.h"
#include "server/rpc/response_cache.h"
#include "server/rpc/state.h"
#include "server/util/thread_pool.h"

namespace schemagate::rpc {

// Decodes `buffer` (null: an empty message) into `message`; false when the
// bytes do not parse (a string field that is not UTF-8 included).
template <typename M>
bool Decode(const grpc::ByteBuffer* buffer, M* message) {
  if (buffer == nullptr) return true;  // an empty message
  grpc::ByteBuffer copy(*buffer);
  grpc::ProtoBufferReader reader(&copy);
  return message->ParseFromZeroCopyStream(&reader);
}

grpc::Status Encode(const google::protobuf::Message& message, grpc::ByteBuffer* out);

// INVALID_ARGUMENT for a request that does not parse as `type`.
grpc::Status Malformed(const std::string& type);

// The call's deadline (30 s from now when the client set none).
absl::Time DeadlineOf(grpc::CallbackServerContext* ctx);

// The "authorization" metadata of the call ("" when absent).
std::string AuthorizationOf(grpc::CallbackServerContext* ctx);
// A TokenVerifier's verdict as a status with reason NOT_AUTHORIZED.
grpc::Status FromAuth(const absl::Status& s);

// What is wrong with a table or cluster name ("" when nothing): empty,
// longer than `max` bytes, or holding a NUL byte.
std::string NameProblem(const std::string& name, size_t max);

// A debug log line for a finished call.
void LogCall(const char* method, grpc::CallbackServerContext* ctx, absl::Time start,
             const grpc::Status& status);

// The memory RPCs' ids in the ResponseCache.
enum CachedMethod { kListClusters, kCheckTables, kValidateJoin, kValidateQuery };

// A memory RPC's answer through the cache: `request`'s bytes are the key.
// `snapshot` is the one of the state the request was resolved to (the
// server's own, or its fleet target's): a snapshot's generation is unique
// in the process (ServiceState::Publish), so an answer kept under it is
// found only for that very state and snapshot — never for another target,
// a redefined target or a later snapshot.
class CachedAnswer {
 public:
  CachedAnswer(ResponseCache* cache, int method, const grpc::ByteBuffer* request,
               std::shared_ptr<const Snapshot> snapshot);
  const Snapshot& snapshot() const { return *snapshot_; }
  // True when the answer was kept: then it is in `response`.
  bool Found(grpc::ByteBuffer* response) const;
  // Encodes `message` into `response` and keeps it.
  grpc::Status Answer(const google::protobuf::Message& message, grpc::ByteBuffer* response);

 private:
  ResponseCache* cache_;
  int method_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::string key_;
};

// Records a finished call in the RPC metrics (when on).
class CallMetrics {
 public:
  CallMetrics(metrics::RpcMetrics* rpcs, const char* method)
      : rpcs_(rpcs), method_(rpcs != nullptr ? rpcs->MethodIndex(method) : 0) {}
  void Record(absl::Time start, const grpc::Status& status) const;

 private:
  metrics::RpcMetrics* rpcs_;
  int method_;
};

// Finishes a unary call, logging it and recording it in the metrics.
class Unary {
 public:
  Unary(metrics::RpcMetrics* rpcs, const char* method, grpc::CallbackServerContext* ctx)
      : method_(method),
        ctx_(ctx),
        reactor_(ctx->DefaultReactor()),
        start_(absl::Now()),
        metrics_(rpcs, method) {}
  grpc::ServerUnaryReactor* Finish(const grpc::Status& status);
  grpc::ServerUnaryReactor* reactor() const { return reactor_; }
  grpc::CallbackServerContext* ctx() const { return ctx_; }
  const char* method() const { return method_; }
  absl::Time start() const { return start_; }

 private:
  const char* method_;
  grpc::CallbackServerContext* ctx_;
  grpc::ServerUnaryReactor* reactor_;
  absl::Time start_;
  CallMetrics metrics_;
};

// A read of the database (status, plan, verify, a dry run): one read-only
// transaction bounded by --statement-timeout, rolled back when done.
class BoundedRead {
 public:
  BoundedRead(migrate::Connection* conn, absl::Duration statement_timeout)
      : conn_(conn), status_(conn->BeginRead(statement_timeout)) {}
  ~BoundedRead() { (void)conn_->Rollback(); }
  BoundedRead(const BoundedRead&) = delete;
  BoundedRead& operator=(const BoundedRead&) = delete;
  // Non-OK when the transaction could not start (kConnect).
  absl::Status status() const;

 private:
  migrate::Connection* conn_;
  absl::Status status_;
};

// Runs `work` on the worker pool and finishes the call with its status
// (CANCELLED when the client went away before it ran, RESOURCE_EXHAUSTED
// when the pool's queue is full).
grpc::ServerUnaryReactor* Offload(ThreadPool* workers, Unary call,
                                  std::function<grpc::Status()> work);

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_CALL_H_
