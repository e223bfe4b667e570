// The client library without a server: which targets count as this machine,
// and that an admin call never sends the token in plaintext over the
// network unless told to.
#include "client/schemagate_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schemagate::client {
namespace {

using ::testing::HasSubstr;

TEST(ClientTest, LoopbackTargets) {
  struct Case {
    const char* target;
    bool loopback;
  };
  const Case cases[] = {
      {"localhost:50051", true},
      {"LocalHost:1", true},
      {"127.0.0.1:50051", true},
      {"127.1.2.3:9", true},
      {"[::1]:50051", true},
      {"::1", true},
      {"dns:///localhost:50051", true},
      {"dns://8.8.8.8/127.0.0.1:5", true},
      {"ipv4:127.0.0.1:50051", true},
      {"ipv6:[::1]:50051", true},
      {"unix:/run/sg.sock", true},
      {"unix-abstract:sg", true},
      {"schemagate:50051", false},
      {"schemagate.platform.svc:50051", false},
      {"10.0.0.7:50051", false},
      {"[2001:db8::1]:50051", false},
      {"dns:///schemagate:50051", false},
      {"ipv4:10.1.1.1:50051", false},
      {"localhost.example.com:1", false},
      {"128.0.0.1:1", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsLoopbackTarget(c.target), c.loopback) << c.target;
  }
}

// Admin calls with a token over a plaintext channel to another machine are
// refused before anything is sent (nothing listens on these addresses: a
// call that went out would end UNAVAILABLE or DEADLINE_EXCEEDED instead).
TEST(ClientTest, TokenIsNeverSentInPlaintextOverTheNetwork) {
  struct Case {
    const char* what;
    std::string target;
    bool tls;
    bool insecure;
    bool refused;
  };
  const std::vector<Case> cases = {
      {"plaintext, another host", "192.0.2.1:50052", false, false, true},
      {"plaintext, a service name", "schemagate.invalid:50052", false, false, true},
      {"plaintext, --insecure", "192.0.2.1:50052", false, true, false},
      {"TLS, another host", "192.0.2.1:50052", true, false, false},
      {"plaintext, loopback", "127.0.0.1:1", false, false, false},
  };
  for (const Case& c : cases) {
    ClientOptions o;
    o.target = c.target;
    o.tls = c.tls;
    o.insecure = c.insecure;
    o.token = "client-test-token-2b7f";
    o.timeout = absl::Milliseconds(300);
    auto client = Client::Connect(o);
    ASSERT_TRUE(client.ok()) << c.what;
    std::vector<absl::Status> results = {
        (*client)->ApplyMigrations({}, nullptr, absl::Milliseconds(300)).status(),
        (*client)->RollbackCluster({}, absl::Milliseconds(300)).status(),
        (*client)->RepairChecksums({}).status(),
    };
    for (const absl::Status& s : results) {
      if (c.refused) {
        EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.what << ": " << s;
        EXPECT_THAT(std::string(s.message()), HasSubstr("refusing to send the admin token"))
            << c.what;
      } else {
        EXPECT_NE(s.code(), absl::StatusCode::kInvalidArgument) << c.what << ": " << s;
        EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("refusing")));
      }
    }
    // Calls that carry no token are not affected.
    EXPECT_NE((*client)->GetMigrationStatus().status().code(), absl::StatusCode::kInvalidArgument)
        << c.what;
  }
}

}  // namespace
}  // namespace schemagate::client
