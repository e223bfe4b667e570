// The database adapter (db.h): the only file that uses libpqxx (and libpq
// directly, for scripts). It owns opening a connection (retries, the
// primary check), the guard that maps every libpqxx exception to a status,
// statements, queries, one-round-trip scripts, transactions and
// notifications. It stays one file because libpqxx may appear nowhere
// else: what needs neither library lives beside it — SQLSTATEs as status
// codes and messages in sqlstate.h, the call deadline thread in
// call_watchdog.h, connection strings in conninfo.h.
#include "server/migrate/db.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <pqxx/pqxx>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "server/migrate/call_watchdog.h"
#include "server/migrate/conninfo.h"

namespace schemagate::migrate {
namespace {

// libpqxx 6.4 throws some errors as a class of their own without their
// SQLSTATE (e.sqlstate() is empty for insufficient_privilege, for example).
// Each class below stands for exactly one SQLSTATE, so it is recovered
// from the type; a class that stands for several codes yields "".
std::string SqlStateOf(const pqxx::sql_error& e) {
  if (!e.sqlstate().empty()) return e.sqlstate();
  const pqxx::sql_error* p = &e;
  if (dynamic_cast<const pqxx::insufficient_privilege*>(p)) return "42501";
  if (dynamic_cast<const pqxx::undefined_table*>(p)) return "42P01";
  if (dynamic_cast<const pqxx::undefined_column*>(p)) return "42703";
  if (dynamic_cast<const pqxx::undefined_function*>(p)) return "42883";
  if (dynamic_cast<const pqxx::syntax_error*>(p)) return "42601";
  if (dynamic_cast<const pqxx::unique_violation*>(p)) return "23505";
  if (dynamic_cast<const pqxx::foreign_key_violation*>(p)) return "23503";
  if (dynamic_cast<const pqxx::not_null_violation*>(p)) return "23502";
  if (dynamic_cast<const pqxx::check_violation*>(p)) return "23514";
  if (dynamic_cast<const pqxx::restrict_violation*>(p)) return "23001";
  if (dynamic_cast<const pqxx::feature_not_supported*>(p)) return "0A000";
  if (dynamic_cast<const pqxx::disk_full*>(p)) return "53100";
  if (dynamic_cast<const pqxx::out_of_memory*>(p)) return "53200";
  if (dynamic_cast<const pqxx::plpgsql_raise*>(p)) return "P0001";
  if (dynamic_cast<const pqxx::plpgsql_no_data_found*>(p)) return "P0002";
  if (dynamic_cast<const pqxx::plpgsql_too_many_rows*>(p)) return "P0003";
  return "";
}

// For a class that stands for several SQLSTATEs: the status code only.
absl::StatusCode CodeForSqlError(const pqxx::sql_error& e, const std::string& state) {
  if (!state.empty()) return CodeForSqlState(state);
  const pqxx::sql_error* p = &e;
  if (dynamic_cast<const pqxx::data_exception*>(p)) return CodeForSqlState("22000");
  if (dynamic_cast<const pqxx::integrity_constraint_violation*>(p)) {
    return CodeForSqlState("23000");
  }
  if (dynamic_cast<const pqxx::insufficient_resources*>(p)) return CodeForSqlState("53000");
  return absl::StatusCode::kFailedPrecondition;
}

absl::Status SqlErrorStatus(const pqxx::sql_error& e) {
  const std::string state = SqlStateOf(e);
  return WithSqlState(CodeForSqlError(e, state), CleanMessage(e.what()), state);
}

// libpqxx 6.4's transaction_rollback family (serialization failure,
// deadlock) is not an sql_error: retry the transaction.
absl::Status RollbackErrorStatus(const pqxx::transaction_rollback& e) {
  std::string state = "40000";
  if (dynamic_cast<const pqxx::serialization_failure*>(&e)) state = "40001";
  if (dynamic_cast<const pqxx::deadlock_detected*>(&e)) state = "40P01";
  if (dynamic_cast<const pqxx::statement_completion_unknown*>(&e)) state = "40003";
  return WithSqlState(absl::StatusCode::kAborted, CleanMessage(e.what()), state);
}

// "host:port/dbname" of the server a connection reached (of several hosts,
// the one libpq settled on); the URL's description when libpq cannot say.
std::string Reached(pqxx::connection_base& c, const ConnInfo& info) {
  const char* host = c.hostname();
  const char* port = c.port();
  const char* db = c.dbname();
  if (host == nullptr || *host == '\0') return info.Describe();
  return absl::StrCat(host, port != nullptr && *port != '\0' ? ":" : "",
                      port != nullptr ? port : "", "/", db != nullptr ? db : "");
}

std::string Millis(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

}  // namespace

namespace {
class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, const std::string& channel, std::vector<Notification>* sink)
      : pqxx::notification_receiver(c, channel), sink_(sink) {}
  void operator()(const std::string& payload, int) override {
    sink_->push_back({channel(), payload});
  }

