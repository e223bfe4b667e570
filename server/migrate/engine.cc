#include "server/migrate/engine.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/catalog/directives.h"
#include "server/catalog/features.h"
#include "server/migrate/objects.h"
#include "server/migrate/plan_locks.h"
#include "server/sql/parser.h"
#include "server/util/failpoint.h"

namespace schemagate::migrate {
namespace {

std::string Ref(const std::string& cluster, uint64_t version, const std::string& name) {
  return name.empty() ? absl::StrCat(cluster, "/", version)
                      : absl::StrCat(cluster, "/", version, " (", name, ")");
}

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

absl::string_view FirstLine(absl::string_view message) {
  return message.substr(0, message.find('\n'));
}

bool IsLockTimeout(const absl::Status& s) { return SqlState(s) == "55P03"; }

// Marks an error that means "the connection to the primary is gone" (a
// failover, a standby), so Apply reconnects instead of reporting it.
constexpr char kPrimaryLostPayload[] = "schemagate/primary-lost";

std::string LockTimeoutSetting(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(0, absl::ToInt64Milliseconds(d)), "ms");
}

// "<what> failed at <path>:<line>: <PostgreSQL's first line> (SQLSTATE x)",
// keeping the SQLSTATE as a payload.
absl::Status StatementFailed(const absl::Status& s, absl::string_view what, absl::string_view path,
                             int line) {
  std::string state = SqlState(s);
  absl::Status out(s.code(),
                   absl::StrCat(what, " failed at ", path, ":", line, ": ", FirstLine(s.message()),
                                state.empty() ? "" : " (SQLSTATE " + state + ")"));
  if (!state.empty()) out.SetPayload("schemagate/sqlstate", absl::Cord(state));
  return errors::WithKind(out, errors::ErrorKind::kMigrationFailed);
}

}  // namespace

std::string AppliedBy(absl::string_view actor) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return absl::StrCat(actor, "@", host);
}

namespace {

// Migrations may run for hours: a client-side call timeout meant for a
// server's quick reads (Connection::SetCallTimeout) is off while the engine
// changes the database, and restored after.
class CallTimeoutLifted {
 public:
  explicit CallTimeoutLifted(Connection* conn) : conn_(conn), saved_(conn->call_timeout()) {
    conn_->SetCallTimeout(absl::InfiniteDuration());
  }
  ~CallTimeoutLifted() { conn_->SetCallTimeout(saved_); }

 private:
  Connection* conn_;
  absl::Duration saved_;
};

}  // namespace

// Releases the session lock when an operation ends, however it ends.
class Engine::LockGuard {
 public:
  explicit LockGuard(Engine* engine) : engine_(engine) {}
  ~LockGuard() { engine_->ReleaseSessionLock(); }

 private:
  Engine* engine_;
};

Engine::Engine(const catalog::Catalog& catalog, Connection* conn, EngineOptions options)
    : catalog_(catalog), conn_(conn), options_(std::move(options)) {
  if (options_.applied_by.empty()) options_.applied_by = AppliedBy("schemagate");
}

void Engine::Emit(const Progress& p, Event e) const {
  if (!p && !options_.observer) return;
  if (e.ref.empty() && !e.cluster.empty()) {
    const v1::Migration* m = catalog_.FindMigration(e.cluster, e.version);
    e.ref = m != nullptr
                ? absl::StrCat(m->cluster(), "/", m->version_text(), "_", m->name())
                : absl::StrCat(e.cluster, "/", e.version, e.name.empty() ? "" : "_", e.name);
  }
  if (options_.observer) options_.observer(e);
  if (p) p(e);
}

absl::StatusOr<MigrationState> Engine::ReadState() {
  History history(conn_, options_.history);
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  if (!applied.ok()) return applied.status();
  MigrationState state = ComputeState(catalog_, *applied);
  absl::StatusOr<bool> exists = history.Exists();
  state.history_exists = exists.ok() && *exists;
  return state;
}

absl::StatusOr<bool> Engine::NothingToApply(History& history) {
  // One query when the history is exactly the build's migrations.
  absl::StatusOr<bool> same = history.MatchesAppliedDigest(catalog_.applied_digest());
  if (!same.ok()) return same.status();
  if (*same) return true;
  absl::StatusOr<MigrationState> state = ReadState();
  if (!state.ok()) return state.status();
  if (!state->history_exists || !state->up_to_date()) return false;
  absl::StatusOr<std::vector<InProgress>> in_progress = history.ReadInProgress();
  return in_progress.ok() && in_progress->empty();
}

absl::Status Engine::AcquireSessionLock(const Progress& progress, absl::Duration* waited,
                                        const StopRequested& stop) {
  const absl::Time start = absl::Now();
  absl::Status s = TryAcquireSessionLock(progress, waited, stop, start);
  // Every way out without the lock (timeout, stop, a database error) ends
  // the wait for observers.
  if (!s.ok()) return GiveUpWaiting(progress, start, s);
  return s;
}

absl::Status Engine::TryAcquireSessionLock(const Progress& progress, absl::Duration* waited,
                                           const StopRequested& stop, absl::Time start) {
  lock_contended_ = false;
  const absl::Time deadline = start + options_.lock_wait_timeout;
  const std::string key = absl::StrCat(options_.history.LockKey());
  absl::Duration delay = absl::Milliseconds(20);
  std::mt19937_64 rng(std::random_device{}());
  bool reported = false;
  // Failpoint "lock-sleep=<seconds>": the locking statement sleeps after
  // taking the lock (tests cancel it right then).
  const std::string sleep = failpoint::Value("lock-sleep");
  // PostgreSQL 14+: a statement whose client vanished (kill -9) is
  // cancelled within a second, so the session lock dies promptly.
  (void)conn_->Execute("SET client_connection_check_interval = 1000");
  while (true) {
    if (stop && stop()) return StoppedWaiting();
    // A non-blocking attempt: between attempts this session holds no
    // transaction and no snapshot.
    // One statement, so the token lands in the session that got the lock.
    // A session that already holds the lock is not ours (we never take it
    // twice): a pooling proxy handed us another client's server session.
    // Refuse rather than share it (advisory locks are re-entrant).
    const std::string token = absl::StrCat(absl::Hex(rng(), absl::kZeroPad16));
    std::vector<std::string> params = {key, token};
    if (!sleep.empty()) params.push_back(sleep);
    absl::StatusOr<Rows> r = conn_->Query(
        absl::StrCat("WITH held AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM "
                     "pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted AND "
                     "pid = pg_catalog.pg_backend_pid() AND objsubid = 1 AND "
                     "((classid::bigint << 32) | objid::bigint) = $1::bigint) AS h) "
                     "SELECT h, CASE WHEN NOT h AND pg_catalog.pg_try_advisory_lock($1::bigint) "
                     "THEN pg_catalog.set_config('schemagate.lock_token', $2, false) END",
                     sleep.empty() ? "" : ", pg_catalog.pg_sleep($3::float8)", " FROM held"),
        params);
    if (!r.ok()) {
      // The statement may have failed after pg_try_advisory_lock took the
      // lock (a cancel, a statement_timeout): a session lock survives the
      // statement's failure, and nothing tells whether it was taken. Close
      // the session, so no lock can outlive this call in a pooled
      // connection.
      conn_->Close();
      return r.status();
    }
    if (r->Text(0, 0) == "t") return SessionSharedError();
    if (r->Text(0, 1) == token) {
      locked_ = true;
      lock_token_ = token;
      *waited = absl::Now() - start;
      Emit(progress, {Event::kLockAcquired, "", 0, "", *waited, ""});
      return absl::OkStatus();
    }
    absl::Time now = absl::Now();
    lock_contended_ = true;
    if (!reported) {
      reported = true;
      Emit(progress, {Event::kLockWaiting, "", 0, "", now - start,
                      "another migrator holds the lock; waiting"});
    }
    if (now >= deadline) return LockWaitTimeout();
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    if (!Pause(std::min(delay * jitter(rng), deadline - now), stop)) return StoppedWaiting();
    // At most 200 ms between attempts: a waiter notices promptly that the
    // holder finished (an attempt is one cheap statement).
    delay = std::min(delay * 2, absl::Milliseconds(200));
  }
}

