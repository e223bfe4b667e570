// What a PostgreSQL error means to the caller, without libpqxx: the status
// code for a SQLSTATE (the mapping db.h documents), the SQLSTATE carried as
// a status payload, server messages cleaned for our errors, and which
// connection failures are not worth retrying. Used by the database adapter
// (db.cc) and by the engine's error messages.
//
//   absl::Status s = SqlStateStatus("55P03", "canceling statement due to lock timeout");
//   s.code();     // ABORTED: retry the transaction
//   SqlState(s);  // "55P03"
//
// Thread-safe (no state).
#ifndef SCHEMAGATE_SERVER_MIGRATE_SQLSTATE_H_
#define SCHEMAGATE_SERVER_MIGRATE_SQLSTATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace schemagate::migrate {

// ABORTED for serialization failures, deadlocks, lock timeouts and
// cancelled statements (40001, 40P01, 55P03, 57014: retry the
// transaction); UNAVAILABLE for classes 08 (connection), 57 (shutdown) and
// 53 (resources); PERMISSION_DENIED for class 28 (authentication);
// FAILED_PRECONDITION for 42501 (a privilege someone must grant);
// INVALID_ARGUMENT for classes 42 and 22; FAILED_PRECONDITION for the
// rest; INTERNAL for a malformed state (shorter than two characters).
absl::StatusCode CodeForSqlState(absl::string_view state);

// A status of `code` and `message` that carries `state` (read it back
// with SqlState); `state` may be "".
absl::Status WithSqlState(absl::StatusCode code, absl::string_view message,
                          absl::string_view state);
// WithSqlState(CodeForSqlState(state), message, state).
absl::Status SqlStateStatus(absl::string_view state, absl::string_view message);

// The SQLSTATE a status carries, or "".
std::string SqlState(const absl::Status& status);

// A server or libpq message for our errors: trailing white space and the
// "ERROR:  " / "FATAL:  " prefix removed, registered secrets scrubbed
// (log::Scrub).
std::string CleanMessage(absl::string_view message);

// True when a failed connection attempt cannot succeed by retrying: wrong
// credentials, a missing database or role, a connection string libpq
// rejects (by libpq's message).
bool PermanentConnectFailure(absl::string_view message);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_SQLSTATE_H_