 private:
  std::vector<Notification>* sink_;
};

// pqxx::connection_base keeps libpq's handle to itself; ExecuteScript
// needs it (one query, a result per statement). The connection policy is
// libpqxx 6's documented way to take part in connecting: this one notes
// the handle it made, for the thread that is constructing the connection.
thread_local pqxx::internal::pq::PGconn* t_connected = nullptr;
class NotingConnect : public pqxx::connect_direct {
 public:
  explicit NotingConnect(const std::string& options) : pqxx::connect_direct(options) {}
  handle do_startconnect(handle orig) override {
    handle h = pqxx::connect_direct::do_startconnect(orig);
    t_connected = h;
    return h;
  }
};
using PqxxConnection = pqxx::basic_connection_base<NotingConnect>;

}  // namespace

struct Connection::Impl {
  std::unique_ptr<PqxxConnection> conn;
  PGconn* raw = nullptr;  // the handle of `conn` (reactivation is inhibited)
  std::unique_ptr<pqxx::work> tx;
  std::vector<std::unique_ptr<Receiver>> receivers;
  std::vector<Notification> pending;
  std::atomic<bool> aborted{false};  // Abort() was called
};

Connection::Connection() : impl_(std::make_unique<Impl>()) {}

bool Connection::in_transaction() const { return impl_->tx != nullptr; }

std::string QuoteIdent(absl::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(absl::string_view text) {
  std::string out = "'";
  bool backslash = false;
  for (char c : text) {
    if (c == '\'') out += '\'';
    if (c == '\\') backslash = true;
    out += c;
  }
  out += "'";
  return backslash ? "E" + absl::StrReplaceAll(out, {{"\\", "\\\\"}}) : out;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const ConnectOptions& options) {
  // Registers every form of the password as a secret before anything can
  // print it; a string libpq cannot parse is refused without quoting it.
  absl::StatusOr<ConnInfo> info = ConnInfo::Parse(options.url);
  if (!info.ok()) return info.status();
  std::vector<std::pair<std::string, std::string>> defaults = {
      {"connect_timeout",
       absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(options.attempt_timeout)))},
      {"application_name", options.application_name},
      {"keepalives", "1"},
      {"keepalives_idle", absl::StrCat(absl::ToInt64Seconds(kKeepalive))},
      {"keepalives_interval", absl::StrCat(absl::ToInt64Seconds(kKeepaliveInterval))},
      {"keepalives_count", "3"},
      {"tcp_user_timeout", Millis(kTcpUserTimeout)},
  };
  const std::string conninfo = info->WithDefaults(defaults);
  const std::string where = info->Describe();
  absl::Time deadline = absl::Now() + options.timeout;
  absl::Duration delay = absl::Milliseconds(100);
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    absl::Status error;
    try {
      auto c = std::unique_ptr<Connection>(new Connection());
      t_connected = nullptr;
      c->impl_->conn = std::make_unique<PqxxConnection>(conninfo);
      c->impl_->raw = t_connected;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      c->impl_->conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
      c->description_ = Reached(*c->impl_->conn, *info);
      c->socket_ = c->impl_->conn->sock();
      c->call_timeout_ = options.call_timeout;
      if (options.need == ConnectOptions::Need::kAny) return c;
      // A standby (the URL names it alone, or without target_session_attrs;
      // an old primary that came back as a replica) is not the primary yet.
      absl::StatusOr<Rows> role = c->Query(
          "SELECT pg_catalog.pg_is_in_recovery(), "
          "pg_catalog.current_setting('transaction_read_only')::bool");
      if (!role.ok()) {
        error = absl::UnavailableError(
            absl::StrCat("cannot connect to ", where, ": ", role.status().message()));
      } else if (role->Text(0, 0) == "t") {
        error = absl::UnavailableError(
            absl::StrCat("cannot connect to the primary: ", c->description(),
                         " is a standby (in recovery, read-only); waiting for a primary"));
      } else if (role->Text(0, 1) == "t" && options.need == ConnectOptions::Need::kWritable) {
        error = absl::UnavailableError(
            absl::StrCat("cannot connect to a writable primary: ", c->description(),
                         " is read-only (default_transaction_read_only is on); waiting for it to "
                         "take writes"));
      } else {
        return c;
      }
    } catch (const pqxx::broken_connection& e) {
      std::string message = CleanMessage(e.what());
      if (PermanentConnectFailure(message)) {
        return absl::PermissionDeniedError(
            absl::StrCat("cannot connect to ", where, ": ", message));
      }
      error = absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": ", message));
    } catch (const std::exception& e) {
      std::string message = CleanMessage(e.what());
      if (PermanentConnectFailure(message)) {
        return absl::InvalidArgumentError(absl::StrCat("cannot connect to ", where, ": ", message));
      }
      error = absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": ", message));
    }
    absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::UnavailableError(absl::StrCat(error.message(), " (gave up after ", attempt,
                                                 " attempt", attempt == 1 ? "" : "s", ")"));
    }
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    absl::Duration wait = std::min(delay * jitter(rng), deadline - now);
    if (options.on_retry) options.on_retry(attempt, error, wait);
    for (const absl::Time until = now + wait; absl::Now() < until;) {
      if (options.stop && options.stop()) {
        return absl::CancelledError(
            absl::StrCat("stopped while waiting for ", where, ": ", error.message()));
      }
      absl::SleepFor(std::min(until - absl::Now(), absl::Milliseconds(50)));
    }
    // At most 2 s apart: a failover is over within seconds, and a standby
    // promoted should be found promptly.
    delay = std::min(delay * 2, absl::Seconds(2));
  }
}

