// Who may change the schema, and what leaks: the admin RPCs on every kind
// of listener without, with a wrong and with the right token; TLS-only
// serving; the least-privilege roles of deploy/postgres/roles.sql; and no
// password or token in any log line, even at debug level.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/database_test.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

using test::Bin;
using test::Connect;
using test::Env;
using test::Eventually;
using test::ProcessResult;
using test::RunProcess;
using test::Server;
using test::TempDir;
using test::TestDatabase;
using test::Variant;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "sec-admin-token-5b1c9e2d";

class SecurityTest : public test::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    token_file_ = TokenFile(kToken);
  }

  // Everything an admin RPC could change: history rows, the audit log and
  // the tables.
  std::vector<std::string> State() {
    auto rows = db_->Query(
        "SELECT 'h ' || cluster || '/' || version || ' ' || checksum FROM "
        "schemagate.migrations UNION ALL SELECT 'log ' || count(*) FROM "
        "schemagate.migrations_log UNION ALL SELECT 't ' || c.oid::regclass FROM "
        "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
        "AND n.nspname = 'public' ORDER BY 1");
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  std::string token_file_;
};

struct AdminCall {
  const char* name;
  std::function<grpc::Status(v1::SchemaGate::Stub&, grpc::ClientContext*)> call;
};

// The mutating RPCs, each doing real work if it were let through: apply the
// pending feat cluster, remove core, record checksums, adopt.
std::vector<AdminCall> AdminCalls() {
  return {
      {"ApplyMigrations",
       [](v1::SchemaGate::Stub& stub, grpc::ClientContext* ctx) {
         auto reader = stub.ApplyMigrations(ctx, v1::ApplyMigrationsRequest());
         v1::ApplyMigrationsResponse event;
         while (reader->Read(&event)) {
         }
         return reader->Finish();
       }},
      {"RollbackCluster",
       [](v1::SchemaGate::Stub& stub, grpc::ClientContext* ctx) {
         v1::RollbackClusterRequest req;
         req.set_cluster("core");
         req.set_to_version(0);
         req.set_force(true);
         v1::RollbackClusterResponse resp;
         return stub.RollbackCluster(ctx, req, &resp);
       }},
      {"RepairChecksums",
       [](v1::SchemaGate::Stub& stub, grpc::ClientContext* ctx) {
         v1::RepairChecksumsResponse resp;
         return stub.RepairChecksums(ctx, v1::RepairChecksumsRequest(), &resp);
       }},
      {"AdoptDatabase",
       [](v1::SchemaGate::Stub& stub, grpc::ClientContext* ctx) {
         v1::AdoptDatabaseRequest req;
         req.set_source_format(v1::SOURCE_FORMAT_NONE);
         v1::AdoptDatabaseResponse resp;
         return stub.AdoptDatabase(ctx, req, &resp);
       }},
  };
}

// `authorization` values that must never pass.
std::vector<std::pair<std::string, std::string>> BadCredentials() {
  const std::string t = kToken;
  return {{"none", ""},
          {"wrong token", "Bearer wrong-" + t},
          {"prefix of the token", "Bearer " + t.substr(0, t.size() - 1)},
          {"token plus a byte", "Bearer " + t + "x"},
          {"no scheme", t},
          {"Basic scheme", "Basic " + t},
          {"empty bearer", "Bearer "},
          {"lower-case scheme, other token", "bearer x" + t},
          {"another token of the same length", "Bearer " + std::string(t.size(), 'a')}};
}

grpc::Status Call(const AdminCall& c, const std::shared_ptr<grpc::Channel>& channel,
                  const std::string& authorization) {
  auto stub = v1::SchemaGate::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  return c.call(*stub, &ctx);
}

