#include "server/rpc/service.h"

#include <deque>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/catalog/query.h"
#include "server/migrate/adopt.h"
#include "server/migrate/unmanaged.h"
#include "server/migrate/verify.h"
#include "server/rpc/convert.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::rpc {
namespace {

std::atomic<int> g_active_watches{0};

template <typename M>
bool Decode(const grpc::ByteBuffer* buffer, M* message) {
  if (buffer == nullptr) return true;  // an empty message
  grpc::ByteBuffer copy(*buffer);
  grpc::ProtoBufferReader reader(&copy);
  return message->ParseFromZeroCopyStream(&reader);
}

grpc::Status Encode(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  grpc::ProtoBufferWriter writer(out, grpc::kProtoBufferWriterMaxBufferLength,
                                 static_cast<int>(message.ByteSizeLong()));
  if (!message.SerializeToZeroCopyStream(&writer)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the response");
  }
  return grpc::Status::OK;
}

// The memory RPCs' ids in the ResponseCache.
enum CachedMethod { kListClusters, kCheckTables, kValidateJoin, kValidateQuery };

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

// A memory RPC's answer through the cache: `key` is the request's bytes
// ("" without a cache). `snapshot` is the one of the state the request was
// resolved to (the server's own, or its fleet target's): a snapshot's
// generation is unique in the process (ServiceState::Publish), so an answer
// kept under it is found only for that very state and snapshot — never for
// another target, a redefined target or a later snapshot.
class CachedAnswer {
 public:
  CachedAnswer(ResponseCache* cache, int method, const grpc::ByteBuffer* request,
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
  const Snapshot& snapshot() const { return *snapshot_; }
  // True when the answer was kept: then it is in `response`.
  bool Found(grpc::ByteBuffer* response) const {
    if (cache_ == nullptr) return false;
    std::shared_ptr<const std::string> hit = cache_->Find(method_, snapshot_->generation, key_);
    if (hit == nullptr) return false;
    Respond(std::move(hit), response);
    return true;
  }
  // Encodes `message` into `response` and keeps it.
  grpc::Status Answer(const google::protobuf::Message& message, grpc::ByteBuffer* response) {
    auto bytes = std::make_shared<std::string>();
    if (!message.SerializeToString(bytes.get())) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the response");
    }
    if (cache_ != nullptr) cache_->Insert(method_, snapshot_->generation, key_, bytes);
    Respond(std::move(bytes), response);
    return grpc::Status::OK;
  }

 private:
  ResponseCache* cache_;
  int method_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::string key_;
};

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

google::protobuf::Timestamp Stamp(absl::Time t) {
  google::protobuf::Timestamp out;
  if (t == absl::InfinitePast()) return out;
  out.set_seconds(absl::ToUnixSeconds(t));
  out.set_nanos(
      static_cast<int32_t>((t - absl::FromUnixSeconds(out.seconds())) / absl::Nanoseconds(1)));
  return out;
}

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  int64_t ns = absl::ToInt64Nanoseconds(d);
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
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

// Records a finished call in the RPC metrics (when on).
class CallMetrics {
 public:
  CallMetrics(metrics::RpcMetrics* rpcs, const char* method)
      : rpcs_(rpcs), method_(rpcs != nullptr ? rpcs->MethodIndex(method) : 0) {}
  void Record(absl::Time start, const grpc::Status& status) const {
    if (rpcs_ == nullptr) return;
    rpcs_->Observe(method_, status.error_code(), absl::ToDoubleSeconds(absl::Now() - start));
  }

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
  grpc::ServerUnaryReactor* Finish(const grpc::Status& status) {
    LogCall(method_, ctx_, start_, status);
    metrics_.Record(start_, status);
    reactor_->Finish(status);
    return reactor_;
  }
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
  absl::Status status() const { return errors::WithKind(status_, errors::ErrorKind::kConnect); }

 private:
  migrate::Connection* conn_;
  absl::Status status_;
};

// Runs `work` on the worker pool and finishes the call with its status.
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

// A server-streaming reactor with a write queue: Push from any thread,
// writes go out one at a time, Close finishes after the queue drains.
class StreamReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  StreamReactor(metrics::RpcMetrics* rpcs, const char* method, grpc::CallbackServerContext* ctx)
      : method_(method), ctx_(ctx), start_(absl::Now()), metrics_(rpcs, method) {}

  // False when the stream is closed (cancelled or finished).
  bool Push(const google::protobuf::Message& message) {
    grpc::ByteBuffer buffer;
    if (!Encode(message, &buffer).ok()) return false;
    absl::MutexLock lock(&mu_);
    if (closed_ || cancelled_) return false;
    queue_.push_back(std::move(buffer));
    if (!writing_) {
      writing_ = true;
      StartWrite(&queue_.front());
    }
    return true;
  }
  // Replaces anything not yet written by `message` (for coalescing).
  size_t queued() {
    absl::MutexLock lock(&mu_);
    return queue_.size();
  }
  void Close(const grpc::Status& status) {
    bool finish_now = false;
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return;
      closed_ = true;
      final_ = status;
      finish_now = !writing_;
    }
    if (finish_now) {
      LogCall(method_, ctx_, start_, status);
      metrics_.Record(start_, status);
      Finish(status);
    }
  }
  bool cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  void OnWriteDone(bool ok) override {
    bool finish_now = false;
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      queue_.pop_front();
      if (!ok) {
        cancelled_ = true;
        queue_.clear();
      }
      if (!queue_.empty()) {
        StartWrite(&queue_.front());
        return;
      }
      writing_ = false;
      if (closed_) {
        finish_now = true;
        status = final_;
      }
    }
    if (finish_now) {
      LogCall(method_, ctx_, start_, status);
      metrics_.Record(start_, status);
      Finish(status);
    }
  }
  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    Cancelled();
  }

 protected:
  virtual void Cancelled() {}
  grpc::CallbackServerContext* ctx() const { return ctx_; }

 private:
  const char* method_;
  grpc::CallbackServerContext* ctx_;
  absl::Time start_;
  CallMetrics metrics_;
  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_ ABSL_GUARDED_BY(mu_);
};

