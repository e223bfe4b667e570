// server/fleet without a database: target sets (text format and query rows)
// and their per-target problems, feature sets, wave order, shards, the exit
// code of a rollout, and rollouts of targets that cannot run.
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/catalog/catalog.h"
#include "server/fleet/feature_catalogs.h"
#include "server/fleet/rollout.h"
#include "server/fleet/targets.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"
#include "tests/support/generated_catalog.h"

namespace schemagate::fleet {
namespace {

using ::testing::HasSubstr;

// core <- c1 <- c2 <- c3 (each depends on the one before).
std::shared_ptr<const catalog::Catalog> Base(const std::vector<std::string>& features = {}) {
  test::GeneratedCatalogOptions o;
  o.clusters = 4;
  o.tables = 20;
  absl::StatusOr<catalog::Catalog> c = catalog::Catalog::FromProto(test::GenerateCatalog(o));
  EXPECT_TRUE(c.ok()) << c.status();
  if (!features.empty()) c = c->Narrow(features);
  EXPECT_TRUE(c.ok()) << c.status();
  return std::make_shared<const catalog::Catalog>(*std::move(c));
}

std::map<std::string, Target> ById(const std::vector<Target>& targets) {
  std::map<std::string, Target> out;
  for (const Target& t : targets) out.emplace(t.id, t);
  return out;
}

std::string TempFile(const std::string& name, const std::string& text) {
  std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path) << text;
  return path;
}

TEST(TargetSet, EachProblemStaysWithItsTarget) {
  FeatureCatalogs catalogs(Base());
  const std::string url_file = TempFile("url-ok", "postgresql://app@db-1:6432/t1\n");
  const std::string empty_file = TempFile("url-empty", "\n");
  const std::string text = absl::StrCat(
      "target { id: \"ok\" database_url_file: \"", url_file, "\" features: \"c1\" wave: \"1\"\n",
      "  labels { key: \"region\" value: \"eu\" } }\n",
      "target { id: \"all\" database_url: \"postgresql://app@db-2/t2\" }\n",
      "target { database_url: \"postgresql://app@db-2/t3\" }\n",
      "target { id: \"a.b\" database_url: \"postgresql://app@db-2/t3\" }\n",
      "target { id: \"dup\" database_url: \"postgresql://app@db-2/t4\" }\n",
      "target { id: \"dup\" database_url: \"postgresql://app@db-2/t5\" }\n",
      "target { id: \"both\" database_url: \"postgresql://x@h/d\" database_url_file: \"", url_file,
      "\" }\n", "target { id: \"neither\" }\n",
      "target { id: \"nofile\" database_url_file: \"/nonexistent/url\" }\n",
      "target { id: \"emptyfile\" database_url_file: \"", empty_file, "\" }\n",
      "target { id: \"badurl\" database_url: \"postgresql://h/d?nonsense=1\" }\n",
      "target { id: \"typo\" database_url: \"postgresql://h/d\" features: \"c9\" }\n",
      "target { id: \"", std::string(129, 'x'), "\" database_url: \"postgresql://h/d\" }\n");
  absl::StatusOr<std::vector<Target>> targets = ParseTargetSet("set.textproto", text, catalogs);
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 13u);
  std::map<std::string, Target> by = ById(*targets);

  const Target& ok = by["ok"];
  EXPECT_TRUE(ok.ok()) << ok.problem;
  EXPECT_EQ(ok.url, "postgresql://app@db-1:6432/t1");
  EXPECT_EQ(ok.database, "db-1:6432/t1");
  EXPECT_EQ(ok.host, "db-1:6432");
  EXPECT_EQ(ok.wave, "1");
  EXPECT_EQ(ok.labels.at("region"), "eu");
  EXPECT_EQ(ok.origin, "set.textproto:1");
  ASSERT_NE(ok.catalog, nullptr);
  EXPECT_EQ(ok.catalog->enabled_set().clusters, (std::vector<std::string>{"core", "c1"}));
  EXPECT_EQ(by["all"].catalog, catalogs.base());  // no features: every one
  EXPECT_EQ(by["all"].host, "db-2:5432");

