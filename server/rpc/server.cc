#include "server/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/fleet/feature_catalogs.h"
#include "server/rpc/metrics.h"
#include "server/rpc/monitor.h"
#include "server/util/errors.h"
#include "server/util/log.h"
#include "server/util/read_file.h"

namespace schemagate::rpc {
namespace {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty()) {
    if (!o.tls_client_ca.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (o.tls_cert.empty() || o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  absl::StatusOr<std::string> cert = util::ReadRequiredFile(o.tls_cert, "--tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = util::ReadRequiredFile(o.tls_key, "--tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!o.tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca = util::ReadRequiredFile(o.tls_client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Waits for SIGTERM or SIGINT (blocked in every thread by Serve); calls
// `on_hangup` on each SIGHUP.
int WaitForSignal(const std::function<void()>& on_hangup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  for (;;) {
    int signal = 0;
    sigwait(&set, &signal);
    if (signal != SIGHUP) return signal;
    log::Info("SIGHUP: reading the target set again");
    if (on_hangup) on_hangup();
  }
}

// Reads the target set (--targets, --targets-query) into the registry, again
// on SIGHUP (Wake) and every `refresh`. A read that fails keeps the targets
// read before and is reported (a log line, ListTargets' load_error); until
// a first read succeeds it is retried every few seconds. Problems of single
// targets are logged when they first appear.
class TargetSetLoader {
 public:
  TargetSetLoader(const fleet::TargetSource& source, fleet::FeatureCatalogs* catalogs,
                  TargetRegistry* registry, absl::Duration refresh)
      : source_(source), catalogs_(catalogs), registry_(registry), refresh_(refresh) {}
  ~TargetSetLoader() { Stop(); }

  absl::Status LoadNow() {
    absl::StatusOr<std::vector<fleet::Target>> targets = fleet::LoadTargets(source_, *catalogs_);
    if (!targets.ok()) {
      const std::string error = log::Scrub(targets.status().message());
      registry_->LoadFailed(error, absl::Now());
      log::Error("cannot read the target set; serving the targets read before",
                 {{"source", source_.Describe()}, {"error", error}});
      return targets.status();
    }
    loaded_ = true;
    std::map<std::string, std::string> problems;
    size_t added = 0, changed = 0, removed = 0;
    std::map<std::string, const fleet::Target*> before;
    std::vector<std::shared_ptr<TargetEntry>> old = registry_->All();
    for (const auto& e : old) before[e->target.id] = &e->target;
    for (const fleet::Target& t : *targets) {
      auto it = before.find(t.id);
      if (it == before.end()) {
        ++added;
      } else {
        if (!it->second->SameDefinition(t)) ++changed;
        before.erase(it);
      }
      if (t.ok()) continue;
      problems[t.id] = t.problem;
      auto seen = problems_.find(t.id);
      if (seen == problems_.end() || seen->second != t.problem) {
        log::Warning("target not served",
                     {{"target", t.id}, {"problem", log::Scrub(t.problem)}, {"at", t.origin}});
      }
    }
    removed = before.size();
    problems_ = std::move(problems);
    const size_t total = targets->size();
    registry_->Replace(*std::move(targets), absl::Now());
    log::Info("target set read", {{"source", source_.Describe()},
                                  {"targets", absl::StrCat(total)},
                                  {"problems", absl::StrCat(problems_.size())},
                                  {"feature_sets", absl::StrCat(catalogs_->size())},
                                  {"added", absl::StrCat(added)},
                                  {"changed", absl::StrCat(changed)},
                                  {"removed", absl::StrCat(removed)}});
    return absl::OkStatus();
  }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Wake() {
    absl::MutexLock lock(&mu_);
    wake_ = true;
  }
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; };
        mu_.AwaitWithTimeout(absl::Condition(&woken),
                             loaded_ ? refresh_ : std::min(refresh_, absl::Seconds(5)));
        if (stopping_) return;
        wake_ = false;
      }
      (void)LoadNow();
    }
  }

  const fleet::TargetSource source_;
  fleet::FeatureCatalogs* catalogs_;
  TargetRegistry* registry_;
  const absl::Duration refresh_;
  std::map<std::string, std::string> problems_;  // the Run thread's (and LoadNow's)
  std::atomic<bool> loaded_{false};
  std::thread thread_;
  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// --migrate-on-start: applies pending migrations in the background, and
// after a failure (the database not up yet, another migrator's lock held
// past --lock-wait-timeout, a failed migration) retries with backoff until
// the database is up to date or the server stops. Its state is the health
// service "schemagate.migrate_on_start" (NOT_SERVING until done) and a log
// line per attempt. Stop() cancels a running statement and the wait.
class StartupMigrator {
 public:
  StartupMigrator(ServiceState* state, Monitor* monitor, const ServerOptions& options,
                  migrate::EngineOptions engine)
      : state_(state), monitor_(monitor), options_(options), engine_(std::move(engine)) {}
  ~StartupMigrator() { Stop(); }

  void Start(std::function<void(bool)> health) {
    health_ = std::move(health);
    health_(false);
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      if (conn_ != nullptr) conn_->Cancel();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  bool stopping() {
    absl::MutexLock lock(&mu_);
    return stopping_;
  }

  absl::Status Attempt() {
    migrate::ConnectOptions connect = options_.database;
    connect.timeout = absl::ZeroDuration();  // our own backoff, and Stop()
    connect.need = migrate::ConnectOptions::Need::kWritable;
    absl::StatusOr<std::unique_ptr<migrate::Connection>> conn = migrate::Connection::Open(connect);
    if (!conn.ok()) return conn.status();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::CancelledError("stopping");
      conn_ = conn->get();
    }
    migrate::EngineOptions engine_options = engine_;
    // A failover during the run: wait for the new primary (at most
    // --connect-timeout; Stop() ends the wait) and go on there.
    std::unique_ptr<migrate::Connection> reconnected;
    engine_options.reconnect = [&](const absl::Status&) {
      migrate::ConnectOptions again = options_.database;
      again.stop = [this] { return stopping(); };
      return ReconnectToPrimary(again, &mu_, &reconnected, &conn_);
    };
    migrate::Engine engine(state_->catalog(), conn->get(), engine_options);
    migrate::ApplyOptions apply;
    apply.stop = [this] { return stopping(); };
    apply.progress = [](const migrate::Event& e) {
      if (e.kind == migrate::Event::kFinished) {
        log::Info("applied",
                  {{"migration", e.ref}, {"duration", absl::FormatDuration(e.duration)}});
      } else if (e.kind == migrate::Event::kLockWaiting || e.kind == migrate::Event::kReconnected) {
        log::Info("--migrate-on-start: " + e.message);
      } else if (e.kind == migrate::Event::kReconnecting) {
        log::Warning("--migrate-on-start: connection to the primary lost; reconnecting",
                     {{"error", e.message}});
      } else if (e.kind == migrate::Event::kResolved) {
        log::Warning("--migrate-on-start: " + e.message, {{"migration", e.ref}});
      }
    };
    absl::StatusOr<migrate::ApplyResult> r = engine.Apply(apply);
    {
      absl::MutexLock lock(&mu_);
      conn_ = nullptr;
    }
    if (r.ok()) {
      log::Info("--migrate-on-start: the database is up to date",
                {{"applied", absl::StrCat(r->applied.size())}});
    }
    return r.status();
  }

  void Run() {
    absl::Duration backoff = absl::Seconds(1);
    std::mt19937_64 rng(std::random_device{}());
    for (int attempt = 1;; ++attempt) {
      absl::Status s = Attempt();
      monitor_->Refresh();
      if (s.ok()) {
        health_(true);
        return;
      }
      if (stopping()) {
        log::Info("--migrate-on-start: stopped", {{"attempt", absl::StrCat(attempt)}});
        return;
      }
      std::uniform_real_distribution<double> jitter(0.75, 1.0);
      const absl::Duration wait = backoff * jitter(rng);
      log::Error(
          "--migrate-on-start failed; retrying (health "
          "schemagate.migrate_on_start NOT_SERVING until it succeeds)",
          {{"attempt", absl::StrCat(attempt)},
           {"retry_in", absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1)))},
           {"error", std::string(s.message())}});
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
      if (stopping_) return;
      backoff = std::min(backoff * 2, absl::Seconds(30));
    }
  }

