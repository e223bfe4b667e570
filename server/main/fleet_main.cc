// schemagate-fleet: `schemagate fleet`, one build for many databases (a
// database per tenant, shards), each with its own feature set
// (docs/FLEETS.md). `schemagate fleet ...` execs this binary: reading the
// target set's text format needs the full protobuf runtime, which the
// one-shot `schemagate` (in every init container) does not load. This file
// parses flags, wires server/fleet and prints.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "nlohmann/json.hpp"
#include "server/fleet/feature_catalogs.h"
#include "server/fleet/rollout.h"
#include "server/fleet/targets.h"
#include "server/main/commands.h"
#include "server/main/common.h"
#include "server/main/fleet_flags.h"
#include "server/util/cli.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::commands {
namespace {

using nlohmann::ordered_json;

constexpr char kFleetExitCodes[] =
    "fleet migrate exits 0 when every selected target is up to date. When\n"
    "targets failed it exits with a failed target's code (the table below):\n"
    "the first one a rerun may cure (1, 3, 4) if any, so a Job retries (a\n"
    "rerun skips the finished targets); else the first failed target's code\n"
    "(waves in order, ids within a wave). A target whose definition has a\n"
    "problem counts as failed with 2. Interrupted (SIGTERM) with no failure: 1.\n";

// What selects the targets of a fleet command, and the target set itself.
struct Selection {
  CommonFlags common;
  TargetSetFlags set;
  std::vector<std::string> selector, waves;
  int64_t shard_index = 0, shard_count = 1;
  absl::Duration connect_timeout = absl::Seconds(10);
  std::string history_table = "schemagate.migrations";
  bool json = false;

  void Register(cli::FlagSet& flags) {
    set.Register(flags);
    flags.List("selector", &selector,
               "only targets with these labels (key=value, comma-separated: all must match)",
               "SCHEMAGATE_SELECTOR");
    flags.List("waves", &waves, "only these waves (comma-separated; \"\" is none)",
               "SCHEMAGATE_WAVES");
    flags.Int("shard-index", &shard_index,
              "this process's shard (0 .. --shard-count-1; a stable hash of the id); "
              "a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX",
              "JOB_COMPLETION_INDEX");
    flags.Int("shard-count", &shard_count, "shards the target set is spread over",
              "SCHEMAGATE_SHARD_COUNT");
    flags.Duration("connect-timeout", &connect_timeout,
                   "keep retrying an unreachable target (or control database) this long",
                   "SCHEMAGATE_CONNECT_TIMEOUT");
    flags.String("history-table", &history_table, "[schema.]table of the migration history",
                 "SCHEMAGATE_HISTORY_TABLE");
    common.Register(flags);
    flags.Bool("json", &json, "print the result as JSON");
  }

  struct Loaded {
    std::unique_ptr<fleet::FeatureCatalogs> catalogs;
    std::vector<fleet::Target> targets;  // every target of the set
    std::vector<const fleet::Target*> selected;
    migrate::HistoryName history;
  };

  absl::StatusOr<Loaded> Load(const cli::FlagSet& flags) const {
    auto usage = [](std::string m) {
      return errors::WithKind(absl::InvalidArgumentError(std::move(m)), errors::ErrorKind::kUsage);
    };
    if (absl::Status s = common.Apply(); !s.ok()) return s;
    if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count) {
      return usage(absl::StrCat("--shard-index must be in 0 .. --shard-count-1 (got ", shard_index,
                                " of ", shard_count, ")"));
    }
    if (!set.given()) return usage("no target set: give --targets FILE or --targets-query SQL");
    absl::StatusOr<std::map<std::string, std::string>> labels = fleet::ParseLabels(selector);
    if (!labels.ok()) return labels.status();
    Loaded out;
    absl::StatusOr<migrate::HistoryName> history = migrate::HistoryName::Parse(history_table);
    if (!history.ok()) return errors::WithKind(history.status(), errors::ErrorKind::kUsage);
    out.history = *history;
    absl::StatusOr<catalog::Catalog> base = LoadCatalog(common, flags.IsSet("features"));
    if (!base.ok()) return base.status();
    out.catalogs = std::make_unique<fleet::FeatureCatalogs>(
        std::make_shared<const catalog::Catalog>(*std::move(base)));
    absl::StatusOr<fleet::TargetSource> source = set.Source(connect_timeout, absl::Seconds(30));
    if (!source.ok()) return source.status();
    absl::StatusOr<std::vector<fleet::Target>> targets = fleet::LoadTargets(*source, *out.catalogs);
    if (!targets.ok()) return targets.status();
    out.targets = *std::move(targets);
    const bool wave_filter = flags.IsSet("waves");
    for (const fleet::Target& t : out.targets) {
      if (!fleet::MatchesLabels(t, *labels)) continue;
      if (wave_filter && std::find(waves.begin(), waves.end(), t.wave) == waves.end()) continue;
      if (fleet::ShardOf(t.id, static_cast<int>(shard_count)) != shard_index) continue;
      out.selected.push_back(&t);
    }
    return out;
  }
};