absl::Status Engine::LockWaitTimeout() const {
  return errors::WithKind(absl::DeadlineExceededError(absl::StrCat(
                              "another migrator held the migration lock for longer than "
                              "--lock-wait-timeout=",
                              absl::FormatDuration(options_.lock_wait_timeout),
                              "; nothing was applied by this process")),
                          errors::ErrorKind::kLockWait);
}

absl::Status Engine::GiveUpWaiting(const Progress& progress, absl::Time start,
                                   absl::Status why) const {
  const char* reason = errors::KindOf(why) == errors::ErrorKind::kLockWait ? "timeout"
                       : why.code() == absl::StatusCode::kCancelled        ? "cancelled"
                                                                           : "error";
  Emit(progress, {Event::kLockGaveUp, "", 0, "", absl::Now() - start, reason});
  return why;
}

absl::Status Engine::StoppedWaiting() {
  return absl::CancelledError(
      "cancelled while waiting for the migration lock; nothing was applied by "
      "this call");
}

bool Engine::Pause(absl::Duration d, const StopRequested& stop) {
  const absl::Time until = absl::Now() + d;
  while (true) {
    if (stop && stop()) return false;
    absl::Duration left = until - absl::Now();
    if (left <= absl::ZeroDuration()) return true;
    absl::SleepFor(std::min(left, absl::Milliseconds(50)));
  }
}

void Engine::ReleaseSessionLock() {
  if (!locked_) return;
  locked_ = false;
  if (conn_->broken()) return;  // the lock died with the connection
  (void)conn_->Rollback();
  // Failpoint "unlock-sleep=<seconds>": the unlocking statement sleeps
  // before it unlocks (tests cancel it right then).
  const std::string sleep = failpoint::Value("unlock-sleep");
  // Unlocks only in the session that holds our token. After a pooling
  // proxy moved us to another server session, each attempt may land on
  // another one: a few tries give the lock back instead of leaving it in
  // the proxy's pool.
  const int attempts = lock_lost_ ? 16 : 1;
  bool released = false;
  for (int i = 0; i < attempts && !released; ++i) {
    std::vector<std::string> params = {absl::StrCat(options_.history.LockKey()), lock_token_};
    if (!sleep.empty()) params.push_back(sleep);
    absl::StatusOr<Rows> r = conn_->Query(
        absl::StrCat("SELECT ", sleep.empty() ? "" : "pg_catalog.pg_sleep($3::float8), ",
                     "CASE WHEN pg_catalog.current_setting('schemagate.lock_token', "
                     "true) = $2 THEN pg_catalog.pg_advisory_unlock($1::bigint) AND "
                     "pg_catalog.set_config('schemagate.lock_token', '', false) = '' END"),
        params);
    if (!r.ok()) break;
    released = r->Text(0, r->columns.size() - 1) == "t";
  }
  lock_lost_ = false;
  // An unlock that did not verifiably happen (cancelled, failed, or the
  // session lost): close the session, which releases any lock it holds,
  // rather than let a pool hand out a connection that keeps the lock.
  if (!released) conn_->Close();
}

absl::Status Engine::SessionSharedError() {
  return errors::WithKind(absl::FailedPreconditionError(
                              "the database session behind this connection changed between "
                              "transactions, as through a transaction-pooling proxy (PgBouncer "
                              "pool_mode=transaction), so the migration lock cannot be held "
                              "safely; use --lock-mode=transaction there, or connect directly or "
                              "through session pooling"),
                          errors::ErrorKind::kUsage);
}

absl::Status Engine::CheckLockOwner() {
  if (!locked_) return absl::OkStatus();
  absl::StatusOr<Rows> r =
      conn_->Query("SELECT pg_catalog.current_setting('schemagate.lock_token', true)");
  if (!r.ok()) return r.status();
  if (r->Text(0, 0) == lock_token_) return absl::OkStatus();
  lock_lost_ = true;
  return SessionSharedError();
}

absl::Status Engine::BeginUnderLock() {
  absl::Status s = conn_->Begin();
  if (s.ok()) s = CheckLockOwner();
  if (!s.ok()) (void)conn_->Rollback();
  return s;
}

