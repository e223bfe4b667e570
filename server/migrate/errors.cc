#include "server/migrate/errors.h"

#include <string>

#include "absl/strings/cord.h"

namespace schemagate::migrate {
namespace {
constexpr char kKindPayload[] = "schemagate/error-kind";
}  // namespace

const char kExitCodesHelp[] =
    "Exit codes:\n"
    "  0  ok\n"
    "  1  unexpected error\n"
    "  2  bad usage (flags, arguments, a feature not compiled in)\n"
    "  3  cannot connect to the database (after --connect-timeout)\n"
    "  4  lock wait timeout (another migrator held the lock past "
    "--lock-wait-timeout)\n"
    "  5  a migration failed (rolled back; earlier ones stay applied)\n"
    "  6  integrity refusal (checksum mismatch, unknown applied migration, "
    "unsafe rollback)\n"
    "  7  drift (verify: the database differs from the catalog)\n";

absl::Status WithKind(absl::Status status, ErrorKind kind) {
  if (status.ok()) return status;
  status.SetPayload(kKindPayload,
                    absl::Cord(std::to_string(static_cast<int>(kind))));
  return status;
}

ErrorKind KindOf(const absl::Status& status) {
  absl::optional<absl::Cord> p = status.GetPayload(kKindPayload);
  if (!p.has_value()) return ErrorKind::kUnknown;
  int v = std::stoi(std::string(*p));
  return static_cast<ErrorKind>(v);
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  switch (KindOf(status)) {
    case ErrorKind::kUsage: return kExitUsage;
    case ErrorKind::kConnect: return kExitConnect;
    case ErrorKind::kLockWait: return kExitLockWait;
    case ErrorKind::kMigrationFailed: return kExitMigrationFailed;
    case ErrorKind::kIntegrity: return kExitIntegrity;
    case ErrorKind::kDrift: return kExitDrift;
    case ErrorKind::kUnknown: break;
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return kExitUsage;
    case absl::StatusCode::kUnavailable: return kExitConnect;
    case absl::StatusCode::kDeadlineExceeded: return kExitLockWait;
    default: return kExitError;
  }
}

}  // namespace schemagate::migrate