class ApplyReactor final : public StreamReactor {
 public:
  ApplyReactor(grpc::CallbackServerContext* ctx, const ServiceContext& service,
               v1::ApplyMigrationsRequest request)
      : StreamReactor(service.rpc_metrics, "ApplyMigrations", ctx),
        service_(service),
        request_(std::move(request)) {}

  void SetScope(SchemaGateService::Scope scope) { scope_ = std::move(scope); }

  void Start() {
    if (!service_.workers->TrySubmit([this] { Run(); })) {
      Close(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy; retry later"));
    }
  }
  void OnDone() override { delete this; }

 private:
  void Cancelled() override {
    stop_ = true;
    absl::MutexLock lock(&conn_mu_);
    if (conn_ != nullptr) conn_->Cancel();  // stops a running statement
  }

  void Run() {
    absl::Time deadline = DeadlineOf(ctx());
    absl::StatusOr<ConnectionPool::Lease> lease = scope_.Acquire(deadline);
    if (!lease.ok()) {
      Close(ToGrpc(errors::WithKind(lease.status(), errors::ErrorKind::kConnect)));
      return;
    }
    {
      absl::MutexLock lock(&conn_mu_);
      conn_ = lease->get();
    }
    migrate::EngineOptions options = service_.engine;
    // A failover during the call: wait for the new primary within the
    // call's deadline (at most --connect-timeout) and go on there (a fleet
    // target's own database for a target).
    options.reconnect = [this, deadline](const absl::Status&) {
      migrate::ConnectOptions connect = service_.database;
      if (scope_.entry) {
        connect = service_.target_connect;
        connect.url = scope_.entry->target.url;
      }
      connect.timeout =
          std::max(absl::ZeroDuration(), std::min(deadline - absl::Now(), connect.timeout));
      connect.stop = [this] { return stop_.load(); };
      return ReconnectToPrimary(connect, &conn_mu_, &reconnected_, &conn_);
    };
    migrate::Engine engine(scope_.state->catalog(), lease->get(), options);
    grpc::Status final_status;
    v1::ApplyMigrationsResponse summary_message;
    v1::ApplySummary* summary = summary_message.mutable_summary();
    summary->set_dry_run(request_.dry_run());
    if (request_.dry_run()) {
      BoundedRead read(lease->get(), service_.statement_timeout);
      absl::StatusOr<migrate::MigrationState> state =
          read.status().ok() ? engine.ReadState() : read.status();
      if (!state.ok()) {
        final_status = ToGrpc(state.status());
      } else {
        for (const v1::Migration* m : state->pending) {
          FillPending(*m, false, summary->add_planned());
        }
        summary->set_up_to_date(state->up_to_date());
        Push(summary_message);
      }
    } else {
      migrate::ApplyOptions options;
      options.single_transaction = request_.single_transaction();
      options.stop = [this] { return stop_.load(); };
      options.progress = [this](const migrate::Event& e) { Progress(e); };
      absl::StatusOr<migrate::ApplyResult> result = engine.Apply(options);
      if (!result.ok()) {
        final_status = ToGrpc(result.status());
        log::Fields fields = {{"error", std::string(result.status().message())}};
        if (scope_.entry) fields.insert(fields.begin(), {"target", scope_.entry->target.id});
        log::Error("ApplyMigrations failed", fields);
      } else {
        for (const migrate::StepResult& s : result->applied) {
          v1::MigrationId* r = summary->add_applied();
          r->set_cluster(s.cluster);
          r->set_version(s.version);
          r->set_name(s.name);
        }
        SetDuration(result->total, summary->mutable_duration());
        SetDuration(result->lock_wait, summary->mutable_lock_wait());
        summary->set_up_to_date(true);
        Push(summary_message);
      }
      scope_.Refresh();
    }
    {
      absl::MutexLock lock(&conn_mu_);
      conn_ = nullptr;
    }
    Close(final_status);
  }

  void Progress(const migrate::Event& e) {
    v1::ApplyMigrationsResponse message;
    v1::MigrationEvent* event = nullptr;
    switch (e.kind) {
      case migrate::Event::kLockWaiting:
        message.set_lock_waiting(e.message);
        break;
      case migrate::Event::kStarted:
        event = message.mutable_started();
        break;
      case migrate::Event::kFinished:
        event = message.mutable_finished();
        if (scope_.entry) {
          log::Info("applied", {{"target", scope_.entry->target.id},
                                {"migration", e.ref},
                                {"duration", absl::FormatDuration(e.duration)}});
        } else {
          log::Info("applied",
                    {{"migration", e.ref}, {"duration", absl::FormatDuration(e.duration)}});
        }
        break;
      case migrate::Event::kRetrying:
        event = message.mutable_retrying();
        break;
      case migrate::Event::kCleanedUp:
        event = message.mutable_cleaned_up();
        break;
      case migrate::Event::kReconnecting:
        log::Warning("ApplyMigrations: connection to the primary lost; reconnecting",
                     {{"error", e.message}});
        message.set_reconnecting(e.message);
        break;
      case migrate::Event::kReconnected:
        log::Info("ApplyMigrations: " + e.message);
        message.set_reconnected(e.message);
        break;
      case migrate::Event::kResolved:
        log::Warning(e.message, {{"migration", e.ref}});
        event = message.mutable_resolved();
        break;
      default:
        return;
    }
    if (event != nullptr) {
      event->set_cluster(e.cluster);
      event->set_version(e.version);
      event->set_name(e.name);
      SetDuration(e.duration, event->mutable_duration());
      event->set_message(e.message);
    }
    Push(message);
  }

  const ServiceContext& service_;
  SchemaGateService::Scope scope_;
  v1::ApplyMigrationsRequest request_;
  std::atomic<bool> stop_{false};
  absl::Mutex conn_mu_;
  migrate::Connection* conn_ ABSL_GUARDED_BY(conn_mu_) = nullptr;
  // The connection after a failover (the pool's lease is broken by then).
  std::unique_ptr<migrate::Connection> reconnected_ ABSL_GUARDED_BY(conn_mu_);
};

class WatchReactor final : public StreamReactor {
 public:
  static constexpr size_t kMaxQueuedUpdates = 256;

