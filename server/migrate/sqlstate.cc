// SQLSTATEs as status codes and payloads; cleaned server messages
// (sqlstate.h).
#include "server/migrate/sqlstate.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "server/util/log.h"

namespace schemagate::migrate {
namespace {

constexpr char kSqlStatePayload[] = "schemagate/sqlstate";

}  // namespace

absl::StatusCode CodeForSqlState(absl::string_view state) {
  if (state.size() < 2) return absl::StatusCode::kInternal;
  absl::string_view cls = state.substr(0, 2);
  if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014") {
    return absl::StatusCode::kAborted;  // retry the transaction
  }
  if (cls == "08" || cls == "57" || cls == "53") {
    return absl::StatusCode::kUnavailable;  // connection, shutdown, resources
  }
  // Authentication: the credentials are wrong.
  if (cls == "28") return absl::StatusCode::kPermissionDenied;
  // A missing privilege of the database role: someone must grant it.
  if (state == "42501") return absl::StatusCode::kFailedPrecondition;
  if (cls == "42" || cls == "22") return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kFailedPrecondition;
}

absl::Status WithSqlState(absl::StatusCode code, absl::string_view message,
                          absl::string_view state) {
  absl::Status status(code, message);
  status.SetPayload(kSqlStatePayload, absl::Cord(state));
  return status;
}

absl::Status SqlStateStatus(absl::string_view state, absl::string_view message) {
  return WithSqlState(CodeForSqlState(state), message, state);
}

std::string SqlState(const absl::Status& status) {
  absl::optional<absl::Cord> p = status.GetPayload(kSqlStatePayload);
  return p.has_value() ? std::string(*p) : "";
}

std::string CleanMessage(absl::string_view message) {
  absl::string_view m = absl::StripTrailingAsciiWhitespace(message);
  absl::ConsumePrefix(&m, "ERROR:  ");
  absl::ConsumePrefix(&m, "FATAL:  ");
  return log::Scrub(m);
}

bool PermanentConnectFailure(absl::string_view message) {
  return absl::StrContains(message, "password authentication failed") ||
         absl::StrContains(message, "authentication failed") ||
         absl::StrContains(message, "no password supplied") ||
         (absl::StrContains(message, "database \"") &&
          absl::StrContains(message, "does not exist")) ||
         absl::StrContains(message, "role \"") ||
         absl::StrContains(message, "invalid connection option") ||
         absl::StrContains(message, "invalid URI") || absl::StrContains(message, "missing \"=\"");
}

}  // namespace schemagate::migrate