TEST_F(SecurityTest, AdminRpcsAreRefusedWithoutTheRightTokenOnEveryListener) {
  ASSERT_EQ(RunProcess({Variant("engine_v1", "schemagate"), "migrate", "--features=core"}, "",
                       {"DATABASE_URL=" + db_->url()})
                .exit_code,
            0);
  const std::vector<std::string> before = State();
  ASSERT_FALSE(before.empty());
  std::string certs = TempDir();
  ASSERT_TRUE(test::MakeTestCertificates(certs));
  const std::string server = Variant("engine_v1", "schemagate-server");

  Server single(server, db_->url(), {"--admin-token-file=" + token_file_});
  Server split(server, db_->url(),
               {"--admin-token-file=" + token_file_, "--admin-listen=127.0.0.1:0"});
  Server no_token(server, db_->url(), {});
  Server no_token_split(server, db_->url(), {"--admin-listen=127.0.0.1:0"});
  Server tls(server, db_->url(),
             {"--admin-token-file=" + token_file_, "--tls-cert=" + certs + "/server.crt",
              "--tls-key=" + certs + "/server.key"});
  for (Server* s : {&single, &split, &no_token, &no_token_split, &tls}) ASSERT_TRUE(s->ok());

  auto plain = [](const std::string& target) {
    return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  };
  grpc::SslCredentialsOptions ssl;
  {
    std::ifstream in(certs + "/ca.crt");
    ssl.pem_root_certs.assign(std::istreambuf_iterator<char>(in), {});
  }
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto tls_channel = grpc::CreateCustomChannel(tls.target(), grpc::SslCredentials(ssl), args);

  struct Listener {
    std::string what;
    std::shared_ptr<grpc::Channel> channel;
    grpc::StatusCode with_bad_token;  // and without one
    grpc::StatusCode with_right_token;
  };
  const std::vector<Listener> listeners = {
      {"single listener", plain(single.target()), grpc::StatusCode::UNAUTHENTICATED,
       grpc::StatusCode::OK},
      {"main listener when split", plain(split.target()), grpc::StatusCode::PERMISSION_DENIED,
       grpc::StatusCode::PERMISSION_DENIED},
      {"admin listener", plain(split.admin_target()), grpc::StatusCode::UNAUTHENTICATED,
       grpc::StatusCode::OK},
      {"no token file", plain(no_token.target()), grpc::StatusCode::PERMISSION_DENIED,
       grpc::StatusCode::PERMISSION_DENIED},
      {"no token file, admin listener", plain(no_token_split.admin_target()),
       grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::PERMISSION_DENIED},
      {"TLS", tls_channel, grpc::StatusCode::UNAUTHENTICATED, grpc::StatusCode::OK},
  };
  int refused = 0;
  for (const Listener& l : listeners) {
    for (const AdminCall& c : AdminCalls()) {
      for (const auto& [label, authorization] : BadCredentials()) {
        grpc::Status s = Call(c, l.channel, authorization);
        EXPECT_EQ(s.error_code(), l.with_bad_token)
            << l.what << ", " << c.name << ", " << label << ": " << s.error_message();
        EXPECT_THAT(s.error_message(), Not(HasSubstr(kToken)));
        ++refused;
      }
      if (l.with_right_token != grpc::StatusCode::OK) {
        grpc::Status s = Call(c, l.channel, absl::StrCat("Bearer ", kToken));
        EXPECT_EQ(s.error_code(), l.with_right_token) << l.what << ", " << c.name;
        ++refused;
      }
    }
  }
  // Plaintext to the TLS-only server does not even reach the service.
  grpc::Status plaintext =
      Call(AdminCalls()[0], plain(tls.target()), absl::StrCat("Bearer ", kToken));
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(State(), before) << "a refused call changed the database";
  std::cout << refused << " refused admin calls, database unchanged\n";

  // The right token on an admin listener is accepted (apply runs for real).
  grpc::Status applied =
      Call(AdminCalls()[0], plain(split.admin_target()), absl::StrCat("Bearer ", kToken));
  EXPECT_TRUE(applied.ok()) << applied.error_message();
  EXPECT_NE(State(), before);

  // schemactl: a wrong token file is exit 10 (not authorized) and names no
  // secret.
  std::ofstream(dir_ + "/wrong") << "not-" << kToken << "\n";
  ProcessResult ctl = RunProcess(
      {Bin("schemactl"), "repair", "--target", single.target(), "--token-file", dir_ + "/wrong"});
  EXPECT_EQ(ctl.exit_code, 10);
  EXPECT_THAT(ctl.out + ctl.err, Not(HasSubstr(kToken)));
  for (Server* s : {&single, &split, &no_token, &no_token_split, &tls}) {
    ProcessResult r = s->Stop();
    EXPECT_THAT(r.out + r.err, Not(HasSubstr(kToken)));
  }
}

