#include "server/migrate/dev_database.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/sql/parser.h"

extern "C" {
#include <libpq-fe.h>
}

namespace schemagate::migrate {

namespace fs = std::filesystem;

// A private PostgreSQL server in a temporary folder.
class ScratchServer {
 public:
  static absl::StatusOr<std::unique_ptr<ScratchServer>> Start();
  ~ScratchServer() {
    if (started_)
      (void)Run({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"},
                dir_ + "/stop.log");
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::string url() const {
    return absl::StrCat("host=", dir_, " port=5432 user=postgres dbname=postgres");
  }
  std::string describe() const { return absl::StrCat("a scratch server from ", bin_); }

 private:
  // Runs a command (as the postgres user when we are root), output to
  // `log`. OK when it exits 0.
  absl::Status Run(const std::vector<std::string>& argv, const std::string& log) const {
    pid_t pid = fork();
    if (pid < 0) return absl::UnavailableError("fork failed");
    if (pid == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      if (run_as_ != static_cast<uid_t>(-1)) {
        if (setgid(run_gid_) != 0 || setuid(run_as_) != 0) _exit(126);
      }
      setenv("LC_ALL", "C", 1);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
    std::string tail;
    if (FILE* f = fopen(log.c_str(), "r")) {
      char buf[4096];
      size_t n = fread(buf, 1, sizeof(buf) - 1, f);
      buf[n] = 0;
      tail = buf;
      fclose(f);
    }
    return absl::UnavailableError(
        absl::StrCat(fs::path(argv[0]).filename().string(), " failed: ", tail));
  }

  std::string bin_;
  std::string dir_;
  uid_t run_as_ = static_cast<uid_t>(-1);
  gid_t run_gid_ = static_cast<gid_t>(-1);
  bool started_ = false;
};

namespace {

// The newest PostgreSQL server binaries on this machine.
std::string FindServerBinaries() {
  auto usable = [](const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "initdb", ec) && fs::exists(dir / "pg_ctl", ec) &&
           fs::exists(dir / "postgres", ec);
  };
  if (const char* env = std::getenv("SCHEMAGATE_PG_BINDIR"); env != nullptr && *env) {
    return usable(env) ? env : "";
  }
  std::error_code ec;
  int best = -1;
  std::string found;
  for (const fs::directory_entry& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &version)) continue;
    if (version > best && usable(e.path() / "bin")) {
      best = version;
      found = (e.path() / "bin").string();
    }
  }
  if (!found.empty()) return found;
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':')) {
      if (!dir.empty() && usable(fs::path(std::string(dir)))) return std::string(dir);
    }
  }
  return "";
}

// `url` with its database replaced by `database` (keyword form).
absl::StatusOr<std::string> WithDatabase(const std::string& url, const std::string& database) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "invalid connection string";
    if (error != nullptr) PQfreemem(error);
    return absl::InvalidArgumentError(absl::StrCat("dev database URL: ", message));
  }
  std::string out;
  auto quote = [](const std::string& v) {
    std::string q = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') q += '\\';
      q += c;
    }
    return q + "'";
  };
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string(o->keyword) == "dbname") continue;
    if (o->val == nullptr || *o->val == 0) continue;
    absl::StrAppend(&out, o->keyword, "=", quote(o->val), " ");
  }
  PQconninfoFree(options);
  absl::StrAppend(&out, "dbname=", quote(database));
  return out;
}

absl::StatusOr<std::unique_ptr<Connection>> Connect(const std::string& url) {
  ConnectOptions options;
  options.url = url;
  options.timeout = absl::Seconds(10);
  options.application_name = "schemagate-gen";
  return Connection::Open(options);
}

// "LINE:COL: message" for a failed statement starting at `offset`.
absl::Status AtStatement(absl::string_view sql, size_t offset, const absl::Status& s) {
  sql::LineCol lc = sql::PositionOf(sql, sql::SkipSpaceAndComments(sql, offset));
  return absl::InvalidArgumentError(absl::StrCat(lc.line, ":", lc.column, ": ", s.message()));
}

