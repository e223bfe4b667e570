#include "client/schemagate_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace schemagate::client {
namespace {

constexpr char kDetailsPayload[] = "type.googleapis.com/google.rpc.Status";

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  if (!s.error_details().empty()) {
    out.SetPayload(kDetailsPayload, absl::Cord(s.error_details()));
  }
  return out;
}

// A refusal of the client's own, with a google.rpc.ErrorInfo as the
// server's would carry.
absl::Status WithReason(absl::Status status, const std::string& reason) {
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("schemagate.v1");
  details.add_details()->PackFrom(info);
  status.SetPayload(kDetailsPayload, absl::Cord(details.SerializeAsString()));
  return status;
}

bool DetailsOf(const absl::Status& status, google::rpc::Status* details) {
  absl::optional<absl::Cord> p = status.GetPayload(kDetailsPayload);
  return p.has_value() && details->ParseFromString(std::string(*p));
}

bool ErrorInfoOf(const absl::Status& status, google::rpc::ErrorInfo* info) {
  google::rpc::Status details;
  if (!DetailsOf(status, &details)) return false;
  for (const google::protobuf::Any& any : details.details()) {
    if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(info)) return true;
  }
  return false;
}

// (The installed client library links only gRPC and Abseil, not the
// server's util::ReadWholeFile: hence its own.)
absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  if (!in || s.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path));
  }
  return s.str();
}

}  // namespace

bool IsLoopbackTarget(absl::string_view target) {
  if (absl::StartsWith(target, "unix:") || absl::StartsWith(target, "unix-abstract:")) {
    return true;
  }
  // A resolver scheme: dns:///h:p, dns://authority/h:p, dns:h:p, ipv4:, ipv6:.
  if (absl::ConsumePrefix(&target, "dns:")) {
    if (absl::ConsumePrefix(&target, "//")) {
      size_t slash = target.find('/');
      target = slash == absl::string_view::npos ? "" : target.substr(slash + 1);
    }
  } else if (!absl::ConsumePrefix(&target, "ipv4:")) {
    absl::ConsumePrefix(&target, "ipv6:");
  }
  // host:port, [v6]:port, or a bare IPv6 address.
  absl::string_view host = target;
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    host = host.substr(0, host.find(':'));
  }
  return absl::AsciiStrToLower(host) == "localhost" || host == "::1" ||
         absl::StartsWith(host, "127.");
}

std::string TargetHealthService(const std::string& target_id) {
  return "schemagate.target." + target_id;
}

std::string ErrorReason(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  return ErrorInfoOf(status, &info) ? info.reason() : "";
}

std::string ErrorKindReason(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  if (!ErrorInfoOf(status, &info)) return "";
  auto kind = info.metadata().find("kind");
  return kind != info.metadata().end() ? kind->second : info.reason();
}

std::vector<std::string> ErrorViolations(const absl::Status& status) {
  std::vector<std::string> out;
  google::rpc::Status details;
  if (!DetailsOf(status, &details)) return out;
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::PreconditionFailure failure;
    if (!any.Is<google::rpc::PreconditionFailure>() || !any.UnpackTo(&failure)) continue;
    for (const auto& v : failure.violations()) {
      out.push_back(v.subject().empty() ? v.description()
                                        : absl::StrCat(v.subject(), ": ", v.description()));
    }
  }
  return out;
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path, "token file");
  if (!text.ok()) return text.status();
  return std::string(absl::StripAsciiWhitespace(*text));
}

Client::Client(const ClientOptions& options) : options_(options) {}

