// schemagate::client — start here: the C++ client for services that use
// schemagate.
//
// A consumer service asks before it touches an optional table:
//
//   schemagate::client::ClientOptions options;
//   options.target = "schemagate.platform.svc:50051";
//   auto client = schemagate::client::Client::Connect(options).value();
//   absl::Status ready = client->Require({"tasks", "users"});
//   if (absl::IsFailedPrecondition(ready)) DisableTasksFeature(ready);  // not in this build
//   else if (!ready.ok()) RetryLater(ready);  // not migrated yet / server down
//
//   auto join = client->ValidateJoin({"tasks", "users"},
//                                    {{"tasks", "users", "tasks_assignee_id_fkey"}});
//   std::string on = join->pairs(0).candidates(0).on();  // "tasks.assignee_id = users.id"
//
// Require() is answered from a local cache once a table was seen AVAILABLE;
// a WatchClusters stream (started by the first Require) drops cached
// answers when a cluster's state changes (a rollback, a new migration), so
// the cache never says AVAILABLE for a table whose cluster is gone.
//
// Status codes: Require returns OK, NOT_FOUND (unknown table),
// FAILED_PRECONDITION (its feature is not enabled in the server's build: do
// not retry), UNAVAILABLE (not migrated yet, or the server is unreachable:
// retry). RPC errors keep the server's code, message and refusal reason
// (ErrorReason()).
//
// Fleets (a server run with --targets, docs/FLEETS.md): `target_id` names
// the tenant's database (or shard) every call is about; one channel serves
// many tenants with a Client per tenant:
//
//   auto fleet = schemagate::client::Client::Connect(options).value();
//   auto acme = fleet->ForTarget("acme");        // shares fleet's channel
//   if (acme->Require({"invoices"}).ok()) ...    // acme has billing
//
// Thread safety: a Client may be used from many threads.
#ifndef SCHEMAGATE_CLIENT_SCHEMAGATE_CLIENT_H_
#define SCHEMAGATE_CLIENT_SCHEMAGATE_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "schemagate/v1/schemagate.grpc.pb.h"

namespace schemagate::client {

struct ClientOptions {
  std::string target = "localhost:50051";  // HOST:PORT
  // TLS: on when any of these is set (or `tls` is true).
  bool tls = false;
  std::string tls_ca_file;    // PEM roots to verify the server
  std::string tls_cert_file;  // client certificate (mutual TLS)
  std::string tls_key_file;
  std::string tls_server_name;  // override the name checked in the cert
  // Admin bearer token for ApplyMigrations, RollbackCluster, RepairChecksums.
  // It is sent only over TLS or to a loopback target (localhost, 127.0.0.0/8,
  // ::1, a unix socket): an admin call that would send it in plaintext over
  // the network fails with INVALID_ARGUMENT before anything is sent, unless
  // `insecure` is set.
  std::string token;
  // Allow sending the admin token without TLS to a non-loopback target
  // (schemactl --insecure); for networks that encrypt below gRPC (a service
  // mesh with mTLS).
  bool insecure = false;
  // Deadline of each unary call.
  absl::Duration timeout = absl::Seconds(10);
  // The fleet target (tenant database, shard) every call names; empty: the
  // server's own database.
  std::string target_id;
};

// The health service of a fleet target: "schemagate.target.<id>".
std::string TargetHealthService(const std::string& target_id);

// Is the gRPC target ("host:port", "dns:///host:port", "ipv4:...",
// "unix:...") this machine: localhost, 127.0.0.0/8, ::1 or a unix socket?
bool IsLoopbackTarget(absl::string_view target);

// Reads a token file (trailing white space removed).
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// The google.rpc.ErrorInfo reason (domain "schemagate.v1") a status returned
// by this client carries, or "" if none: the server's refusal reason
// ("MIGRATION_FAILED", "INTEGRITY_REFUSAL", "LOCK_WAIT_TIMEOUT",
// "DATABASE_UNAVAILABLE", "DRIFT", "NOT_AUTHORIZED"), or the client's own
// ("CLUSTER_NOT_ENABLED" from WaitForClusters). docs/EXIT_CODES.md maps each
// to the exit code both command-line tools use. A more precise reason
// ("SCHEMA_DRIFT", "SOURCE_HISTORY_INCOMPLETE", ... from AdoptDatabase)
// comes with its kind's in ErrorInfo.metadata["kind"] (ErrorKindReason).
std::string ErrorReason(const absl::Status& status);
// The kind of refusal: ErrorInfo.metadata["kind"], or the reason itself.
std::string ErrorKindReason(const absl::Status& status);
// The google.rpc.PreconditionFailure violations of such an error, as
// "subject: description" (empty when there are none).
std::vector<std::string> ErrorViolations(const absl::Status& status);

class Client {
 public:
  // Builds the channel; does not contact the server. INVALID_ARGUMENT for
  // unreadable TLS files.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options);
  ~Client();