std::vector<std::string> EnabledFeatures(const fleet::Target& t) {
  if (t.catalog == nullptr) return t.features;
  return t.catalog->enabled_set().features;
}

ordered_json TargetJson(const fleet::Target& t) {
  return {{"id", t.id},
          {"wave", t.wave},
          {"database", t.database},
          {"features", EnabledFeatures(t)},
          {"labels", t.labels},
          {"origin", t.origin}};
}

std::string FeaturesText(const fleet::Target& t) {
  std::vector<std::string> f = EnabledFeatures(t);
  if (t.catalog != nullptr && t.features.empty()) return "(all)";
  return f.empty() ? "-" : absl::StrJoin(f, ",");
}

// Blocks SIGTERM/SIGINT in every thread and turns the first one into
// `stop`: no further target starts, running ones stop after their current
// migration (a Job's pod being evicted).
class StopOnSignal {
 public:
  StopOnSignal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    thread_ = std::thread([this, set] {
      int sig = 0;
      sigwait(&set, &sig);
      if (done_) return;
      log::Warning(
          "stopping: no further target starts; running ones stop after their "
          "current migration",
          {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      stop_ = true;
    });
  }
  ~StopOnSignal() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
  bool stopped() const { return stop_; }

 private:
  std::atomic<bool> stop_{false}, done_{false};
  std::thread thread_;
};

int FleetTargets(const Args& args) {
  Selection sel;
  cli::FlagSet flags("schemagate fleet targets",
                     "Reads and checks a target set (no database is contacted, except "
                     "the control database of --targets-query): each selected target's "
                     "id, wave, database (host:port/db), enabled features, labels, and "
                     "any problem (a duplicate id, an unknown feature, an unreadable URL "
                     "file). Exits 2 when a selected target has a problem.");
  sel.Register(flags);
  flags.SetEpilog(exit_codes::kHelp);
  if (int code = flags.Finish(flags.Parse(args), 0, kUsage); code >= 0) return code;
  const std::string cmd = "schemagate fleet targets";
  absl::StatusOr<Selection::Loaded> loaded = sel.Load(flags);
  if (!loaded.ok()) return Fail(cmd, loaded.status());
  int problems = 0;
  for (const fleet::Target* t : loaded->selected) problems += !t->ok();
  if (sel.json) {
    ordered_json list = ordered_json::array();
    for (const fleet::Target* t : loaded->selected) {
      ordered_json j = TargetJson(*t);
      j["shard"] = fleet::ShardOf(t->id, static_cast<int>(sel.shard_count));
      j["problem"] = t->problem;
      list.push_back(j);
    }
    std::cout << ordered_json({{"targets", list},
                               {"total", loaded->targets.size()},
                               {"selected", loaded->selected.size()},
                               {"problems", problems},
                               {"feature_sets", loaded->catalogs->size()}})
                     .dump(2)
              << "\n";
  } else {
    std::cout << absl::StrFormat("%-24s %-10s %-32s %s\n", "TARGET", "WAVE", "DATABASE",
                                 "FEATURES");
    for (const std::vector<const fleet::Target*>& wave : fleet::Waves(loaded->selected)) {
      for (const fleet::Target* t : wave) {
        std::cout << absl::StrFormat("%-24s %-10s %-32s %s\n", t->id,
                                     t->wave.empty() ? "-" : t->wave,
                                     t->database.empty() ? "-" : t->database, FeaturesText(*t));
        if (!t->ok()) std::cout << "    problem: " << t->problem << " (" << t->origin << ")\n";
      }
    }
    std::cout << loaded->selected.size() << " of " << loaded->targets.size()
              << " target(s) selected, " << problems << " with a problem, "
              << loaded->catalogs->size() << " feature set(s)\n";
  }
  return problems == 0 ? kOk : kUsage;
}

int FleetMigrate(const Args& args) {
  Selection sel;
  EngineFlags engine_flags;
  int64_t parallel = 8, per_host = 0, max_failures = 0;
  bool dry_run = false;
  absl::Duration progress_every = absl::Seconds(10);
  cli::FlagSet flags("schemagate fleet migrate",
                     "Brings every selected target of a target set to its own feature set: "
                     "each target's pending migrations, as `schemagate migrate --features=<its "
                     "features>` would apply them, on up to --parallel targets at once (at most "
                     "--per-host on one database server), wave after wave (\"canary\" first). "
                     "A wave with more than --max-failures failed targets stops the rollout: "
                     "no further target starts. Rerunning resumes: finished targets are no-ops "
                     "(one read). Progress on stderr; a result per target on stdout (--json).");
  sel.Register(flags);
  engine_flags.Register(flags);
  flags.Int("parallel", &parallel, "targets migrated at once", "SCHEMAGATE_PARALLEL");
  flags.Int("per-host", &per_host,
            "targets migrated at once on one database host:port (0: only --parallel)",
            "SCHEMAGATE_PER_HOST");
  flags.Int("max-failures", &max_failures,
            "failed targets a wave may have before the rollout stops (later waves are "
            "skipped)",
            "SCHEMAGATE_MAX_FAILURES");
  flags.Bool("dry-run", &dry_run, "read each target's pending migrations; change nothing");
  flags.Duration("progress-interval", &progress_every,
                 "log a progress line this often (0: only one per target)");
  flags.SetEpilog(absl::StrCat(kFleetExitCodes, exit_codes::kHelp));
  if (int code = flags.Finish(flags.Parse(args), 0, kUsage); code >= 0) return code;
  const std::string cmd = "schemagate fleet migrate";
  if (parallel < 1 || per_host < 0 || max_failures < 0) {
    return Fail(cmd,
                errors::WithKind(absl::InvalidArgumentError("--parallel >= 1, --per-host >= 0, "
                                                            "--max-failures >= 0"),
                                 errors::ErrorKind::kUsage));
  }
  if (absl::Status s = engine_flags.Options({}).status(); !s.ok()) return Fail(cmd, s);
  absl::StatusOr<Selection::Loaded> loaded = sel.Load(flags);
  if (!loaded.ok()) return Fail(cmd, loaded.status());
  absl::StatusOr<migrate::EngineOptions> engine = engine_flags.Options(loaded->history);
  if (!engine.ok()) return Fail(cmd, engine.status());

  StopOnSignal signals;
  fleet::RolloutOptions options;
  options.parallel = static_cast<size_t>(parallel);
  options.per_host = static_cast<size_t>(per_host);
  options.max_failures = static_cast<int>(max_failures);
  options.dry_run = dry_run;
  options.engine = *engine;
  options.connect.timeout = sel.connect_timeout;
  options.connect.application_name = "schemagate-fleet";
  options.stop = [&signals] { return signals.stopped(); };
  // Progress: a line per target, and a summary line every --progress-interval.
  absl::Mutex progress_mu;
  std::map<std::string, size_t> counts;
  size_t done_count = 0;
  const size_t total = loaded->selected.size();
  options.on_done = [&](const fleet::TargetResult& r, size_t done, size_t of) {
    {
      absl::MutexLock lock(&progress_mu);
      ++counts[fleet::ToString(r.outcome)];
      done_count = done;
    }
    log::Fields f = {{"target", r.target->id},
                     {"wave", r.target->wave},
                     {"result", fleet::ToString(r.outcome)},
                     {"done", absl::StrCat(done, "/", of)}};
    if (!r.applied.empty()) f.push_back({"applied", absl::StrCat(r.applied.size())});
    if (!r.pending.empty()) f.push_back({"pending", absl::StrCat(r.pending.size())});
    f.push_back({"duration", Ms(r.duration)});
    if (r.failed()) {
      f.push_back({"exit_code", absl::StrCat(r.exit_code)});
      f.push_back({"error", r.error});
      log::Error("target failed", f);
    } else {
      log::Info("target done", f);
    }
  };
  log::Info("fleet migrate", {{"targets", absl::StrCat(total)},
                              {"of", absl::StrCat(loaded->targets.size())},
                              {"feature_sets", absl::StrCat(loaded->catalogs->size())},
                              {"parallel", absl::StrCat(parallel)},
                              {"per_host", absl::StrCat(per_host)},
                              {"shard", absl::StrCat(sel.shard_index, "/", sel.shard_count)},
                              {"dry_run", dry_run ? "true" : "false"}});
  absl::Notification finished;
  std::thread ticker;
  if (progress_every > absl::ZeroDuration()) {
    ticker = std::thread([&] {
      while (!finished.WaitForNotificationWithTimeout(progress_every)) {
        absl::MutexLock lock(&progress_mu);
        log::Fields f = {{"done", absl::StrCat(done_count, "/", total)}};
        for (const auto& [outcome, n] : counts) f.push_back({outcome, absl::StrCat(n)});
        log::Info("progress", f);
      }
    });
  }
  fleet::RolloutResult result = fleet::Rollout(loaded->selected, options);
  finished.Notify();
  if (ticker.joinable()) ticker.join();

  std::map<std::string, int> summary;
  for (const fleet::TargetResult& r : result.results) ++summary[fleet::ToString(r.outcome)];
  if (sel.json) {
    ordered_json targets = ordered_json::array();
    for (const fleet::TargetResult& r : result.results) {
      ordered_json j = TargetJson(*r.target);
      j["result"] = fleet::ToString(r.outcome);
      j["exit_code"] = r.exit_code;
      j["error"] = r.error;
      ordered_json applied = ordered_json::array();
      for (const migrate::StepResult& s : r.applied) {
        applied.push_back({{"cluster", s.cluster},
                           {"version", s.version},
                           {"name", s.name},
                           {"duration_ms", absl::ToInt64Milliseconds(s.duration)}});
      }
      j["applied"] = applied;
      if (dry_run) j["pending"] = r.pending;
      j["duration_ms"] = absl::ToInt64Milliseconds(r.duration);
      targets.push_back(j);
    }
    ordered_json waves = ordered_json::array();
    for (const fleet::WaveResult& w : result.waves) {
      waves.push_back({{"wave", w.wave},
                       {"targets", w.targets},
                       {"failed", w.failed},
                       {"skipped", w.skipped},
                       {"stopped", w.stopped}});
    }
    ordered_json counts_json = ordered_json::object();
    for (const char* o : {"migrated", "up_to_date", "pending", "failed", "invalid", "skipped"}) {
      counts_json[o] = summary[o];
    }
    std::cout << ordered_json({{"targets", targets},
                               {"waves", waves},
                               {"summary", counts_json},
                               {"stopped", result.stopped},
                               {"stopped_at_wave", result.stopped_at},
                               {"interrupted", result.interrupted},
                               {"dry_run", dry_run},
                               {"shard", {{"index", sel.shard_index}, {"count", sel.shard_count}}},
                               {"duration_ms", absl::ToInt64Milliseconds(result.duration)},
                               {"exit_code", result.exit_code}})
                     .dump(2)
              << "\n";
  } else {
    std::cout << absl::StrFormat("%-24s %-10s %-32s %-24s %-11s %7s %8s\n", "TARGET", "WAVE",
                                 "DATABASE", "FEATURES", "RESULT", dry_run ? "PENDING" : "APPLIED",
                                 "TIME");
    for (const fleet::TargetResult& r : result.results) {
      const fleet::Target& t = *r.target;
      std::cout << absl::StrFormat(
          "%-24s %-10s %-32s %-24s %-11s %7d %8s\n", t.id, t.wave.empty() ? "-" : t.wave,
          t.database.empty() ? "-" : t.database, FeaturesText(t), fleet::ToString(r.outcome),
          dry_run ? r.pending.size() : r.applied.size(),
          r.outcome == fleet::Outcome::kSkipped ? "-" : Ms(r.duration));
      if (r.failed()) std::cout << "    error (exit " << r.exit_code << "): " << r.error << "\n";
      for (const std::string& p : r.pending) std::cout << "    would apply " << p << "\n";
    }
    std::vector<std::string> parts;
    for (const auto& [outcome, n] : summary) parts.push_back(absl::StrCat(n, " ", outcome));
    std::cout << result.results.size() << " target(s) in " << result.waves.size()
              << " wave(s): " << absl::StrJoin(parts, ", ") << "; " << Ms(result.duration) << "\n";
    if (result.stopped) {
      std::cout << "stopped: wave \"" << result.stopped_at
                << "\" had more than --max-failures=" << max_failures
                << " failed target(s); later targets were not started\n";
    }
    if (result.interrupted)
      std::cout << "interrupted: rerun to finish (finished targets are no-ops)\n";
  }
  return result.exit_code;
}

void Usage(std::ostream& out) {
  out << "Usage: schemagate fleet <command> [flags]\n\n"
         "One build, many databases (a database per tenant, shards), each with its own\n"
         "feature set (docs/FLEETS.md).\n\nCommands:\n"
         "  migrate     bring every target to its feature set, wave after wave\n"
         "  targets     read and check a target set (no target database is contacted)\n\n"
         "Run `schemagate fleet <command> --help` for a command's flags.\n";
}

}  // namespace
}  // namespace schemagate::commands

int main(int argc, char** argv) {
  using namespace schemagate::commands;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "fleet") args.erase(args.begin());
  if (args.empty()) {
    Usage(std::cerr);
    return kUsage;
  }
  const std::string name = args.front();
  args.erase(args.begin());
  if (name == "--help" || name == "-h" || name == "help") {
    Usage(std::cout);
    return kOk;
  }
  if (name == "migrate") return FleetMigrate(args);
  if (name == "targets") return FleetTargets(args);
  std::cerr << "schemagate fleet: unknown command \"" << name << "\"\n\n";
  Usage(std::cerr);
  return kUsage;
}
