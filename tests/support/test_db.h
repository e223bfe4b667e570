// A fresh PostgreSQL database per test, on the server the CTest fixture
// `pg` started (scripts/pg.sh). The fixture's URL file is named by the
// environment variable SCHEMAGATE_TEST_PG_URL_FILE.
//
//   auto db = TestDatabase::Create("catalog_test");   // CREATE DATABASE
//   ASSERT_TRUE(db.ok()) << db.status();
//   RunPsql((*db)->url(), "CREATE TABLE t (a int)");
//   // dropped (WITH (FORCE)) when *db is destroyed
#ifndef SCHEMAGATE_TESTS_SUPPORT_TEST_DB_H_
#define SCHEMAGATE_TESTS_SUPPORT_TEST_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace schemagate::test {

// The fixture server's URL (to its "postgres" database).
absl::StatusOr<std::string> ServerUrl();

// `url` with its database name replaced by `database`.
std::string WithDatabase(const std::string& url, const std::string& database);

// `url` (postgresql://user[:password]@host...) with `user` and `password`
// in place of its credentials.
std::string WithUser(const std::string& url, const std::string& user, const std::string& password);

class TestDatabase {
 public:
  // Creates a database named sg_<hint>_<pid>_<n>.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(const std::string& hint);
  ~TestDatabase();

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // Runs SQL (simple query protocol) and returns rows as tab-separated
  // lines, like psql -At. Errors carry PostgreSQL's message.
  absl::StatusOr<std::vector<std::string>> Query(const std::string& sql) const;

  // How many other sessions of this database are running a statement whose
  // text contains `fragment` (pg_stat_activity, state 'active'); -1 when
  // the query fails.
  int ActiveQueries(const std::string& fragment) const;

  // Sessions of this database holding the session advisory lock `key`
  // (pg_locks); -1 when the query fails.
  int AdvisoryLockHolders(int64_t key) const;

  // The schema outside the history schema ("schemagate"), one sorted line
  // per object, read from pg_catalog: columns (type, NOT NULL, default),
  // constraints, indexes (with validity), functions, triggers, views,
  // sequences and enum types. Two databases with equal Schema() have the
  // same structure.
  absl::StatusOr<std::vector<std::string>> Schema() const;

 private:
  TestDatabase(std::string server_url, std::string name);
  std::string server_url_;
  std::string name_;
  std::string url_;
};

// Another session holding a migrator's lock: `psql` takes the session
// advisory lock `key` on `db` and keeps it until the holder is destroyed
// (its backend is then terminated, which releases the lock at once).
class LockHolder {
 public:
  LockHolder(const TestDatabase& db, int64_t key);
  ~LockHolder();
  // True once the lock is held.
  bool ok() const { return ok_; }

 private:
  const TestDatabase& db_;
  int64_t key_;
  std::unique_ptr<Child> psql_;
  bool ok_ = false;
};

// Runs `psql -X -q -v ON_ERROR_STOP=1 -At` with `script` on stdin.
absl::StatusOr<std::string> RunPsql(const std::string& url, const std::string& script);

// TestDatabase::Query and TestDatabase::Schema for any database URL (a
// database on another server, such as the HA fixture's cluster).
absl::StatusOr<std::vector<std::string>> QueryRows(const std::string& url, const std::string& sql);
absl::StatusOr<std::vector<std::string>> SchemaOf(const std::string& url);

}  // namespace schemagate::test

#endif  // SCHEMAGATE_TESTS_SUPPORT_TEST_DB_H_
