#include "server/migrate/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace schemagate::migrate {
namespace {
constexpr char kKindPayload[] = "schemagate/error-kind";
constexpr char kReasonPayload[] = "schemagate/reason";
constexpr char kViolationsPayload[] = "schemagate/violations";
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
    "unsafe rollback; adopt: the old tool's history is missing, dirty, "
    "failed or incomplete)\n"
    "  7  drift (verify, adopt: the database differs from the catalog)\n";

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

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  if (status.ok()) return status;
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  absl::optional<absl::Cord> p = status.GetPayload(kReasonPayload);
  return p.has_value() ? std::string(*p) : "";
}

// One violation per line, its three fields C-escaped and tab-separated
// (escaping turns tabs and newlines inside a field into \t and \n).
absl::Status WithViolations(absl::Status status,
                            const std::vector<Violation>& violations) {
  if (status.ok() || violations.empty()) return status;
  std::string text;
  for (const Violation& v : violations) {
    absl::StrAppend(&text, absl::CEscape(v.type), "\t", absl::CEscape(v.subject),
                    "\t", absl::CEscape(v.description), "\n");
  }
  status.SetPayload(kViolationsPayload, absl::Cord(text));
  return status;
}

std::vector<Violation> ViolationsOf(const absl::Status& status) {
  std::vector<Violation> out;
  absl::optional<absl::Cord> p = status.GetPayload(kViolationsPayload);
  if (!p.has_value()) return out;
  for (absl::string_view line : absl::StrSplit(std::string(*p), '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields.size() != 3) continue;
    Violation v;
    if (!absl::CUnescape(fields[0], &v.type) ||
        !absl::CUnescape(fields[1], &v.subject) ||
        !absl::CUnescape(fields[2], &v.description)) {
      continue;
    }
    out.push_back(std::move(v));
  }
  return out;
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