  const std::map<std::string, std::string> expected = {
      {"", "no id"},
      {"a.b", "has characters other than A-Z a-z 0-9 _ -"},
      {"dup", "duplicate id \"dup\" (defined 2 times: set.textproto:6, set.textproto:7)"},
      {"both", "both database_url and database_url_file are set"},
      {"neither", "no database_url or database_url_file"},
      {"nofile", "cannot read database_url_file /nonexistent/url"},
      {"emptyfile", "is empty"},
      {"badurl", "not a valid libpq connection string"},
      {"typo", "unknown feature \"c9\""},
      {std::string(129, 'x'), "id is longer than 128 characters"},
  };
  for (const auto& [id, problem] : expected) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(by.count(id));
    EXPECT_THAT(by[id].problem, HasSubstr(problem));
    EXPECT_EQ(by[id].catalog, nullptr);
  }
  // Both definitions of a duplicate carry the problem.
  int dups = 0;
  for (const Target& t : *targets) dups += t.id == "dup" && !t.ok();
  EXPECT_EQ(dups, 2);
}

TEST(TargetSet, ASyntaxErrorNamesTheLine) {
  FeatureCatalogs catalogs(Base());
  absl::StatusOr<std::vector<Target>> t =
      ParseTargetSet("fleet.textproto", "target { id: \"a\" }\ntarget { idd: \"b\" }\n", catalogs);
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("fleet.textproto:2:"));
  EXPECT_THAT(t.status().message(), HasSubstr("idd"));
}

TEST(TargetSet, PasswordsAreSecretsBeforeAnythingPrintsThem) {
  FeatureCatalogs catalogs(Base());
  const std::string password = "s3cret%2Fwith-slash";
  absl::StatusOr<std::vector<Target>> t = ParseTargetSet(
      "s",
      absl::StrCat("target { id: \"a\" database_url: \"postgresql://app:", password, "@db/x\" }\n"),
      catalogs);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].database, "db:5432/x");
  EXPECT_EQ(log::Scrub("pw s3cret/with-slash and s3cret%2Fwith-slash"), "pw **** and ****");
}

TEST(FeatureCatalogs, SameEnabledSetSharesOneCatalog) {
  FeatureCatalogs catalogs(Base());
  auto a = catalogs.For({"c2"});
  auto b = catalogs.For({"c1", "c2"});  // c2 pulls c1 in: the same set
  auto c = catalogs.For({"c2", "c2"});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(a->get(), c->get());
  EXPECT_EQ((*catalogs.For({}))->enabled_set().clusters.size(), 4u);
  EXPECT_EQ(catalogs.For({"all"})->get(), catalogs.base().get());
  EXPECT_EQ((*catalogs.For({"core"}))->enabled_set().clusters, (std::vector<std::string>{"core"}));
  EXPECT_EQ(catalogs.size(), 3u);  // base, {core,c1,c2}, {core}
}

TEST(FeatureCatalogs, NeverWiderThanTheProcess) {
  FeatureCatalogs catalogs(Base({"c1"}));  // the process runs --features=c1
  EXPECT_TRUE(catalogs.For({"c1"}).ok());
  auto wider = catalogs.For({"c2"});
  ASSERT_EQ(wider.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wider.status().message(), HasSubstr("not enabled in this process"));
}

