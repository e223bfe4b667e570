// Internal to schemactl: what every command shares (the flags every
// command takes, start-up, failure and exit codes, JSON and table output)
// and the commands, defined in schemactl_read.cc (clusters, check, join,
// query, health, wait, targets) and schemactl_database.cc (status, plan,
// verify, apply, rollback, repair, adopt). schemactl.cc is main().
#ifndef SCHEMAGATE_CLIENT_SCHEMACTL_H_
#define SCHEMAGATE_CLIENT_SCHEMACTL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/schemagate_client.h"
#include "google/protobuf/message.h"
#include "server/util/cli.h"
#include "server/util/exit_codes.h"

namespace schemagate::schemactl {

// The one exit-code table (server/util/exit_codes.h, docs/EXIT_CODES.md),
// shared with the schemagate binary.
using exit_codes::kDrift, exit_codes::kNotAvailable, exit_codes::kOk, exit_codes::kUnavailable,
    exit_codes::kUsage, exit_codes::kWarnings;

constexpr const char* kExitCodes = exit_codes::kHelp;

// A server refusal exits with the code of its google.rpc.ErrorInfo reason,
// as the same refusal does from `schemagate`; otherwise by the gRPC code.
int ExitFor(const absl::Status& s);

// Flags every command takes.
struct Common {
  std::string target = "localhost:50051";
  std::string target_id;
  std::string token_file;
  bool tls = false, insecure = false;
  std::string tls_ca, tls_cert, tls_key, tls_server_name;
  absl::Duration timeout = absl::Seconds(10);
  bool json = false;

  void Register(cli::FlagSet& f) {
    f.String("target", &target, "the server, HOST:PORT", "SCHEMAGATE_TARGET");
    f.String("target-id", &target_id,
             "the fleet target (tenant database, shard) of a server run with --targets; "
             "empty: the server's own database",
             "SCHEMAGATE_TARGET_ID");
    f.String("token-file", &token_file, "admin bearer token file (apply, rollback, repair, adopt)",
             "SCHEMAGATE_TOKEN_FILE");
    f.Bool("tls", &tls, "use TLS (system roots unless --tls-ca)");
    f.String("tls-ca", &tls_ca, "PEM roots to verify the server", "SCHEMAGATE_TLS_CA");
    f.String("tls-cert", &tls_cert, "client certificate (mutual TLS)");
    f.String("tls-key", &tls_key, "client key (mutual TLS)");
    f.String("tls-server-name", &tls_server_name, "expected name in the server certificate");
    f.Bool("insecure", &insecure,
           "send the admin token without TLS to a non-loopback target (refused "
           "otherwise); only where the network is encrypted below gRPC");
    f.Duration("rpc-timeout", &timeout, "deadline of each call", "SCHEMAGATE_RPC_TIMEOUT");
    f.Bool("json", &json, "print JSON");
  }

  absl::StatusOr<std::unique_ptr<client::Client>> Connect() const {
    client::ClientOptions o;
    o.target = target;
    o.tls = tls;
    o.tls_ca_file = tls_ca;
    o.tls_cert_file = tls_cert;
    o.tls_key_file = tls_key;
    o.tls_server_name = tls_server_name;
    o.insecure = insecure;
    o.timeout = timeout;
    o.target_id = target_id;
    if (!token_file.empty()) {
      absl::StatusOr<std::string> token = client::ReadTokenFile(token_file);
      if (!token.ok()) return token.status();
      o.token = *token;
    }
    return client::Client::Connect(o);
  }
};

// Prints "schemactl <cmd>: CODE: message" and returns its exit code.
int Fail(const std::string& cmd, const absl::Status& s);

// One command's start-up: its flags (every command's, Common, then its
// own), --help and usage errors, the parsed positional arguments.
class Command : public cli::FlagSet, public Common {
 public:
  Command(const std::string& cmd, const char* summary)
      : cli::FlagSet("schemactl " + cmd, summary), cmd_(cmd) {
    Register(*this);
    SetEpilog(kExitCodes);
  }
  // Parses `args` (at most `max_positional` positional ones): the exit code
  // when the command ends here (--help, a usage error), -1 to go on.
  int Start(const std::vector<std::string>& args, size_t max_positional = 0) {
    parsed_ = Parse(args);
    return Finish(parsed_, max_positional, kUsage);
  }
  const std::vector<std::string>& positional() const { return parsed_.positional; }
  // Prints the failure and returns its exit code.
  int Fail(const absl::Status& s) const { return schemactl::Fail(cmd_, s); }

 private:
  std::string cmd_;
  cli::ParseResult parsed_;
};

// The message as JSON (proto field names, every field).
void PrintJson(const google::protobuf::Message& m);
std::string StateName(v1::ClusterState s);
std::string TableStatusName(v1::TableStatus s);
void PrintUnmanaged(const google::protobuf::RepeatedPtrField<v1::UnmanagedTable>& tables);
void PrintClusters(const google::protobuf::RepeatedPtrField<v1::ClusterInfo>& clusters);

// The commands: `cmd` is the command's name, `args` what follows it.
int Clusters(const std::string& cmd, const std::vector<std::string>& args);
int Check(const std::string& cmd, const std::vector<std::string>& args);
int Join(const std::string& cmd, const std::vector<std::string>& args);
int Query(const std::string& cmd, const std::vector<std::string>& args);
int Status(const std::string& cmd, const std::vector<std::string>& args);
int Plan(const std::string& cmd, const std::vector<std::string>& args);
int Verify(const std::string& cmd, const std::vector<std::string>& args);
int Apply(const std::string& cmd, const std::vector<std::string>& args);
int Rollback(const std::string& cmd, const std::vector<std::string>& args);
int Repair(const std::string& cmd, const std::vector<std::string>& args);
int Adopt(const std::string& cmd, const std::vector<std::string>& args);
int Health(const std::string& cmd, const std::vector<std::string>& args);
int Wait(const std::string& cmd, const std::vector<std::string>& args);
int Targets(const std::string& cmd, const std::vector<std::string>& args);

}  // namespace schemagate::schemactl

#endif  // SCHEMAGATE_CLIENT_SCHEMACTL_H_
