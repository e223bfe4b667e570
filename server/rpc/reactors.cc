// The server-streaming RPCs' reactors: a write queue that sends one message
// at a time (StreamReactor), ApplyMigrations' progress stream run on the
// worker pool, and WatchClusters' stream of cluster-state deltas fed by the
// state's subscribers. Handlers (service_*.cc) decide whether a call is
// admitted; these own the stream from then on.
#include "server/rpc/reactors.h"

#include <deque>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/rpc/call.h"
#include "server/rpc/convert.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::rpc {
namespace {

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
               std::shared_ptr<ServiceState> state, std::set<std::string> filter,
               std::shared_ptr<std::atomic<int>> count)
      : StreamReactor(rpcs, "WatchClusters", ctx),
        state_(std::move(state)),
        filter_(std::move(filter)),
        guard_(std::make_shared<Guard>()),
        count_(std::move(count)) {
    guard_->reactor = this;
    ++*count_;
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
    --*count_;
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
  // The open streams of the service(s) this one counts in.
  std::shared_ptr<std::atomic<int>> count_;
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* StartApply(grpc::CallbackServerContext* ctx,
                                                       const ServiceContext& service,
                                                       v1::ApplyMigrationsRequest request,
                                                       SchemaGateService::Scope scope,
                                                       const grpc::Status& refusal) {
  auto* reactor = new ApplyReactor(ctx, service, std::move(request));
  if (!refusal.ok()) {
    reactor->Close(refusal);
  } else {
    reactor->SetScope(std::move(scope));
    reactor->Start();
  }
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* StartWatch(grpc::CallbackServerContext* ctx,
                                                       const ServiceContext& service,
                                                       std::shared_ptr<ServiceState> state,
                                                       std::set<std::string> filter,
                                                       std::shared_ptr<std::atomic<int>> count,
                                                       const grpc::Status& refusal) {
  auto* reactor =
      new WatchReactor(service.rpc_metrics, ctx, std::move(state), std::move(filter), count);
  if (count->load() > service.limits.max_watches) {
    reactor->Close(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                absl::StrCat("too many WatchClusters streams open (--max-watches=",
                                             service.limits.max_watches, "); retry later")));
  } else if (!refusal.ok()) {
    reactor->Close(refusal);
  } else {
    reactor->Start();
  }
  return reactor;
}

}  // namespace schemagate::rpc
