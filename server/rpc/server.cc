#include "server/rpc/server.h"

#include <signal.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/rpc/monitor.h"
#include "server/util/log.h"

namespace schemagate::rpc {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  if (!in || s.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path,
                                                   " cannot be read or is empty"));
  }
  return s.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty()) {
    if (!o.tls_client_ca.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (o.tls_cert.empty() || o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  absl::StatusOr<std::string> cert = ReadFile(o.tls_cert, "--tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(o.tls_key, "--tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!o.tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(o.tls_client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Waits for SIGTERM or SIGINT (blocked in every thread by Serve).
int WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

// --migrate-on-start: applies pending migrations in the background, and
// after a failure (the database not up yet, another migrator's lock held
// past --lock-wait-timeout, a failed migration) retries with backoff until
// the database is up to date or the server stops. Its state is the health
// service "schemagate.migrate_on_start" (NOT_SERVING until done) and a log
// line per attempt. Stop() cancels a running statement and the wait.
class StartupMigrator {
 public:
  StartupMigrator(ServiceState* state, Monitor* monitor, const ServerOptions& options)
      : state_(state), monitor_(monitor), options_(options) {}
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
    absl::StatusOr<std::unique_ptr<migrate::Connection>> conn =
        migrate::Connection::Open(connect);
    if (!conn.ok()) return conn.status();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::CancelledError("stopping");
      conn_ = conn->get();
    }
    migrate::Engine engine(state_->catalog(), conn->get(), options_.engine);
    migrate::ApplyOptions apply;
    apply.stop = [this] { return stopping(); };
    apply.progress = [](const migrate::Event& e) {
      if (e.kind == migrate::Event::kFinished) {
        log::Info("applied", {{"migration", e.ref},
                              {"duration", absl::FormatDuration(e.duration)}});
      } else if (e.kind == migrate::Event::kLockWaiting) {
        log::Info("--migrate-on-start: " + e.message);
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
      log::Error("--migrate-on-start failed; retrying (health "
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
      return absl::InvalidArgumentError(absl::StrCat(
          "--insecure-admin serves admin RPCs without a token and is allowed only on "
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
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  ServiceState state(std::move(catalog), o.engine.history);
  // The server's reads are bounded on both ends; the engine lifts both for
  // the migrations it runs on a pooled connection.
  migrate::ConnectOptions reads = o.database;
  if (o.statement_timeout > absl::ZeroDuration()) {
    reads.call_timeout = o.statement_timeout + kCallMargin;
  }
  Monitor monitor(&state, reads, o.poll_interval, o.statement_timeout);
  ConnectionPool pool(reads, o.db_pool);
  ThreadPool workers(o.workers, 1024);
  ResponseCache cache(o.limits.response_cache_bytes);
  // The byte budget bounds the parsers' queue; the count bound only backs it.
  // (The budget outlives the pool, whose destructor runs what is queued.)
  ByteBudget parse_budget(o.max_parse_bytes);
  ThreadPool parsers(o.parse_workers, 1 << 16);
  ServiceContext context{&state,   &pool,   &auth,
                         &workers, &monitor, o.engine,
                         o.limits, o.statement_timeout, &parsers,
                         &parse_budget, &cache};
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
  state.SetHealthSink([&](const std::string& name, bool serving) {
    main_server->GetHealthCheckService()->SetServingStatus(name, serving);
    if (admin_server) admin_server->GetHealthCheckService()->SetServingStatus(name, serving);
  });
  if (!o.port_file.empty()) {
    std::ofstream out(o.port_file + ".tmp");
    out << main_port << " " << admin_port << "\n";
    out.close();
    std::rename((o.port_file + ".tmp").c_str(), o.port_file.c_str());
  }
  log::Info("serving", {{"listen", absl::StrCat(o.listen.substr(0, o.listen.rfind(':')), ":", main_port)},
                        {"admin", split ? absl::StrCat(admin_port) : std::string("same listener")},
                        {"features", absl::StrJoin(state.catalog().enabled_set().features, ",")},
                        {"tls", o.tls_cert.empty() ? "off" : "on"}});
  monitor.Start();

  StartupMigrator migrator(&state, &monitor, o);
  if (o.migrate_on_start) {
    migrator.Start([&](bool serving) {
      main_server->GetHealthCheckService()->SetServingStatus(
          ServiceState::kMigrateOnStartName, serving);
      if (admin_server) {
        admin_server->GetHealthCheckService()->SetServingStatus(
            ServiceState::kMigrateOnStartName, serving);
      }
    });
  }

  int sig = WaitForSignal();
  log::Info("shutting down: draining in-flight RPCs",
            {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
             {"grace", absl::FormatDuration(o.shutdown_grace)}});
  auto deadline = std::chrono::system_clock::now() +
                  absl::ToChronoMilliseconds(o.shutdown_grace);
  state.SetHealthSink(nullptr);
  main_server->GetHealthCheckService()->SetServingStatus(false);
  if (admin_server) admin_server->GetHealthCheckService()->SetServingStatus(false);
  migrator.Stop();  // a migration under way is cancelled and rolled back
  main_server->Shutdown(deadline);
  if (admin_server) admin_server->Shutdown(deadline);
  monitor.Stop();
  log::Info("stopped");
  return absl::OkStatus();
}

}  // namespace schemagate::rpc
