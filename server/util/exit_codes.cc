#include "server/util/exit_codes.h"

namespace schemagate::exit_codes {

const char kHelp[] =
    "Exit codes:\n"
    "  0  ok\n"
    "  1  unexpected error\n"
    "  2  bad usage (flags, arguments, a feature not compiled in), or the\n"
    "     server refused the request as invalid or names a target it does not\n"
    "     serve\n"
    "  3  cannot connect to the database or the server (after\n"
    "     --connect-timeout), the connection was lost, or the server is busy\n"
    "  4  lock wait timeout (another migrator held the lock past\n"
    "     --lock-wait-timeout), or timed out (wait --timeout, a call's deadline)\n"
    "  5  a migration failed (rolled back; earlier ones stay applied) or was\n"
    "     refused before it ran\n"
    "  6  integrity refusal (checksum mismatch, unknown applied migration,\n"
    "     unsafe or irreversible rollback; adopt: the old tool's history is\n"
    "     missing, dirty, failed or incomplete)\n"
    "  7  drift (verify, adopt: the database differs from the catalog)\n"
    "  8  warnings (join: ambiguous; query: a join condition on no key)\n"
    "  9  not available (check, join, query), or a cluster not enabled in the\n"
    "     server's build (wait)\n"
    "  10 not authorized (missing or wrong admin token, admin RPCs disabled\n"
    "     or not served on this listener)\n"
    "(One table for schemagate and schemactl: docs/EXIT_CODES.md.)\n";

int ForReason(absl::string_view reason) {
  struct Entry {
    const char* reason;
    int code;
  };
  static constexpr Entry kTable[] = {
      {kReasonUsage, kUsage},
      {kReasonUnavailable, kUnavailable},
      {kReasonLockWait, kTimeout},
      {kReasonMigrationFailed, kMigrationFailed},
      {kReasonIntegrity, kIntegrity},
      {kReasonDrift, kDrift},
      {kReasonNotEnabled, kNotAvailable},
      {kReasonNotAuthorized, kNotAuthorized},
      {kReasonUnknownTarget, kUsage},
      {kReasonTargetNotServed, kUsage},
  };
  for (const Entry& e : kTable) {
    if (reason == e.reason) return e.code;
  }
  return -1;
}

int ForCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return kOk;
    case absl::StatusCode::kInvalidArgument:
      return kUsage;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      return kUnavailable;
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return kTimeout;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kNotAuthorized;
    default:
      return kError;
  }
}

bool Transient(int code) { return code == kError || code == kUnavailable || code == kTimeout; }

}  // namespace schemagate::exit_codes
