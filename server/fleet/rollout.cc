#include "server/fleet/rollout.h"

#include <algorithm>
#include <map>
#include <memory>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::fleet {
namespace {

constexpr char kCanary[] = "canary";

std::string Scrubbed(const absl::Status& s) { return log::Scrub(s.message()); }

TargetResult Failed(TargetResult r, const absl::Status& s) {
  r.outcome = Outcome::kFailed;
  r.exit_code = errors::ExitCodeFor(s);
  r.error = Scrubbed(s);
  return r;
}

// Migrates (or, dry, plans) one target on a connection of its own.
TargetResult RunOne(const Target& t, const RolloutOptions& o, const std::function<bool()>& stop) {
  const absl::Time start = absl::Now();
  TargetResult r;
  r.target = &t;
  migrate::ConnectOptions connect = o.connect;
  connect.url = t.url;
  connect.on_retry = [&t](int attempt, const absl::Status& error, absl::Duration delay) {
    log::Warning("database not reachable; retrying",
                 {{"target", t.id},
                  {"attempt", absl::StrCat(attempt)},
                  {"in", absl::FormatDuration(absl::Trunc(delay, absl::Milliseconds(1)))},
                  {"error", std::string(error.message())}});
  };
  absl::StatusOr<std::unique_ptr<migrate::Connection>> conn = migrate::Connection::Open(connect);
  if (!conn.ok()) {
    // As DatabaseFlags::Open: what a retry cannot cure (authentication, a
    // missing database) is bad usage, the rest unavailable.
    r = Failed(
        std::move(r),
        errors::WithKind(conn.status(), conn.status().code() == absl::StatusCode::kInvalidArgument
                                            ? errors::ErrorKind::kUsage
                                            : errors::ErrorKind::kConnect));
    r.duration = absl::Now() - start;
    return r;
  }
  migrate::Engine engine(*t.catalog, conn->get(), o.engine);
  if (o.dry_run) {
    absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
    absl::Status integrity = state.ok()
                                 ? engine.CheckIntegrity(*state)
                                 : errors::WithKind(state.status(), errors::ErrorKind::kConnect);
    if (!integrity.ok()) {
      r = Failed(std::move(r), integrity);
    } else {
      for (const v1::Migration* m : state->pending) {
        r.pending.push_back(catalog::MigrationPath(*m));
      }
      r.outcome = r.pending.empty() ? Outcome::kUpToDate : Outcome::kPending;
    }
  } else {
    migrate::ApplyOptions apply;
    apply.stop = stop;
    apply.progress = [&t](const migrate::Event& e) {
      if (e.kind == migrate::Event::kFinished) {
        log::Debug("applied",
                   {{"target", t.id},
                    {"migration", e.ref},
                    {"duration", absl::StrCat(absl::ToInt64Milliseconds(e.duration), "ms")}});
      } else if (e.kind == migrate::Event::kLockWaiting) {
        log::Info(e.message, {{"target", t.id}});
      } else if (e.kind == migrate::Event::kRetrying) {
        log::Warning("retrying", {{"target", t.id}, {"migration", e.ref}, {"reason", e.message}});
      }
    };
    absl::StatusOr<migrate::ApplyResult> applied = engine.Apply(apply);
    if (!applied.ok()) {
      r = Failed(std::move(r), applied.status());
    } else {
      r.applied = std::move(applied->applied);
      r.outcome = r.applied.empty() ? Outcome::kUpToDate : Outcome::kMigrated;
    }
  }
  r.duration = absl::Now() - start;
  return r;
}

// One wave on a pool of workers: bounded overall and per host, no new start
// once the wave has more than max_failures failures (or stop says so).
class WaveRun {
 public:
  WaveRun(const std::vector<const Target*>& targets, const RolloutOptions& o,
          const std::function<bool()>& stop, size_t* done, size_t total, absl::Mutex* report_mu)
      : targets_(targets), o_(o), stop_(stop), done_(done), total_(total), report_mu_(report_mu) {
    results_.resize(targets.size());
    started_.assign(targets.size(), false);
  }