// deploy/postgres/roles.sql as written: the migrator migrates; a server
// running as the reader serves everything but cannot change the schema or
// read application rows.
TEST_F(SecurityTest, LeastPrivilegeServingRole) {
  const std::string suffix = absl::StrCat(getpid());
  const std::string migrator = "sg_migrator_" + suffix, reader = "sg_reader_" + suffix;
  const std::string migrator_pw = "mig-pw-" + suffix + "-Qz",
                    reader_pw = "read-pw-" + suffix + "-Wy";
  test::RegisterSecret(migrator_pw);
  test::RegisterSecret(reader_pw);
  ProcessResult roles =
      RunProcess({"psql", "-X", "-q", "-d", db_->url(), "-v", "ON_ERROR_STOP=1", "-v",
                  "migrator=" + migrator, "-v", "migrator_password=" + migrator_pw, "-v",
                  "reader=" + reader, "-v", "reader_password=" + reader_pw, "-f",
                  Env("SCHEMAGATE_SOURCE_DIR") + "/deploy/postgres/roles.sql"});
  ASSERT_EQ(roles.exit_code, 0) << roles.err;
  const std::string migrator_url = test::WithUser(db_->url(), migrator, migrator_pw);
  const std::string reader_url = test::WithUser(db_->url(), reader, reader_pw);

  ProcessResult migrated =
      RunProcess({Variant("engine_v1", "schemagate"), "migrate", "--features=core"}, "",
                 {"DATABASE_URL=" + migrator_url});
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  const std::vector<std::string> before = State();

  Server server(Variant("engine_v1", "schemagate-server"), reader_url,
                {"--features=core", "--admin-token-file=" + token_file_});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target(), kToken);
  ASSERT_TRUE(Eventually(
      [&] {
        auto h = c->Health("");
        return h.ok() && *h == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      absl::Seconds(10)));
  auto check = c->CheckTables({"users"});
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->tables(0).status(), v1::TABLE_STATUS_AVAILABLE);
  auto status = c->GetMigrationStatus();
  EXPECT_TRUE(status.ok()) << status.status();
  auto verify = c->VerifySchema(false);
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_TRUE(verify->ok());
  EXPECT_EQ(verify->drift_size(), 0);

  // A server with more enabled than migrated, still as the reader: its
  // apply fails on permissions, and nothing changes.
  Server wider(Variant("engine_v1", "schemagate-server"), reader_url,
               {"--admin-token-file=" + token_file_});
  ASSERT_TRUE(wider.ok());
  auto w = Connect(wider.target(), kToken);
  auto apply = w->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1));
  EXPECT_EQ(apply.status().code(), absl::StatusCode::kFailedPrecondition) << apply.status();
  EXPECT_THAT(std::string(apply.status().message()), HasSubstr("permission denied"));
  v1::RollbackClusterRequest rollback;
  rollback.set_cluster("core");
  rollback.set_to_version(0);
  rollback.set_force(true);
  EXPECT_FALSE(w->RollbackCluster(rollback, absl::Minutes(1)).ok());
  EXPECT_EQ(State(), before);
  // No rows of the application for the reader.
  auto rows = test::RunPsql(reader_url, "SELECT count(*) FROM users;\n");
  EXPECT_FALSE(rows.ok());
  EXPECT_THAT(std::string(rows.status().message()), HasSubstr("permission denied"));

  server.Stop();
  wider.Stop();
  auto admin = test::ServerUrl();
  ASSERT_TRUE(admin.ok());
  auto dropped = test::RunPsql(
      db_->url(), absl::StrCat("REASSIGN OWNED BY ", migrator, ", ", reader, " TO postgres;\n",
                               // One role per statement: dropping both at once trips over the
                               // default ACL that one holds for the other.
                               "DROP OWNED BY ", migrator, ";\nDROP OWNED BY ", reader, ";\n"));
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_TRUE(
      test::RunPsql(*admin, absl::StrCat("DROP ROLE ", migrator, ";\nDROP ROLE ", reader, ";\n"))
          .ok());
}

