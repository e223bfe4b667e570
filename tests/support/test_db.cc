#include "tests/support/test_db.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/subprocess.h"

namespace schemagate::test {

absl::StatusOr<std::string> ServerUrl() {
  const char* file = std::getenv("SCHEMAGATE_TEST_PG_URL_FILE");
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        "SCHEMAGATE_TEST_PG_URL_FILE is not set: run this test through ctest "
        "(the pg fixture starts PostgreSQL)");
  }
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the fixture URL from ", file));
  }
  return url;
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  size_t slash = url.rfind('/');
  size_t query = url.find('?', slash);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return url.substr(0, slash + 1) + database + rest;
}

std::string WithUser(const std::string& url, const std::string& user, const std::string& password) {
  size_t start = url.find("://") + 3;
  size_t at = url.find('@', start);
  return url.substr(0, start) + user + ":" + password + url.substr(at);
}

absl::StatusOr<std::vector<std::string>> TestDatabase::Schema() const { return SchemaOf(url_); }

absl::StatusOr<std::vector<std::string>> SchemaOf(const std::string& url) {
  constexpr char kUser[] =
      "n.nspname NOT IN ('pg_catalog', 'information_schema', 'schemagate') "
      "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";
  return QueryRows(
      url, absl::StrCat("SELECT 'col ' || c.oid::regclass || '.' || a.attname || ' ' || "
                        "format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN "
                        "' not null' ELSE '' END || COALESCE(' default ' || "
                        "pg_get_expr(d.adbin, d.adrelid), '') FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
                        "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
                        "WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT "
                        "a.attisdropped AND ",
                        kUser,
                        " UNION ALL SELECT 'con ' || con.conrelid::regclass || ' ' || "
                        "con.conname || ' ' || pg_get_constraintdef(con.oid) FROM pg_constraint "
                        "con JOIN pg_namespace n ON n.oid = con.connamespace WHERE ",
                        kUser,
                        " UNION ALL SELECT 'idx ' || pg_get_indexdef(i.indexrelid) || CASE WHEN "
                        "i.indisvalid THEN '' ELSE ' INVALID' END FROM pg_index i JOIN pg_class "
                        "c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE ",
                        kUser,
                        " UNION ALL SELECT 'fn ' || p.oid::regprocedure || ' ' || md5(p.prosrc) "
                        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ",
                        kUser,
                        " UNION ALL SELECT 'trg ' || t.tgrelid::regclass || ' ' || "
                        "pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = "
                        "t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT "
                        "t.tgisinternal AND ",
                        kUser,
                        " UNION ALL SELECT 'view ' || c.oid::regclass || ' ' || "
                        "md5(pg_get_viewdef(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid "
                        "= c.relnamespace WHERE c.relkind IN ('v', 'm') AND ",
                        kUser,
                        " UNION ALL SELECT 'seq ' || c.oid::regclass FROM pg_class c JOIN "
                        "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND ",
                        kUser,
                        " UNION ALL SELECT 'enum ' || t.typname || ' ' || (SELECT "
                        "string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e "
                        "WHERE e.enumtypid = t.oid) FROM pg_type t JOIN pg_namespace n ON n.oid "
                        "= t.typnamespace WHERE t.typtype = 'e' AND ",
                        kUser, " ORDER BY 1"));
}

absl::StatusOr<std::string> RunPsql(const std::string& url, const std::string& script) {
  ProcessResult r = RunProcess(
      {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-d", url, "-f", "-"},
      script);
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("psql failed (exit ", r.exit_code, "): ", r.err));
  }
  return r.out;
}

TestDatabase::TestDatabase(std::string server_url, std::string name)
    : server_url_(std::move(server_url)),
      name_(std::move(name)),
      url_(WithDatabase(server_url_, name_)) {}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(const std::string& hint) {
  static std::atomic<int> counter{0};
  absl::StatusOr<std::string> server = ServerUrl();
  if (!server.ok()) return server.status();
  std::string name =
      absl::AsciiStrToLower(absl::StrCat("sg_", hint.substr(0, 40), "_", getpid(), "_", counter++));
  absl::StatusOr<std::string> out =
      RunPsql(*server, absl::StrCat("DROP DATABASE IF EXISTS ", name,
                                    " WITH (FORCE);\nCREATE DATABASE ", name, ";\n"));
  if (!out.ok()) return out.status();
  return std::unique_ptr<TestDatabase>(new TestDatabase(*server, name));
}

TestDatabase::~TestDatabase() {
  (void)RunPsql(server_url_, absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE);"));
}

absl::StatusOr<std::vector<std::string>> TestDatabase::Query(const std::string& sql) const {
  return QueryRows(url_, sql);
}

absl::StatusOr<std::vector<std::string>> QueryRows(const std::string& url, const std::string& sql) {
  absl::StatusOr<std::string> out = RunPsql(url, sql);
  if (!out.ok()) return out.status();
  std::vector<std::string> rows;
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
    rows.emplace_back(line);
  }
  return rows;
}

int TestDatabase::ActiveQueries(const std::string& fragment) const {
  std::string pattern;
  for (char c : fragment) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c == '\'' ? std::string("''") : std::string(1, c);
  }
  absl::StatusOr<std::vector<std::string>> rows =
      Query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%" + pattern +
            "%' AND state = 'active' AND datname = current_database() "
            "AND pid <> pg_backend_pid()");
  if (!rows.ok() || rows->size() != 1) return -1;
  return std::stoi((*rows)[0]);
}

int TestDatabase::AdvisoryLockHolders(int64_t key) const {
  absl::StatusOr<std::vector<std::string>> rows = Query(absl::StrCat(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
      "objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ",
      key, " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"));
  if (!rows.ok() || rows->size() != 1) return -1;
  return std::stoi((*rows)[0]);
}

LockHolder::LockHolder(const TestDatabase& db, int64_t key) : db_(db), key_(key) {
  psql_ = std::make_unique<Child>(
      std::vector<std::string>{"psql", "-X", "-q", "-d", db.url(), "-c",
                               absl::StrCat("SELECT pg_advisory_lock(", key, "), pg_sleep(3600)")});
  for (int i = 0; i < 200 && !ok_; ++i) {
    ok_ = db_.AdvisoryLockHolders(key_) == 1;
    if (!ok_) usleep(50 * 1000);
  }
}

LockHolder::~LockHolder() {
  (void)db_.Query(absl::StrCat(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
      "AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ",
      key_, " AND pid IN (SELECT pid FROM pg_stat_activity WHERE application_name = 'psql')",
      // pg_locks lists every database's locks: only this test's own holder
      // (a test running in parallel may hold the same key in its database).
      " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"));
  psql_->Kill(SIGKILL);
  psql_->Wait();
}

}  // namespace schemagate::test