  WatchReactor(metrics::RpcMetrics* rpcs, grpc::CallbackServerContext* ctx,
               std::shared_ptr<ServiceState> state, std::set<std::string> filter)
      : StreamReactor(rpcs, "WatchClusters", ctx),
        state_(std::move(state)),
        filter_(std::move(filter)),
        guard_(std::make_shared<Guard>()) {
    guard_->reactor = this;
    ++g_active_watches;
  }

  void Start() {
    // Subscribe first, then send the current state: no change is lost.
    std::shared_ptr<Guard> guard = guard_;
    id_ = state_->Subscribe([guard](std::shared_ptr<const Snapshot> s) {
      absl::MutexLock lock(&guard->mu);
      if (guard->reactor != nullptr) guard->reactor->Send(*s);
    });
    absl::MutexLock lock(&guard_->mu);
    Send(*state_->snapshot());
  }

  void OnDone() override {
    state_->Unsubscribe(id_);
    {
      // A listener call may be running on the monitor thread; after this
      // block none is, and none will reach this object.
      absl::MutexLock lock(&guard_->mu);
      guard_->reactor = nullptr;
    }
    --g_active_watches;
    delete this;
  }

 private:
  struct Guard {
    absl::Mutex mu;
    WatchReactor* reactor = nullptr;
  };

  void Cancelled() override { Close(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }

  void Send(const Snapshot& snapshot) {
    if (snapshot.retired) {
      // The fleet target left the set or was redefined: a client that
      // reconnects gets the new definition (or NOT_FOUND).
      Close(snapshot.redefined
                ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               absl::StrCat("target \"", state_->target_id(),
                                            "\" was redefined in the target set; reconnect"))
                : WithReason(grpc::StatusCode::NOT_FOUND,
                             absl::StrCat("target \"", state_->target_id(),
                                          "\" was removed from the target set"),
                             exit_codes::kReasonUnknownTarget));
      return;
    }
    v1::WatchClustersResponse message;
    google::protobuf::RepeatedPtrField<v1::ClusterInfo> all;
    FillClusters(*state_, snapshot.known ? &snapshot.state : nullptr, snapshot.known, &all);
    bool initial = !sent_any_;
    for (v1::ClusterInfo& c : all) {
      if (!filter_.empty() && !filter_.count(c.name())) continue;
      std::string bytes = c.SerializeAsString();
      auto it = last_.find(c.name());
      if (it != last_.end() && it->second == bytes) continue;
      last_[c.name()] = bytes;
      *message.add_clusters() = std::move(c);
    }
    bool reachability_changed = reachable_ != snapshot.reachable;
    reachable_ = snapshot.reachable;
    if (!initial && message.clusters().empty() && !reachability_changed) return;
    if (queued() >= kMaxQueuedUpdates) {
      // Later messages are deltas of this one: rather than queue without
      // bound for a client that does not read, end the stream (the next
      // one starts with the full state).
      Close(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                         "the client reads the watch too slowly; reconnect"));
      return;
    }
    sent_any_ = true;
    message.set_initial(initial);
    message.set_database_reachable(snapshot.reachable);
    *message.mutable_as_of() = Stamp(snapshot.as_of);
    Push(message);
  }

  std::shared_ptr<ServiceState> state_;
  std::set<std::string> filter_;
  int id_ = 0;
  std::shared_ptr<Guard> guard_;
  // Touched only under guard_->mu.
  std::map<std::string, std::string> last_;
  bool reachable_ = false;
  bool sent_any_ = false;
};

}  // namespace

int SchemaGateService::active_watches() { return g_active_watches.load(); }

SchemaGateService::SchemaGateService(ServiceContext context, bool admin)
    : context_(std::move(context)), admin_(admin) {}

grpc::Status SchemaGateService::CheckAdmin(grpc::CallbackServerContext* ctx) const {
  if (!admin_) {
    return WithReason(grpc::StatusCode::PERMISSION_DENIED,
                      "admin RPCs are not served on this listener; use the "
                      "admin listener (--admin-listen)",
                      exit_codes::kReasonNotAuthorized);
  }
  grpc::Status auth = FromAuth(context_.auth->Check(AuthorizationOf(ctx)));
  if (auth.ok() && context_.reads_standby) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this server reads from a standby (its database URL sets "
                        "target_session_attrs to a standby); admin RPCs need the "
                        "primary: run them on a server, or the migrate Job, whose URL "
                        "reaches the primary");
  }
  return auth;
}