TEST(TargetSet, QueryRows) {
  FeatureCatalogs catalogs(Base());
  migrate::Rows rows;
  rows.columns = {"id", "database_url", "features", "labels", "wave"};
  rows.rows = {
      {"a", "postgresql://h/a", "{c1,c2}", "{\"region\": \"eu\", \"tier\": 2}", "canary"},
      {"b", "postgresql://h/b", "c1, core", "region=us,tier=1", std::nullopt},
      {"c", "postgresql://h/c", std::nullopt, std::nullopt, std::nullopt},
      {"d", "postgresql://h/d", "", "not labels", ""},
  };
  absl::StatusOr<std::vector<Target>> t = TargetsFromRows(rows, "q", catalogs);
  ASSERT_TRUE(t.ok()) << t.status();
  std::map<std::string, Target> by = ById(*t);
  EXPECT_EQ(by["a"].features, (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(by["a"].labels.at("region"), "eu");
  EXPECT_EQ(by["a"].labels.at("tier"), "2");
  EXPECT_EQ(by["a"].wave, "canary");
  EXPECT_EQ(by["b"].features, (std::vector<std::string>{"c1", "core"}));
  EXPECT_EQ(by["b"].labels.at("region"), "us");
  EXPECT_EQ(by["c"].catalog, catalogs.base());
  EXPECT_THAT(by["d"].problem, HasSubstr("not key=value"));
  EXPECT_EQ(by["a"].origin, "q row 1");

  migrate::Rows missing;
  missing.columns = {"id", "wave"};
  EXPECT_THAT(TargetsFromRows(missing, "q", catalogs).status().message(),
              HasSubstr("must return the columns id and database_url"));
  migrate::Rows extra;
  extra.columns = {"id", "database_url", "plan"};
  EXPECT_THAT(TargetsFromRows(extra, "q", catalogs).status().message(),
              HasSubstr("unknown column \"plan\""));
}

TEST(Waves, CanaryFirstNaturalOrderUnassignedLast) {
  const std::vector<std::string> ordered = {"canary", "0",    "1",     "2",    "10",
                                            "eu-1",   "eu-2", "eu-10", "late", ""};
  for (size_t i = 0; i < ordered.size(); ++i) {
    for (size_t j = 0; j < ordered.size(); ++j) {
      EXPECT_EQ(WaveBefore(ordered[i], ordered[j]), i < j)
          << "\"" << ordered[i] << "\" vs \"" << ordered[j] << "\"";
    }
  }
  std::vector<Target> targets(5);
  const char* waves[] = {"", "2", "canary", "10", "2"};
  for (int i = 0; i < 5; ++i) {
    targets[i].id = absl::StrCat("t", 4 - i);
    targets[i].wave = waves[i];
  }
  std::vector<const Target*> all;
  for (const Target& t : targets) all.push_back(&t);
  std::vector<std::vector<const Target*>> grouped = Waves(all);
  ASSERT_EQ(grouped.size(), 4u);
  EXPECT_EQ(grouped[0][0]->wave, "canary");
  ASSERT_EQ(grouped[1].size(), 2u);
  EXPECT_EQ(grouped[1][0]->id, "t0");  // by id within a wave
  EXPECT_EQ(grouped[1][1]->id, "t3");
  EXPECT_EQ(grouped[2][0]->wave, "10");
  EXPECT_EQ(grouped[3][0]->wave, "");
}

TEST(Shards, StableAndSpread) {
  std::map<int, int> counts;
  for (int i = 0; i < 3000; ++i) {
    std::string id = absl::StrCat("tenant-", i);
    int shard = ShardOf(id, 5);
    ASSERT_GE(shard, 0);
    ASSERT_LT(shard, 5);
    EXPECT_EQ(shard, ShardOf(id, 5));
    ++counts[shard];
  }
  for (const auto& [shard, n] : counts) EXPECT_GT(n, 450) << shard;  // ~600 each
  EXPECT_EQ(ShardOf("anything", 1), 0);
  // FNV-1a: fixed across platforms and releases (a Job's pods may differ).
  // (Computed independently: python3, FNV-1a 64 of b"acme".)
  EXPECT_EQ(ShardOf("acme", 1000), 201);
  EXPECT_EQ(ShardOf("acme", 7), 4);
}

TEST(Rollout, ExitCodePrefersWhatARerunCures) {
  auto result = [](Outcome o, int code) {
    TargetResult r;
    r.outcome = o;
    r.exit_code = code;
    return r;
  };
  struct Case {
    std::vector<TargetResult> results;
    int code;
  } cases[] = {
      {{}, 0},
      {{result(Outcome::kMigrated, 0), result(Outcome::kUpToDate, 0)}, 0},
      {{result(Outcome::kFailed, 5)}, 5},
      {{result(Outcome::kFailed, 6), result(Outcome::kFailed, 5)}, 6},
      {{result(Outcome::kFailed, 5), result(Outcome::kFailed, 3)}, 3},
      {{result(Outcome::kInvalid, 2), result(Outcome::kFailed, 4)}, 4},
      {{result(Outcome::kInvalid, 2), result(Outcome::kSkipped, 0)}, 2},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    EXPECT_EQ(ExitCode(cases[i].results), cases[i].code) << "case " << i;
  }
}

// Targets that cannot run (a problem; a database that refuses
// connections) fail alone; too many failures in a wave skip the next.
TEST(Rollout, FailuresCountPerWaveAndStopTheNext) {
  FeatureCatalogs catalogs(Base());
  absl::StatusOr<std::vector<Target>> targets = ParseTargetSet(
      "s",
      "target { id: \"bad1\" wave: \"canary\" }\n"
      "target { id: \"down\" wave: \"canary\" database_url: \"postgresql://u@127.0.0.1:1/d\" }\n"
      "target { id: \"later\" wave: \"1\" database_url: \"postgresql://u@127.0.0.1:1/d\" }\n",
      catalogs);
  ASSERT_TRUE(targets.ok());
  std::vector<const Target*> all;
  for (const Target& t : *targets) all.push_back(&t);
  RolloutOptions options;
  options.connect.timeout = absl::ZeroDuration();
  options.max_failures = 1;
  std::vector<std::string> reported;
  options.on_done = [&](const TargetResult& r, size_t done, size_t total) {
    reported.push_back(absl::StrCat(r.target->id, " ", done, "/", total));
  };
  RolloutResult r = Rollout(all, options);
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_EQ(r.results[0].target->id, "bad1");
  EXPECT_EQ(r.results[0].outcome, Outcome::kInvalid);
  EXPECT_EQ(r.results[0].exit_code, exit_codes::kUsage);
  EXPECT_EQ(r.results[1].outcome, Outcome::kFailed);
  EXPECT_EQ(r.results[1].exit_code, exit_codes::kUnavailable);
  EXPECT_EQ(r.results[2].outcome, Outcome::kSkipped);
  EXPECT_THAT(r.results[2].error, HasSubstr("wave \"canary\" had 2 failed target(s)"));
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.stopped_at, "canary");
  EXPECT_EQ(r.exit_code, exit_codes::kUnavailable);
  EXPECT_EQ(reported.size(), 2u);

  options.max_failures = 2;  // the canary may fail twice: wave 1 runs
  r = Rollout(all, options);
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.results[2].outcome, Outcome::kFailed);

  options.stop = [] { return true; };  // interrupted before anything starts
  r = Rollout(all, options);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.results[1].outcome, Outcome::kSkipped);
  EXPECT_THAT(r.results[1].error, HasSubstr("interrupted"));
}

