// Running a migration's SQL: statement by statement (RunStatements), or a
// transactional migration with its history row as one script in one round
// trip (RunScript); the lock_timeout each migration runs under
// (SetLockTimeout); and where an error happened, as "<file>:<line>".
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/migrate/engine.h"
#include "server/migrate/internal/engine_common.h"
#include "server/sql/parser.h"

namespace schemagate::migrate {
namespace {

// The offset of the first character of a statement that is not white space
// or a comment line.
size_t SkipLeadingComments(absl::string_view sql, size_t offset, size_t end) {
  size_t i = offset;
  while (i < end) {
    if (absl::ascii_isspace(sql[i])) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      size_t nl = sql.find('\n', i);
      i = nl == absl::string_view::npos ? end : nl + 1;
    } else {
      break;
    }
  }
  return std::min(i, end);
}

// PostgreSQL's "LINE n:" context, if the message has one.
int MessageLine(absl::string_view message) {
  size_t at = message.find("\nLINE ");
  if (at == absl::string_view::npos) return 0;
  absl::string_view rest = message.substr(at + 6);
  int line = 0;
  return absl::SimpleAtoi(rest.substr(0, rest.find(':')), &line) ? line : 0;
}

// "<what> failed at <path>:<line>: <PostgreSQL's first line> (SQLSTATE x)",
// keeping the SQLSTATE as a payload.
absl::Status StatementFailed(const absl::Status& s, absl::string_view what, absl::string_view path,
                             int line) {
  const std::string state = SqlState(s);
  const std::string message =
      absl::StrCat(what, " failed at ", path, ":", line, ": ", internal::FirstLine(s.message()),
                   state.empty() ? "" : " (SQLSTATE " + state + ")");
  return errors::WithKind(
      state.empty() ? absl::Status(s.code(), message) : WithSqlState(s.code(), message, state),
      errors::ErrorKind::kMigrationFailed);
}

// A file that does not split into statements.
absl::Status Unsplittable(const absl::Status& split, absl::string_view what,
                          absl::string_view path) {
  return errors::WithKind(
      absl::InvalidArgumentError(absl::StrCat(what, ": ", path, ":", split.message())),
      errors::ErrorKind::kMigrationFailed);
}

}  // namespace

absl::Status Engine::SetLockTimeout(LockTimeoutScope scope) {
  if (options_.lock_timeout <= absl::ZeroDuration()) return absl::OkStatus();
  return conn_->Execute(absl::StrCat(scope == LockTimeoutScope::kTransaction ? "SET LOCAL" : "SET",
                                     " lock_timeout = '",
                                     internal::LockTimeoutSetting(options_.lock_timeout), "'"));
}

absl::Status Engine::RunStatements(const std::string& sql, const std::string& path,
                                   const std::string& what, const BeforeStatement& before) {
  absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(sql);
  if (!ranges.ok()) return Unsplittable(ranges.status(), what, path);
  for (size_t i = 0; i < ranges->size(); ++i) {
    const sql::StatementRange& range = (*ranges)[i];
    // Sent from its first real character, so PostgreSQL's "LINE n" counts
    // from the statement's first line.
    size_t start = SkipLeadingComments(sql, range.offset, range.offset + range.length);
    absl::string_view statement(sql.data() + start, range.offset + range.length - start);
    if (before) {
      if (absl::Status s = before(i, statement); !s.ok()) return s;
    }
    absl::Status s = conn_->Execute(statement);
    if (s.ok()) continue;
    if (s.code() == absl::StatusCode::kUnavailable) return s;
    // A read-only server (a standby, a fenced primary) is no failure of the
    // migration's SQL.
    if (PrimaryLost(s)) return LostPrimaryError(s, what);
    int line = sql::PositionOf(sql, start).line;
    if (int within = MessageLine(s.message()); within > 1) {
      line += within - 1;
    }
    return StatementFailed(s, what, path, line);
  }
  return absl::OkStatus();
}

