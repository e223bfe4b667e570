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
//     rollback that would break a dependent cluster)
//   7 drift (verify found the database differs from the catalog)
#ifndef SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_
#define SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_

#include "absl/status/status.h"

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

// The text of --help epilogs.
extern const char kExitCodesHelp[];

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_ERRORS_H_