absl::StatusOr<ConnectionPool::Lease> SchemaGateService::Scope::Acquire(absl::Time deadline) const {
  if (!entry) return context->pool->Acquire(deadline);
  // A fleet target: a connection of its own for this call (fleets have
  // thousands of databases; a pool per target would hold thousands).
  migrate::ConnectOptions connect = context->target_connect;
  connect.url = entry->target.url;
  connect.timeout =
      std::max(absl::ZeroDuration(), std::min(connect.timeout, deadline - absl::Now()));
  absl::StatusOr<std::unique_ptr<migrate::Connection>> conn = migrate::Connection::Open(connect);
  if (!conn.ok()) return conn.status();
  return ConnectionPool::Lease(nullptr, *std::move(conn));
}

void SchemaGateService::Scope::Refresh() const {
  if (entry) {
    if (context->fleet_monitor != nullptr) context->fleet_monitor->Refresh(entry->target.id);
  } else if (context->monitor != nullptr) {
    context->monitor->Refresh();
  }
}

grpc::Status SchemaGateService::Resolve(const std::string& target_id, Scope* out) const {
  out->context = &context_;
  if (target_id.empty()) {
    if (!context_.has_default) {
      return InvalidArgument(
          "target_id",
          absl::StrCat("this server serves a fleet (--targets) and has no database of its "
                       "own: set target_id (ListTargets lists its ",
                       context_.targets != nullptr ? context_.targets->size() : 0, " targets)"));
    }
    // The server's own state outlives every call: not owned here.
    out->state = std::shared_ptr<ServiceState>(std::shared_ptr<ServiceState>(), context_.state);
    return grpc::Status::OK;
  }
  std::string problem = NameProblem(target_id, context_.limits.max_name_bytes);
  if (!problem.empty()) return InvalidArgument("target_id", "target_id " + problem);
  const std::string shown = absl::CHexEscape(target_id);
  if (context_.targets == nullptr) {
    return WithReason(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("unknown target_id \"", shown,
                                   "\": this server serves one database (it runs without "
                                   "--targets); leave target_id empty"),
                      exit_codes::kReasonUnknownTarget);
  }
  std::shared_ptr<TargetEntry> entry = context_.targets->Find(target_id);
  if (entry == nullptr) {
    return WithReason(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("unknown target_id \"", shown, "\": not in the target set (",
                                   context_.targets->size(), " targets; ListTargets lists them)"),
                      exit_codes::kReasonUnknownTarget);
  }
  if (entry->state == nullptr) {
    return WithReason(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("target \"", shown, "\" is in the target set but not served: ",
                                   entry->target.problem, " (", entry->target.origin, ")"),
                      exit_codes::kReasonTargetNotServed);
  }
  if (context_.fleet_monitor != nullptr) context_.fleet_monitor->Used(*entry);
  out->state = entry->state;
  out->entry = std::move(entry);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* SchemaGateService::ListClusters(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "ListClusters", ctx);
  v1::ListClustersRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("ListClustersRequest"));
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  CachedAnswer answer(context_.cache, kListClusters, request, scope.state->snapshot());
  if (answer.Found(response)) return call.Finish(grpc::Status::OK);
  const Snapshot& snapshot = answer.snapshot();
  v1::ListClustersResponse resp;
  FillClusters(*scope.state, snapshot.known ? &snapshot.state : nullptr, snapshot.known,
               resp.mutable_clusters());
  for (const std::string& f : scope.state->catalog().enabled_set().features) {
    resp.add_features(f);
  }
  resp.set_database_reachable(snapshot.reachable);
  *resp.mutable_state_as_of() = Stamp(snapshot.as_of);
  FillUnmanaged(snapshot.unmanaged, resp.mutable_unmanaged_tables());
  return call.Finish(answer.Answer(resp, response));
}

grpc::ServerUnaryReactor* SchemaGateService::CheckTables(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "CheckTables", ctx);
  v1::CheckTablesRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("CheckTablesRequest"));
  if (req.tables().empty()) {
    return call.Finish(InvalidArgument("tables", "name at least one table"));
  }
  if (static_cast<size_t>(req.tables_size()) > context_.limits.max_tables) {
    return call.Finish(InvalidArgument(
        "tables", absl::StrCat("at most ", context_.limits.max_tables, " tables per request (got ",
                               req.tables_size(), ")")));
  }
  for (int i = 0; i < req.tables_size(); ++i) {
    std::string problem = NameProblem(req.tables(i), context_.limits.max_name_bytes);
    if (!problem.empty()) {
      return call.Finish(
          InvalidArgument(absl::StrCat("tables[", i, "]"), absl::StrCat("table name ", problem)));
    }
  }
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  CachedAnswer answer(context_.cache, kCheckTables, request, scope.state->snapshot());
  if (answer.Found(response)) return call.Finish(grpc::Status::OK);
  const Snapshot& snapshot = answer.snapshot();
  v1::CheckTablesResponse resp;
  bool all = true;
  for (const std::string& t : req.tables()) {
    v1::TableCheck* check = resp.add_tables();
    *check = CheckTable(*scope.state, snapshot, t);
    all = all && check->status() == v1::TABLE_STATUS_AVAILABLE;
  }
  resp.set_all_available(all);
  resp.set_state_known(snapshot.known);
  return call.Finish(answer.Answer(resp, response));
}

