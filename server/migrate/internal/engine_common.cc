// The helpers the parts of the migration engine share (engine_common.h).
#include "server/migrate/internal/engine_common.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace schemagate::migrate::internal {

std::string MigrationWhat(const v1::Migration& m) {
  return absl::StrCat("migration ", catalog::MigrationPath(m));
}

std::string ApplyLogDetail(const v1::Migration& m, bool with_checksum) {
  return with_checksum ? absl::StrCat(m.name(), " sha256 ", m.up_sha256()) : m.name();
}

std::string AppliedNotification(const v1::Migration& m) {
  return absl::StrCat("applied ", m.cluster(), " ", m.version());
}

std::string RolledBackNotification(absl::string_view cluster, uint64_t version) {
  return absl::StrCat("rolled back ", cluster, " ", version);
}

absl::Status SessionLockRequired(absl::string_view what) {
  return errors::WithKind(
      absl::InvalidArgumentError(absl::StrCat(
          what, " needs a session lock; run it with a direct connection (--lock-mode=session)")),
      errors::ErrorKind::kUsage);
}

absl::string_view FirstLine(absl::string_view message) {
  return message.substr(0, message.find('\n'));
}

bool IsLockTimeout(const absl::Status& s) { return SqlState(s) == "55P03"; }

std::string LockTimeoutSetting(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(0, absl::ToInt64Milliseconds(d)), "ms");
}

LockPoller::LockPoller(LockPolling polling) : polling_(polling), rng_(std::random_device{}()) {}

absl::Status LockPoller::Wait(const std::function<absl::StatusOr<Attempt>()>& attempt,
                              absl::Time deadline, const StopRequested& stop,
                              const std::function<void()>& on_held, absl::Status timed_out,
                              absl::Status stopped) {
  while (true) {
    if (stop && stop()) return stopped;
    absl::StatusOr<Attempt> got = attempt();
    if (!got.ok()) return got.status();
    if (*got == Attempt::kTaken) return absl::OkStatus();
    if (on_held) on_held();
    const absl::Time now = absl::Now();
    if (now >= deadline) return timed_out;
    absl::Duration pause = pause_;
    if (polling_.jitter) pause = pause * std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
    if (!Pause(std::min(pause, deadline - now), stop)) return stopped;
    pause_ = std::min(pause_ * 2, polling_.max_pause);
  }
}

bool Pause(absl::Duration d, const StopRequested& stop) {
  const absl::Time until = absl::Now() + d;
  while (true) {
    if (stop && stop()) return false;
    absl::Duration left = until - absl::Now();
    if (left <= absl::ZeroDuration()) return true;
    absl::SleepFor(std::min(left, absl::Milliseconds(50)));
  }
}

}  // namespace schemagate::migrate::internal