bool Connection::LooksAlive() const {
  const int fd = socket_;
  if (broken_ || fd < 0) return false;
  // An idle session has nothing to read: readable means the server sent
  // its last words (FATAL: terminating connection ...) or closed it.
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 0;
}

Connection::~Connection() {
  try {
    impl_->tx.reset();
    impl_->receivers.clear();
    impl_->conn.reset();
  } catch (...) {
  }
}

template <typename F>
absl::Status Connection::Guard(absl::string_view what, F&& f, absl::Duration allowance) {
  if (broken_ || impl_->conn == nullptr) {
    return absl::UnavailableError(absl::StrCat("connection to ", description_, " is broken"));
  }
  std::atomic<bool> timed_out{false};
  uint64_t armed = 0;
  if (const int fd = socket_; call_timeout_ < absl::InfiniteDuration() && fd >= 0) {
    armed = CallWatchdog::Get().Arm(fd, absl::Now() + call_timeout_ + allowance, &timed_out);
  }
  absl::Status status = [&]() -> absl::Status {
    try {
      f();
      return absl::OkStatus();
    } catch (const pqxx::broken_connection& e) {
      broken_ = true;
      impl_->tx.reset();
      return absl::UnavailableError(absl::StrCat("connection to ", description_, " lost during ",
                                                 what, ": ", CleanMessage(e.what())));
    } catch (const pqxx::in_doubt_error& e) {
      broken_ = true;
      impl_->tx.reset();
      return absl::UnavailableError(absl::StrCat("connection to ", description_,
                                                 " lost while committing (outcome "
                                                 "unknown; rerun to converge): ",
                                                 CleanMessage(e.what())));
    } catch (const pqxx::sql_error& e) {
      absl::Status error = SqlErrorStatus(e);
      if (impl_->conn != nullptr && !impl_->conn->is_open()) {
        // The server ended the session with this error (57P01 "terminating
        // connection due to administrator command" as a primary shuts down
        // for a switchover, 57P02, 57P03).
        broken_ = true;
        impl_->tx.reset();
        return WithSqlState(absl::StatusCode::kUnavailable,
                            absl::StrCat("connection to ", description_, " lost during ", what,
                                         ": ", error.message()),
                            SqlState(error));
      }
      // A failed statement aborts the transaction; the caller rolls back.
      return error;
    } catch (const pqxx::transaction_rollback& e) {
      return RollbackErrorStatus(e);
    } catch (const std::exception& e) {
      if (impl_->conn != nullptr && !impl_->conn->is_open()) {
        broken_ = true;
        impl_->tx.reset();
        return absl::UnavailableError(absl::StrCat("connection to ", description_, " lost during ",
                                                   what, ": ", CleanMessage(e.what())));
      }
      return absl::InternalError(absl::StrCat(what, ": ", CleanMessage(e.what())));
    }
  }();
  if (armed != 0) CallWatchdog::Get().Disarm(armed);
  if (timed_out || impl_->aborted) {
    // The socket is shut down: whatever f() saw, the connection is gone.
    broken_ = true;
    try {
      impl_->tx.reset();
    } catch (...) {
    }
    return absl::UnavailableError(
        impl_->aborted
            ? absl::StrCat("connection to ", description_, " closed during ", what, " (stopping)")
            : absl::StrCat("no answer from ", description_, " within ",
                           absl::FormatDuration(call_timeout_ + allowance), " during ", what,
                           " (a network partition or a hung server?); the connection "
                           "was closed"));
  }
  return status;
}

