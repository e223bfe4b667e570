#include "server/util/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace schemagate::errors {
namespace {
constexpr char kKindPayload[] = "schemagate/error-kind";
constexpr char kReasonPayload[] = "schemagate/reason";
constexpr char kViolationsPayload[] = "schemagate/violations";
}  // namespace

absl::Status WithKind(absl::Status status, ErrorKind kind) {
  if (status.ok()) return status;
  status.SetPayload(kKindPayload, absl::Cord(std::to_string(static_cast<int>(kind))));
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
absl::Status WithViolations(absl::Status status, const std::vector<Violation>& violations) {
  if (status.ok() || violations.empty()) return status;
  std::string text;
  for (const Violation& v : violations) {
    absl::StrAppend(&text, absl::CEscape(v.type), "\t", absl::CEscape(v.subject), "\t",
                    absl::CEscape(v.description), "\n");
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
    if (!absl::CUnescape(fields[0], &v.type) || !absl::CUnescape(fields[1], &v.subject) ||
        !absl::CUnescape(fields[2], &v.description)) {
      continue;
    }
    out.push_back(std::move(v));
  }
  return out;
}

const char* ReasonFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return exit_codes::kReasonUsage;
    case ErrorKind::kConnect:
      return exit_codes::kReasonUnavailable;
    case ErrorKind::kLockWait:
      return exit_codes::kReasonLockWait;
    case ErrorKind::kMigrationFailed:
      return exit_codes::kReasonMigrationFailed;
    case ErrorKind::kIntegrity:
      return exit_codes::kReasonIntegrity;
    case ErrorKind::kDrift:
      return exit_codes::kReasonDrift;
    case ErrorKind::kUnknown:
      break;
  }
  return "";
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return exit_codes::kOk;
  int code = exit_codes::ForReason(ReasonFor(KindOf(status)));
  return code >= 0 ? code : exit_codes::ForCode(status.code());
}

}  // namespace schemagate::errors