std::vector<std::string> Split(const std::string& list) {
  if (list.empty()) return {};
  return absl::StrSplit(list, '\x1f');
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScratchServer>> ScratchServer::Start() {
  std::unique_ptr<ScratchServer> s(new ScratchServer());
  s->bin_ = FindServerBinaries();
  if (s->bin_.empty()) {
    return absl::NotFoundError(
        "no PostgreSQL server binaries found (initdb, pg_ctl, postgres in "
        "$SCHEMAGATE_PG_BINDIR, /usr/lib/postgresql/*/bin or PATH); install "
        "postgresql-15, or give the dev database as a URL");
  }
  char tmpl[] = "/tmp/schemagate-devdb-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::UnavailableError("cannot create a temporary folder");
  s->dir_ = tmpl;
  if (geteuid() == 0) {
    struct passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, and there is no postgres user to run the scratch PostgreSQL "
          "(it refuses to run as root)");
    }
    s->run_as_ = pw->pw_uid;
    s->run_gid_ = pw->pw_gid;
    if (chown(s->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::UnavailableError("cannot hand the temporary folder to the postgres user");
    }
  }
  if (absl::Status st = s->Run({s->bin_ + "/initdb", "-D", s->dir_ + "/data", "-U", "postgres",
                                "-A", "trust", "-E", "UTF8", "--locale=C", "-N"},
                               s->dir_ + "/initdb.log");
      !st.ok()) {
    return st;
  }
  std::string options =
      absl::StrCat("-c listen_addresses= -k ", s->dir_,
                   " -p 5432 -c fsync=off -c full_page_writes=off -c synchronous_commit=off "
                   "-c max_connections=10 -c shared_buffers=16MB");
  if (absl::Status st = s->Run({s->bin_ + "/pg_ctl", "-D", s->dir_ + "/data", "-l",
                                s->dir_ + "/server.log", "-w", "-t", "60", "-o", options, "start"},
                               s->dir_ + "/pg_ctl.log");
      !st.ok()) {
    return st;
  }
  s->started_ = true;
  return s;
}

absl::StatusOr<std::unique_ptr<DevDatabase>> DevDatabase::Open(const std::string& spec) {
  std::unique_ptr<DevDatabase> db(new DevDatabase());
  if (spec == "auto") {
    absl::StatusOr<std::unique_ptr<ScratchServer>> server = ScratchServer::Start();
    if (!server.ok()) return server.status();
    db->server_ = *std::move(server);
    db->admin_url_ = db->server_->url();
    db->description_ = db->server_->describe();
  } else {
    db->admin_url_ = spec;
    absl::StatusOr<std::unique_ptr<Connection>> probe = Connect(spec);
    if (!probe.ok()) return probe.status();
    db->description_ = absl::StrCat("a scratch database on ", (*probe)->description());
  }
  return db;
}

DevDatabase::~DevDatabase() { (void)Drop(); }

absl::Status DevDatabase::Drop() {
  conn_.reset();
  if (database_.empty()) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<Connection>> admin = Connect(admin_url_);
  if (!admin.ok()) return admin.status();
  absl::Status s = (*admin)->Execute(
      absl::StrCat("DROP DATABASE IF EXISTS ", QuoteIdent(database_), " WITH (FORCE)"));
  database_.clear();
  return s;
}

