// The one exit-code table of schemagate's command-line tools: `schemagate`
// (every subcommand), `schemactl`, and the migrate Job's podFailurePolicy
// (deploy/k8s/base/migrate-job.yaml) all use these numbers with these
// meanings. docs/EXIT_CODES.md is the human-readable copy, checked against
// kHelp by tests/deploy/manifests_test.py.
//
// A server refusal carries its reason to the client as a google.rpc.ErrorInfo
// (domain "schemagate.v1"); schemactl maps that reason with ForReason(), so
// the same refusal exits with the same code through either binary:
//
//   int code = exit_codes::ForReason(reason);            // -1: no such reason
//   if (code < 0) code = exit_codes::ForCode(status.code());
//
// Pure; thread-safe.
#ifndef SCHEMAGATE_SERVER_UTIL_EXIT_CODES_H_
#define SCHEMAGATE_SERVER_UTIL_EXIT_CODES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace schemagate::exit_codes {

enum Code : int {
  kOk = 0,
  kError = 1,            // unexpected error
  kUsage = 2,            // bad flags or arguments; the server refused the request as invalid
  kUnavailable = 3,      // cannot connect (database or server), connection lost, server busy
  kTimeout = 4,          // lock wait timeout, `wait --timeout`, a call's deadline
  kMigrationFailed = 5,  // a migration failed (rolled back) or was refused before it ran
  kIntegrity = 6,        // checksum mismatch, unknown applied migration, unsafe rollback
  kDrift = 7,            // verify: the database differs from the catalog
  kWarnings = 8,         // join/query: ambiguous, a join condition on no key
  kNotAvailable = 9,     // check/join/query: not available; wait: cluster not in the build
  kNotAuthorized = 10,   // missing or wrong admin token, admin RPCs not served there
};

// google.rpc.ErrorInfo reasons (domain kDomain) of the refusals that have an
// exit code of their own.
inline constexpr char kDomain[] = "schemagate.v1";
inline constexpr char kReasonUsage[] = "USAGE";
inline constexpr char kReasonUnavailable[] = "DATABASE_UNAVAILABLE";
inline constexpr char kReasonLockWait[] = "LOCK_WAIT_TIMEOUT";
inline constexpr char kReasonMigrationFailed[] = "MIGRATION_FAILED";
inline constexpr char kReasonIntegrity[] = "INTEGRITY_REFUSAL";
inline constexpr char kReasonDrift[] = "DRIFT";
inline constexpr char kReasonNotEnabled[] = "CLUSTER_NOT_ENABLED";
inline constexpr char kReasonNotAuthorized[] = "NOT_AUTHORIZED";
// Fleets: a target_id the server does not serve (NOT_FOUND), or one whose
// definition in the target set has a problem (FAILED_PRECONDITION).
inline constexpr char kReasonUnknownTarget[] = "UNKNOWN_TARGET";
inline constexpr char kReasonTargetNotServed[] = "TARGET_NOT_SERVED";

// The exit code of a reason above; -1 for any other string.
int ForReason(absl::string_view reason);

// The exit code of a status that carries no reason, by its canonical code:
// INVALID_ARGUMENT 2; UNAVAILABLE, RESOURCE_EXHAUSTED 3; DEADLINE_EXCEEDED,
// ABORTED 4; UNAUTHENTICATED, PERMISSION_DENIED 10; OK 0; anything else 1.
int ForCode(absl::StatusCode code);

// True for the codes a rerun may cure (1, 3, 4): what a Job retries.
bool Transient(int code);

// "Exit codes:\n  0  ok\n ..." for --help epilogs (both binaries).
extern const char kHelp[];

}  // namespace schemagate::exit_codes

#endif  // SCHEMAGATE_SERVER_UTIL_EXIT_CODES_H_