grpc::ServerUnaryReactor* SchemaGateService::ValidateJoin(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "ValidateJoin", ctx);
  v1::ValidateJoinRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("ValidateJoinRequest"));
  if (req.tables().empty() && req.pairs().empty()) {
    return call.Finish(InvalidArgument("tables", "name at least one table or pair"));
  }
  if (static_cast<size_t>(req.tables_size() + req.pairs_size()) > context_.limits.max_join_tables) {
    return call.Finish(
        InvalidArgument("tables", absl::StrCat("at most ", context_.limits.max_join_tables,
                                               " tables and pairs per request")));
  }
  catalog::JoinRequest jr;
  for (int i = 0; i < req.tables_size(); ++i) {
    std::string problem = NameProblem(req.tables(i), context_.limits.max_name_bytes);
    if (!problem.empty()) {
      return call.Finish(
          InvalidArgument(absl::StrCat("tables[", i, "]"), absl::StrCat("table name ", problem)));
    }
    jr.tables.push_back(req.tables(i));
  }
  for (int i = 0; i < req.pairs_size(); ++i) {
    const v1::JoinPair& p = req.pairs(i);
    for (const auto& [field, value] :
         {std::pair<const char*, const std::string*>{"left", &p.left()}, {"right", &p.right()}}) {
      std::string problem = NameProblem(*value, context_.limits.max_name_bytes);
      if (!problem.empty()) {
        return call.Finish(InvalidArgument(absl::StrCat("pairs[", i, "].", field),
                                           absl::StrCat("table name ", problem)));
      }
    }
    jr.pairs.push_back({p.left(), p.right(), p.foreign_key()});
  }
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  CachedAnswer answer(context_.cache, kValidateJoin, request, scope.state->snapshot());
  if (answer.Found(response)) return call.Finish(grpc::Status::OK);
  catalog::JoinResult result = scope.state->graph().Join(jr);
  v1::ValidateJoinResponse resp;
  FillJoin(*scope.state, answer.snapshot(), result, &resp);
  return call.Finish(answer.Answer(resp, response));
}

grpc::ServerUnaryReactor* SchemaGateService::ValidateQuery(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "ValidateQuery", ctx);
  // Too long to accept: refused by its encoded size, before a copy of it is
  // decoded (the request holds only `sql`: a tag and a length precede it).
  auto too_long = [&](size_t bytes) {
    // Not worth a retry: a usage error for the exit-code table.
    return call.Finish(
        WithReason(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   absl::StrCat("ValidateQuery: the SQL is ", bytes,
                                " bytes; this server accepts at most --max-query-bytes=",
                                context_.limits.max_query_bytes),
                   exit_codes::kReasonUsage));
  };
  // A tag and a length before the SQL, and a target_id (at most
  // max_name_bytes, with its own tag and length).
  const size_t kFieldOverhead = 16 + context_.limits.max_name_bytes;
  if (request != nullptr && request->Length() > context_.limits.max_query_bytes + kFieldOverhead) {
    return too_long(request->Length() - std::min<size_t>(request->Length(), 6));
  }
  v1::ValidateQueryRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("ValidateQueryRequest"));
  const size_t size = req.sql().size();
  if (size > context_.limits.max_query_bytes) return too_long(size);
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  auto answer = std::make_shared<CachedAnswer>(context_.cache, kValidateQuery, request,
                                               scope.state->snapshot());
  if (answer->Found(response)) return call.Finish(grpc::Status::OK);
  auto work = [state = scope.state, req = std::move(req), response, answer]() -> grpc::Status {
    absl::StatusOr<catalog::QueryResult> result = catalog::AnalyzeQuery(state->graph(), req.sql());
    if (!result.ok()) return InvalidArgument("sql", std::string(result.status().message()));
    v1::ValidateQueryResponse resp;
    FillQuery(*state, answer->snapshot(), *result, &resp);
    return answer->Answer(resp, response);
  };
  // Every parse holds its SQL's bytes of a budget while queued or running:
  // parsing costs hundreds of bytes of memory per byte of SQL (measured:
  // ~390 for a long IN list), so the budget, not the number of callers,
  // bounds the memory.
  ByteBudget* budget = context_.parse_budget;
  if (budget != nullptr && !budget->TryTake(size)) {
    return call.Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                    absl::StrCat("ValidateQuery: ", budget->used(),
                                                 " bytes of SQL are already being parsed or queued "
                                                 "(--max-parse-bytes=",
                                                 budget->max(), "); retry later")));
  }
  if (size < context_.limits.large_query_bytes) {
    grpc::Status s = work();
    if (budget != nullptr) budget->Give(size);
    return call.Finish(s);
  }
  // Large SQL is parsed on the parser pool (a few at a time), not inline on
  // a gRPC thread.
  ThreadPool* pool = context_.parsers != nullptr ? context_.parsers : context_.workers;
  bool queued = pool->TrySubmit(
      [call, budget, size, work = std::function<grpc::Status()>(std::move(work))]() mutable {
        grpc::Status s = call.ctx()->IsCancelled()
                             ? grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran")
                             : work();
        work = nullptr;  // the request's SQL goes before the budget is given back
#ifdef __GLIBC__
        // A large parse frees hundreds of MiB into this thread's malloc arena;
        // without a trim the next one, on another thread's arena, adds as much
        // again to the resident set.
        malloc_trim(0);
#endif
        if (budget != nullptr) budget->Give(size);
        call.Finish(s);
      });
  if (!queued) {
    if (budget != nullptr) budget->Give(size);
    return call.Finish(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many queries queued; retry later"));
  }
  return call.reactor();
}

