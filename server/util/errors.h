// schemagate::errors — the one error taxonomy of schemagate's processes:
// what kind of failure an absl::Status is (usage, connection, lock wait,
// migration failed, integrity, drift), carried with the status as a payload,
// with a machine-readable reason and the listed violations of a refusal.
// The engine (migrate), the fleet, the gRPC layer (rpc: gRPC codes and
// google.rpc.ErrorInfo) and the command-line tools (main, schemactl: exit
// codes) all read the same kinds; each kind maps to one exit code of
// server/util/exit_codes.h (docs/EXIT_CODES.md), in ExitCodeFor, and to one
// ErrorInfo reason, in ReasonFor.
//
//   return errors::WithKind(absl::UnavailableError("..."), errors::ErrorKind::kConnect);
//   int code = errors::ExitCodeFor(status);  // 3
//
// Pure; thread-safe.
#ifndef SCHEMAGATE_SERVER_UTIL_ERRORS_H_
#define SCHEMAGATE_SERVER_UTIL_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/util/exit_codes.h"

namespace schemagate::errors {

enum class ErrorKind {
  kUnknown = 0,
  kUsage,
  kConnect,
  kLockWait,
  kMigrationFailed,
  kIntegrity,
  kDrift,
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
absl::Status WithViolations(absl::Status status, const std::vector<Violation>& violations);
std::vector<Violation> ViolationsOf(const absl::Status& status);

}  // namespace schemagate::errors

#endif  // SCHEMAGATE_SERVER_UTIL_ERRORS_H_
