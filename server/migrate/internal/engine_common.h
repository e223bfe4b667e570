// What the parts of the migration engine (engine*.cc) share: how a
// migration is named in messages, the lock_timeout setting, lifting the
// call timeout while the engine runs, the guard that releases the session
// lock, and the polling of an advisory lock (both lock modes). Internal to
// server/migrate: callers use engine.h.
#ifndef SCHEMAGATE_SERVER_MIGRATE_INTERNAL_ENGINE_COMMON_H_
#define SCHEMAGATE_SERVER_MIGRATE_INTERNAL_ENGINE_COMMON_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/migrate/db.h"
#include "server/migrate/engine.h"

namespace schemagate::migrate::internal {

// "migration cluster/0002_name", the subject of the engine's messages.
std::string MigrationWhat(const v1::Migration& m);

// The detail of an "apply" log entry: the migration's name, and with
// `with_checksum` its up.sql's sha256 ("add_users sha256 <hex>").
std::string ApplyLogDetail(const v1::Migration& m, bool with_checksum);
// The notification payloads of an applied and a rolled back migration
// ("applied core 2", "rolled back core 2").
std::string AppliedNotification(const v1::Migration& m);
std::string RolledBackNotification(absl::string_view cluster, uint64_t version);

// INVALID_ARGUMENT (kUsage) for an operation that needs the session lock
// run with --lock-mode=transaction: "<what> needs a session lock; ...".
absl::Status SessionLockRequired(absl::string_view what);

// PostgreSQL's message up to its first line break.
absl::string_view FirstLine(absl::string_view message);

// True for a lock_timeout error (SQLSTATE 55P03).
bool IsLockTimeout(const absl::Status& s);

// `d` as a lock_timeout value ("5000ms"; negative durations as "0ms").
std::string LockTimeoutSetting(absl::Duration d);

// Migrations may run for hours: a client-side call timeout meant for a
// server's quick reads (Connection::SetCallTimeout) is off while the engine
// changes the database, and restored after.
class CallTimeoutLifted {
 public:
  explicit CallTimeoutLifted(Connection* conn) : conn_(conn), saved_(conn->call_timeout()) {
    conn_->SetCallTimeout(absl::InfiniteDuration());
  }
  ~CallTimeoutLifted() { conn_->SetCallTimeout(saved_); }
  CallTimeoutLifted(const CallTimeoutLifted&) = delete;
  CallTimeoutLifted& operator=(const CallTimeoutLifted&) = delete;

 private:
  Connection* conn_;
  absl::Duration saved_;
};

// The pauses between attempts at an advisory lock that another migrator
// holds: the first 20 ms, each next one twice as long up to `max_pause`,
// times a random factor in [0.5, 1) when `jitter` is set. The two lock
// modes poll differently (see kSessionLockPolling, kTransactionLockPolling).
struct LockPolling {
  absl::Duration max_pause;
  bool jitter = false;
};
// The session lock: at most 200 ms apart, so a waiter notices promptly that
// the holder finished (an attempt is one cheap statement; measured with 50
// concurrent migrators, docs/BENCHMARKS.md), with jitter so that migrators
// started together do not poll in step.
inline constexpr LockPolling kSessionLockPolling{absl::Milliseconds(200), true};
// The per-migration transaction lock (--lock-mode=transaction): an attempt
// is BEGIN, the try and ROLLBACK through a pooling proxy; at most 500 ms
// apart, without jitter (as this mode has always polled).
inline constexpr LockPolling kTransactionLockPolling{absl::Milliseconds(500), false};

// Polls an advisory lock until it is taken. Keeps the pause between
// attempts across calls (LockPolling), so a run that waited once goes on
// polling at the pace it reached.
class LockPoller {
 public:
  // What one attempt found.
  enum class Attempt { kTaken, kHeld };

  explicit LockPoller(LockPolling polling);

  // Calls `attempt` until it takes the lock (OK) or fails (its error).
  // After each attempt that found the lock held it calls `on_held`, then
  // returns `timed_out` when `deadline` has passed, or pauses (never past
  // the deadline). Returns `stopped` when `stop` asks to stop, before an
  // attempt or during a pause.
  absl::Status Wait(const std::function<absl::StatusOr<Attempt>()>& attempt, absl::Time deadline,
                    const StopRequested& stop, const std::function<void()>& on_held,
                    absl::Status timed_out, absl::Status stopped);

  // A random number for lock tokens (the poller's generator).
  uint64_t Random() { return rng_(); }

 private:
  LockPolling polling_;
  absl::Duration pause_ = absl::Milliseconds(20);
  std::mt19937_64 rng_;
};

// Sleeps `d`, looking at `stop` every 50 ms; false (at once) when `stop`
// asks to stop.
bool Pause(absl::Duration d, const StopRequested& stop);

}  // namespace schemagate::migrate::internal

namespace schemagate::migrate {

// Releases the session lock when an operation ends, however it ends.
class Engine::LockGuard {
 public:
  explicit LockGuard(Engine* engine) : engine_(engine) {}
  ~LockGuard() { engine_->ReleaseSessionLock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Engine* engine_;
};

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_INTERNAL_ENGINE_COMMON_H_