absl::Status DevDatabase::Reset() {
  if (absl::Status s = Drop(); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<Connection>> admin = Connect(admin_url_);
  if (!admin.ok()) return admin.status();
  std::string name = absl::StrCat("schemagate_dev_", getpid(), "_", ++generation_);
  if (absl::Status s = (*admin)->Execute(
          absl::StrCat("CREATE DATABASE ", QuoteIdent(name), " TEMPLATE template0"));
      !s.ok()) {
    return s;
  }
  database_ = name;
  absl::StatusOr<std::string> url = WithDatabase(admin_url_, name);
  if (!url.ok()) return url.status();
  url_ = *url;
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connect(url_);
  if (!conn.ok()) return conn.status();
  conn_ = *std::move(conn);
  return absl::OkStatus();
}

absl::Status DevDatabase::Apply(absl::string_view sql_text, bool no_transaction) {
  if (conn_ == nullptr) return absl::FailedPreconditionError("dev database not reset");
  absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(sql_text);
  if (!ranges.ok()) return ranges.status();
  if (!no_transaction) {
    if (absl::Status s = conn_->Begin(); !s.ok()) return s;
  }
  for (const sql::StatementRange& r : *ranges) {
    absl::Status s = conn_->Execute(sql_text.substr(r.offset, r.length));
    if (!s.ok()) {
      (void)conn_->Rollback();
      if (s.code() == absl::StatusCode::kUnavailable) return s;
      return AtStatement(sql_text, r.offset, s);
    }
  }
  if (!no_transaction) return conn_->Commit();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<generator::LiveTable>> DevDatabase::Tables() {
  if (conn_ == nullptr) return absl::FailedPreconditionError("dev database not reset");
  return IntrospectTables(conn_.get());
}

std::string DevDatabase::Describe() const { return description_; }

absl::StatusOr<std::vector<generator::LiveTable>> IntrospectTables(Connection* conn) {
  constexpr char kUser[] =
      "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE "
      "'pg\\_%' AND c.relkind IN ('r', 'p')";
  auto name_of = [](const std::string& oid) {
    return absl::StrCat(
        "(SELECT CASE WHEN rn.nspname = 'public' THEN rc.relname ELSE rn.nspname || '.' || "
        "rc.relname END FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace "
        "WHERE rc.oid = ",
        oid, ")");
  };
  auto cols_of = [](const std::string& keys, const std::string& rel) {
    return absl::StrCat(
        "(SELECT string_agg(COALESCE(a.attname, '(expression)'), E'\\x1f' ORDER BY k.ord) "
        "FROM unnest(",
        keys, ") WITH ORDINALITY k(attnum, ord) LEFT JOIN pg_attribute a ON a.attrelid = ", rel,
        " AND a.attnum = k.attnum)");
  };
  absl::StatusOr<Rows> cols = conn->Query(absl::StrCat(
      "SELECT c.oid, ", name_of("c.oid"),
      ", a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN "
      "pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped WHERE ",
      kUser, " ORDER BY c.oid, a.attnum"));
  if (!cols.ok()) return cols.status();
  std::map<uint32_t, generator::LiveTable> tables;
  std::vector<uint32_t> order;
  for (size_t i = 0; i < cols->rows.size(); ++i) {
    uint32_t oid = 0;
    (void)absl::SimpleAtoi(cols->Text(i, 0), &oid);
    auto [it, inserted] = tables.try_emplace(oid);
    if (inserted) {
      it->second.oid = oid;
      it->second.table.set_name(cols->Text(i, 1));
      order.push_back(oid);
    }
    if (!cols->rows[i][2].has_value()) continue;
    int32_t attnum = 0;
    (void)absl::SimpleAtoi(cols->Text(i, 2), &attnum);
    v1::Column* c = it->second.table.add_columns();
    c->set_name(cols->Text(i, 3));
    c->set_type(cols->Text(i, 4));
    c->set_nullable(cols->Text(i, 5) == "t");
    it->second.attnums.push_back(attnum);
  }
  absl::StatusOr<Rows> keys = conn->Query(absl::StrCat(
      "SELECT con.oid, con.conrelid, con.contype, con.conname, ",
      cols_of("con.conkey", "con.conrelid"), ", ", name_of("con.confrelid"), ", ",
      cols_of("con.confkey", "con.confrelid"),
      ", con.confdeltype, con.confupdtype FROM pg_constraint con JOIN pg_class c ON c.oid = "
      "con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE con.contype IN "
      "('p', 'f') AND ",
      kUser, " ORDER BY con.oid"));
  if (!keys.ok()) return keys.status();
  for (size_t i = 0; i < keys->rows.size(); ++i) {
    uint32_t oid = 0, rel = 0;
    (void)absl::SimpleAtoi(keys->Text(i, 0), &oid);
    (void)absl::SimpleAtoi(keys->Text(i, 1), &rel);
    auto it = tables.find(rel);
    if (it == tables.end()) continue;
    v1::Table& t = it->second.table;
    if (keys->Text(i, 2) == "p") {
      for (const std::string& c : Split(keys->Text(i, 4))) t.add_primary_key(c);
      continue;
    }
    v1::ForeignKey* fk = t.add_foreign_keys();
    fk->set_name(keys->Text(i, 3));
    for (const std::string& c : Split(keys->Text(i, 4))) fk->add_columns(c);
    fk->set_references_table(keys->Text(i, 5));
    for (const std::string& c : Split(keys->Text(i, 6))) fk->add_references_columns(c);
    fk->set_on_delete(keys->Text(i, 7));
    fk->set_on_update(keys->Text(i, 8));
    it->second.fk_oids.push_back(oid);
  }
  absl::StatusOr<Rows> indexes = conn->Query(absl::StrCat(
      "SELECT i.indexrelid, i.indrelid, ic.relname, ", cols_of("i.indkey::int2[]", "i.indrelid"),
      ", i.indisunique, i.indisprimary, EXISTS (SELECT 1 FROM pg_constraint x WHERE "
      "x.conindid = i.indexrelid AND x.conrelid = i.indrelid AND x.contype IN ('p', 'u', "
      "'x')) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON "
      "c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ",
      kUser, " ORDER BY i.indexrelid"));
  if (!indexes.ok()) return indexes.status();
  for (size_t i = 0; i < indexes->rows.size(); ++i) {
    uint32_t oid = 0, rel = 0;
    (void)absl::SimpleAtoi(indexes->Text(i, 0), &oid);
    (void)absl::SimpleAtoi(indexes->Text(i, 1), &rel);
    auto it = tables.find(rel);
    if (it == tables.end()) continue;
    v1::Index* ix = it->second.table.add_indexes();
    ix->set_name(indexes->Text(i, 2));
    for (const std::string& c : Split(indexes->Text(i, 3))) ix->add_columns(c);
    ix->set_unique(indexes->Text(i, 4) == "t");
    ix->set_primary(indexes->Text(i, 5) == "t");
    ix->set_constraint(indexes->Text(i, 6) == "t");
    it->second.index_oids.push_back(oid);
  }
  std::vector<generator::LiveTable> out;
  for (uint32_t oid : order) out.push_back(std::move(tables[oid]));
  return out;
}

}  // namespace schemagate::migrate
