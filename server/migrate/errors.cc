#include "server/migrate/errors.h"

#include <string>

#include "absl/strings/cord.h"

namespace schemagate::migrate {
namespace {
constexpr char kKindPayload[] = "schemagate/error-kind";
}  // namespace

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

const char* ReasonFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return exit_codes::kReasonUsage;
    case ErrorKind::kConnect: return exit_codes::kReasonUnavailable;
    case ErrorKind::kLockWait: return exit_codes::kReasonLockWait;
    case ErrorKind::kMigrationFailed: return exit_codes::kReasonMigrationFailed;
    case ErrorKind::kIntegrity: return exit_codes::kReasonIntegrity;
    case ErrorKind::kDrift: return exit_codes::kReasonDrift;
    case ErrorKind::kUnknown: break;
  }
  return "";
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  int code = exit_codes::ForReason(ReasonFor(KindOf(status)));
  return code >= 0 ? code : exit_codes::ForCode(status.code());
}

}  // namespace schemagate::migrate