// --parallel bounds the targets running at once in all, --per-host those on
// one database host:port; every target still runs exactly once.
TEST(Rollout, ParallelAndPerHostBoundsHold) {
  FeatureCatalogs catalogs(Base());
  std::string text;
  for (int i = 0; i < 18; ++i) {
    absl::StrAppend(&text, "target { id: \"t", i, "\" database_url: \"postgresql://u@h", i % 3,
                    ":5432/d", i, "\" }\n");
  }
  absl::StatusOr<std::vector<Target>> targets = ParseTargetSet("s", text, catalogs);
  ASSERT_TRUE(targets.ok()) << targets.status();
  std::vector<const Target*> all;
  for (const Target& t : *targets) {
    ASSERT_TRUE(t.ok()) << t.id << ": " << t.problem;
    all.push_back(&t);
  }
  ASSERT_EQ(all[0]->host, "h0:5432");

  struct Case {
    size_t parallel, per_host;
    int max_total, max_per_host;  // the concurrency a run must reach, never exceed
    // (the first picks are in target order, hosts h0 h1 h2 h0 ..., so each
    // bound is reached before any target ends; -1: per host unbounded)
  } cases[] = {{8, 2, 6, 2}, {4, 1, 3, 1}, {2, 1, 2, 1}, {5, 0, 5, -1}};
  for (const Case& c : cases) {
    absl::Mutex mu;
    int total = 0, peak_total = 0;
    std::map<std::string, int> running, peak;
    std::map<std::string, int> runs;
    RolloutOptions options;
    options.parallel = c.parallel;
    options.per_host = c.per_host;
    options.run_one = [&](const Target& t) {
      {
        absl::MutexLock lock(&mu);
        ++runs[t.id];
        peak_total = std::max(peak_total, ++total);
        peak[t.host] = std::max(peak[t.host], ++running[t.host]);
      }
      {
        // Hold every run until the bound has been reached once (a correct
        // scheduler gets there before any target ends), at most 5 s.
        absl::MutexLock lock(&mu);
        auto reached = [&] { return peak_total >= c.max_total; };
        mu.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(5));
        --total;
        --running[t.host];
      }
      TargetResult r;
      r.outcome = Outcome::kMigrated;
      return r;
    };
    RolloutResult r = Rollout(all, options);
    SCOPED_TRACE(absl::StrCat("parallel ", c.parallel, " per_host ", c.per_host));
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.results.size(), all.size());
    for (const TargetResult& t : r.results) {
      EXPECT_EQ(t.outcome, Outcome::kMigrated) << t.target->id;
      EXPECT_EQ(runs[t.target->id], 1) << t.target->id;
    }
    EXPECT_EQ(peak_total, c.max_total);
    for (const auto& [host, n] : peak) {
      if (c.max_per_host >= 0) {
        EXPECT_EQ(n, c.max_per_host) << host;
      }
    }
  }
}

}  // namespace
}  // namespace schemagate::fleet