absl::Status Connection::Execute(absl::string_view sql) {
  return Guard("a statement", [&] {
    if (impl_->tx) {
      impl_->tx->exec(std::string(sql));
    } else {
      pqxx::nontransaction n(*impl_->conn);
      n.exec(std::string(sql));
    }
  });
}

absl::Status Connection::ExecuteScript(absl::string_view script, ScriptFailure* failure) {
  if (impl_->tx) return absl::FailedPreconditionError("a transaction is open");
  absl::Status result;
  bool must_close = false;
  bool sent = false;  // PQsendQuery took the script
  size_t completed = 0;
  bool failed = false;
  // The first error was the server's ERROR for a statement (which ends the
  // transaction: nothing after it ran), not FATAL nor libpq's own report of
  // a lost connection.
  bool statement_error = false;
  absl::Status guarded = Guard("a script", [&] {
    PGconn* c = impl_->raw;
    if (c == nullptr) throw pqxx::broken_connection("no connection");
    const std::string text(script);  // NUL-terminated
    if (PQsendQuery(c, text.c_str()) != 1) {
      throw pqxx::broken_connection(PQerrorMessage(c));
    }
    sent = true;
    std::string state, message;
    int64_t position = -1;
    while (PGresult* r = PQgetResult(c)) {
      switch (PQresultStatus(r)) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_EMPTY_QUERY:
          if (!failed) ++completed;
          break;
        case PGRES_COPY_IN:
          // COPY ... FROM STDIN has no data here: end it with an error.
          (void)PQputCopyEnd(c, "COPY FROM STDIN is not supported in a migration");
          break;
        case PGRES_COPY_OUT: {
          char* row = nullptr;
          while (PQgetCopyData(c, &row, 0) > 0) PQfreemem(row);
          if (!failed) ++completed;
          break;
        }
        default:
          if (!failed) {
            failed = true;
            const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            state = s != nullptr ? s : "";
            const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
            statement_error = severity != nullptr && std::string_view(severity) == "ERROR";
            message = PQresultErrorMessage(r);
            if (const char* p = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION)) {
              position = std::atoll(p);
            }
          }
          break;
      }
      PQclear(r);
    }
    if (PQstatus(c) == CONNECTION_BAD) {
      throw pqxx::broken_connection(failed ? message : std::string(PQerrorMessage(c)));
    }
    if (!failed) return;
    // A transaction the script opened stays open, aborted: end it (twice
    // at most: a cancel meant for the script may land on the first try).
    for (int attempt = 0; attempt < 2 && PQtransactionStatus(c) != PQTRANS_IDLE; ++attempt) {
      PQclear(PQexec(c, "ROLLBACK"));
      if (PQstatus(c) == CONNECTION_BAD) throw pqxx::broken_connection(PQerrorMessage(c));
    }
    if (PQtransactionStatus(c) != PQTRANS_IDLE) {
      must_close = true;
      return;
    }
    if (state.empty()) {
      result = absl::InternalError(absl::StrCat("a script: ", CleanMessage(message)));
      return;
    }
    // PostgreSQL counts characters (in the client encoding) from 1.
    const char* encoding = PQparameterStatus(c, "client_encoding");
    if (position > 0 && encoding != nullptr && std::string_view(encoding) == "UTF8") {
      int64_t chars = 0;
      size_t i = 0;
      for (; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && ++chars == position) break;
      }
      position = static_cast<int64_t>(i);
    } else if (position > 0) {
      position -= 1;
    }
    failure->statement = completed;
    failure->position = position > static_cast<int64_t>(text.size()) ? -1 : position;
    result = SqlStateStatus(state, CleanMessage(message));
  });
  if (!guarded.ok()) {
    if (sent && broken_) {
      // What ran is unknown past the results that arrived: with no error
      // among them, the server may have committed.
      failure->connection_lost = true;
      failure->statement = failed && statement_error ? completed : SIZE_MAX;
      failure->position = -1;
    }
    return guarded;
  }
  if (must_close) {
    // A session whose transaction could not be ended (it may hold a lock)
    // is closed, never reused.
    Close();
    return absl::UnavailableError(
        absl::StrCat("the transaction of a failed script on ", description_,
                     " could not be rolled back; the connection was closed"));
  }
  return result;
}