grpc::ServerUnaryReactor* SchemaGateService::GetMigrationStatus(grpc::CallbackServerContext* ctx,
                                                                const grpc::ByteBuffer* request,
                                                                grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "GetMigrationStatus", ctx);
  v1::GetMigrationStatusRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("GetMigrationStatusRequest"));
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return Offload(context_.workers, call, [this, ctx, response, scope]() -> grpc::Status {
    absl::StatusOr<ConnectionPool::Lease> conn = scope.Acquire(DeadlineOf(ctx));
    if (!conn.ok()) return ToGrpc(errors::WithKind(conn.status(), errors::ErrorKind::kConnect));
    BoundedRead read(conn->get(), context_.statement_timeout);
    if (!read.status().ok()) return ToGrpc(read.status());
    migrate::Engine engine(scope.state->catalog(), conn->get(), context_.engine);
    absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
    if (!state.ok()) return ToGrpc(errors::WithKind(state.status(), errors::ErrorKind::kConnect));
    v1::GetMigrationStatusResponse resp;
    FillClusters(*scope.state, &*state, true, resp.mutable_clusters());
    resp.set_up_to_date(state->up_to_date());
    for (const v1::Migration* m : state->pending) FillPending(*m, false, resp.add_pending());
    resp.set_history_table(
        absl::StrCat(context_.engine.history.schema, ".", context_.engine.history.table));
    resp.set_history_exists(state->history_exists);
    absl::StatusOr<std::vector<migrate::UnmanagedTable>> unmanaged = migrate::ReadUnmanaged(
        conn->get(), scope.state->catalog(), context_.engine.history, &*state);
    if (!unmanaged.ok()) {
      return ToGrpc(errors::WithKind(unmanaged.status(), errors::ErrorKind::kConnect));
    }
    FillUnmanaged(*unmanaged, resp.mutable_unmanaged_tables());
    return Encode(resp, response);
  });
}

grpc::ServerUnaryReactor* SchemaGateService::PlanMigrations(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "PlanMigrations", ctx);
  v1::PlanMigrationsRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("PlanMigrationsRequest"));
  bool include_sql = req.include_sql();
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return Offload(context_.workers, call,
                 [this, ctx, response, include_sql, scope]() -> grpc::Status {
                   absl::StatusOr<ConnectionPool::Lease> conn = scope.Acquire(DeadlineOf(ctx));
                   if (!conn.ok())
                     return ToGrpc(errors::WithKind(conn.status(), errors::ErrorKind::kConnect));
                   BoundedRead read(conn->get(), context_.statement_timeout);
                   if (!read.status().ok()) return ToGrpc(read.status());
                   migrate::Engine engine(scope.state->catalog(), conn->get(), context_.engine);
                   absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
                   if (!state.ok())
                     return ToGrpc(errors::WithKind(state.status(), errors::ErrorKind::kConnect));
                   absl::StatusOr<std::vector<migrate::PlannedLock>> locks =
                       migrate::PlanLocks(conn->get(), state->pending);
                   if (!locks.ok())
                     return ToGrpc(errors::WithKind(locks.status(), errors::ErrorKind::kConnect));
                   v1::PlanMigrationsResponse resp;
                   std::map<const v1::Migration*, v1::PendingMigration*> by_migration;
                   for (const v1::Migration* m : state->pending) {
                     v1::PendingMigration* p = resp.add_migrations();
                     FillPending(*m, include_sql, p);
                     by_migration[m] = p;
                   }
                   for (const migrate::PlannedLock& l : *locks) {
                     FillLock(l, by_migration[l.migration]->add_locks());
                   }
                   if (const int64_t max = context_.engine.max_blocking_rows; max >= 0) {
                     absl::Status refused = migrate::CheckBlockingRows(*locks, max);
                     v1::BlockingLimit* limit = resp.mutable_blocking_limit();
                     limit->set_max_blocking_rows(max);
                     limit->set_refused(!refused.ok());
                     limit->set_refusal(std::string(refused.message()));
                   }
                   return Encode(resp, response);
                 });
}

grpc::ServerUnaryReactor* SchemaGateService::VerifySchema(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "VerifySchema", ctx);
  v1::VerifySchemaRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("VerifySchemaRequest"));
  bool ignore_extra = req.ignore_extra_tables();
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return Offload(
      context_.workers, call, [this, ctx, response, ignore_extra, scope]() -> grpc::Status {
        absl::StatusOr<ConnectionPool::Lease> conn = scope.Acquire(DeadlineOf(ctx));
        if (!conn.ok()) return ToGrpc(errors::WithKind(conn.status(), errors::ErrorKind::kConnect));
        BoundedRead read(conn->get(), context_.statement_timeout);
        if (!read.status().ok()) return ToGrpc(read.status());
        const catalog::Catalog& catalog = scope.state->catalog();
        absl::StatusOr<std::vector<v1::Table>> live =
            migrate::Introspect(conn->get(), migrate::CatalogSchemas(catalog));
        if (!live.ok()) return ToGrpc(errors::WithKind(live.status(), errors::ErrorKind::kConnect));
        migrate::History history(conn->get(), context_.engine.history);
        absl::StatusOr<migrate::KnownObjects> known = migrate::ReadKnownObjects(history, catalog);
        if (!known.ok())
          return ToGrpc(errors::WithKind(known.status(), errors::ErrorKind::kConnect));
        migrate::VerifyOptions options;
        options.ignore_extra_tables = ignore_extra;
        options.foreign_history = known->foreign_history;
        migrate::VerifyReport report = migrate::Compare(catalog, *live, options, known->orphans);
        v1::VerifySchemaResponse resp;
        FillDrift(report, &resp);
        return Encode(resp, response);
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SchemaGateService::ApplyMigrations(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  v1::ApplyMigrationsRequest req;
  bool parsed = Decode(request, &req);
  auto* reactor = new ApplyReactor(ctx, context_, req);
  Scope scope;
  if (!parsed) {
    reactor->Close(Malformed("ApplyMigrationsRequest"));
  } else if (grpc::Status auth = CheckAdmin(ctx); !auth.ok()) {
    reactor->Close(auth);
  } else if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) {
    reactor->Close(s);
  } else {
    reactor->SetScope(std::move(scope));
    reactor->Start();
  }
  return reactor;
}

grpc::ServerUnaryReactor* SchemaGateService::RollbackCluster(grpc::CallbackServerContext* ctx,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "RollbackCluster", ctx);
  v1::RollbackClusterRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("RollbackClusterRequest"));
  if (grpc::Status auth = CheckAdmin(ctx); !auth.ok()) return call.Finish(auth);
  std::string problem = NameProblem(req.cluster(), context_.limits.max_name_bytes);
  if (!problem.empty()) {
    return call.Finish(InvalidArgument("cluster", absl::StrCat("cluster ", problem)));
  }
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return Offload(context_.workers, call, [this, ctx, response, req, scope]() -> grpc::Status {
    absl::StatusOr<ConnectionPool::Lease> conn = scope.Acquire(DeadlineOf(ctx));
    if (!conn.ok()) return ToGrpc(errors::WithKind(conn.status(), errors::ErrorKind::kConnect));
    migrate::Engine engine(scope.state->catalog(), conn->get(), context_.engine);
    migrate::RollbackOptions options;
    options.cluster = req.cluster();
    options.to_version = req.to_version();
    options.force = req.force();
    options.dry_run = req.dry_run();
    options.stop = [ctx] { return ctx->IsCancelled(); };
    options.progress = [](const migrate::Event& e) {
      if (e.kind == migrate::Event::kFinished) log::Info("rolled back", {{"migration", e.ref}});
    };
    absl::StatusOr<migrate::RollbackResult> result = engine.Rollback(options);
    scope.Refresh();
    if (!result.ok()) return ToGrpc(result.status(), "cluster");
    v1::RollbackClusterResponse resp;
    resp.set_dry_run(req.dry_run());
    for (const migrate::StepResult& s : result->reverted) {
      v1::MigrationId* r = resp.add_reverted();
      r->set_cluster(s.cluster);
      r->set_version(s.version);
      r->set_name(s.name);
    }
    return Encode(resp, response);
  });
}

