// Unit tests of server/migrate/sqlstate.h: the status code of each class
// of SQLSTATE, the SQLSTATE payload, cleaned messages and which connection
// failures are permanent.
#include "server/migrate/sqlstate.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/util/log.h"

namespace schemagate::migrate {
namespace {

TEST(SqlStateTest, CodeForEachClass) {
  struct Case {
    const char* state;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      // Retry the transaction.
      {"40001", absl::StatusCode::kAborted},  // serialization_failure
      {"40P01", absl::StatusCode::kAborted},  // deadlock_detected
      {"55P03", absl::StatusCode::kAborted},  // lock_not_available (lock_timeout)
      {"57014", absl::StatusCode::kAborted},  // query_canceled, before class 57
      // Retry later.
      {"08006", absl::StatusCode::kUnavailable},         // connection_failure
      {"57P01", absl::StatusCode::kUnavailable},         // admin_shutdown
      {"53100", absl::StatusCode::kUnavailable},         // disk_full
      {"28P01", absl::StatusCode::kPermissionDenied},    // invalid_password
      {"42501", absl::StatusCode::kFailedPrecondition},  // insufficient_privilege
      {"42P01", absl::StatusCode::kInvalidArgument},     // undefined_table
      {"42601", absl::StatusCode::kInvalidArgument},     // syntax_error
      {"22012", absl::StatusCode::kInvalidArgument},     // division_by_zero
      {"23505", absl::StatusCode::kFailedPrecondition},  // unique_violation
      {"25006", absl::StatusCode::kFailedPrecondition},  // read_only_sql_transaction
      {"40000", absl::StatusCode::kFailedPrecondition},  // transaction_rollback, other
      {"55000", absl::StatusCode::kFailedPrecondition},  // object_not_in_prerequisite_state
      {"P0001", absl::StatusCode::kFailedPrecondition},  // raise_exception
      // Malformed.
      {"", absl::StatusCode::kInternal},
      {"4", absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CodeForSqlState(c.state), c.code) << "SQLSTATE \"" << c.state << "\"";
  }
}

TEST(SqlStateTest, CarriedAsPayload) {
  absl::Status s = SqlStateStatus("55P03", "canceling statement due to lock timeout");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(), "canceling statement due to lock timeout");
  EXPECT_EQ(SqlState(s), "55P03");

  s = WithSqlState(absl::StatusCode::kUnavailable, "connection lost", "57P01");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqlState(s), "57P01");

  // Kept through a copy with another message, as the engine does.
  absl::Status wrapped(s.code(), "wrapped");
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& p) { wrapped.SetPayload(url, p); });
  EXPECT_EQ(SqlState(wrapped), "57P01");

  EXPECT_EQ(SqlState(absl::UnavailableError("no state")), "");
  EXPECT_EQ(SqlState(absl::OkStatus()), "");
}

TEST(SqlStateTest, CleanMessage) {
  struct Case {
    const char* in;
    const char* out;
  };
  const std::vector<Case> cases = {
      {"ERROR:  relation \"x\" does not exist\n", "relation \"x\" does not exist"},
      {"FATAL:  terminating connection due to administrator command\n  ",
       "terminating connection due to administrator command"},
      {"server closed the connection unexpectedly", "server closed the connection unexpectedly"},
      {"ERROR:  a\nLINE 1: SELECT a\n", "a\nLINE 1: SELECT a"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(CleanMessage(c.in), c.out) << c.in;

  log::AddSecret("s3cret-sqlstate-test");
  EXPECT_EQ(CleanMessage("FATAL:  password authentication failed: s3cret-sqlstate-test"),
            "password authentication failed: ****");
}

TEST(SqlStateTest, PermanentConnectFailure) {
  struct Case {
    const char* message;
    bool permanent;
  };
  const std::vector<Case> cases = {
      {"password authentication failed for user \"app\"", true},
      {"SCRAM authentication failed", true},
      {"fe_sendauth: no password supplied", true},
      {"database \"app\" does not exist", true},
      {"role \"app\" does not exist", true},
      {"invalid connection option \"foo\"", true},
      {"invalid URI query parameter: \"x\"", true},
      {"missing \"=\" after \"x\" in connection info string", true},
      {"could not connect to server: Connection refused", false},
      {"timeout expired", false},
      {"the database system is starting up", false},
      {"database \"app\" is being accessed by other users", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PermanentConnectFailure(c.message), c.permanent) << c.message;
  }
}

}  // namespace
}  // namespace schemagate::migrate
