// How a failure of the engine should be reported: its kind travels with the
// absl::Status (as a payload) and decides the process exit code and, in the
// RPC layer, the gRPC code.
//
// Exit codes (documented in --help and docs/OPERATIONS.md):
//   0 ok
//   1 unexpected error
//   2 bad usage (flags, arguments, a feature that is not compiled in)
//   3 cannot connect to the database (after retrying until --connect-timeout)
//   4 lock wait timeout (another migrator held the lock past --lock-wait-timeout)
//   5 a migration failed (it was rolled back; earlier ones stay applied)
//   6 integrity refusal (checksum mismatch, unknown applied migration, a
//     rollback that would break a dependent cluster; adopt: the old tool's
//     history is missing, dirty, failed or does not cover the build)
//   7 drift (verify or adopt found the database differs from the catalog)
#ifndef SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_
#define SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

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
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitConnect = 3,
  kExitLockWait = 4,
  kExitMigrationFailed = 5,
  kExitIntegrity = 6,
  kExitDrift = 7,
};

// `status` tagged with `kind` (OK stays OK).
absl::Status WithKind(absl::Status status, ErrorKind kind);
ErrorKind KindOf(const absl::Status& status);
// The exit code for a status: its kind's code, or from its canonical code
// (UNAVAILABLE -> 3, INVALID_ARGUMENT -> 2, ...) when untagged.
int ExitCodeFor(const absl::Status& status);

// A machine-readable reason for a refusal ("SCHEMA_DRIFT",
// "SOURCE_HISTORY_INCOMPLETE", ...), carried as a payload. The RPC layer
// puts it in google.rpc.ErrorInfo (instead of the kind's generic reason).
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

// The text of --help epilogs.
extern const char kExitCodesHelp[];

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_
