// Domain -> proto conversions and Status -> grpc::Status mapping for the
// RPC layer. No logic beyond translation.
#ifndef SCHEMAGATE_SERVER_RPC_CONVERT_H_
#define SCHEMAGATE_SERVER_RPC_CONVERT_H_

#include <grpcpp/support/status.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "schemagate/v1/schemagate.pb.h"
#include "server/catalog/join.h"
#include "server/catalog/query.h"
#include "server/migrate/adopt.h"
#include "server/migrate/plan_locks.h"
#include "server/migrate/state.h"
#include "server/migrate/unmanaged.h"
#include "server/migrate/verify.h"
#include "server/rpc/state.h"

namespace schemagate::rpc {

// The answer to "is this table here and migrated?".
v1::TableCheck CheckTable(const ServiceState& state, const Snapshot& snapshot,
                          const std::string& name);

// A cluster of the catalog (or an orphan of the snapshot) with its state.
void FillCluster(const ServiceState& state, const std::string& name,
                 const migrate::ClusterState* migration, bool known, v1::ClusterInfo* out);
// Every cluster: enabled ones in order, then compiled-but-disabled ones,
// then orphans of the state.
void FillClusters(const ServiceState& state, const migrate::MigrationState* migration, bool known,
                  google::protobuf::RepeatedPtrField<v1::ClusterInfo>* out);

void FillJoin(const ServiceState& state, const Snapshot& snapshot,
              const catalog::JoinResult& result, v1::ValidateJoinResponse* out);
void FillQuery(const ServiceState& state, const Snapshot& snapshot,
               const catalog::QueryResult& result, v1::ValidateQueryResponse* out);
void FillPending(const v1::Migration& m, bool include_sql, v1::PendingMigration* out);
void FillLock(const migrate::PlannedLock& lock, v1::PlannedLock* out);
void FillDrift(const migrate::VerifyReport& report, v1::VerifySchemaResponse* out);
void FillUnmanaged(const std::vector<migrate::UnmanagedTable>& tables,
                   google::protobuf::RepeatedPtrField<v1::UnmanagedTable>* out);
void FillAdopt(const migrate::AdoptResult& result, v1::AdoptDatabaseResponse* out);

// absl times as protobuf's well-known types (InfinitePast: an empty
// Timestamp).
google::protobuf::Timestamp Stamp(absl::Time t);
void SetDuration(absl::Duration d, google::protobuf::Duration* out);

// The gRPC status for a domain error: the code by how the caller should
// react, the message, and google.rpc details (ErrorInfo with the reason —
// the status's own (errors::ReasonOf) with its kind's in metadata "kind",
// or its kind's —, PreconditionFailure
// with its violations, BadRequest for `field` when given). Messages are cut
// after 1 KiB and violations after 4 KiB so that the status fits in the
// HTTP/2 trailers clients accept.
grpc::Status ToGrpc(const absl::Status& status, const std::string& field = "");
grpc::Status InvalidArgument(const std::string& field, const std::string& message);
// `code` and `message` (scrubbed of secrets, bounded) with a
// google.rpc.ErrorInfo of `reason` (exit_codes.h: clients map it to an exit
// code).
grpc::Status WithReason(grpc::StatusCode code, const std::string& message,
                        const std::string& reason);
// The same with ErrorInfo.metadata["kind"] = `kind_reason` (when not empty)
// and a PreconditionFailure listing `violations`.
grpc::Status Detailed(grpc::StatusCode code, const std::string& message, const std::string& reason,
                      const std::string& kind_reason,
                      const std::vector<errors::Violation>& violations);

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_CONVERT_H_