Client::~Client() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (watch_context_ != nullptr) watch_context_->TryCancel();
  }
  if (watch_thread_.joinable()) watch_thread_.join();
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  std::unique_ptr<Client> client(new Client(options));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  bool tls = options.tls || !options.tls_ca_file.empty() || !options.tls_cert_file.empty() ||
             !options.tls_key_file.empty();
  client->tls_ = tls;
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadFile(options.tls_ca_file, "--tls-ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
      absl::StatusOr<std::string> cert = ReadFile(options.tls_cert_file, "--tls-cert");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadFile(options.tls_key_file, "--tls-key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  if (!options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  client->channel_ = grpc::CreateCustomChannel(options.target, creds, args);
  client->stub_ = v1::SchemaGate::NewStub(client->channel_);
  client->health_ = grpc::health::v1::Health::NewStub(client->channel_);
  return client;
}

std::unique_ptr<Client> Client::ForTarget(const std::string& target_id) const {
  ClientOptions options = options_;
  options.target_id = target_id;
  std::unique_ptr<Client> client(new Client(options));
  client->tls_ = tls_;
  client->channel_ = channel_;
  client->stub_ = v1::SchemaGate::NewStub(channel_);
  client->health_ = grpc::health::v1::Health::NewStub(channel_);
  return client;
}

absl::StatusOr<v1::ListTargetsResponse> Client::ListTargets(const v1::ListTargetsRequest& request) {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  v1::ListTargetsResponse resp;
  grpc::Status s = stub_->ListTargets(&ctx, request, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::Status Client::CheckAdminTransport() const {
  if (options_.token.empty() || tls_ || options_.insecure || IsLoopbackTarget(options_.target)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("refusing to send the admin token in plaintext to ", options_.target,
                   ": use TLS (--tls, --tls-ca), a loopback target, or --insecure if the "
                   "network is encrypted below gRPC"));
}

void Client::ConfigureContext(grpc::ClientContext* ctx, absl::Duration timeout, bool admin) const {
  if (timeout != absl::InfiniteDuration()) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  if (admin && !options_.token.empty()) {
    ctx->AddMetadata("authorization", "Bearer " + options_.token);
  }
}

absl::StatusOr<v1::ListClustersResponse> Client::ListClusters() {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  v1::ListClustersRequest req;
  req.set_target_id(options_.target_id);
  v1::ListClustersResponse resp;
  grpc::Status s = stub_->ListClusters(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<v1::CheckTablesResponse> Client::CheckTables(
    const std::vector<std::string>& tables) {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  v1::CheckTablesRequest req;
  req.set_target_id(options_.target_id);
  for (const std::string& t : tables) req.add_tables(t);
  v1::CheckTablesResponse resp;
  grpc::Status s = stub_->CheckTables(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::Status Client::Require(const std::vector<std::string>& tables) {
  StartWatch();
  std::vector<std::string> ask;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& t : tables) {
      auto it = cache_.find(t);
      if (it == cache_.end() || it->second.status() != v1::TABLE_STATUS_AVAILABLE) {
        ask.push_back(t);
      }
    }
  }
  if (ask.empty()) return absl::OkStatus();
  absl::StatusOr<v1::CheckTablesResponse> resp = CheckTables(ask);
  if (!resp.ok()) return resp.status();
  std::vector<std::string> unknown, disabled, pending;
  {
    absl::MutexLock lock(&mu_);
    for (const v1::TableCheck& t : resp->tables()) {
      cache_[t.requested()] = t;
      switch (t.status()) {
        case v1::TABLE_STATUS_AVAILABLE:
          break;
        case v1::TABLE_STATUS_UNKNOWN_TABLE:
          unknown.push_back(t.requested());
          break;
        case v1::TABLE_STATUS_CLUSTER_DISABLED:
          disabled.push_back(absl::StrCat(t.requested(), " (feature ",
                                          absl::StrJoin(t.enable_features(), "+"),
                                          " is not enabled)"));
          break;
        default:
          pending.push_back(absl::StrCat(t.requested(), " (", t.message(), ")"));
      }
    }
  }
  if (!unknown.empty()) {
    return absl::NotFoundError(
        absl::StrCat("unknown to the server's build: ", absl::StrJoin(unknown, ", ")));
  }
  if (!disabled.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("not available in this deployment: ", absl::StrJoin(disabled, ", ")));
  }
  if (!pending.empty()) {
    return absl::UnavailableError(absl::StrCat("not migrated yet: ", absl::StrJoin(pending, ", ")));
  }
  return absl::OkStatus();
}

void Client::StartWatch() {
  absl::MutexLock lock(&mu_);
  if (watch_started_ || stopping_) return;
  watch_started_ = true;
  watch_thread_ = std::thread([this] { WatchLoop(); });
}

void Client::WatchLoop() {
  absl::Duration backoff = absl::Milliseconds(200);
  while (true) {
    grpc::ClientContext ctx;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      watch_context_ = &ctx;
    }
    v1::WatchClustersRequest watch;
    watch.set_target_id(options_.target_id);
    std::unique_ptr<grpc::ClientReader<v1::WatchClustersResponse>> reader =
        stub_->WatchClusters(&ctx, watch);
    v1::WatchClustersResponse update;
    while (reader->Read(&update)) {
      backoff = absl::Milliseconds(200);
      absl::MutexLock lock(&mu_);
      if (update.initial()) {
        cache_.clear();  // a new stream may follow a gap: start afresh
        continue;
      }
      std::set<std::string> changed;
      for (const v1::ClusterInfo& c : update.clusters()) changed.insert(c.name());
      for (auto it = cache_.begin(); it != cache_.end();) {
        bool drop = changed.count(it->second.cluster()) > 0 ||
                    it->second.status() != v1::TABLE_STATUS_AVAILABLE ||
                    !update.database_reachable();
        it = drop ? cache_.erase(it) : std::next(it);
      }
    }
    (void)reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      watch_context_ = nullptr;
      cache_.clear();  // unknown while disconnected
      if (stopping_) return;
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

absl::StatusOr<v1::ValidateJoinResponse> Client::ValidateJoin(
    const std::vector<std::string>& tables, const std::vector<std::vector<std::string>>& pairs) {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  v1::ValidateJoinRequest req;
  req.set_target_id(options_.target_id);
  for (const std::string& t : tables) req.add_tables(t);
  for (const std::vector<std::string>& p : pairs) {
    if (p.size() < 2) return absl::InvalidArgumentError("a pair needs left and right");
    v1::JoinPair* jp = req.add_pairs();
    jp->set_left(p[0]);
    jp->set_right(p[1]);
    if (p.size() > 2) jp->set_foreign_key(p[2]);
  }
  v1::ValidateJoinResponse resp;
  grpc::Status s = stub_->ValidateJoin(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<v1::ValidateQueryResponse> Client::ValidateQuery(const std::string& sql) {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  v1::ValidateQueryRequest req;
  req.set_sql(sql);
  req.set_target_id(options_.target_id);
  v1::ValidateQueryResponse resp;
  grpc::Status s = stub_->ValidateQuery(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<v1::GetMigrationStatusResponse> Client::GetMigrationStatus() {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  v1::GetMigrationStatusRequest req;
  req.set_target_id(options_.target_id);
  v1::GetMigrationStatusResponse resp;
  grpc::Status s = stub_->GetMigrationStatus(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<v1::PlanMigrationsResponse> Client::PlanMigrations(bool include_sql) {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  v1::PlanMigrationsRequest req;
  req.set_include_sql(include_sql);
  req.set_target_id(options_.target_id);
  v1::PlanMigrationsResponse resp;
  grpc::Status s = stub_->PlanMigrations(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<v1::VerifySchemaResponse> Client::VerifySchema(bool ignore_extra_tables) {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  v1::VerifySchemaRequest req;
  req.set_ignore_extra_tables(ignore_extra_tables);
  req.set_target_id(options_.target_id);
  v1::VerifySchemaResponse resp;
  grpc::Status s = stub_->VerifySchema(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<v1::ApplySummary> Client::ApplyMigrations(
    const v1::ApplyMigrationsRequest& request,
    const std::function<void(const v1::ApplyMigrationsResponse&)>& on_event,
    absl::Duration timeout) {
  if (absl::Status s = CheckAdminTransport(); !s.ok()) return s;
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, timeout, true);
  v1::ApplyMigrationsRequest req = request;
  if (req.target_id().empty()) req.set_target_id(options_.target_id);
  std::unique_ptr<grpc::ClientReader<v1::ApplyMigrationsResponse>> reader =
      stub_->ApplyMigrations(&ctx, req);
  v1::ApplyMigrationsResponse event;
  v1::ApplySummary summary;
  bool have_summary = false;
  while (reader->Read(&event)) {
    if (on_event) on_event(event);
    if (event.has_summary()) {
      summary = event.summary();
      have_summary = true;
    }
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return FromGrpc(s);
  if (!have_summary) return absl::InternalError("the server sent no summary");
  return summary;
}

absl::StatusOr<v1::RollbackClusterResponse> Client::RollbackCluster(
    const v1::RollbackClusterRequest& request, absl::Duration timeout) {
  if (absl::Status s = CheckAdminTransport(); !s.ok()) return s;
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, timeout, true);
  v1::RollbackClusterRequest req = request;
  if (req.target_id().empty()) req.set_target_id(options_.target_id);
  v1::RollbackClusterResponse resp;
  grpc::Status s = stub_->RollbackCluster(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<v1::RepairChecksumsResponse> Client::RepairChecksums(
    const v1::RepairChecksumsRequest& request) {
  if (absl::Status s = CheckAdminTransport(); !s.ok()) return s;
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, true);
  v1::RepairChecksumsRequest req = request;
  if (req.target_id().empty()) req.set_target_id(options_.target_id);
  v1::RepairChecksumsResponse resp;
  grpc::Status s = stub_->RepairChecksums(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<v1::AdoptDatabaseResponse> Client::AdoptDatabase(
    const v1::AdoptDatabaseRequest& request, absl::Duration timeout) {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, timeout, true);
  v1::AdoptDatabaseRequest req = request;
  if (req.target_id().empty()) req.set_target_id(options_.target_id);
  v1::AdoptDatabaseResponse resp;
  grpc::Status s = stub_->AdoptDatabase(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> Client::Health(
    const std::string& service) {
  grpc::ClientContext ctx;
  ConfigureContext(&ctx, options_.timeout, false);
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = health_->Check(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp.status();
}

absl::Status Client::WaitForClusters(const std::vector<std::string>& clusters,
                                     absl::Duration timeout,
                                     const std::function<void(const v1::ClusterInfo&)>& on_update) {
  const absl::Time deadline = absl::Now() + timeout;
  std::map<std::string, v1::ClusterInfo> last;
  std::string last_error = "the server did not answer";
  absl::Duration backoff = absl::Milliseconds(200);
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(deadline));
    v1::WatchClustersRequest req;
    req.set_target_id(options_.target_id);
    for (const std::string& c : clusters) req.add_clusters(c);
    std::unique_ptr<grpc::ClientReader<v1::WatchClustersResponse>> reader =
        stub_->WatchClusters(&ctx, req);
    v1::WatchClustersResponse update;
    while (reader->Read(&update)) {
      backoff = absl::Milliseconds(200);
      for (const v1::ClusterInfo& c : update.clusters()) {
        last[c.name()] = c;
        if (on_update) on_update(c);
      }
      if (update.initial()) {
        std::vector<std::string> missing, disabled;
        for (const std::string& c : clusters) {
          auto it = last.find(c);
          if (it == last.end()) {
            missing.push_back(c);
          } else if (!it->second.enabled()) {
            disabled.push_back(absl::StrCat(c, it->second.compiled()
                                                   ? " (compiled in, turned off by --features)"
                                                   : " (not in this build)"));
          }
        }
        if (!missing.empty() || !disabled.empty()) {
          ctx.TryCancel();
          return WithReason(
              absl::FailedPreconditionError(absl::StrCat(
                  "the server's build does not enable: ", absl::StrJoin(disabled, ", "),
                  disabled.empty() || missing.empty() ? "" : ", ", absl::StrJoin(missing, ", "))),
              "CLUSTER_NOT_ENABLED");
        }
      }
      bool ready = update.database_reachable();
      for (const std::string& c : clusters) {
        ready = ready && last[c].migration().ready();
      }
      if (ready) {
        ctx.TryCancel();
        (void)reader->Finish();
        return absl::OkStatus();
      }
    }
    grpc::Status s = reader->Finish();
    last_error = s.ok() ? "the stream ended" : s.error_message();
    // Waiting cannot cure a malformed request, or a target whose definition
    // is broken; an unknown target may be added when the server reads its
    // target set again, so that is waited for (and named on timeout).
    if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
        s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      return FromGrpc(s);
    }
    if (absl::Now() + backoff >= deadline) break;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
  std::vector<std::string> waiting;
  for (const std::string& c : clusters) {
    auto it = last.find(c);
    if (it == last.end()) {
      waiting.push_back(absl::StrCat(c, " (no answer: ", last_error, ")"));
    } else if (!it->second.migration().ready()) {
      waiting.push_back(absl::StrCat(c, " (", v1::ClusterState_Name(it->second.migration().state()),
                                     ", ", it->second.migration().pending_count(), " pending)"));
    }
  }
  return absl::DeadlineExceededError(absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                                                  " waiting for: ", absl::StrJoin(waiting, ", ")));
}

}  // namespace schemagate::client