grpc::ServerUnaryReactor* SchemaGateService::RepairChecksums(grpc::CallbackServerContext* ctx,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "RepairChecksums", ctx);
  v1::RepairChecksumsRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("RepairChecksumsRequest"));
  if (grpc::Status auth = CheckAdmin(ctx); !auth.ok()) return call.Finish(auth);
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return Offload(context_.workers, call, [this, ctx, response, req, scope]() -> grpc::Status {
    absl::StatusOr<ConnectionPool::Lease> conn = scope.Acquire(DeadlineOf(ctx));
    if (!conn.ok()) return ToGrpc(errors::WithKind(conn.status(), errors::ErrorKind::kConnect));
    migrate::Engine engine(scope.state->catalog(), conn->get(), context_.engine);
    absl::StatusOr<migrate::RepairResult> result = engine.Repair(
        {req.cluster(), req.dry_run(), nullptr, [ctx] { return ctx->IsCancelled(); }});
    scope.Refresh();
    if (!result.ok()) return ToGrpc(result.status(), "cluster");
    v1::RepairChecksumsResponse resp;
    resp.set_dry_run(req.dry_run());
    for (const migrate::ChecksumMismatch& m : result->repaired) {
      v1::ChecksumProblem* p = resp.add_repaired();
      p->set_cluster(m.cluster);
      p->set_version(m.version);
      p->set_path(m.path);
      p->set_applied_sha256(m.applied_checksum);
      p->set_file_sha256(m.build_checksum);
    }
    return Encode(resp, response);
  });
}