absl::Status Engine::RunStatements(const std::string& sql, const std::string& path,
                                   const std::string& what, const BeforeStatement& before) {
  absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(sql);
  if (!ranges.ok()) {
    return errors::WithKind(
        absl::InvalidArgumentError(absl::StrCat(what, ": ", path, ":", ranges.status().message())),
        errors::ErrorKind::kMigrationFailed);
  }
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

absl::Status Engine::RecoverInterrupted(History& history, const Progress& progress) {
  absl::StatusOr<std::vector<InProgress>> rows = history.ReadInProgress();
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  if (!applied.ok()) return applied.status();
  for (const InProgress& p : *rows) {
    bool recorded = std::any_of(applied->begin(), applied->end(), [&](const AppliedMigration& a) {
      return a.cluster == p.cluster && a.version == p.version;
    });
    if (p.action == "rollback") {
      if (recorded) {
        // Killed between its down.sql and the deletion of its history row:
        // finish the rollback (down.sql again, each statement on its own:
        // some already ran), then record it.
        std::string report;
        absl::Status s = Undo(p.down_sql, std::nullopt, &report);
        if (!s.ok()) return s;
        if (s = BeginUnderLock(); !s.ok()) return s;
        s = history.Delete(p.cluster, p.version);
        if (s.ok()) s = history.ClearInProgress(p.cluster, p.version);
        if (s.ok()) {
          s = history.Log("cleanup", p.cluster, p.version,
                          "interrupted rollback of a no-transaction migration "
                          "finished: its down.sql was run again and the migration "
                          "recorded as rolled back",
                          options_.applied_by);
        }
        if (s.ok()) s = history.Notify(absl::StrCat("rolled back ", p.cluster, " ", p.version));
        if (s.ok()) s = conn_->Commit();
        if (!s.ok()) {
          (void)conn_->Rollback();
          return s;
        }
        Emit(progress, {Event::kCleanedUp, p.cluster, p.version, p.name, absl::ZeroDuration(),
                        "an interrupted rollback of a no-transaction migration was "
                        "finished; the migration is not applied"});
        continue;
      }
    } else if (!recorded) {
      // Undo what the interrupted run did, as far as its journal says.
      std::string report;
      absl::Status s = Undo(p.down_sql, p.journal, &report);
      if (!s.ok()) return s;
      (void)history.Log("cleanup", p.cluster, p.version,
                        absl::StrCat("interrupted no-transaction migration undone: ", report),
                        options_.applied_by);
      Emit(progress, {Event::kCleanedUp, p.cluster, p.version, p.name, absl::ZeroDuration(),
                      absl::StrCat("an interrupted no-transaction migration was "
                                   "undone (",
                                   report, "); it will be applied again")});
    }
    absl::Status s = history.ClearInProgress(p.cluster, p.version);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Engine::Undo(const std::string& down_sql,
                          const std::optional<std::vector<std::string>>& journal,
                          std::string* report) {
  absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(down_sql);
  if (!ranges.ok()) {
    *report = "its down.sql does not parse; nothing was undone";
    return absl::OkStatus();
  }
  std::vector<RelationName> created, dropped;
  if (journal.has_value()) {
    for (const std::string& e : *journal) {
      if (e.empty()) continue;
      (e[0] == '+' ? created : dropped).push_back(RelationName::Decode(e.substr(1)));
    }
  }
  auto in = [](const RelationName& r, const std::vector<RelationName>& set) {
    return std::any_of(set.begin(), set.end(), [&](const RelationName& x) { return x.Matches(r); });
  };
  int ran = 0, skipped = 0, failed = 0;
  for (const sql::StatementRange& r : *ranges) {
    absl::string_view statement = absl::string_view(down_sql).substr(r.offset, r.length);
    bool run = !journal.has_value();  // a journal-less mark: the whole down.sql
    if (journal.has_value()) {
      StatementObjects o = ObjectsOf(statement);
      if (!o.other && o.creates.empty() && !o.drops.empty()) {
        // A DROP runs when this run created everything it drops.
        run = std::all_of(o.drops.begin(), o.drops.end(),
                          [&](const RelationName& d) { return in(d, created); });
      } else if (!o.other && o.drops.empty() && !o.creates.empty()) {
        // A CREATE runs when this run dropped it and it is still gone.
        run = std::all_of(o.creates.begin(), o.creates.end(), [&](const RelationName& c) {
          if (!in(c, dropped)) return false;
          absl::StatusOr<bool> exists = RelationExists(c);
          return exists.ok() && !*exists;
        });
      }
    }
    if (!run) {
      ++skipped;
      continue;
    }
    absl::Status s = conn_->Execute(statement);
    if (s.code() == absl::StatusCode::kUnavailable) return s;
    ++ran;
    if (!s.ok()) ++failed;
  }
  *report = absl::StrCat("down.sql: ", ran, " statement(s) run", failed ? " (" : "",
                         failed ? absl::StrCat(failed, " failed)") : "", ", ", skipped,
                         " skipped as undoing nothing this run did");
  return absl::OkStatus();
}

absl::StatusOr<bool> Engine::RelationExists(const RelationName& r) {
  // An unqualified index lives in its table's schema; anything else
  // unqualified in the first schema of the search_path.
  absl::StatusOr<Rows> rows = conn_->Query(
      "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
      "ON n.oid = c.relnamespace WHERE c.relname = $2 AND n.nspname = COALESCE(NULLIF($1, ''), "
      "(SELECT n2.nspname FROM pg_catalog.pg_class c2 JOIN pg_catalog.pg_namespace n2 ON "
      "n2.oid = c2.relnamespace WHERE c2.oid = pg_catalog.to_regclass(NULLIF($3, ''))), "
      "pg_catalog.current_schema()))",
      {r.schema, r.name, r.table});
  if (!rows.ok()) return rows.status();
  return rows->Text(0, 0) == "t";
}

absl::Status Engine::CheckIntegrity(const MigrationState& state, absl::string_view verb) const {
  std::vector<std::string> problems;
  for (const ChecksumMismatch& m : state.mismatches) {
    problems.push_back(
        absl::StrCat(m.path, " was changed after it was applied (applied sha256 ",
                     m.applied_checksum, ", file sha256 ", m.build_checksum,
                     "); restore the applied file, or run `schemagate repair` to record "
                     "the new checksum if the change is intended"));
  }
  if (!state.unknown_applied.empty() && !options_.allow_unknown_applied) {
    std::vector<std::string> unknown;
    for (const AppliedMigration& a : state.unknown_applied) {
      unknown.push_back(Ref(a.cluster, a.version, a.name));
    }
    problems.push_back(
        absl::StrCat("the database has applied migrations this build does not know (a "
                     "newer build ran?): ",
                     absl::StrJoin(unknown, ", "),
                     "; deploy that build, or pass --allow-unknown-applied to go on "
                     "(nothing is ever deleted implicitly)"));
  }
  if (problems.empty()) return absl::OkStatus();
  return errors::WithKind(absl::FailedPreconditionError(absl::StrCat(
                              "refusing to ", verb, ": ", absl::StrJoin(problems, "; "))),
                          errors::ErrorKind::kIntegrity);
}

absl::Status Engine::RunNoTransaction(History& history, const v1::Migration& m) {
  if (absl::Status s = CheckLockOwner(); !s.ok()) return s;
  const std::string what =
      absl::StrCat("migration ", m.cluster(), "/", m.version_text(), "_", m.name());
  // What each statement creates and drops, by name.
  std::vector<StatementObjects> objects;
  if (absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(m.up_sql());
      ranges.ok()) {
    for (const sql::StatementRange& r : *ranges) {
      objects.push_back(ObjectsOf(absl::string_view(m.up_sql()).substr(r.offset, r.length)));
    }
  }
  // Refused before anything runs: an object it creates that exists already
  // (and that no earlier statement of it drops) is not this migration's,
  // e.g. an index made by hand with the same name. Running on would fail on
  // it, and undoing the run would drop it.
  std::vector<RelationName> dropped_before;
  for (size_t i = 0; i < objects.size(); ++i) {
    for (const RelationName& c : objects[i].creates) {
      bool recreated = std::any_of(dropped_before.begin(), dropped_before.end(),
                                   [&](const RelationName& d) { return d.Matches(c); });
      if (recreated) continue;
      absl::StatusOr<bool> exists = RelationExists(c);
      if (!exists.ok()) return exists.status();
      if (*exists) {
        return errors::WithKind(
            absl::FailedPreconditionError(absl::StrCat(
                "refusing to run ", m.up_path(), " (no-transaction): it creates ", c.Display(),
                ", which already exists and was not made by this migration "
                "(made by hand, or by another tool?); rename or drop it, then rerun. "
                "Nothing was run")),
            errors::ErrorKind::kMigrationFailed);
      }
    }
    dropped_before.insert(dropped_before.end(), objects[i].drops.begin(), objects[i].drops.end());
  }
  InProgress mark{m.cluster(), m.version(), m.name(), m.down_sql()};
  if (absl::Status s = history.MarkInProgress(mark); !s.ok()) return s;
  if (options_.lock_timeout > absl::ZeroDuration()) {
    (void)conn_->Execute(
        absl::StrCat("SET lock_timeout = '", LockTimeoutSetting(options_.lock_timeout), "'"));
  }
  // Write-ahead journal: before each statement, what it is about to create
  // or drop (a crash in between leaves at most an entry too many, which
  // undoing tolerates).
  std::vector<std::string> journal;
  absl::Status run = RunStatements(
      m.up_sql(), m.up_path(), what, [&](size_t index, absl::string_view) -> absl::Status {
        if (index >= objects.size()) return absl::OkStatus();
        std::vector<std::string> entries;
        for (const RelationName& c : objects[index].creates) entries.push_back("+" + c.Encode());
        for (const RelationName& d : objects[index].drops) entries.push_back("-" + d.Encode());
        if (entries.empty()) return absl::OkStatus();
        journal.insert(journal.end(), entries.begin(), entries.end());
        return history.AppendJournal(m.cluster(), m.version(), entries);
      });
  (void)conn_->Execute("RESET lock_timeout");
  if (!run.ok()) {
    if (run.code() == absl::StatusCode::kUnavailable) return run;
    // Undo what the statements that ran did (and no more).
    std::string report;
    absl::Status undone = Undo(m.down_sql(), journal, &report);
    if (undone.code() == absl::StatusCode::kUnavailable) return undone;
    (void)history.ClearInProgress(m.cluster(), m.version());
    absl::Status out(run.code(),
                     absl::StrCat(run.message(),
                                  "; it ran outside a transaction, so what its statements "
                                  "had done was undone with its down.sql (",
                                  report, ")"));
    // Keep the SQLSTATE (and any other payload): a lock timeout is retried.
    run.ForEachPayload(
        [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
    return out;
  }
  return absl::OkStatus();
}

AppliedMigration Engine::RowOf(const v1::Migration& m, int64_t duration_ms) const {
  AppliedMigration row;
  row.cluster = m.cluster();
  row.version = m.version();
  row.name = m.name();
  row.checksum = m.up_sha256();
  row.down_sql = m.down_sql();
  row.no_transaction = m.no_transaction();
  row.duration_ms = duration_ms;
  row.applied_by = options_.applied_by;
  return row;
}

absl::Status Engine::RunScript(History& history, const v1::Migration& m, bool durable,
                               const std::string& what) {
  const std::string& sql = m.up_sql();
  absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(sql);
  if (!ranges.ok()) {
    return errors::WithKind(absl::InvalidArgumentError(absl::StrCat(what, ": ", m.up_path(), ":",
                                                                    ranges.status().message())),
                            errors::ErrorKind::kMigrationFailed);
  }
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
                                    LockTimeoutSetting(options_.lock_timeout), "', true)"));
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
                                           absl::StrCat(m.name(), " sha256 ", m.up_sha256()),
                                           absl::StrCat("applied ", m.cluster(), " ", m.version())),
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

absl::Status Engine::ApplyOne(History& history, const v1::Migration& m, const Progress& progress,
                              const StopRequested& stop, bool durable, StepResult* result) {
  const std::string what =
      absl::StrCat("migration ", m.cluster(), "/", m.version_text(), "_", m.name());
  absl::Duration pause = absl::Milliseconds(200);
  for (int attempt = 0;; ++attempt) {
    Emit(progress, {Event::kStarted, m.cluster(), m.version(), m.name(), absl::ZeroDuration(), ""});
    const absl::Time start = absl::Now();
    absl::Status s;
    if (!m.no_transaction()) {
      // One round trip: statements, history row and COMMIT in one script.
      s = RunScript(history, m, durable, what);
      const absl::Duration took = absl::Now() - start;
      if (s.ok()) {
        *result = {m.cluster(), m.version(), m.name(), took};
        Emit(progress, {Event::kFinished, m.cluster(), m.version(), m.name(), took, ""});
        return absl::OkStatus();
      }
    } else {
      s = RunNoTransaction(history, m);
    }
    const absl::Duration took = absl::Now() - start;
    if (s.ok()) {
      bool own_tx = !conn_->in_transaction();
      if (own_tx) s = BeginUnderLock();
      if (s.ok() && !durable) {
        s = conn_->Execute("SET LOCAL synchronous_commit = off");
      }
      if (s.ok()) s = history.Insert(RowOf(m, absl::ToInt64Milliseconds(took)));
      if (s.ok() && m.no_transaction()) {
        s = history.ClearInProgress(m.cluster(), m.version());
      }
      if (s.ok()) {
        s = history.Log("apply", m.cluster(), m.version(),
                        absl::StrCat(m.name(), " sha256 ", m.up_sha256()), options_.applied_by);
      }
      if (s.ok()) {
        s = history.Notify(absl::StrCat("applied ", m.cluster(), " ", m.version()));
      }
      if (s.ok()) {
        s = conn_->Commit();
        // Sent, but no answer: committed or not, only the history can say.
        if (!s.ok() && conn_->broken()) {
          in_doubt_.push_back({m.cluster(), m.version(), m.name(), took});
        }
      }
      if (s.ok()) {
        *result = {m.cluster(), m.version(), m.name(), took};
        Emit(progress, {Event::kFinished, m.cluster(), m.version(), m.name(), took, ""});
        return absl::OkStatus();
      }
    }
    (void)conn_->Rollback();
    if (errors::KindOf(s) == errors::ErrorKind::kUsage)
      return s;  // e.g. the lock's session changed
    // A failover, or a server that is not the primary: not a failed
    // migration (nothing of it stays unless its commit is in the history).
    if (PrimaryLost(s)) return LostPrimaryError(s, what);
    if (s.code() == absl::StatusCode::kUnavailable) {
      return errors::WithKind(
          absl::UnavailableError(
              absl::StrCat(s.message(), " (", what, " was not recorded; rerun to converge)")),
          errors::ErrorKind::kConnect);
    }
    if (IsLockTimeout(s) && attempt < options_.lock_retries) {
      Emit(progress, {Event::kRetrying, m.cluster(), m.version(), m.name(), pause,
                      absl::StrCat("lock_timeout (", absl::FormatDuration(options_.lock_timeout),
                                   ") hit: a long transaction holds a lock; "
                                   "attempt ",
                                   attempt + 2, " of ", options_.lock_retries + 1)});
      if (!Pause(pause, stop)) {
        return absl::CancelledError(absl::StrCat("stopped on request while ", what,
                                                 " waited to be retried; it was not applied"));
      }
      pause = std::min(pause * 2, absl::Seconds(10));
      continue;
    }
    std::string message(s.message());
    if (IsLockTimeout(s)) {
      absl::StrAppend(&message, " — gave up after ", attempt + 1,
                      " attempts; find the blocking session in pg_stat_activity "
                      "or raise --lock-timeout");
    }
    if (!m.no_transaction()) {
      absl::StrAppend(&message, "; the migration was rolled back and left no trace");
    }
    Emit(progress, {Event::kFailed, m.cluster(), m.version(), m.name(), took, message});
    return errors::WithKind(absl::Status(s.code(), message), errors::ErrorKind::kMigrationFailed);
  }
}

absl::Status Engine::CheckBlockingLocks() {
  if (options_.max_blocking_rows < 0) return absl::OkStatus();
  absl::StatusOr<MigrationState> state = ReadState();
  if (!state.ok()) return state.status();
  absl::StatusOr<std::vector<PlannedLock>> locks = PlanLocks(conn_, state->pending);
  if (!locks.ok()) return locks.status();
  return CheckBlockingRows(*locks, options_.max_blocking_rows);
}

absl::Status Engine::ApplyPerTransaction(const ApplyOptions& options, ApplyResult* result) {
  // PgBouncer transaction pooling: no session state survives a transaction,
  // so each migration takes a transaction-scoped lock and re-reads the
  // history under it.
  const absl::Time start = absl::Now();
  History history(conn_, options_.history);
  {
    absl::StatusOr<MigrationState> state = ReadState();
    if (!state.ok()) return state.status();
    for (const v1::Migration* m : state->pending) {
      if (m->no_transaction()) {
        return errors::WithKind(absl::FailedPreconditionError(absl::StrCat(
                                    "migration ", m->up_path(),
                                    " is no-transaction, which cannot run through a "
                                    "transaction-pooling connection (--lock-mode=transaction); "
                                    "run migrate once with a direct connection to PostgreSQL")),
                                errors::ErrorKind::kMigrationFailed);
      }
    }
  }
  if (absl::Status s = CheckBlockingLocks(); !s.ok()) return s;
  const std::string key = absl::StrCat(options_.history.LockKey());
  const absl::Time deadline = start + options_.lock_wait_timeout;
  absl::Duration delay = absl::Milliseconds(20);
  bool reported = false;  // kLockWaiting is reported once per run
  bool waiting = false;   // this migration's lock is contended
  absl::Time wait_start;
  while (true) {
    // Between migrations and while waiting: a stop request ends the run
    // here, the rest still pending.
    if (options.stop && options.stop()) {
      return absl::CancelledError(absl::StrCat("stopped on request after ", result->applied.size(),
                                               " migration(s); the rest are still pending"));
    }
    absl::Status s = conn_->Begin();
    absl::StatusOr<Rows> got;
    if (s.ok()) {
      got = conn_->Query("SELECT pg_try_advisory_xact_lock($1::bigint)", {key});
      s = got.status();
    }
    if (!s.ok()) {
      (void)conn_->Rollback();
      return waiting ? GiveUpWaiting(options.progress, wait_start, s) : s;
    }
    if (got->Text(0, 0) != "t") {
      (void)conn_->Rollback();
      if (!waiting) {
        waiting = true;
        wait_start = absl::Now();
      }
      if (!reported) {
        reported = true;
        Emit(options.progress, {Event::kLockWaiting, "", 0, "", absl::Now() - start,
                                "another migrator holds the lock; waiting"});
      }
      if (absl::Now() >= deadline) {
        return GiveUpWaiting(options.progress, wait_start, LockWaitTimeout());
      }
      if (!Pause(delay, options.stop)) {
        return GiveUpWaiting(options.progress, wait_start, StoppedWaiting());
      }
      delay = std::min(delay * 2, absl::Milliseconds(500));
      continue;
    }
    if (waiting) {  // this migration's transaction lock, after a wait
      waiting = false;
      Emit(options.progress, {Event::kLockAcquired, "", 0, "", absl::Now() - wait_start, ""});
    }
    // Under the lock: resolve what a lost connection left in doubt, create
    // the history if needed and pick the next step.
    if (s = ResolvePending(options.progress, result); !s.ok()) {
      (void)conn_->Rollback();
      return s;
    }
    if (s = history.Ensure(); !s.ok()) {
      (void)conn_->Rollback();
      return s;
    }
    absl::StatusOr<MigrationState> state = ReadState();
    if (!state.ok()) {
      (void)conn_->Rollback();
      return state.status();
    }
    if (s = CheckIntegrity(*state); !s.ok()) {
      (void)conn_->Rollback();
      return s;
    }
    if (state->pending.empty()) {
      if (s = conn_->Commit(); !s.ok()) return s;
      break;
    }
    const v1::Migration& m = *state->pending.front();
    if (m.no_transaction()) {
      (void)conn_->Rollback();
      return errors::WithKind(
          absl::FailedPreconditionError(absl::StrCat("migration ", m.up_path(),
                                                     " is no-transaction and cannot run with "
                                                     "--lock-mode=transaction")),
          errors::ErrorKind::kMigrationFailed);
    }
    const absl::Time t0 = absl::Now();
    Emit(options.progress,
         {Event::kStarted, m.cluster(), m.version(), m.name(), absl::ZeroDuration(), ""});
    if (options_.lock_timeout > absl::ZeroDuration()) {
      s = conn_->Execute(absl::StrCat("SET LOCAL lock_timeout = '",
                                      LockTimeoutSetting(options_.lock_timeout), "'"));
    }
    if (s.ok()) {
      s = RunStatements(
          m.up_sql(), m.up_path(),
          absl::StrCat("migration ", m.cluster(), "/", m.version_text(), "_", m.name()));
    }
    const absl::Duration took = absl::Now() - t0;
    if (s.ok()) {
      AppliedMigration row{m.cluster(),
                           m.version(),
                           m.name(),
                           m.up_sha256(),
                           m.down_sql(),
                           false,
                           "",
                           absl::ToInt64Milliseconds(took),
                           options_.applied_by,
                           0};
      s = history.Insert(row);
      if (s.ok()) s = history.Log("apply", m.cluster(), m.version(), m.name(), options_.applied_by);
      if (s.ok()) s = history.Notify(absl::StrCat("applied ", m.cluster(), " ", m.version()));
      if (s.ok()) {
        s = conn_->Commit();
        if (!s.ok() && conn_->broken()) {
          in_doubt_.push_back({m.cluster(), m.version(), m.name(), took});
        }
      }
    }
    if (!s.ok()) {
      (void)conn_->Rollback();
      if (PrimaryLost(s)) {
        return LostPrimaryError(
            s, absl::StrCat("migration ", m.cluster(), "/", m.version_text(), "_", m.name()));
      }
      Emit(options.progress,
           {Event::kFailed, m.cluster(), m.version(), m.name(), took, std::string(s.message())});
      return errors::WithKind(s, errors::KindOf(s) == errors::ErrorKind::kUnknown
                                     ? errors::ErrorKind::kMigrationFailed
                                     : errors::KindOf(s));
    }
    Emit(options.progress, {Event::kFinished, m.cluster(), m.version(), m.name(), took, ""});
    result->applied.push_back({m.cluster(), m.version(), m.name(), took});
  }
  return absl::OkStatus();
}

absl::StatusOr<ApplyResult> Engine::Apply(const ApplyOptions& options) {
  if (options_.lock_mode == LockMode::kTransaction && options.single_transaction) {
    return errors::WithKind(
        absl::InvalidArgumentError("--single-transaction and --lock-mode=transaction "
                                   "cannot be combined"),
        errors::ErrorKind::kUsage);
  }
  const absl::Time start = absl::Now();
  ApplyResult result;
  in_doubt_.clear();
  resolve_pending_ = false;
  int losses = 0;  // in a row, without a migration applied in between
  absl::Time lost_at;
  while (true) {
    const size_t before = result.applied.size();
    absl::Status s = ApplyOnce(options, &result);
    if (s.ok()) {
      result.total = absl::Now() - start;
      return result;
    }
    if ((options.stop && options.stop()) || !PrimaryLost(s)) return s;
    if (result.applied.size() > before) losses = 0;
    if (errors::KindOf(s) != errors::ErrorKind::kConnect ||
        s.code() != absl::StatusCode::kUnavailable) {
      s = LostPrimaryError(s, "");
    }
    std::string doubt;
    for (const StepResult& d : in_doubt_) {
      absl::StrAppend(&doubt, doubt.empty() ? "" : ", ", d.cluster, "/", d.version, " (", d.name,
                      ")");
    }
    if (!doubt.empty()) {
      doubt = absl::StrCat("; the commit of ", doubt,
                           " is in doubt: the next run reads the history to know");
    }
    if (!options_.reconnect || ++losses > options_.max_reconnects) {
      return errors::WithKind(
          absl::Status(s.code(), absl::StrCat(s.message(),
                                              options_.reconnect
                                                  ? absl::StrCat("; gave up after ", losses - 1,
                                                                 " reconnections without "
                                                                 "progress")
                                                  : "",
                                              doubt, "; rerun to converge")),
          errors::ErrorKind::kConnect);
    }
    lost_at = absl::Now();
    const std::string was = conn_->description();
    Emit(options.progress, {Event::kReconnecting, "", 0, "", absl::ZeroDuration(),
                            absl::StrCat(s.message(), "; waiting for a primary")});
    absl::StatusOr<Connection*> next = options_.reconnect(s);
    if (!next.ok()) {
      if (options.stop && options.stop()) return absl::CancelledError(next.status().message());
      return errors::WithKind(absl::UnavailableError(absl::StrCat(
                                  s.message(), "; no primary answered: ", next.status().message(),
                                  doubt, "; rerun to converge")),
                              errors::ErrorKind::kConnect);
    }
    conn_ = *next;
    Emit(options.progress,
         {Event::kReconnected, "", 0, "", absl::Now() - lost_at,
          absl::StrCat("connected to the primary ", conn_->description(),
                       conn_->description() == was ? "" : absl::StrCat(" (was ", was, ")"),
                       "; continuing from the first migration its history does not "
                       "record")});
    // Resolved by the next pass, under the migration lock: on the same
    // server (a broken network rather than a failover) the old session may
    // still be finishing that COMMIT, and it holds the lock until it ends.
    resolve_pending_ = true;
  }
}

absl::Status Engine::ResolvePending(const Progress& progress, ApplyResult* result) {
  if (!resolve_pending_) return absl::OkStatus();
  absl::Status s = Resolve(progress, result);
  if (s.ok()) resolve_pending_ = false;
  return s;
}

absl::Status Engine::ApplyOnce(const ApplyOptions& options, ApplyResult* out) {
  CallTimeoutLifted unbounded(conn_);
  if (options_.lock_mode == LockMode::kTransaction) {
    return ApplyPerTransaction(options, out);
  }
  ApplyResult& result = *out;
  History history(conn_, options_.history);

  // Fast path, no lock: a database that is up to date needs one read.
  absl::StatusOr<bool> done = NothingToApply(history);
  if (!done.ok()) return done.status();
  // (Everything recorded: a commit in doubt committed, without the lock.)
  if (*done) return ResolvePending(options.progress, &result);
  if (absl::Status s = CheckBlockingLocks(); !s.ok()) return s;

  absl::Duration waited;
  absl::Status s = AcquireSessionLock(options.progress, &waited, options.stop);
  result.lock_wait += waited;
  if (!s.ok()) return s;
  LockGuard unlock(this);
  if (s = ResolvePending(options.progress, &result); !s.ok()) return s;
  if (lock_contended_) {
    // The migrator we waited for has most likely done the work: then let go
    // at once, so that many migrators started together finish together
    // instead of each taking its turn through the locked path below.
    done = NothingToApply(history);
    if (!done.ok()) return done.status();
    if (*done) return absl::OkStatus();
  }
  if (s = history.Ensure(); !s.ok()) return s;
  if (s = RecoverInterrupted(history, options.progress); !s.ok()) return s;
  absl::StatusOr<MigrationState> state = ReadState();
  if (!state.ok()) return state.status();
  if (s = CheckIntegrity(*state); !s.ok()) return s;

  std::vector<ClusterRecord> records = ClusterRecords(catalog_);
  if (s = history.UpsertClusters(records); !s.ok()) return s;

  if (options.single_transaction && !state->pending.empty()) {
    for (const v1::Migration* m : state->pending) {
      if (m->no_transaction()) {
        return errors::WithKind(absl::FailedPreconditionError(
                                    absl::StrCat("--single-transaction cannot apply ", m->up_path(),
                                                 ": it is a no-transaction migration")),
                                errors::ErrorKind::kMigrationFailed);
      }
    }
    if (s = BeginUnderLock(); !s.ok()) return s;
    if (options_.lock_timeout > absl::ZeroDuration()) {
      s = conn_->Execute(absl::StrCat("SET LOCAL lock_timeout = '",
                                      LockTimeoutSetting(options_.lock_timeout), "'"));
    }
    const size_t first = result.applied.size();  // this pass's start
    for (const v1::Migration* m : state->pending) {
      if (!s.ok()) break;
      Emit(options.progress,
           {Event::kStarted, m->cluster(), m->version(), m->name(), absl::ZeroDuration(), ""});
      const absl::Time t0 = absl::Now();
      s = RunStatements(
          m->up_sql(), m->up_path(),
          absl::StrCat("migration ", m->cluster(), "/", m->version_text(), "_", m->name()));
      const absl::Duration took = absl::Now() - t0;
      if (s.ok()) {
        s = history.Insert({m->cluster(), m->version(), m->name(), m->up_sha256(), m->down_sql(),
                            false, "", absl::ToInt64Milliseconds(took), options_.applied_by, 0});
      }
      if (s.ok())
        s = history.Log("apply", m->cluster(), m->version(), m->name(), options_.applied_by);
      if (s.ok()) {
        Emit(options.progress, {Event::kFinished, m->cluster(), m->version(), m->name(), took, ""});
        result.applied.push_back({m->cluster(), m->version(), m->name(), took});
      }
    }
    if (s.ok()) s = history.Notify("applied");
    if (s.ok()) {
      s = conn_->Commit();
      if (!s.ok() && conn_->broken()) {
        // All or nothing, and which one only the history can say.
        in_doubt_.insert(in_doubt_.end(), result.applied.begin() + first, result.applied.end());
      }
    }
    if (!s.ok()) {
      (void)conn_->Rollback();
      result.applied.resize(first);
      if (PrimaryLost(s)) return LostPrimaryError(s, "the --single-transaction plan");
      std::string message =
          absl::StrCat(s.message(), "; --single-transaction: the whole plan was rolled back");
      Emit(options.progress, {Event::kFailed, "", 0, "", absl::ZeroDuration(), message});
      return errors::WithKind(absl::Status(s.code(), message),
                              s.code() == absl::StatusCode::kUnavailable
                                  ? errors::ErrorKind::kConnect
                                  : errors::ErrorKind::kMigrationFailed);
    }
  } else {
    for (size_t i = 0; i < state->pending.size(); ++i) {
      if (options.stop && options.stop()) {
        (void)conn_->Execute("SELECT pg_catalog.txid_current()");
        return absl::CancelledError(absl::StrCat("stopped on request after ", result.applied.size(),
                                                 " migration(s); the rest are still pending"));
      }
      StepResult step;
      const bool last = i + 1 == state->pending.size();
      s = ApplyOne(history, *state->pending[i], options.progress, options.stop, last, &step);
      if (!s.ok()) {
        // Make what did apply durable before reporting the failure.
        if (!conn_->broken()) (void)conn_->Execute("SELECT pg_catalog.txid_current()");
        return s;
      }
      result.applied.push_back(step);
    }
  }
  return absl::OkStatus();
}

bool Engine::PrimaryLost(const absl::Status& s) {
  if (s.ok() || s.code() == absl::StatusCode::kCancelled) return false;
  if (s.GetPayload(kPrimaryLostPayload).has_value() || conn_->broken()) return true;
  if (SqlState(s) != "25006") return false;
  // "cannot execute ... in a read-only transaction": the server's doing (a
  // standby, or default_transaction_read_only as fencing), or the
  // migration's own SET TRANSACTION READ ONLY?
  (void)conn_->Rollback();
  absl::StatusOr<Rows> r = conn_->Query(
      "SELECT pg_catalog.pg_is_in_recovery() OR "
      "pg_catalog.current_setting('default_transaction_read_only')::bool");
  return !r.ok() || r->Text(0, 0) == "t";
}

absl::Status Engine::LostPrimaryError(const absl::Status& s, const std::string& what) const {
  std::string message(s.message());
  if (!conn_->broken()) {
    message = absl::StrCat(conn_->description(),
                           " is not the primary (read-only: a standby, or "
                           "default_transaction_read_only)",
                           what.empty() ? "" : " during ", what, ": ", FirstLine(s.message()));
  } else if (what.empty()) {
  } else if (!in_doubt_.empty()) {
    absl::StrAppend(&message, " (", what, ": the outcome of its COMMIT is unknown)");
  } else {
    absl::StrAppend(&message, " (", what, " was not recorded)");
  }
  absl::Status out = errors::WithKind(absl::UnavailableError(message), errors::ErrorKind::kConnect);
  out.SetPayload(kPrimaryLostPayload, absl::Cord("1"));
  return out;
}

absl::Status Engine::Resolve(const Progress& progress, ApplyResult* result) {
  History history(conn_, options_.history);
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  if (!applied.ok()) return applied.status();
  std::set<std::pair<std::string, uint64_t>> recorded;
  for (const AppliedMigration& a : *applied) recorded.insert({a.cluster, a.version});
  const std::string where = conn_->description();
  // Committed (and acknowledged) on the old primary, absent here: the
  // commit did not reach the new primary before the failover.
  std::vector<StepResult> kept;
  for (const StepResult& step : result->applied) {
    if (recorded.count({step.cluster, step.version})) {
      kept.push_back(step);
      continue;
    }
    Emit(progress, {Event::kResolved, step.cluster, step.version, step.name, absl::ZeroDuration(),
                    absl::StrCat("committed on the previous primary but not in the history "
                                 "of ",
                                 where,
                                 ": lost with the old primary (asynchronous "
                                 "replication), together with everything it did; applying "
                                 "it again")});
  }
  result->applied = std::move(kept);
  for (const StepResult& step : in_doubt_) {
    const bool committed = recorded.count({step.cluster, step.version}) > 0;
    if (committed) result->applied.push_back(step);
    Emit(progress,
         {Event::kResolved, step.cluster, step.version, step.name, step.duration,
          committed ? absl::StrCat("its COMMIT was in doubt when the connection was lost; "
                                   "the history of ",
                                   where, " records it: committed")
                    : absl::StrCat("its COMMIT was in doubt when the connection was lost; "
                                   "the history of ",
                                   where,
                                   " does not record it: not "
                                   "committed (or lost with the old primary), so nothing "
                                   "of it is there; applying it again")});
  }
  in_doubt_.clear();
  return absl::OkStatus();
}

absl::StatusOr<RollbackResult> Engine::Rollback(const RollbackOptions& options) {
  CallTimeoutLifted unbounded(conn_);
  if (options_.lock_mode == LockMode::kTransaction) {
    return errors::WithKind(
        absl::InvalidArgumentError("rollback needs a session lock; run it with a direct "
                                   "connection (--lock-mode=session)"),
        errors::ErrorKind::kUsage);
  }
  History history(conn_, options_.history);
  absl::Duration waited;
  absl::Status s = AcquireSessionLock(options.progress, &waited, options.stop);
  if (!s.ok()) return s;
  LockGuard unlock(this);
  if (s = history.Ensure(); !s.ok()) return s;
  if (s = RecoverInterrupted(history, options.progress); !s.ok()) return s;
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  if (!applied.ok()) return applied.status();

  std::vector<const AppliedMigration*> steps;
  int64_t earliest_seq = INT64_MAX;
  for (const AppliedMigration& a : *applied) {
    if (a.cluster == options.cluster && a.version > options.to_version) {
      steps.push_back(&a);
      earliest_seq = std::min(earliest_seq, a.seq);
    }
  }
  std::sort(steps.begin(), steps.end(), [](const AppliedMigration* a, const AppliedMigration* b) {
    return a->version > b->version;
  });
  RollbackResult result;
  if (steps.empty()) {
    // Nothing to revert is fine for a known cluster; a name that neither
    // this build nor the history knows is most likely a typo.
    bool known = std::any_of(applied->begin(), applied->end(), [&](const AppliedMigration& a) {
      return a.cluster == options.cluster;
    });
    std::vector<std::string> names;
    for (const v1::Cluster& c : catalog_.compiled().clusters()) {
      known = known || c.name() == options.cluster;
      names.push_back(c.name());
    }
    if (!known) {
      return errors::WithKind(absl::NotFoundError(absl::StrCat(
                                  "unknown cluster \"", absl::CHexEscape(options.cluster),
                                  "\": not in this build and nothing applied for it in the "
                                  "history; this build's clusters: ",
                                  absl::StrJoin(names, ", "))),
                              errors::ErrorKind::kUsage);
    }
    return result;
  }

  // Which clusters depend on this one: this build's catalog for compiled
  // clusters, the recorded manifests for the others.
  absl::StatusOr<std::vector<ClusterRecord>> records = history.ReadClusters();
  if (!records.ok()) return records.status();
  std::vector<catalog::ClusterSpec> specs;
  std::set<std::string> named;
  for (const v1::Cluster& c : catalog_.compiled().clusters()) {
    specs.push_back({c.name(),
                     {c.depends_on().begin(), c.depends_on().end()},
                     {c.requires_features().begin(), c.requires_features().end()}});
    named.insert(c.name());
  }
  for (const ClusterRecord& r : *records) {
    if (!named.count(r.name)) {
      specs.push_back({r.name, r.depends_on, r.requires_features});
    }
  }
  std::vector<std::string> blockers;
  if (!options.force) {
    for (const catalog::ClusterSpec& spec : specs) {
      if (spec.name == options.cluster) continue;
      std::vector<std::string> closure = catalog::DependencyClosure(specs, spec.name);
      if (std::find(closure.begin(), closure.end(), options.cluster) == closure.end()) {
        continue;
      }
      bool enabled = catalog_.IsEnabled(spec.name);
      bool has_history = false, applied_later = false;
      for (const AppliedMigration& a : *applied) {
        if (a.cluster != spec.name) continue;
        has_history = true;
        applied_later = applied_later || a.seq > earliest_seq;
      }
      if (options.to_version == 0 ? (enabled || has_history) : applied_later) {
        blockers.push_back(absl::StrCat(spec.name, enabled ? " (enabled" : " (orphaned",
                                        has_history ? ", installed)" : ", not installed)"));
      }
    }
    // Explicit `requires` edges of applied migrations this build knows.
    for (const AppliedMigration& a : *applied) {
      if (a.cluster == options.cluster) continue;
      const v1::Migration* m = catalog_.FindMigration(a.cluster, a.version);
      if (m == nullptr) continue;
      for (const v1::MigrationRef& r : m->requires()) {
        if (r.cluster() == options.cluster && r.version() > options.to_version) {
          blockers.push_back(absl::StrCat(a.cluster, "/", a.version, " (requires ", r.cluster(),
                                          "/", r.version(), ")"));
        }
      }
    }
  }
  if (!blockers.empty()) {
    return errors::WithKind(absl::FailedPreconditionError(absl::StrCat(
                                "refusing to roll back ", options.cluster, " to version ",
                                options.to_version, ": ", absl::StrJoin(blockers, ", "),
                                options.to_version == 0 ? " depend on it" : " may rely on it",
                                "; roll those back first, or pass --force")),
                            errors::ErrorKind::kIntegrity);
  }

  // A migration marked irreversible (its down.sql, as stored at apply time,
  // starts with `-- schemagate:irreversible <reason>`) stops the rollback
  // before anything runs.
  for (const AppliedMigration* a : steps) {
    std::string reason = catalog::IrreversibleReason(a->down_sql);
    if (reason.empty()) continue;
    return errors::WithKind(
        absl::FailedPreconditionError(absl::StrCat(
            "refusing to roll back ", options.cluster, " to version ", options.to_version, ": ",
            a->cluster, "/", a->version, " (", a->name, ") is irreversible: ", reason,
            "; keep it (roll back to version ", a->version, " or later)")),
        errors::ErrorKind::kIntegrity);
  }

  for (const AppliedMigration* a : steps) {
    const std::string what =
        absl::StrCat("rollback of ", a->cluster, "/", a->version, " (", a->name, ")");
    if (options.dry_run) {
      result.reverted.push_back({a->cluster, a->version, a->name, absl::ZeroDuration()});
      continue;
    }
    Emit(options.progress,
         {Event::kStarted, a->cluster, a->version, a->name, absl::ZeroDuration(), "rolling back"});
    const absl::Time t0 = absl::Now();
    const std::string path = absl::StrCat(a->cluster, "/", a->version, "_", a->name, "/down.sql");
    if (a->no_transaction) {
      // Mark, run, record (as apply does): a kill between its down.sql and
      // the deletion of its row leaves the mark, and the next migrate or
      // rollback finishes the rollback instead of trusting the row.
      s = CheckLockOwner();
      if (s.ok()) {
        InProgress mark{a->cluster, a->version, a->name, a->down_sql};
        mark.action = "rollback";
        s = history.MarkInProgress(mark);
      }
      if (s.ok()) s = RunStatements(a->down_sql, path, what);
      if (s.ok()) s = BeginUnderLock();
      if (s.ok()) s = history.ClearInProgress(a->cluster, a->version);
    } else {
      s = BeginUnderLock();
      if (s.ok() && options_.lock_timeout > absl::ZeroDuration()) {
        s = conn_->Execute(absl::StrCat("SET LOCAL lock_timeout = '",
                                        LockTimeoutSetting(options_.lock_timeout), "'"));
      }
      if (s.ok()) s = RunStatements(a->down_sql, path, what);
    }
    if (s.ok()) s = history.Delete(a->cluster, a->version);
    if (s.ok()) {
      s = history.Log("rollback", a->cluster, a->version, a->name, options_.applied_by);
    }
    if (s.ok()) {
      s = history.Notify(absl::StrCat("rolled back ", a->cluster, " ", a->version));
    }
    if (s.ok()) s = conn_->Commit();
    const absl::Duration took = absl::Now() - t0;
    if (!s.ok()) {
      (void)conn_->Rollback();
      if (a->no_transaction && errors::KindOf(s) != errors::ErrorKind::kUsage) {
        s = absl::Status(s.code(), absl::StrCat(s.message(),
                                                "; its down.sql ran outside a transaction and "
                                                "stopped part-way: the migration stays marked as "
                                                "being rolled back, and the next migrate or "
                                                "rollback finishes the rollback"));
      }
      Emit(options.progress,
           {Event::kFailed, a->cluster, a->version, a->name, took, std::string(s.message())});
      if (errors::KindOf(s) == errors::ErrorKind::kUsage) return s;
      return errors::WithKind(s, s.code() == absl::StatusCode::kUnavailable
                                     ? errors::ErrorKind::kConnect
                                     : errors::ErrorKind::kMigrationFailed);
    }
    Emit(options.progress,
         {Event::kFinished, a->cluster, a->version, a->name, took, "rolled back"});
    result.reverted.push_back({a->cluster, a->version, a->name, took});
  }
  if (!options.dry_run && options.to_version == 0) {
    bool left = std::any_of(applied->begin(), applied->end(), [&](const AppliedMigration& a) {
      return a.cluster == options.cluster && a.version <= options.to_version;
    });
    if (!left) (void)history.DeleteCluster(options.cluster);
  }
  return result;
}

absl::Status Engine::RunLocked(const Progress& progress, const StopRequested& stop,
                               const std::function<absl::Status(History&)>& body,
                               absl::Duration* lock_wait) {
  if (options_.lock_mode == LockMode::kTransaction) {
    return errors::WithKind(
        absl::InvalidArgumentError("this operation needs a session lock; run it with a "
                                   "direct connection (--lock-mode=session)"),
        errors::ErrorKind::kUsage);
  }
  History history(conn_, options_.history);
  CallTimeoutLifted unbounded(conn_);
  absl::Status s = AcquireSessionLock(progress, lock_wait, stop);
  if (!s.ok()) return s;
  LockGuard unlock(this);
  if (s = BeginUnderLock(); !s.ok()) return s;
  if (s = history.Ensure(); s.ok()) s = body(history);
  if (s.ok()) s = conn_->Commit();
  if (!s.ok()) (void)conn_->Rollback();
  return s;
}

absl::StatusOr<RepairResult> Engine::Repair(const RepairOptions& options) {
  CallTimeoutLifted unbounded(conn_);
  RepairResult result;
  History history(conn_, options_.history);
  if (options.dry_run) {
    absl::StatusOr<MigrationState> state = ReadState();
    if (!state.ok()) return state.status();
    for (const ChecksumMismatch& m : state->mismatches) {
      if (options.cluster.empty() || options.cluster == m.cluster) {
        result.repaired.push_back(m);
      }
    }
    return result;
  }
  absl::Duration waited;
  absl::Status s = AcquireSessionLock(options.progress, &waited, options.stop);
  if (!s.ok()) return s;
  LockGuard unlock(this);
  if (s = history.Ensure(); !s.ok()) return s;
  absl::StatusOr<MigrationState> state = ReadState();
  if (!state.ok()) return state.status();
  if (!options.cluster.empty() && !catalog_.IsEnabled(options.cluster)) {
    return errors::WithKind(
        absl::InvalidArgumentError(absl::StrCat("cluster \"", options.cluster,
                                                "\" is not enabled in this build; only enabled "
                                                "clusters' checksums can be repaired")),
        errors::ErrorKind::kUsage);
  }
  if (s = BeginUnderLock(); !s.ok()) return s;
  for (const ChecksumMismatch& m : state->mismatches) {
    if (!options.cluster.empty() && options.cluster != m.cluster) continue;
    const v1::Migration* mig = catalog_.FindMigration(m.cluster, m.version);
    if (mig == nullptr) continue;
    s = history.UpdateChecksum(m.cluster, m.version, mig->up_sha256(), mig->name(),
                               mig->down_sql());
    if (s.ok()) {
      s = history.Log("repair", m.cluster, m.version,
                      absl::StrCat("checksum ", m.applied_checksum, " -> ", m.build_checksum),
                      options_.applied_by);
    }
    if (!s.ok()) break;
    Emit(options.progress,
         {Event::kRepaired, m.cluster, m.version, mig->name(), absl::ZeroDuration(),
          absl::StrCat("recorded sha256 ", m.build_checksum, " (was ", m.applied_checksum, ")")});
    result.repaired.push_back(m);
  }
  if (s.ok()) s = history.Notify("repaired");
  if (s.ok()) s = conn_->Commit();
  if (!s.ok()) {
    (void)conn_->Rollback();
    return s;
  }
  return result;
}

}  // namespace schemagate::migrate