  ServiceState* state_;
  Monitor* monitor_;
  const ServerOptions& options_;
  const migrate::EngineOptions engine_;
  std::function<void(bool)> health_;
  std::thread thread_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  migrate::Connection* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace

bool IsLoopback(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) return true;
  std::string host = address;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(1, host.find(']') - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::Status Serve(catalog::Catalog catalog, const ServerOptions& o) {
  if (o.insecure_admin && o.admin_token_file.empty()) {
    std::string admin = o.admin_listen.empty() ? o.listen : o.admin_listen;
    if (!IsLoopback(admin)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--insecure-admin serves admin RPCs without a token and is allowed only on "
                       "a loopback listener; ",
                       admin, " is not (use --admin-token-file)"));
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = Credentials(o);
  if (!creds.ok()) return creds.status();
  TokenVerifier auth(o.admin_token_file, o.insecure_admin);
  if (absl::Status s = auth.Init(); !s.ok()) return s;

  // Signals are handled by WaitForSignal; block them in every thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto base = std::make_shared<const catalog::Catalog>(std::move(catalog));
  ServiceState state(std::make_shared<const BuildView>(base), o.engine.history);
  // Fleets: the targets, their catalogs (one per feature set), their monitor.
  const bool fleet = !o.targets.empty();
  fleet::FeatureCatalogs catalogs(base);
  TargetRegistry registry(o.engine.history);
  std::unique_ptr<TargetSetLoader> loader;
  if (fleet) {
    loader = std::make_unique<TargetSetLoader>(o.targets, &catalogs, &registry, o.targets_refresh);
    absl::Status loaded = loader->LoadNow();
    // A file that cannot be read or does not parse is bad usage; a control
    // database that does not answer yet is retried.
    if (!loaded.ok() && errors::KindOf(loaded) != errors::ErrorKind::kConnect) {
      return absl::InvalidArgumentError(log::Scrub(loaded.message()));
    }
  }
  // Metrics first: a --metrics-listen that cannot be bound stops the start.
  std::unique_ptr<ServerMetrics> metrics;
  migrate::EngineOptions engine = o.engine;
  if (!o.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<ServerMetrics>> started =
        ServerMetrics::Start(o.metrics_listen, &state);
    if (!started.ok()) return started.status();
    metrics = *std::move(started);
    engine.observer = [m = metrics.get()](const migrate::Event& e) { m->ObserveMigration(e); };
  }
  // The server's reads are bounded on both ends; the engine lifts both for
  // the migrations it runs on a pooled connection.
  migrate::ConnectOptions reads = o.database;
  if (o.statement_timeout > absl::ZeroDuration()) {
    reads.call_timeout = o.statement_timeout + kCallMargin;
  }
  Monitor monitor(&state, reads, o.poll_interval, o.statement_timeout);
  migrate::ConnectOptions target_reads = reads;
  target_reads.url.clear();
  target_reads.on_retry = nullptr;
  FleetMonitorOptions fleet_options = o.fleet;
  fleet_options.listen_poll_interval = o.poll_interval;
  fleet_options.statement_timeout = o.statement_timeout;
  FleetMonitor fleet_monitor(&registry, target_reads, fleet_options);
  ConnectionPool pool(reads, o.db_pool);
  ThreadPool workers(o.workers, 1024);
  ResponseCache cache(o.limits.response_cache_bytes);
  // The byte budget bounds the parsers' queue; the count bound only backs it.
  // (The budget outlives the pool, whose destructor runs what is queued.)
  ByteBudget parse_budget(o.max_parse_bytes);
  ThreadPool parsers(o.parse_workers, 1 << 16);
  ServiceContext context{&state,
                         &pool,
                         &auth,
                         &workers,
                         &monitor,
                         engine,
                         o.limits,
                         o.statement_timeout,
                         reads.need == migrate::ConnectOptions::Need::kAny,
                         reads,
                         &parsers,
                         &parse_budget,
                         &cache};
  if (fleet) {
    context.targets = &registry;
    context.fleet_monitor = &fleet_monitor;
    context.target_connect = target_reads;
  }
  context.has_default = o.has_database;
  context.rpc_metrics = metrics ? metrics->rpcs() : nullptr;
  // Both listeners' streams count against one --max-watches.
  context.watches = metrics ? metrics->watch_streams() : std::make_shared<std::atomic<int>>(0);
  bool split = !o.admin_listen.empty();
  SchemaGateService main_service(context, /*admin=*/!split);
  SchemaGateService admin_service(context, /*admin=*/true);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ResourceQuota quota("schemagate");
  if (o.grpc_memory_bytes > 0) quota.Resize(o.grpc_memory_bytes);
  auto build = [&](const std::string& address, grpc::Service* service,
                   int* port) -> std::unique_ptr<grpc::Server> {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, *creds, port);
    builder.RegisterService(service);
    builder.SetMaxReceiveMessageSize(o.max_message_bytes);
    builder.SetMaxSendMessageSize(o.max_message_bytes);
    // Bounds what gRPC holds for connections and messages in flight (every
    // request is received whole before its handler runs): under pressure it
    // reads slower and, at worst, closes connections (clients reconnect).
    if (o.grpc_memory_bytes > 0) builder.SetResourceQuota(quota);
    return builder.BuildAndStart();
  };
  int main_port = 0, admin_port = 0;
  std::unique_ptr<grpc::Server> main_server = build(o.listen, &main_service, &main_port);
  if (main_server == nullptr || main_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.listen));
  }
  std::unique_ptr<grpc::Server> admin_server;
  if (split) {
    admin_server = build(o.admin_listen, &admin_service, &admin_port);
    if (admin_server == nullptr || admin_port == 0) {
      main_server->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", o.admin_listen));
    }
  }
  main_server->GetHealthCheckService()->SetServingStatus(ServiceState::kLivenessName, true);
  if (admin_server) {
    admin_server->GetHealthCheckService()->SetServingStatus(ServiceState::kLivenessName, true);
  }
  auto health_sink = [&](const std::string& name, bool serving) {
    main_server->GetHealthCheckService()->SetServingStatus(name, serving);
    if (admin_server) admin_server->GetHealthCheckService()->SetServingStatus(name, serving);
  };
  if (o.has_database) {
    state.SetHealthSink(health_sink);
  } else {
    // No database of its own: the server answers (for its targets) as soon
    // as it listens; each target's health is its own.
    for (const char* name : {"", ServiceState::kServiceName, ServiceState::kReadinessName}) {
      health_sink(name, true);
    }
  }
  if (fleet) registry.SetHealthSink(health_sink);
  if (!o.port_file.empty()) {
    std::ofstream out(o.port_file + ".tmp");
    out << main_port << " " << admin_port;
    if (metrics) out << " " << metrics->port();
    out << "\n";
    out.close();
    std::rename((o.port_file + ".tmp").c_str(), o.port_file.c_str());
  }
  log::Info(
      "serving",
      {{"listen", absl::StrCat(o.listen.substr(0, o.listen.rfind(':')), ":", main_port)},
       {"admin", split ? absl::StrCat(admin_port) : std::string("same listener")},
       {"features", absl::StrJoin(state.catalog().enabled_set().features, ",")},
       {"tls", o.tls_cert.empty() ? "off" : "on"},
       {"targets", fleet ? absl::StrCat(registry.size()) : std::string("-")},
       {"metrics", metrics ? absl::StrCat(o.metrics_listen.substr(0, o.metrics_listen.rfind(':')),
                                          ":", metrics->port(), "/metrics")
                           : std::string("off")}});
  if (o.has_database) monitor.Start();
  if (fleet) {
    fleet_monitor.Start();
    loader->Start();
  }

  StartupMigrator migrator(&state, &monitor, o, engine);
  if (o.migrate_on_start) {
    migrator.Start([&](bool serving) {
      main_server->GetHealthCheckService()->SetServingStatus(ServiceState::kMigrateOnStartName,
                                                             serving);
      if (admin_server) {
        admin_server->GetHealthCheckService()->SetServingStatus(ServiceState::kMigrateOnStartName,
                                                                serving);
      }
    });
  }

  int sig = WaitForSignal([&] {
    if (loader) loader->Wake();
  });
  log::Info("shutting down: draining in-flight RPCs",
            {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
             {"grace", absl::FormatDuration(o.shutdown_grace)}});
  auto deadline = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(o.shutdown_grace);
  state.SetHealthSink(nullptr);
  if (fleet) {
    loader->Stop();
    registry.SetHealthSink(nullptr);
  }
  main_server->GetHealthCheckService()->SetServingStatus(false);
  if (admin_server) admin_server->GetHealthCheckService()->SetServingStatus(false);
  migrator.Stop();  // a migration under way is cancelled and rolled back
  main_server->Shutdown(deadline);
  if (admin_server) admin_server->Shutdown(deadline);
  monitor.Stop();
  fleet_monitor.Stop();
  log::Info("stopped");
  return absl::OkStatus();
}

}  // namespace schemagate::rpc