// At debug level, through failures that quote connection details (wrong
// password, unreachable server, bad tokens), no line names the password or
// the token.
TEST_F(SecurityTest, DebugLogsNeverShowSecrets) {
  const std::string password = db_->url().substr(
      db_->url().find(':', 14) + 1, db_->url().find('@') - db_->url().find(':', 14) - 1);
  ASSERT_GE(password.size(), 8u);
  std::string all;
  {
    Server server(Bin("schemagate-server"), db_->url(),
                  {"--log-level=debug", "--admin-token-file=" + token_file_},
                  {"SCHEMAGATE_LOG_FORMAT=json"});
    ASSERT_TRUE(server.ok());
    auto good = Connect(server.target(), kToken);
    auto bad = Connect(server.target(), std::string("x") + kToken);
    EXPECT_TRUE(good->GetMigrationStatus().ok());
    EXPECT_FALSE(bad->RepairChecksums(v1::RepairChecksumsRequest()).ok());
    EXPECT_TRUE(
        good->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(2)).ok());
    ProcessResult r = server.Stop();
    all += r.out + r.err;
  }
  std::string wrong_pw = db_->url();
  wrong_pw.replace(wrong_pw.find(password), password.size(), "Wr0ng-" + password);
  std::string unreachable = db_->url();
  unreachable.replace(unreachable.rfind(':'), unreachable.rfind('/') - unreachable.rfind(':'),
                      ":1");
  for (const std::string& url : {wrong_pw, unreachable}) {
    for (const char* cmd : {"status", "migrate", "verify"}) {
      ProcessResult r =
          RunProcess({Bin("schemagate"), cmd, "--log-level=debug", "--connect-timeout=1s"}, "",
                     {"DATABASE_URL=" + url});
      EXPECT_NE(r.exit_code, 0);
      all += r.out + r.err;
    }
    Server server(Bin("schemagate-server"), url, {"--log-level=debug"});
    ASSERT_TRUE(server.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ProcessResult r = server.Stop();
    all += r.out + r.err;
  }
  EXPECT_THAT(all, HasSubstr("debug"));  // the logs are really at debug level
  EXPECT_THAT(all, Not(HasSubstr(password)));
  EXPECT_THAT(all, Not(HasSubstr(kToken)));
}