  // Results in the order of `targets`; never-started ones are skipped.
  std::vector<TargetResult> Run(int* failures, bool* stopped) {
    // Invalid targets fail at once, without a worker.
    for (size_t i = 0; i < targets_.size(); ++i) {
      const Target& t = *targets_[i];
      if (t.ok()) continue;
      started_[i] = true;
      TargetResult& r = results_[i];
      r.target = &t;
      r.outcome = Outcome::kInvalid;
      r.exit_code = exit_codes::kUsage;
      r.error = t.problem;
      Report(r);
      ++failures_;
    }
    {
      absl::MutexLock lock(&mu_);
      stop_new_ = failures_ > o_.max_failures;
    }
    size_t workers = std::min(std::max<size_t>(o_.parallel, 1), targets_.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < workers; ++i) threads.emplace_back([this] { Work(); });
    for (std::thread& t : threads) t.join();
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (started_[i]) continue;
      results_[i].target = targets_[i];
      results_[i].outcome = Outcome::kSkipped;
    }
    *failures = failures_;
    *stopped = failures_ > o_.max_failures;
    return std::move(results_);
  }

 private:
  bool CanStart(size_t i) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (started_[i]) return false;
    if (o_.per_host == 0) return true;
    auto it = running_.find(targets_[i]->host);
    return it == running_.end() || it->second < o_.per_host;
  }

  void Work() {
    for (;;) {
      size_t pick = targets_.size();
      {
        absl::MutexLock lock(&mu_);
        for (;;) {
          if (stop_new_ || (stop_ && stop_())) return;
          bool any_left = false;
          for (size_t i = next_; i < targets_.size(); ++i) {
            if (started_[i]) continue;
            any_left = true;
            if (CanStart(i)) {
              pick = i;
              break;
            }
          }
          if (pick < targets_.size()) break;
          if (!any_left) return;
          // Every target left is on a host at its bound: wait for one.
          mu_.AwaitWithTimeout(absl::Condition(&changed_), absl::Milliseconds(200));
          changed_ = false;
        }
        started_[pick] = true;
        while (next_ < targets_.size() && started_[next_]) ++next_;
        ++running_[targets_[pick]->host];
      }
      TargetResult r =
          o_.run_one ? o_.run_one(*targets_[pick]) : RunOne(*targets_[pick], o_, stop_);
      r.target = targets_[pick];
      Report(r);
      // A target the interruption stopped (SIGTERM while it waited for its
      // lock) is not one of the wave's failures: the rollout ends as
      // interrupted, not as stopped by --max-failures.
      const bool interrupted = r.failed() && stop_ && stop_();
      absl::MutexLock lock(&mu_);
      --running_[targets_[pick]->host];
      if (r.failed() && !interrupted) {
        ++failures_;
        if (failures_ > o_.max_failures) stop_new_ = true;
      }
      results_[pick] = std::move(r);
      changed_ = true;
    }
  }

  void Report(const TargetResult& r) {
    absl::MutexLock lock(report_mu_);
    ++*done_;
    if (o_.on_done) o_.on_done(r, *done_, total_);
  }

  const std::vector<const Target*>& targets_;
  const RolloutOptions& o_;
  const std::function<bool()>& stop_;
  size_t* done_;
  size_t total_;
  absl::Mutex* report_mu_;
  absl::Mutex mu_;
  std::vector<TargetResult> results_;  // slot i written by the worker that ran it
  std::vector<bool> started_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;  // all before it started
  std::map<std::string, size_t> running_ ABSL_GUARDED_BY(mu_);
  int failures_ = 0;
  bool stop_new_ ABSL_GUARDED_BY(mu_) = false;
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

const char* ToString(Outcome outcome) {
  switch (outcome) {
    case Outcome::kMigrated:
      return "migrated";
    case Outcome::kUpToDate:
      return "up_to_date";
    case Outcome::kPending:
      return "pending";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kSkipped:
      return "skipped";
    case Outcome::kInvalid:
      return "invalid";
  }
  return "failed";
}