grpc::ServerUnaryReactor* SchemaGateService::AdoptDatabase(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "AdoptDatabase", ctx);
  v1::AdoptDatabaseRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("AdoptDatabaseRequest"));
  if (grpc::Status auth = CheckAdmin(ctx); !auth.ok()) return call.Finish(auth);
  migrate::AdoptOptions options;
  switch (req.source_format()) {
    case v1::SOURCE_FORMAT_NONE:
      options.from = migrate::SourceFormat::kNone;
      break;
    case v1::SOURCE_FORMAT_DIESEL:
      options.from = migrate::SourceFormat::kDiesel;
      break;
    case v1::SOURCE_FORMAT_GOLANG_MIGRATE:
      options.from = migrate::SourceFormat::kGolangMigrate;
      break;
    case v1::SOURCE_FORMAT_FLYWAY:
      options.from = migrate::SourceFormat::kFlyway;
      break;
    default:
      return call.Finish(InvalidArgument("source_format",
                                         "set source_format to the tool that migrated the database "
                                         "(DIESEL, GOLANG_MIGRATE, FLYWAY) or NONE"));
  }
  for (int i = 0; i < req.clusters_size(); ++i) {
    std::string problem = NameProblem(req.clusters(i), context_.limits.max_name_bytes);
    if (!problem.empty()) {
      return call.Finish(InvalidArgument(absl::StrCat("clusters[", i, "]"),
                                         absl::StrCat("cluster name ", problem)));
    }
    options.clusters.push_back(req.clusters(i));
  }
  if (req.source_history_table().size() > context_.limits.max_name_bytes) {
    return call.Finish(InvalidArgument("source_history_table", "too long"));
  }
  if (options.from == migrate::SourceFormat::kNone && !req.source_history_table().empty()) {
    return call.Finish(InvalidArgument("source_history_table",
                                       "a history table needs a source_format other than NONE"));
  }
  options.source_table = req.source_history_table();
  options.dry_run = req.dry_run();
  options.ignore_extra_tables = req.ignore_extra_tables();
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return Offload(context_.workers, call, [this, ctx, response, options, scope]() -> grpc::Status {
    absl::StatusOr<ConnectionPool::Lease> conn = scope.Acquire(DeadlineOf(ctx));
    if (!conn.ok()) return ToGrpc(errors::WithKind(conn.status(), errors::ErrorKind::kConnect));
    migrate::AdoptOptions adopt = options;
    adopt.stop = [ctx] { return ctx->IsCancelled(); };
    absl::StatusOr<migrate::AdoptResult> result =
        migrate::Adopt(scope.state->catalog(), conn->get(), context_.engine, adopt);
    scope.Refresh();
    if (!result.ok()) {
      std::string reason = errors::ReasonOf(result.status());
      const char* field =
          reason == "SOURCE_FORMAT_MISMATCH" ? "source_format"
          : absl::StartsWith(reason, "SOURCE_HISTORY") || reason == "BAD_SOURCE_HISTORY_TABLE"
              ? "source_history_table"
              : "clusters";
      return ToGrpc(result.status(), field);
    }
    if (!result->dry_run && !result->nothing_to_adopt()) {
      log::Info("adopted", {{"clusters", absl::StrJoin(result->adopted, ",")},
                            {"recorded", absl::StrCat(result->recorded.size())},
                            {"from", result->from}});
    }
    v1::AdoptDatabaseResponse resp;
    FillAdopt(*result, &resp);
    SetDuration(result->total, resp.mutable_duration());
    SetDuration(result->lock_wait, resp.mutable_lock_wait());
    return Encode(resp, response);
  });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SchemaGateService::WatchClusters(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  v1::WatchClustersRequest req;
  bool parsed = Decode(request, &req);
  std::set<std::string> filter(req.clusters().begin(), req.clusters().end());
  Scope scope;
  grpc::Status resolved = parsed ? Resolve(req.target_id(), &scope) : grpc::Status::OK;
  auto* reactor = new WatchReactor(
      context_.rpc_metrics, ctx,
      scope.state ? scope.state
                  : std::shared_ptr<ServiceState>(std::shared_ptr<ServiceState>(), context_.state),
      filter);
  if (active_watches() > context_.limits.max_watches) {
    reactor->Close(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                absl::StrCat("too many WatchClusters streams open (--max-watches=",
                                             context_.limits.max_watches, "); retry later")));
    return reactor;
  }
  if (!parsed) {
    reactor->Close(Malformed("WatchClustersRequest"));
    return reactor;
  }
  if (!resolved.ok()) {
    reactor->Close(resolved);
    return reactor;
  }
  for (const std::string& c : filter) {
    std::string problem = NameProblem(c, context_.limits.max_name_bytes);
    if (!problem.empty()) {
      reactor->Close(InvalidArgument("clusters", absl::StrCat("cluster name ", problem)));
      return reactor;
    }
  }
  reactor->Start();
  return reactor;
}

grpc::ServerUnaryReactor* SchemaGateService::ListTargets(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "ListTargets", ctx);
  v1::ListTargetsRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("ListTargetsRequest"));
  constexpr int kDefaultPage = 1000, kMaxPage = 10000;
  if (req.page_size() < 0 || req.page_size() > kMaxPage) {
    return call.Finish(InvalidArgument(
        "page_size", absl::StrCat("page_size must be 0 (", kDefaultPage, ") to ", kMaxPage)));
  }
  const int page = req.page_size() == 0 ? kDefaultPage : req.page_size();
  v1::ListTargetsResponse resp;
  if (context_.targets == nullptr) return call.Finish(Encode(resp, response));
  *resp.mutable_loaded_at() = Stamp(context_.targets->loaded_at());
  resp.set_load_error(context_.targets->load_error());
  int total = 0;
  for (const std::shared_ptr<TargetEntry>& e : context_.targets->All()) {
    const fleet::Target& t = e->target;
    bool labels_match = true;
    for (const auto& [k, v] : req.labels()) {
      auto it = t.labels.find(k);
      labels_match = labels_match && it != t.labels.end() && it->second == v;
    }
    if (!labels_match || (!req.wave().empty() && t.wave != req.wave())) continue;
    std::shared_ptr<const Snapshot> snapshot =
        e->state ? e->state->snapshot() : std::make_shared<const Snapshot>();
    const bool serving = e->state != nullptr && snapshot->Serving();
    if (req.only_not_serving() && serving) continue;
    ++total;
    if (t.id <= req.page_token() || resp.targets_size() >= page) {
      if (resp.targets_size() >= page && resp.next_page_token().empty() &&
          t.id > req.page_token()) {
        resp.set_next_page_token(resp.targets(resp.targets_size() - 1).id());
      }
      continue;
    }
    v1::TargetInfo* info = resp.add_targets();
    info->set_id(t.id);
    if (e->state) {
      for (const std::string& f : e->state->catalog().enabled_set().features) info->add_features(f);
    } else {
      for (const std::string& f : t.features) info->add_features(f);
    }
    info->mutable_labels()->insert(t.labels.begin(), t.labels.end());
    info->set_wave(t.wave);
    info->set_database(t.database);
    info->set_problem(t.problem);
    info->set_state_known(snapshot->known);
    info->set_database_reachable(snapshot->reachable);
    info->set_serving(serving);
    info->set_pending_count(static_cast<int32_t>(snapshot->state.pending.size()));
    *info->mutable_state_as_of() = Stamp(snapshot->as_of);
    info->set_error(log::Scrub(snapshot->error));
    if (e->state && context_.fleet_monitor != nullptr) {
      info->set_monitoring(context_.fleet_monitor->Monitoring(t.id));
    }
  }
  resp.set_total(total);
  return call.Finish(Encode(resp, response));
}

}  // namespace schemagate::rpc