  // A client for fleet target `target_id` on the same channel (and
  // options); its Require cache and watch are its own.
  std::unique_ptr<Client> ForTarget(const std::string& target_id) const;
  const std::string& target_id() const { return options_.target_id; }

  absl::Status Require(const std::vector<std::string>& tables);

  absl::StatusOr<v1::ListClustersResponse> ListClusters();
  absl::StatusOr<v1::CheckTablesResponse> CheckTables(const std::vector<std::string>& tables);
  absl::StatusOr<v1::ValidateJoinResponse> ValidateJoin(
      const std::vector<std::string>& tables,
      const std::vector<std::vector<std::string>>& pairs = {});  // {left, right[, fk]}
  absl::StatusOr<v1::ValidateQueryResponse> ValidateQuery(const std::string& sql);
  absl::StatusOr<v1::GetMigrationStatusResponse> GetMigrationStatus();
  absl::StatusOr<v1::PlanMigrationsResponse> PlanMigrations(bool include_sql);
  absl::StatusOr<v1::VerifySchemaResponse> VerifySchema(bool ignore_extra_tables);
  // Streams progress to `on_event` (from the calling thread); returns the
  // summary. `timeout` bounds the whole run.
  absl::StatusOr<v1::ApplySummary> ApplyMigrations(
      const v1::ApplyMigrationsRequest& request,
      const std::function<void(const v1::ApplyMigrationsResponse&)>& on_event,
      absl::Duration timeout);
  absl::StatusOr<v1::RollbackClusterResponse> RollbackCluster(
      const v1::RollbackClusterRequest& request, absl::Duration timeout);
  absl::StatusOr<v1::RepairChecksumsResponse> RepairChecksums(
      const v1::RepairChecksumsRequest& request);
  // Admin. `timeout` bounds the call (adopting thousands of migrations, or
  // waiting for another migrator's lock, takes longer than `timeout`).
  // A refusal is FAILED_PRECONDITION with ErrorReason() SCHEMA_DRIFT,
  // SOURCE_HISTORY_INCOMPLETE, ... and ErrorViolations() listing each problem.
  absl::StatusOr<v1::AdoptDatabaseResponse> AdoptDatabase(const v1::AdoptDatabaseRequest& request,
                                                          absl::Duration timeout);

  // The server's fleet targets (ListTargets), a page at a time.
  absl::StatusOr<v1::ListTargetsResponse> ListTargets(const v1::ListTargetsRequest& request);

  // grpc.health.v1 Check of `service` ("" = overall).
  absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> Health(
      const std::string& service);

  // Waits until every named cluster is up to date, following WatchClusters
  // (reconnecting while the server is unreachable). DEADLINE_EXCEEDED on
  // timeout (the message says which clusters are not ready and why);
  // FAILED_PRECONDITION at once when a cluster is not enabled in the
  // server's build. `on_update` sees each state change.
  absl::Status WaitForClusters(
      const std::vector<std::string>& clusters, absl::Duration timeout,
      const std::function<void(const v1::ClusterInfo&)>& on_update = nullptr);

  v1::SchemaGate::Stub& stub() { return *stub_; }

 private:
  explicit Client(const ClientOptions& options);
  void ConfigureContext(grpc::ClientContext* ctx, absl::Duration timeout, bool admin) const;
  // INVALID_ARGUMENT when an admin call would send the token in plaintext
  // to a non-loopback target (see ClientOptions::token).
  absl::Status CheckAdminTransport() const;
  void StartWatch();
  void WatchLoop();

  ClientOptions options_;
  bool tls_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SchemaGate::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;

  absl::Mutex mu_;
  // table -> its last check, and its cluster (for invalidation).
  std::map<std::string, v1::TableCheck> cache_ ABSL_GUARDED_BY(mu_);
  bool watch_started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* watch_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread watch_thread_;
};

}  // namespace schemagate::client

#endif  // SCHEMAGATE_CLIENT_SCHEMAGATE_CLIENT_H_
