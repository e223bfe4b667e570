// The database adapter: the one place that talks to PostgreSQL (through
// libpqxx 6). Everything it returns is an absl::Status; libpqxx exceptions
// never leave this file. Error messages never contain the connection
// password.
//
//   absl::StatusOr<std::unique_ptr<Connection>> c =
//       Connection::Open({.url = url, .timeout = absl::Seconds(30)});
//   if (!c.ok()) return c.status();                  // UNAVAILABLE
//   absl::StatusOr<Rows> rows = (*c)->Query("SELECT $1::int + 1", {"41"});
//
// Status codes: UNAVAILABLE when the server cannot be reached or the
// connection broke (retry later); INVALID_ARGUMENT for SQL errors in
// classes 42 (syntax, undefined objects) and 22 (data); ABORTED for
// serialization failures, deadlocks and lock timeouts (retry the
// transaction); FAILED_PRECONDITION for constraint violations, a missing
// privilege (42501: someone must grant it) and others; PERMISSION_DENIED
// for authentication failures (class 28).
// SqlState() reads the SQLSTATE of a failed statement (sqlstate.h, which
// holds this mapping).
//
// Thread safety: a Connection is used by one thread at a time.
#ifndef SCHEMAGATE_SERVER_MIGRATE_DB_H_
#define SCHEMAGATE_SERVER_MIGRATE_DB_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/migrate/sqlstate.h"

namespace schemagate::migrate {

struct Rows {
  std::vector<std::string> columns;
  // Text values; NULL is std::nullopt.
  std::vector<std::vector<std::optional<std::string>>> rows;

  // Row r, column c as text ("" for NULL).
  std::string Text(size_t r, size_t c) const { return rows[r][c].value_or(""); }
};

struct ConnectOptions {
  // libpq URI or key=value string. The password may be in it (any
  // characters: it is read as libpq reads it, see conninfo.h). Several
  // hosts are tried in order, as libpq does (postgresql://a:5432,b:5432/db,
  // or host=a,b port=5432,5432); with target_session_attrs=read-write libpq
  // skips the ones that are not writable.
  std::string url;
  // Total time to keep retrying (with exponential backoff and jitter) a
  // server that cannot be reached, or that is not the primary; zero means a
  // single attempt.
  absl::Duration timeout = absl::Seconds(30);
  // What the connection must reach. A server that does not qualify counts
  // as "the primary is not reachable yet": the connection is closed and
  // retried like an unreachable server, until `timeout` (UNAVAILABLE,
  // saying what it was).
  enum class Need {
    // A server that takes writes: not in recovery (a hot standby,
    // pg_is_in_recovery()) and not read-only by default
    // (default_transaction_read_only, as fencing) — what libpq's
    // target_session_attrs=read-write asks for. Migrations.
    kWritable,
    // Not in recovery (a primary fenced read-only still answers reads).
    // The server's state monitor and its pool for status/plan/verify.
    kPrimary,
    // Whatever libpq connected to: a URL that asks for a standby
    // (ConnInfo::RequestsStandby), for reads.
    kAny,
  };
  Need need = Need::kWritable;
  // Polled between attempts: true stops the retries (CANCELLED).
  std::function<bool()> stop;
  // libpq connect_timeout of each attempt (unless the URL sets one).
  absl::Duration attempt_timeout = absl::Seconds(5);
  std::string application_name = "schemagate";
  // Client-side bound of each call (see Connection::SetCallTimeout).
  absl::Duration call_timeout = absl::InfiniteDuration();
  // Called before each retry with the failure and the delay.
  std::function<void(int attempt, const absl::Status& error, absl::Duration delay)> on_retry;
};

struct Notification {
  std::string channel;
  std::string payload;
};

// TCP keepalives (libpq keepalives_idle/_interval/_count) and
// tcp_user_timeout set on every connection unless the URL sets them: a peer
// that vanished silently (a network partition, a host that lost power) is
// detected within about kKeepalive + 3 * kKeepaliveInterval when idle, and
// within kTcpUserTimeout while data is unacknowledged.
inline constexpr absl::Duration kKeepalive = absl::Seconds(10);
inline constexpr absl::Duration kKeepaliveInterval = absl::Seconds(5);
inline constexpr absl::Duration kTcpUserTimeout = absl::Seconds(30);

class Connection {
 public:
  // Connects, retrying unreachable servers until options.timeout. An
  // authentication failure, a missing database or a URL libpq cannot parse
  // (INVALID_ARGUMENT, quoting nothing of it) is not retried.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const ConnectOptions& options);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (any number of statements, simple query protocol) inside the
  // open transaction, or in autocommit mode when none is open.
  absl::Status Execute(absl::string_view sql);

