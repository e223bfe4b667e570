// server/rpc/convert: the gRPC status of every kind of domain error, with its
// google.rpc details (ErrorInfo reason and kind, BadRequest field,
// PreconditionFailure violations), bounded and scrubbed of secrets; and the
// proto filling of a pending migration.
#include "server/rpc/convert.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::rpc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The google.rpc.Status a grpc::Status carries in its details.
google::rpc::Status Details(const grpc::Status& s) {
  google::rpc::Status d;
  EXPECT_TRUE(d.ParseFromString(s.error_details())) << s.error_message();
  return d;
}

// The first detail of type T in `s`; false when there is none.
template <typename T>
bool Unpack(const grpc::Status& s, T* out) {
  const google::rpc::Status details = Details(s);
  for (const google::protobuf::Any& any : details.details()) {
    if (any.UnpackTo(out)) return true;
  }
  return false;
}

google::rpc::ErrorInfo InfoOf(const grpc::Status& s) {
  google::rpc::ErrorInfo info;
  if (!Unpack(s, &info)) ADD_FAILURE() << "no ErrorInfo in " << s.error_message();
  return info;
}

TEST(ToGrpc, EachKindHasItsCodeAndReason) {
  struct Case {
    errors::ErrorKind kind;
    grpc::StatusCode code;
    std::string reason;
  } cases[] = {
      {errors::ErrorKind::kConnect, grpc::StatusCode::UNAVAILABLE, "DATABASE_UNAVAILABLE"},
      {errors::ErrorKind::kLockWait, grpc::StatusCode::ABORTED, "LOCK_WAIT_TIMEOUT"},
      {errors::ErrorKind::kMigrationFailed, grpc::StatusCode::FAILED_PRECONDITION,
       "MIGRATION_FAILED"},
      {errors::ErrorKind::kIntegrity, grpc::StatusCode::FAILED_PRECONDITION, "INTEGRITY_REFUSAL"},
      {errors::ErrorKind::kDrift, grpc::StatusCode::FAILED_PRECONDITION, "DRIFT"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    // The absl code of the status does not matter once it has a kind.
    grpc::Status s = ToGrpc(errors::WithKind(absl::InternalError("it went wrong"), c.kind));
    EXPECT_EQ(s.error_code(), c.code);
    EXPECT_EQ(s.error_message(), "it went wrong");
    google::rpc::ErrorInfo info = InfoOf(s);
    EXPECT_EQ(info.reason(), c.reason);
    EXPECT_EQ(info.domain(), exit_codes::kDomain);
    EXPECT_TRUE(info.metadata().empty());
    // schemactl maps the reason back to the exit code the kind has in
    // schemagate itself: both binaries exit alike for one refusal.
    EXPECT_EQ(exit_codes::ForReason(info.reason()),
              errors::ExitCodeFor(errors::WithKind(absl::InternalError("x"), c.kind)));
    EXPECT_EQ(Details(s).code(), static_cast<int>(c.code));
  }
}

TEST(ToGrpc, UsageIsInvalidArgumentNamingTheField) {
  for (const absl::Status& status :
       {errors::WithKind(absl::FailedPreconditionError("no such cluster: nope"),
                         errors::ErrorKind::kUsage),
        absl::InvalidArgumentError("no such cluster: nope")}) {
    grpc::Status s = ToGrpc(status, "clusters");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    google::rpc::BadRequest bad;
    ASSERT_TRUE(Unpack(s, &bad));
    ASSERT_EQ(bad.field_violations_size(), 1);
    EXPECT_EQ(bad.field_violations(0).field(), "clusters");
    EXPECT_EQ(bad.field_violations(0).description(), "no such cluster: nope");
  }
}

TEST(ToGrpc, UntaggedStatusesKeepTheirCodeAndNameIt) {
  struct Case {
    absl::Status status;
    grpc::StatusCode code;
    std::string reason;
  } cases[] = {
      {absl::NotFoundError("x"), grpc::StatusCode::NOT_FOUND, "NOT_FOUND"},
      {absl::ResourceExhaustedError("x"), grpc::StatusCode::RESOURCE_EXHAUSTED,
       "RESOURCE_EXHAUSTED"},
      {absl::DeadlineExceededError("x"), grpc::StatusCode::DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"},
      // UNKNOWN is never sent: a client could not tell it from a transport error.
      {absl::UnknownError("x"), grpc::StatusCode::INTERNAL, "UNKNOWN"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    grpc::Status s = ToGrpc(c.status);
    EXPECT_EQ(s.error_code(), c.code);
    EXPECT_EQ(InfoOf(s).reason(), c.reason);
  }
  EXPECT_TRUE(ToGrpc(absl::OkStatus()).ok());
}

TEST(ToGrpc, AnOwnReasonKeepsTheKindInMetadataAndListsViolations) {
  absl::Status status = errors::WithKind(absl::FailedPreconditionError("the schema drifted"),
                                         errors::ErrorKind::kDrift);
  status = errors::WithReason(status, "SCHEMA_DRIFT");
  status = errors::WithViolations(status, {{"DRIFT", "users.email", "type text, expected varchar"},
                                           {"DRIFT", "tasks", "missing"}});
  grpc::Status s = ToGrpc(status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::ErrorInfo info = InfoOf(s);
  EXPECT_EQ(info.reason(), "SCHEMA_DRIFT");
  EXPECT_EQ(info.metadata().at("kind"), "DRIFT");
  google::rpc::PreconditionFailure failure;
  ASSERT_TRUE(Unpack(s, &failure));
  std::vector<std::string> listed;
  for (const auto& v : failure.violations()) {
    listed.push_back(absl::StrCat(v.type(), " ", v.subject(), ": ", v.description()));
  }
  EXPECT_THAT(listed, ElementsAre("DRIFT users.email: type text, expected varchar",
                                  "DRIFT tasks: missing"));
}

// The status must fit in HTTP/2 trailers: the message is cut after 1 KiB
// (never inside a UTF-8 sequence) and the violations after 4 KiB, saying
// how many were left out.
TEST(ToGrpc, MessagesAndViolationsAreBounded) {
  std::string long_message(1000, 'a');
  for (int i = 0; i < 100; ++i) long_message += "\xC3\xA4";  // "ä", two bytes
  grpc::Status s = ToGrpc(absl::NotFoundError(long_message));
  EXPECT_LE(s.error_message().size(), 1024u + 3);
  EXPECT_THAT(s.error_message(), ::testing::EndsWith("..."));
  const std::string kept = s.error_message().substr(0, s.error_message().size() - 3);
  EXPECT_EQ(kept.size() % 2, 0u) << "cut inside a two-byte sequence";

  std::vector<errors::Violation> many;
  for (int i = 0; i < 200; ++i) {
    many.push_back({"DRIFT", absl::StrCat("table_", i), std::string(40, 'x')});
  }
  absl::Status status = errors::WithViolations(
      errors::WithReason(
          errors::WithKind(absl::FailedPreconditionError("drift"), errors::ErrorKind::kDrift),
          "SCHEMA_DRIFT"),
      many);
  google::rpc::PreconditionFailure failure;
  ASSERT_TRUE(Unpack(ToGrpc(status), &failure));
  ASSERT_GT(failure.violations_size(), 1);
  ASSERT_LT(failure.violations_size(), 200);
  const auto& last = failure.violations(failure.violations_size() - 1);
  EXPECT_EQ(last.type(), "TRUNCATED");
  EXPECT_THAT(last.description(),
              HasSubstr(absl::StrCat(200 - (failure.violations_size() - 1), " more not listed")));
  EXPECT_LT(failure.ByteSizeLong(), 8192u);
}

TEST(ToGrpc, SecretsNeverLeaveInAStatus) {
  log::AddSecret("s3cr3t-password-77");
  grpc::Status s = ToGrpc(errors::WithKind(
      absl::UnavailableError("cannot connect to postgresql://app:s3cr3t-password-77@db/app"),
      errors::ErrorKind::kConnect));
  EXPECT_THAT(s.error_message(), Not(HasSubstr("s3cr3t-password-77")));
  EXPECT_THAT(s.error_details(), Not(HasSubstr("s3cr3t-password-77")));
  grpc::Status bad = InvalidArgument("database_url", "bad url postgresql://u:s3cr3t-password-77@h");
  EXPECT_THAT(bad.error_message(), Not(HasSubstr("s3cr3t-password-77")));
  EXPECT_THAT(bad.error_details(), Not(HasSubstr("s3cr3t-password-77")));
}

TEST(FillPending, TheSqlOnlyWhenAsked) {
  v1::Migration m;
  m.set_cluster("tasks");
  m.set_version(2);
  m.set_name("team_assignment");
  m.set_up_path("tasks/0002_team_assignment/up.sql");
  m.set_up_sha256("abc123");
  m.set_no_transaction(true);
  m.set_up_sql("CREATE INDEX CONCURRENTLY x ON tasks (a);");
  v1::PendingMigration without, with;
  FillPending(m, false, &without);
  FillPending(m, true, &with);
  EXPECT_EQ(without.cluster(), "tasks");
  EXPECT_EQ(without.version(), 2u);
  EXPECT_EQ(without.name(), "team_assignment");
  EXPECT_EQ(without.path(), "tasks/0002_team_assignment/up.sql");
  EXPECT_EQ(without.sha256(), "abc123");
  EXPECT_TRUE(without.no_transaction());
  EXPECT_EQ(without.sql(), "");
  EXPECT_EQ(with.sql(), "CREATE INDEX CONCURRENTLY x ON tasks (a);");
}

}  // namespace
}  // namespace schemagate::rpc
