// The shared base of tests that need a database of their own: a fresh
// database per test (named after the test), a private temporary directory,
// and an admin token file whose token the suite's logs must never show
// (tests only).
//
//   class MyTest : public test::DatabaseTest {
//     void SetUp() override {
//       DatabaseTest::SetUp();
//       if (HasFatalFailure()) return;
//       token_file_ = TokenFile("my-admin-token");
//     }
//   };
#ifndef SCHEMAGATE_TESTS_SUPPORT_DATABASE_TEST_H_
#define SCHEMAGATE_TESTS_SUPPORT_DATABASE_TEST_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate::test {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    dir_ = TempDir();
  }

  // test::TokenFile in dir_.
  std::string TokenFile(const std::string& token, const std::string& name = "token") const {
    return test::TokenFile(dir_, token, name);
  }

  std::unique_ptr<TestDatabase> db_;
  std::string dir_;  // this test's own directory (TempDir)
};

}  // namespace schemagate::test

#endif  // SCHEMAGATE_TESTS_SUPPORT_DATABASE_TEST_H_
