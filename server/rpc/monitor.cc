#include "server/rpc/monitor.h"

#include "absl/strings/str_cat.h"
#include "server/migrate/history.h"
#include "server/migrate/state.h"
#include "server/migrate/unmanaged.h"
#include "server/util/log.h"

namespace schemagate::rpc {

Monitor::Monitor(ServiceState* state, migrate::ConnectOptions connect, absl::Duration poll_interval,
                 absl::Duration statement_timeout)
    : state_(state),
      connect_(std::move(connect)),
      poll_(poll_interval),
      statement_timeout_(statement_timeout) {
  // A single attempt per connect: the loop does its own backoff, and must
  // notice Stop() promptly.
  connect_.timeout = absl::ZeroDuration();
  connect_.attempt_timeout = std::min(connect_.attempt_timeout, absl::Seconds(2));
}

Monitor::~Monitor() { Stop(); }

void Monitor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Monitor::Stop() {
  stop_ = true;
  {
    absl::MutexLock lock(&mu_);
    wake_ = true;
    if (current_ != nullptr) current_->Abort();  // a read may never be answered
  }
  if (thread_.joinable()) thread_.join();
}

void Monitor::Refresh() {
  refresh_ = true;
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

namespace {

// Log fields naming the fleet target, when the state is one.
log::Fields WithTarget(const ServiceState& state, log::Fields fields) {
  if (!state.target_id().empty()) fields.insert(fields.begin(), {"target", state.target_id()});
  return fields;
}

}  // namespace

bool ReadHistoryInto(ServiceState* state, migrate::Connection* conn,
                     absl::Duration statement_timeout) {
  // One read of the history gives both the cluster states and the applied
  // set, so they always agree: a read that fails publishes nothing new.
  migrate::History history(conn, state->history());
  absl::StatusOr<std::vector<migrate::AppliedMigration>> applied = [&] {
    absl::Status begun = conn->BeginRead(statement_timeout);
    if (!begun.ok()) return absl::StatusOr<std::vector<migrate::AppliedMigration>>(begun);
    absl::StatusOr<std::vector<migrate::AppliedMigration>> rows = history.ReadApplied();
    (void)conn->Rollback();  // read only
    return rows;
  }();
  if (!applied.ok()) {
    // Keep what we knew (CheckTables goes on answering from it, with
    // state_as_of telling its age) and mark it stale: not reachable, so
    // health is NOT_SERVING until a read succeeds again.
    std::shared_ptr<const Snapshot> previous = state->snapshot();
    Snapshot next = *previous;
    next.reachable = false;
    next.error = std::string(applied.status().message());
    if (previous->reachable || previous->generation == 0) {
      log::Warning(
          "cannot read the migration history; keeping the last state read",
          WithTarget(*state, {{"error", next.error},
                              {"as_of", absl::FormatTime(previous->as_of, absl::UTCTimeZone())}}));
      state->Publish(std::move(next));
    }
    return !conn->broken();
  }
  Snapshot next;
  next.as_of = absl::Now();
  next.known = true;
  next.reachable = true;
  next.state = migrate::ComputeState(state->catalog(), *applied);
  for (const migrate::AppliedMigration& a : *applied) {
    next.applied.insert({a.cluster, a.version});
  }
  std::shared_ptr<const Snapshot> previous = state->snapshot();
  // One catalog query (plus the cluster records when there are orphans).
  absl::StatusOr<std::vector<migrate::UnmanagedTable>> unmanaged =
      migrate::ReadUnmanaged(conn, state->catalog(), state->history(), &next.state);
  next.unmanaged = unmanaged.ok() ? *std::move(unmanaged) : previous->unmanaged;
  auto names = [](const std::vector<migrate::UnmanagedTable>& tables) {
    std::vector<std::string> out;
    for (const migrate::UnmanagedTable& t : tables) out.push_back(t.table + "@" + t.cluster);
    return out;
  };
  bool changed = !previous->known || !previous->reachable || previous->applied != next.applied ||
                 previous->state.mismatches.size() != next.state.mismatches.size() ||
                 previous->state.unknown_applied.size() != next.state.unknown_applied.size() ||
                 names(previous->unmanaged) != names(next.unmanaged);
  if (changed) {
    if (!previous->reachable && previous->known) {
      log::Info("database reachable again",
                WithTarget(*state, {{"database", conn->description()}}));
    }
    state->Publish(std::move(next));
  }
  return true;
}

void PublishUnreachable(ServiceState* state, const std::string& error) {
  std::shared_ptr<const Snapshot> previous = state->snapshot();
  if (!previous->reachable && previous->generation != 0) return;
  Snapshot next = *previous;
  next.reachable = false;
  next.as_of = absl::Now();
  next.error = error;
  log::Warning("database unreachable; retrying", WithTarget(*state, {{"error", error}}));
  state->Publish(std::move(next));
}

void Monitor::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop_) {
    absl::StatusOr<std::unique_ptr<migrate::Connection>> conn = migrate::Connection::Open(connect_);
    if (!conn.ok()) {
      PublishUnreachable(state_, std::string(conn.status().message()));
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&wake_), backoff);
      wake_ = false;
      backoff = std::min(backoff * 2, absl::Seconds(1));
      continue;
    }
    backoff = absl::Milliseconds(100);
    {
      absl::MutexLock lock(&mu_);
      current_ = conn->get();
      if (stop_) current_->Abort();
    }
    // LISTEN first, then read: a change committed in between is in the
    // read or notified; one committed while no connection listened (the
    // switch to a new primary) is in the read.
    if (absl::Status listening = (*conn)->Listen(state_->history().Channel()); !listening.ok()) {
      // A hot standby cannot LISTEN (a URL that asks for one): polling only.
      log::Debug("LISTEN failed; re-reading every --poll-interval only",
                 {{"error", std::string(listening.message())}});
    }
    while (!stop_) {
      if (!ReadHistoryInto(state_, conn->get(), statement_timeout_)) break;
      refresh_ = false;
      // Wait for a notification, a refresh request or the poll interval,
      // in short slices so Stop() and Refresh() are prompt.
      absl::Time until = absl::Now() + poll_;
      bool notified = false;
      while (!stop_ && !refresh_ && !notified && absl::Now() < until) {
        absl::StatusOr<std::vector<migrate::Notification>> n =
            (*conn)->WaitForNotifications(std::min(absl::Milliseconds(250), until - absl::Now()));
        if (!n.ok()) break;
        notified = !n->empty();
        absl::MutexLock lock(&mu_);
        wake_ = false;
      }
      if ((*conn)->broken()) break;
    }
    {
      absl::MutexLock lock(&mu_);
      current_ = nullptr;
    }
    if (!stop_) {
      Snapshot next = *state_->snapshot();
      if (next.reachable) {
        next.reachable = false;
        next.as_of = absl::Now();
        next.error = "connection to the database lost";
        log::Warning("lost the database connection; reconnecting", WithTarget(*state_, {}));
        state_->Publish(std::move(next));
      }
    }
  }
}

}  // namespace schemagate::rpc
