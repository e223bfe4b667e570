// schemactl: what every command shares (schemactl.h).
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/schemactl.h"
#include "google/protobuf/util/json_util.h"
#include "server/util/human.h"

namespace schemagate::schemactl {

// A server refusal exits with the code of its google.rpc.ErrorInfo reason,
// as the same refusal does from `schemagate`; otherwise by the gRPC code.
int ExitFor(const absl::Status& s) {
  int code = exit_codes::ForReason(client::ErrorReason(s));
  if (code < 0) code = exit_codes::ForReason(client::ErrorKindReason(s));
  return code >= 0 ? code : exit_codes::ForCode(s.code());
}

int Fail(const std::string& cmd, const absl::Status& s) {
  std::cerr << "schemactl " << cmd << ": " << absl::StatusCodeToString(s.code()) << ": "
            << s.message() << "\n";
  return ExitFor(s);
}

void PrintJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  std::cout << out;
  if (out.empty() || out.back() != '\n') std::cout << "\n";
}

std::string StateName(v1::ClusterState s) {
  std::string name = v1::ClusterState_Name(s);
  name = name.substr(std::string("CLUSTER_STATE_").size());
  for (char& c : name) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  return name;
}

std::string TableStatusName(v1::TableStatus s) {
  std::string name = v1::TableStatus_Name(s);
  name = name.substr(std::string("TABLE_STATUS_").size());
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  return name;
}

void PrintUnmanaged(const google::protobuf::RepeatedPtrField<v1::UnmanagedTable>& tables) {
  if (tables.empty()) return;
  std::cout << "unmanaged tables (their cluster is not enabled here; never touched):\n";
  for (const v1::UnmanagedTable& t : tables) {
    std::cout << "  " << t.table() << " (cluster " << t.cluster()
              << (t.compiled() ? ", turned off by --features" : "") << ")\n";
  }
}

void PrintClusters(const google::protobuf::RepeatedPtrField<v1::ClusterInfo>& clusters) {
  std::cout << absl::StrFormat("%-18s %-8s %-18s %8s %8s %8s %7s\n", "CLUSTER", "ENABLED", "STATE",
                               "APPLIED", "LATEST", "PENDING", "TABLES");
  for (const v1::ClusterInfo& c : clusters) {
    std::cout << absl::StrFormat(
        "%-18s %-8s %-18s %8d %8d %8d %7d\n", c.name() + (c.bridge() ? "*" : ""),
        c.enabled() ? "yes" : (c.compiled() ? "off" : "no"), StateName(c.migration().state()),
        c.migration().applied_version(), c.migration().latest_version(),
        c.migration().pending_count(), c.tables_size());
    for (const v1::ChecksumProblem& p : c.migration().checksum_problems()) {
      std::cout << "    changed after apply: " << p.path() << "\n";
    }
    for (const v1::MigrationId& m : c.migration().unknown_applied()) {
      std::cout << "    applied, unknown to this build: " << m.cluster() << "/" << m.version()
                << "\n";
    }
  }
}

}  // namespace schemagate::schemactl
