// How a failure of the engine should be reported: its kind travels with the
// absl::Status (as a payload) and decides the process exit code and, in the
// RPC layer, the gRPC code.
//
// Exit codes: the one table of server/util/exit_codes.h (docs/EXIT_CODES.md),
// shared with schemactl; each kind maps to one code and one
// google.rpc.ErrorInfo reason.
#ifndef SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_
#define SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/util/exit_codes.h"

namespace schemagate::migrate {

enum class ErrorKind {
  kUnknown = 0,
  kUsage,
  kConnect,
  kLockWait,
  kMigrationFailed,
  kIntegrity,
  kDrift,
};

enum ExitCode : int {
  kExitOk = exit_codes::kOk,
  kExitError = exit_codes::kError,
  kExitUsage = exit_codes::kUsage,
  kExitConnect = exit_codes::kUnavailable,
  kExitLockWait = exit_codes::kTimeout,
  kExitMigrationFailed = exit_codes::kMigrationFailed,
  kExitIntegrity = exit_codes::kIntegrity,
  kExitDrift = exit_codes::kDrift,
};

// `status` tagged with `kind` (OK stays OK).
absl::Status WithKind(absl::Status status, ErrorKind kind);
ErrorKind KindOf(const absl::Status& status);
// The exit code for a status: its kind's code, or from its canonical code
// (exit_codes::ForCode) when untagged.
int ExitCodeFor(const absl::Status& status);
// The google.rpc.ErrorInfo reason of a kind ("" for kUnknown).
const char* ReasonFor(ErrorKind kind);

// A machine-readable reason for a refusal more precise than its kind's
// ("SCHEMA_DRIFT", "SOURCE_HISTORY_INCOMPLETE", ...), carried as a payload.
// The RPC layer puts it in google.rpc.ErrorInfo.reason (the kind's reason,
// ReasonFor, goes in its metadata "kind", which decides exit codes).
absl::Status WithReason(absl::Status status, absl::string_view reason);
std::string ReasonOf(const absl::Status& status);  // "" when none

// One item a refusal lists (a drifted column, a missing old-history row),
// for google.rpc.PreconditionFailure: `type` groups them ("DRIFT",
// "SOURCE_HISTORY"), `subject` names the object, `description` says what is
// wrong. The status message lists them too, for people.
struct Violation {
  std::string type;
  std::string subject;
  std::string description;
};
absl::Status WithViolations(absl::Status status,
                            const std::vector<Violation>& violations);
std::vector<Violation> ViolationsOf(const absl::Status& status);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_
