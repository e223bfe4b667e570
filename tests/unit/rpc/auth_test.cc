#include "server/rpc/auth.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#include "gtest/gtest.h"

namespace schemagate::rpc {
namespace {

class TokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sg_auth_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    file_ = dir_ + "/token";
    Write("first-token-0123456789\n");
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  void Write(const std::string& text) {
    std::remove(file_.c_str());
    std::ofstream(file_) << text;
  }

  std::string dir_, file_;
};

// A token file that is deleted, emptied or made unreadable revokes the
// token: the last one read is not accepted any more (fail closed), until a
// token is written again.
TEST_F(TokenVerifierTest, RevokedTokenFileFailsClosed) {
  TokenVerifier auth(file_, /*insecure=*/false);
  ASSERT_TRUE(auth.Init().ok());
  ASSERT_TRUE(auth.Check("Bearer first-token-0123456789").ok());
  struct Case {
    const char* what;
    std::function<void()> revoke;
  };
  const std::vector<Case> cases = {
      {"deleted", [&] { std::remove(file_.c_str()); }},
      {"emptied", [&] { std::ofstream(file_, std::ios::trunc).close(); }},
      {"white space only", [&] { Write(" \n\t\n"); }},
      {"replaced by a directory",
       [&] {
         std::remove(file_.c_str());
         mkdir(file_.c_str(), 0700);
       }},
      {"a dangling symlink",
       [&] {
         std::remove(file_.c_str());
         symlink((dir_ + "/nowhere").c_str(), file_.c_str());
       }},
  };
  for (const Case& c : cases) {
    Write("first-token-0123456789\n");
    ASSERT_TRUE(auth.Check("Bearer first-token-0123456789").ok()) << c.what;
    c.revoke();
    absl::Status s = auth.Check("Bearer first-token-0123456789");
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << c.what << ": " << s;
    EXPECT_EQ(auth.Check("Bearer ").code(), absl::StatusCode::kUnauthenticated) << c.what;
    // Still refused on the next call (nothing cached).
    EXPECT_EQ(auth.Check("Bearer first-token-0123456789").code(),
              absl::StatusCode::kPermissionDenied)
        << c.what;
    rmdir(file_.c_str());
    std::remove(file_.c_str());
  }
  // Restored with another token: that one works, the old one does not.
  Write("second-token-9876543210\n");
  EXPECT_TRUE(auth.Check("Bearer second-token-9876543210").ok());
  EXPECT_EQ(auth.Check("Bearer first-token-0123456789").code(), absl::StatusCode::kUnauthenticated);
  if (geteuid() != 0) {  // root reads any file
    chmod(file_.c_str(), 0);
    EXPECT_EQ(auth.Check("Bearer second-token-9876543210").code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST_F(TokenVerifierTest, NoTokenFileRefusesUnlessInsecure) {
  TokenVerifier none("", false);
  EXPECT_EQ(none.Check("Bearer x").code(), absl::StatusCode::kPermissionDenied);
  TokenVerifier insecure("", true);
  EXPECT_TRUE(insecure.Check("").ok());
  TokenVerifier missing(dir_ + "/missing", false);
  EXPECT_EQ(missing.Init().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace schemagate::rpc