// Passwords holding every character that ends or splits a URI's user info
// or needs escaping ('?', '@', '/', '#', '%', '"', '\\', a space,
// non-ASCII), in a URI (raw where libpq allows it, percent-encoded where it
// must be, fully percent-encoded) and in a key=value string: no part of
// them appears in any output of any command, of the server (text and JSON
// logs) or of any RPC, on success and on every kind of connection failure.
// Each piece of the password carries the marker "Zq9", so a partial leak
// ("app:s3cr" of "s3cr?t") shows too.
TEST_F(SecurityTest, SpecialCharacterPasswordsNeverAppearInAnyOutput) {
  const std::string role = absl::StrCat("sg_special_", getpid());
  const std::string password = "Zq9a?Zq9b@Zq9c/Zq9d#Zq9e%Zq9f\"Zq9g\\Zq9h Zq9i\xC3\xA4Zq9j";
  const std::string wrong = "Zq9w?Zq9x@Zq9y/Zq9z%Zq9v\"Zq9u\\Zq9t Zq9s";
  test::RegisterSecret(password);
  test::RegisterSecret(wrong);
  ASSERT_TRUE(db_->Query(absl::StrCat("CREATE ROLE ", role, " LOGIN PASSWORD $pw$", password,
                                      "$pw$; ALTER DATABASE ", db_->name(), " OWNER TO ", role))
                  .ok());
  const std::string server_url = db_->url();  // postgresql://postgres:...@host:port/db
  const std::string host_port =
      server_url.substr(server_url.find('@') + 1, server_url.rfind('/') - server_url.find('@') - 1);
  const std::string port = host_port.substr(host_port.rfind(':') + 1);
  auto encode = [](const std::string& text, const std::string& which) {
    std::string out;
    for (unsigned char c : text) {
      if (which.find(static_cast<char>(c)) != std::string::npos ||
          (which == "all" && !isalnum(c))) {
        out += absl::StrFormat("%%%02X", c);
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  };
  auto uri = [&](const std::string& pw, const std::string& hp, const std::string& db,
                 const std::string& which) {
    return absl::StrCat("postgresql://", role, ":", encode(pw, which), "@", hp, "/", db);
  };
  auto keywords = [&](const std::string& pw, const std::string& p, const std::string& db) {
    std::string quoted;
    for (char c : pw) {
      if (c == '\'' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return absl::StrCat("host=127.0.0.1 port=", p, " dbname=", db, " user=", role, " password='",
                        quoted, "'");
  };
  struct Url {
    std::string what;
    std::string url;
    bool reachable;  // the right password, server and database
  };
  const std::string min = "@/%";  // what a URI's password must encode
  const std::vector<Url> urls = {
      {"URI, minimal encoding", uri(password, host_port, db_->name(), min), true},
      {"URI, all encoded", uri(password, host_port, db_->name(), "all"), true},
      {"key=value", keywords(password, port, db_->name()), true},
      {"wrong password", uri(wrong, host_port, db_->name(), min), false},
      {"wrong password, key=value", keywords(wrong, port, db_->name()), false},
      {"nobody listening", uri(password, "127.0.0.1:1", db_->name(), min), false},
      {"no such database", uri(password, host_port, "sg_no_such_db", min), false},
      {"unencoded '@' and '/'", uri(password, host_port, db_->name(), "%"), false},
      {"a bad percent escape", uri(password + "%zz", host_port, db_->name(), "@/"), false},
      {"an unterminated quote", "host=127.0.0.1 password='Zq9q" + password, false},
  };
  std::string all;  // every output of every process and RPC
  const std::string cli = Variant("engine_v1", "schemagate");
  const std::string srv = Variant("engine_v1", "schemagate-server");
  for (size_t i = 0; i < urls.size(); ++i) {
    const Url& u = urls[i];
    SCOPED_TRACE(u.what);
    for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
             {"migrate"},
             {"status", "--json"},
             {"plan"},
             {"verify"},
             {"rollback", "--cluster", "feat", "--to", "0", "--dry-run"},
             {"repair", "--dry-run"},
             {"migrate", "--log-format=json", "--log-level=debug"}}) {
      std::vector<std::string> argv = {cli};
      argv.insert(argv.end(), cmd.begin(), cmd.end());
      argv.push_back("--connect-timeout=1s");
      ProcessResult r = RunProcess(argv, "", {"DATABASE_URL=" + u.url});
      EXPECT_EQ(r.exit_code == 0, u.reachable) << cmd[0] << ": " << r.err;
      all += r.out + r.err;
    }
    {
      const char* format = i % 2 == 0 ? "text" : "json";
      Server server(srv, u.url,
                    {"--admin-token-file=" + token_file_, "--log-level=debug",
                     std::string("--log-format=") + format, "--connect-timeout=1s"});
      if (!server.ok()) {  // refused at start (an unparseable URL)
        ProcessResult r = server.Stop();
        EXPECT_EQ(r.exit_code, 2) << r.err;
        all += r.out + r.err;
        continue;
      }
      auto c = Connect(server.target(), kToken);
      std::vector<absl::Status> results = {
          c->GetMigrationStatus().status(),
          c->ApplyMigrations(v1::ApplyMigrationsRequest(), nullptr, absl::Minutes(1)).status(),
      };
      if (u.reachable) {
        results.push_back(c->PlanMigrations(true).status());
        results.push_back(c->VerifySchema(false).status());
        results.push_back(c->RepairChecksums(v1::RepairChecksumsRequest()).status());
      }
      for (const absl::Status& st : results) {
        EXPECT_EQ(st.ok(), u.reachable) << st;
        all += absl::StrCat(st.message(), "\n");
      }
      // From memory: answered either way (the monitor's first read may still
      // be under way).
      EXPECT_TRUE(Eventually(
          [&] {
            auto clusters = c->ListClusters();
            return clusters.ok() && clusters->database_reachable() == u.reachable;
          },
          absl::Seconds(10)));
      for (const std::vector<std::string>& cmd :
           std::vector<std::vector<std::string>>{{"status"}, {"clusters", "--json"}}) {
        std::vector<std::string> argv = {Bin("schemactl"), cmd[0], "--target", server.target()};
        argv.insert(argv.end(), cmd.begin() + 1, cmd.end());
        ProcessResult r = RunProcess(argv);
        all += r.out + r.err;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(600));  // a monitor retry
      ProcessResult r = server.Stop();
      all += r.out + r.err;
    }
  }
  EXPECT_THAT(all, HasSubstr("password authentication failed"));
  EXPECT_THAT(all, HasSubstr("percent-encode"));
  size_t at = all.find("Zq9");
  EXPECT_EQ(at, std::string::npos)
      << "a piece of the password appears: ..."
      << all.substr(at == std::string::npos ? 0 : (at > 80 ? at - 80 : 0), 160) << "...";
  ASSERT_TRUE(db_->Query(absl::StrCat("ALTER DATABASE ", db_->name(),
                                      " OWNER TO postgres; REASSIGN OWNED BY ", role,
                                      " TO postgres; DROP OWNED BY ", role))
                  .ok());
  auto admin = test::ServerUrl();
  ASSERT_TRUE(admin.ok());
  EXPECT_TRUE(test::RunPsql(*admin, absl::StrCat("DROP ROLE ", role, ";\n")).ok());
}

}  // namespace
}  // namespace schemagate
