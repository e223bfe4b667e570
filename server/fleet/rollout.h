// Fleet rollouts: bring every target of a set to its own feature set
// (`schemagate fleet migrate`), wave after wave, with bounded parallelism
// overall and per database host, stopping when a wave fails too often.
//
//   RolloutOptions options;
//   options.parallel = 16; options.per_host = 4; options.max_failures = 2;
//   RolloutResult r = Rollout(Select(targets, ...), options);
//   return r.exit_code;
//
// Each target runs migrate::Engine::Apply on its own connection with its
// own catalog, exactly as `schemagate migrate --features=<its features>`
// would, so rerunning a rollout resumes it: finished targets are up to date
// after one read of their history (no lock), a feature turned on for one
// target applies only that target's new clusters.
//
// Waves: "canary" first, then the others in natural order ("2" before
// "10"), then targets without a wave. A wave starts when the one before
// ended. Once a wave has more than max_failures failed targets (a target
// whose definition has a problem counts), no further target of it starts
// (those running finish) and no later wave starts: those targets are
// skipped. A target stopped by the interruption (options.stop) is not one
// of its wave's failures: the rollout ends interrupted.
//
// Thread safety: Rollout() may be called from any thread; `on_done` is
// called from worker threads, one call at a time.
#ifndef SCHEMAGATE_SERVER_FLEET_ROLLOUT_H_
#define SCHEMAGATE_SERVER_FLEET_ROLLOUT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/fleet/targets.h"
#include "server/migrate/db.h"
#include "server/migrate/engine.h"

namespace schemagate::fleet {

enum class Outcome {
  kMigrated,  // migrations were applied; it is up to date now
  kUpToDate,  // nothing to apply
  kPending,   // dry run: migrations to apply
  kFailed,    // see exit_code and error
  kSkipped,   // not started: the rollout stopped (or was interrupted) first
  kInvalid,   // its definition has a problem (Target::problem)
};

// "migrated", "up_to_date", "pending", "failed", "skipped", "invalid".
const char* ToString(Outcome outcome);

struct TargetResult {
  const Target* target = nullptr;
  Outcome outcome = Outcome::kSkipped;
  // The exit code `schemagate migrate` would give for this target
  // (docs/EXIT_CODES.md); 0 unless failed or invalid.
  int exit_code = 0;
  std::string error;  // why it failed, was invalid or skipped (no secrets)
  std::vector<migrate::StepResult> applied;
  // Dry run: the pending migrations ("tasks/0002_team_assignment").
  std::vector<std::string> pending;
  absl::Duration duration;

  bool failed() const { return outcome == Outcome::kFailed || outcome == Outcome::kInvalid; }
};

struct WaveResult {
  std::string wave;  // "" for targets without one
  int targets = 0;
  int failed = 0;
  int skipped = 0;
  // This wave's failures stopped the rollout.
  bool stopped = false;
};

struct RolloutOptions {
  size_t parallel = 8;   // targets migrated at once, in all
  size_t per_host = 0;   // ... on one database host:port (0: no bound of its own)
  int max_failures = 0;  // failed targets a wave may have and the rollout go on
  bool dry_run = false;  // read each target's plan, change nothing
  migrate::EngineOptions engine;
  // Timeouts and application_name of each target's connection (url unused).
  migrate::ConnectOptions connect;
  // After each target (from a worker thread, serialized): its result, how
  // many are done and how many will run.
  std::function<void(const TargetResult&, size_t done, size_t total)> on_done;
  // True to stop: no further target starts, running ones stop after their
  // current migration (polled).
  std::function<bool()> stop;
  // Replaces the migration of one target (tests of the scheduling: bounds,
  // waves, failures); empty: connect and migrate (or plan) the target.
  std::function<TargetResult(const Target&)> run_one;
};

struct RolloutResult {
  // Every target given: waves in order, by id within a wave.
  std::vector<TargetResult> results;
  std::vector<WaveResult> waves;
  std::string stopped_at;    // the wave whose failures stopped the rollout
  bool stopped = false;      // ... (stopped_at may be "": targets without a wave)
  bool interrupted = false;  // options.stop said so
  absl::Duration duration;
  int exit_code = 0;  // ExitCode(results)
};

RolloutResult Rollout(const std::vector<const Target*>& targets, const RolloutOptions& options);

// Is wave `a` rolled out before wave `b`? "canary" first, "" last, the
// rest in natural order (digit runs compare as numbers).
bool WaveBefore(const std::string& a, const std::string& b);
// The targets grouped by wave, in rollout order, by id within a wave.
std::vector<std::vector<const Target*>> Waves(std::vector<const Target*> targets);

// The shard (0 .. count-1) a target id belongs to: a stable hash of the id
// (FNV-1a), so adding targets never moves the others.
int ShardOf(const std::string& id, int count);

// The process exit code of a rollout: 0 when no target failed; otherwise,
// when any failed target's code is one a rerun may cure (1, 3, 4), the
// first such (in rollout order), so that a Job retries it — a rerun skips
// the finished targets; else the first failed target's code.
int ExitCode(const std::vector<TargetResult>& results);

}  // namespace schemagate::fleet

#endif  // SCHEMAGATE_SERVER_FLEET_ROLLOUT_H_