  // Where a script (ExecuteScript) failed.
  struct ScriptFailure {
    // 0-based index of the statement that failed (the statements before
    // it completed; the script's transaction, if any, is rolled back).
    size_t statement = 0;
    // PostgreSQL's error position: byte offset into the script, or -1.
    int64_t position = -1;
    // The connection was lost after the script was sent (the status is
    // UNAVAILABLE). `statement` is then the statement whose ERROR was
    // received before the loss (nothing after it ran), or SIZE_MAX when none
    // was: the server may have run the whole script, its COMMIT included.
    bool connection_lost = false;
  };
  // Sends `script` (several statements, usually BEGIN ... COMMIT) as one
  // simple-protocol query: one round trip. On an error PostgreSQL skips the
  // rest; a transaction the script left open is rolled back, and `failure`
  // says which statement failed and where. Outside Begin()/Commit() only.
  absl::Status ExecuteScript(absl::string_view script, ScriptFailure* failure);

  // Runs one statement with text parameters $1, $2, ...
  absl::StatusOr<Rows> Query(absl::string_view sql, const std::vector<std::string>& params = {});

  absl::Status Begin();
  // BEGIN READ ONLY with SET LOCAL statement_timeout (zero: the database's
  // setting): a bounded read that works through transaction-pooling proxies,
  // where a session setting would not stick (or would leak to other clients).
  absl::Status BeginRead(absl::Duration statement_timeout);
  absl::Status Commit();
  absl::Status Rollback();  // no-op without a transaction
  bool in_transaction() const;

  // True once the connection is known to be broken; every call then fails
  // with UNAVAILABLE. Connections never reconnect behind the caller's back
  // (a session lock must not silently vanish).
  bool broken() const { return broken_; }
  int backend_pid() const;
  // Host, port and database of the server this connection reached, for
  // messages (never the password): one host even when the URL names several.
  const std::string& description() const { return description_; }

  // False when the idle connection's socket shows that the server ended it
  // (it was terminated: a restart, a failover, an idle timeout): a
  // non-blocking look, no round trip. True does not prove the server still
  // answers (a silent partition looks alive). For pools, before reuse.
  bool LooksAlive() const;

  // LISTEN on `channel` (an identifier).
  absl::Status Listen(const std::string& channel);
  // Waits up to `timeout` for notifications; returns those received (maybe
  // none). UNAVAILABLE when the connection broke.
  absl::StatusOr<std::vector<Notification>> WaitForNotifications(absl::Duration timeout);

  // Asks the server to cancel the running statement (from any thread).
  void Cancel();

  // Closes the connection now (the owning thread): its session ends, and
  // with it any session lock it may hold. Every later call fails with
  // UNAVAILABLE and broken() is true, so a pool drops it. For a session
  // whose state is unknown (an unlock that did not verifiably happen).
  void Close();

  // Shuts the connection's socket down (from any thread): a call blocked in
  // it returns at once with UNAVAILABLE, and the connection is broken. For
  // stopping a thread whose database may never answer again.
  void Abort();

  // Bounds each later call (a query, a statement, BEGIN/COMMIT) on the
  // client side: when the server has not answered `timeout` after the call
  // started (a silent network partition, a frozen proxy: nothing the
  // server's statement_timeout or TCP keepalives can see), the connection
  // is shut down and the call fails with UNAVAILABLE "no answer from ...".
  // InfiniteDuration (the default) turns it off.
  void SetCallTimeout(absl::Duration timeout) { call_timeout_ = timeout; }
  absl::Duration call_timeout() const { return call_timeout_; }

 private:
  struct Impl;  // libpqxx objects
  Connection();
  // Runs f, mapping libpqxx exceptions; `allowance` is added to the call
  // timeout (a wait that is meant to last).
  template <typename F>
  absl::Status Guard(absl::string_view what, F&& f,
                     absl::Duration allowance = absl::ZeroDuration());

  std::unique_ptr<Impl> impl_;
  std::string description_;
  bool broken_ = false;
  std::atomic<int> socket_{-1};
  absl::Duration call_timeout_ = absl::InfiniteDuration();
};

// Quotes an identifier for SQL ("my table" -> "\"my table\"").
std::string QuoteIdent(absl::string_view ident);
// Quotes a string literal for SQL.
std::string QuoteLiteral(absl::string_view text);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_DB_H_