bool WaveBefore(const std::string& a, const std::string& b) {
  if (a == b) return false;
  if (a == kCanary || b.empty()) return b != kCanary;
  if (b == kCanary || a.empty()) return false;
  // Natural order: runs of digits compare as numbers.
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (absl::ascii_isdigit(a[i]) && absl::ascii_isdigit(b[j])) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && absl::ascii_isdigit(a[i2])) ++i2;
      while (j2 < b.size() && absl::ascii_isdigit(b[j2])) ++j2;
      std::string x = a.substr(i, i2 - i), y = b.substr(j, j2 - j);
      x.erase(0, std::min(x.find_first_not_of('0'), x.size() - 1));
      y.erase(0, std::min(y.find_first_not_of('0'), y.size() - 1));
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
  return a < b;  // "01" vs "1": any fixed order
}

std::vector<std::vector<const Target*>> Waves(std::vector<const Target*> targets) {
  std::stable_sort(targets.begin(), targets.end(), [](const Target* x, const Target* y) {
    if (x->wave != y->wave) return WaveBefore(x->wave, y->wave);
    return x->id < y->id;
  });
  std::vector<std::vector<const Target*>> out;
  for (const Target* t : targets) {
    if (out.empty() || out.back().front()->wave != t->wave) out.emplace_back();
    out.back().push_back(t);
  }
  return out;
}

int ShardOf(const std::string& id, int count) {
  if (count <= 1) return 0;
  uint64_t h = 1469598103934665603ULL;  // FNV-1a, 64 bits
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int>(h % static_cast<uint64_t>(count));
}

int ExitCode(const std::vector<TargetResult>& results) {
  int first = 0;
  for (const TargetResult& r : results) {
    if (!r.failed()) continue;
    if (exit_codes::Transient(r.exit_code)) return r.exit_code;
    if (first == 0) first = r.exit_code;
  }
  return first;
}

RolloutResult Rollout(const std::vector<const Target*>& targets, const RolloutOptions& options) {
  const absl::Time start = absl::Now();
  RolloutResult out;
  std::function<bool()> stop = options.stop ? options.stop : [] { return false; };
  size_t done = 0;
  absl::Mutex report_mu;
  for (const std::vector<const Target*>& wave : Waves(targets)) {
    WaveResult w;
    w.wave = wave.front()->wave;
    w.targets = static_cast<int>(wave.size());
    std::vector<TargetResult> results;
    if (out.stopped || out.interrupted) {
      for (const Target* t : wave) {
        TargetResult r;
        r.target = t;
        r.outcome = Outcome::kSkipped;
        results.push_back(std::move(r));
      }
    } else {
      WaveRun run(wave, options, stop, &done, targets.size(), &report_mu);
      bool stopped = false;
      results = run.Run(&w.failed, &stopped);
      if (stopped) {
        w.stopped = out.stopped = true;
        out.stopped_at = w.wave;
      }
      if (stop()) out.interrupted = true;
    }
    for (TargetResult& r : results) {
      if (r.outcome == Outcome::kSkipped) ++w.skipped;
      out.results.push_back(std::move(r));
    }
    out.waves.push_back(w);
  }
  // Why the skipped ones did not start.
  int stopping_failures = 0;
  for (const WaveResult& w : out.waves) {
    if (w.stopped) stopping_failures = w.failed;
  }
  for (TargetResult& r : out.results) {
    if (r.outcome != Outcome::kSkipped) continue;
    r.error =
        out.stopped && !out.interrupted
            ? absl::StrCat("not started: wave \"", out.stopped_at, "\" had ", stopping_failures,
                           " failed target(s), more than --max-failures=", options.max_failures)
            : "not started: the rollout was interrupted";
  }
  out.duration = absl::Now() - start;
  out.exit_code = ExitCode(out.results);
  if (out.exit_code == 0 && out.interrupted) {
    out.exit_code = exit_codes::kError;  // a rerun finishes it
  }
  return out;
}

}  // namespace schemagate::fleet
