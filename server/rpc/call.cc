#include "server/rpc/call.h"

#include <grpcpp/support/proto_buffer_writer.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/rpc/convert.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::rpc {
namespace {

// A request's bytes in one piece (the ResponseCache's key).
std::string Flatten(const grpc::ByteBuffer* buffer) {
  std::string out;
  if (buffer == nullptr) return out;
  std::vector<grpc::Slice> slices;
  if (!buffer->Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

// `bytes` as the response, not copied: the slice keeps a reference.
void Respond(std::shared_ptr<const std::string> bytes, grpc::ByteBuffer* out) {
  auto* hold = new std::shared_ptr<const std::string>(std::move(bytes));
  grpc::Slice slice(
      const_cast<char*>((*hold)->data()), (*hold)->size(),
      [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, hold);
  grpc::ByteBuffer buffer(&slice, 1);
  out->Swap(&buffer);
}

}  // namespace

grpc::Status Encode(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  grpc::ProtoBufferWriter writer(out, grpc::kProtoBufferWriterMaxBufferLength,
                                 static_cast<int>(message.ByteSizeLong()));
  if (!message.SerializeToZeroCopyStream(&writer)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the response");
  }
  return grpc::Status::OK;
}

CachedAnswer::CachedAnswer(ResponseCache* cache, int method, const grpc::ByteBuffer* request,
                           std::shared_ptr<const Snapshot> snapshot)
    : cache_(cache), method_(method), snapshot_(std::move(snapshot)) {
  // A request too large to be kept is not copied either (a maximum-size
  // ValidateQuery is 128 KiB).
  if (request != nullptr && request->Length() >= ResponseCache::kMaxEntryBytes) {
    cache_ = nullptr;
  }
  // Generation 0 (nothing published yet) is every new state's: not unique.
  if (snapshot_->generation == 0) cache_ = nullptr;
  if (cache_ != nullptr) key_ = Flatten(request);
}

bool CachedAnswer::Found(grpc::ByteBuffer* response) const {
  if (cache_ == nullptr) return false;
  std::shared_ptr<const std::string> hit = cache_->Find(method_, snapshot_->generation, key_);
  if (hit == nullptr) return false;
  Respond(std::move(hit), response);
  return true;
}

grpc::Status CachedAnswer::Answer(const google::protobuf::Message& message,
                                  grpc::ByteBuffer* response) {
  auto bytes = std::make_shared<std::string>();
  if (!message.SerializeToString(bytes.get())) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the response");
  }
  if (cache_ != nullptr) cache_->Insert(method_, snapshot_->generation, key_, bytes);
  Respond(std::move(bytes), response);
  return grpc::Status::OK;
}

grpc::Status Malformed(const std::string& type) {
  return InvalidArgument("", absl::StrCat("the request does not parse as ", type,
                                          " (bad encoding, or a string field that is not "
                                          "valid UTF-8)"));
}

absl::Time DeadlineOf(grpc::CallbackServerContext* ctx) {
  auto d = ctx->deadline();
  if (d == std::chrono::system_clock::time_point::max()) {
    return absl::Now() + absl::Seconds(30);
  }
  return absl::FromChrono(d);
}

std::string AuthorizationOf(grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
}

grpc::Status FromAuth(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return WithReason(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()),
                    exit_codes::kReasonNotAuthorized);
}

std::string NameProblem(const std::string& name, size_t max) {
  if (name.empty()) return "is empty";
  if (name.size() > max) return absl::StrCat("is longer than ", max, " bytes");
  if (name.find('\0') != std::string::npos) return "contains a NUL byte";
  return "";
}

void LogCall(const char* method, grpc::CallbackServerContext* ctx, absl::Time start,
             const grpc::Status& status) {
  if (!log::Enabled(log::Level::kDebug)) return;
  log::Debug("rpc", {{"method", method},
                     {"peer", ctx->peer()},
                     {"code", absl::StrCat(static_cast<int>(status.error_code()))},
                     {"ms", absl::StrCat(absl::ToDoubleMilliseconds(absl::Now() - start))}});
}

void CallMetrics::Record(absl::Time start, const grpc::Status& status) const {
  if (rpcs_ == nullptr) return;
  rpcs_->Observe(method_, status.error_code(), absl::ToDoubleSeconds(absl::Now() - start));
}

grpc::ServerUnaryReactor* Unary::Finish(const grpc::Status& status) {
  LogCall(method_, ctx_, start_, status);
  metrics_.Record(start_, status);
  reactor_->Finish(status);
  return reactor_;
}

absl::Status BoundedRead::status() const {
  return errors::WithKind(status_, errors::ErrorKind::kConnect);
}

grpc::ServerUnaryReactor* Offload(ThreadPool* workers, Unary call,
                                  std::function<grpc::Status()> work) {
  bool queued = workers->TrySubmit([call, work = std::move(work)]() mutable {
    if (call.ctx()->IsCancelled()) {
      call.Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran"));
      return;
    }
    call.Finish(work());
  });
  if (!queued) {
    return call.Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                    "too many database requests queued; retry later"));
  }
  return call.reactor();
}

}  // namespace schemagate::rpc