absl::Status Engine::RunScript(History& history, const v1::Migration& m, bool durable,
                               const std::string& what) {
  const std::string& sql = m.up_sql();
  absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(sql);
  if (!ranges.ok()) return Unsplittable(ranges.status(), what, m.up_path());
  // BEGIN; the lock check and settings; the migration's statements; the
  // history row, its log entry and the notification; COMMIT: one round trip.
  std::string script = "BEGIN;\n";
  // One statement: the lock check and the transaction's settings.
  std::vector<std::string> settings;
  if (locked_) {
    // Fails (division by zero) unless this is the session that took the
    // lock (see BeginUnderLock).
    settings.push_back(
        absl::StrCat("1 / (COALESCE(pg_catalog.current_setting('schemagate.lock_token', true) = ",
                     QuoteLiteral(lock_token_), ", false))::int"));
  }
  if (options_.lock_timeout > absl::ZeroDuration()) {
    settings.push_back(absl::StrCat("pg_catalog.set_config('lock_timeout', '",
                                    internal::LockTimeoutSetting(options_.lock_timeout),
                                    "', true)"));
  }
  // All but the run's last migration commit without waiting for the WAL
  // flush: the last one's flush makes them durable (see ApplyOne).
  if (!durable) settings.push_back("pg_catalog.set_config('synchronous_commit', 'off', true)");
  size_t prefix = 1;
  const size_t check = locked_ ? 1 : SIZE_MAX;
  if (!settings.empty()) {
    absl::StrAppend(&script, "SELECT ", absl::StrJoin(settings, ", "), ";\n");
    ++prefix;
  }
  struct Placed {
    size_t in_script, in_file, length;
  };
  std::vector<Placed> placed;
  placed.reserve(ranges->size());
  script.reserve(script.size() + sql.size() + m.down_sql().size() + 1024);
  for (const sql::StatementRange& range : *ranges) {
    size_t start = SkipLeadingComments(sql, range.offset, range.offset + range.length);
    placed.push_back({script.size(), start, range.offset + range.length - start});
    script.append(sql, start, range.offset + range.length - start);
    // On a line of its own: the statement may end in a -- comment.
    script += "\n;\n";
  }
  absl::StrAppend(&script,
                  history.RecordAppliedSql(RowOf(m, /*duration_ms=*/-1),  // measured by the server
                                           internal::ApplyLogDetail(m, /*with_checksum=*/true),
                                           internal::AppliedNotification(m)),
                  ";\nCOMMIT");
  // The script's statements: BEGIN, the settings, up.sql's, the history
  // row, COMMIT.
  const size_t commit = prefix + placed.size() + 1;
  Connection::ScriptFailure failure;
  const absl::Time start = absl::Now();
  absl::Status s = conn_->ExecuteScript(script, &failure);
  if (!s.ok() && failure.connection_lost &&
      (failure.statement == SIZE_MAX || failure.statement >= commit)) {
    // The whole script was sent and no statement before its COMMIT is known
    // to have failed: committed or not, only the history can say (Resolve,
    // after reconnecting).
    in_doubt_.push_back({m.cluster(), m.version(), m.name(), absl::Now() - start});
  }
  if (s.ok() || s.code() == absl::StatusCode::kUnavailable) return s;
  if (locked_ && failure.statement == check && SqlState(s) == "22012") {
    lock_lost_ = true;
    return SessionSharedError();
  }
  // A read-only server (a standby, a fenced primary) is no failure of the
  // migration's SQL.
  if (PrimaryLost(s)) return LostPrimaryError(s, what);
  if (failure.statement < prefix || failure.statement - prefix >= placed.size()) {
    return s;  // BEGIN, a setting, the history row or COMMIT
  }
  // A statement of up.sql: its line, and the error's line within it.
  const Placed& p = placed[failure.statement - prefix];
  size_t at = p.in_file;
  if (failure.position >= 0 && static_cast<size_t>(failure.position) >= p.in_script &&
      static_cast<size_t>(failure.position) < p.in_script + p.length) {
    at += static_cast<size_t>(failure.position) - p.in_script;
  }
  return StatementFailed(s, what, m.up_path(), sql::PositionOf(sql, at).line);
}

}  // namespace schemagate::migrate