absl::StatusOr<Rows> Connection::Query(absl::string_view sql,
                                       const std::vector<std::string>& params) {
  Rows out;
  absl::Status status = Guard("a query", [&] {
    auto run = [&](pqxx::transaction_base& t) {
      pqxx::result r = params.empty() ? t.exec(std::string(sql))
                                      : t.exec_params(std::string(sql),
                                                      pqxx::prepare::make_dynamic_params(params));
      for (pqxx::row::size_type c = 0; c < r.columns(); ++c) {
        out.columns.emplace_back(r.column_name(c));
      }
      out.rows.reserve(r.size());
      for (const pqxx::row& row : r) {
        std::vector<std::optional<std::string>> values;
        values.reserve(row.size());
        for (const pqxx::field& f : row) {
          if (f.is_null()) {
            values.emplace_back(std::nullopt);
          } else {
            values.emplace_back(std::string(f.c_str(), f.size()));
          }
        }
        out.rows.push_back(std::move(values));
      }
    };
    if (impl_->tx) {
      run(*impl_->tx);
    } else {
      pqxx::nontransaction n(*impl_->conn);
      run(n);
    }
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status Connection::Begin() {
  if (impl_->tx) return absl::FailedPreconditionError("a transaction is already open");
  return Guard("BEGIN", [&] { impl_->tx = std::make_unique<pqxx::work>(*impl_->conn); });
}

absl::Status Connection::BeginRead(absl::Duration statement_timeout) {
  if (absl::Status s = Begin(); !s.ok()) return s;
  absl::Status s = Execute(
      absl::StrCat("SET TRANSACTION READ ONLY",
                   statement_timeout > absl::ZeroDuration()
                       ? absl::StrCat("; SET LOCAL statement_timeout = ", Millis(statement_timeout))
                       : ""));
  if (!s.ok()) (void)Rollback();
  return s;
}

absl::Status Connection::Commit() {
  if (!impl_->tx) return absl::FailedPreconditionError("no transaction is open");
  absl::Status s = Guard("COMMIT", [&] { impl_->tx->commit(); });
  impl_->tx.reset();
  return s;
}

absl::Status Connection::Rollback() {
  if (!impl_->tx) return absl::OkStatus();
  absl::Status s = Guard("ROLLBACK", [&] { impl_->tx->abort(); });
  impl_->tx.reset();
  return s;
}

int Connection::backend_pid() const {
  return impl_->conn != nullptr ? impl_->conn->backendpid() : 0;
}

absl::Status Connection::Listen(const std::string& channel) {
  return Guard("LISTEN", [&] {
    impl_->receivers.push_back(std::make_unique<Receiver>(*impl_->conn, channel, &impl_->pending));
  });
}

absl::StatusOr<std::vector<Notification>> Connection::WaitForNotifications(absl::Duration timeout) {
  absl::Status s = Guard(
      "waiting for notifications",
      [&] {
        if (impl_->conn->get_notifs() == 0 && impl_->pending.empty()) {
          int64_t us = std::max<int64_t>(0, absl::ToInt64Microseconds(timeout));
          impl_->conn->await_notification(us / 1000000, us % 1000000);
        }
        // await_notification() returns 0 both on timeout and on a dead socket.
        if (!impl_->conn->is_open()) {
          throw pqxx::broken_connection("server closed the connection");
        }
      },
      timeout);
  if (!s.ok()) return s;
  std::vector<Notification> out;
  out.swap(impl_->pending);
  return out;
}

void Connection::Cancel() {
  try {
    if (impl_->conn != nullptr) impl_->conn->cancel_query();
  } catch (...) {
  }
}

void Connection::Close() {
  broken_ = true;
  try {
    impl_->tx.reset();
    impl_->receivers.clear();
    impl_->conn.reset();
  } catch (...) {
  }
  socket_ = -1;
}

void Connection::Abort() {
  impl_->aborted = true;
  if (int fd = socket_; fd >= 0) shutdown(fd, SHUT_RDWR);
}

}  // namespace schemagate::migrate
