// Fleets end to end (docs/FLEETS.md): `schemagate fleet migrate` over 50
// tenant databases of the fixture PostgreSQL with three feature sets, waves,
// shards, per-target problems; `schemagate serve --targets` answering per
// target, its health per target (one target on a private PostgreSQL that
// stops), SIGHUP reloads, a control-database query, schemactl --target-id.
#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/schemagate_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/migrate/history.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

using test::Bin;
using test::Connect;
using test::Eventually;
using test::ProcessResult;
using test::RunProcess;
using test::Server;
using test::TempDir;
using test::TestDatabase;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;
using Json = nlohmann::json;
using Health = grpc::health::v1::HealthCheckResponse;

// The three feature sets of the tenants ("" = every feature).
const char* const kPlans[] = {"core", "tasks", "billing,mail"};

// The tables a build with `features` creates (`schemagate catalog`).
std::set<std::string> ExpectedTables(const std::string& features) {
  static std::map<std::string, std::set<std::string>>* cache =
      new std::map<std::string, std::set<std::string>>;
  auto it = cache->find(features);
  if (it != cache->end()) return it->second;
  std::vector<std::string> argv = {Bin("schemagate"), "catalog", "--compact"};
  if (!features.empty()) argv.push_back("--features=" + features);
  ProcessResult r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> tables;
  Json catalog = Json::parse(r.out, nullptr, false);
  if (catalog.is_discarded()) return tables;
  for (const auto& c : catalog["clusters"]) {
    for (const auto& t : c["tables"]) tables.insert(t["name"].get<std::string>());
  }
  (*cache)[features] = tables;
  return tables;
}

// The tables in `db` outside the history schema.
std::set<std::string> Tables(const TestDatabase& db) {
  auto rows = db.Query(
      "SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || "
      "c.relname END FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
      "'information_schema', 'schemagate') AND n.nspname NOT LIKE 'pg_toast%'");
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? std::set<std::string>(rows->begin(), rows->end()) : std::set<std::string>();
}

bool HasHistory(const TestDatabase& db) {
  auto rows = db.Query("SELECT to_regclass('schemagate.migrations') IS NOT NULL");
  return rows.ok() && !rows->empty() && (*rows)[0] == "t";
}

struct Tenant {
  std::string id;
  std::string features;  // comma-separated; "" = all
  std::string wave;
  std::unique_ptr<TestDatabase> db;
  std::string url;  // overrides db->url() (a private server)
};

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempDir(); }

  // `n` tenants t00.., their plans in turn, each on a fresh database.
  std::vector<Tenant> MakeTenants(int n, const std::string& prefix = "t") {
    std::vector<Tenant> out;
    for (int i = 0; i < n; ++i) {
      Tenant t;
      t.id = absl::StrCat(prefix, i < 10 ? "0" : "", i);
      t.features = kPlans[i % 3];
      auto db = TestDatabase::Create("fleet_" + t.id);
      EXPECT_TRUE(db.ok()) << db.status();
      if (!db.ok()) return out;
      t.db = *std::move(db);
      out.push_back(std::move(t));
    }
    return out;
  }

  // The target set of `tenants` (every second one by database_url_file).
  std::string WriteTargets(const std::vector<Tenant>& tenants, const std::string& extra = "",
                           const std::string& name = "targets.textproto") {
    std::string text = "# a fleet\n";
    for (size_t i = 0; i < tenants.size(); ++i) {
      const Tenant& t = tenants[i];
      const std::string url = t.url.empty() ? t.db->url() : t.url;
      absl::StrAppend(&text, "target {\n  id: \"", t.id, "\"\n");
      if (i % 2 == 0) {
        std::string file = absl::StrCat(dir_, "/url-", t.id);
        std::ofstream(file) << url << "\n";
        absl::StrAppend(&text, "  database_url_file: \"", file, "\"\n");
      } else {
        absl::StrAppend(&text, "  database_url: \"", url, "\"\n");
      }
      for (absl::string_view f : absl::StrSplit(t.features, ',', absl::SkipEmpty())) {
        absl::StrAppend(&text, "  features: \"", f, "\"\n");
      }
      absl::StrAppend(&text, "  labels { key: \"plan\" value: \"", t.features, "\" }\n");
      if (!t.wave.empty()) absl::StrAppend(&text, "  wave: \"", t.wave, "\"\n");
      absl::StrAppend(&text, "}\n");
    }
    text += extra;
    const std::string path = dir_ + "/" + name;
    std::ofstream(path + ".tmp") << text;
    std::rename((path + ".tmp").c_str(), path.c_str());
    return path;
  }

  ProcessResult Fleet(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), {Bin("schemagate"), "fleet"});
    return RunProcess(args, "", env);
  }

  // fleet migrate --json; the parsed result (null when it does not parse).
  Json MigrateJson(const std::string& targets, std::vector<std::string> extra,
                   ProcessResult* result) {
    std::vector<std::string> args = {"migrate", "--targets=" + targets, "--json",
                                     "--progress-interval=0"};
    args.insert(args.end(), extra.begin(), extra.end());
    *result = Fleet(args);
    return Json::parse(result->out, nullptr, false);
  }

  static std::map<std::string, Json> ById(const Json& out) {
    std::map<std::string, Json> by_id;
    if (out.is_discarded()) return by_id;
    for (const auto& t : out["targets"]) by_id[t["id"].get<std::string>()] = t;
    return by_id;
  }

  std::string dir_;
};

// 50 tenants, three plans, one broken: fleet migrate gives each database
// exactly its plan's tables and fails only the broken one, with its
// message; a rerun is a no-op for the finished ones; fixing the broken one
// and rerunning migrates only it; a feature turned on for one tenant
// migrates only that tenant.
TEST_F(FleetTest, FiftyTenantsEachGetExactlyTheirFeatures) {
  std::vector<Tenant> tenants = MakeTenants(50);
  ASSERT_EQ(tenants.size(), 50u);
  // t04 is a tasks tenant whose database already has a "projects" table.
  Tenant& broken = tenants[4];
  ASSERT_EQ(broken.features, "tasks");
  ASSERT_TRUE(broken.db->Query("CREATE TABLE projects (x int)").ok());
  const std::string targets = WriteTargets(tenants);

  ProcessResult r;
  Json out = MigrateJson(targets, {"--parallel=8", "--max-failures=3"}, &r);
  ASSERT_FALSE(out.is_discarded()) << r.out << r.err;
  EXPECT_EQ(r.exit_code, 5) << r.err;  // a migration failed
  EXPECT_EQ(out["exit_code"], 5);
  EXPECT_EQ(out["summary"]["migrated"], 49);
  EXPECT_EQ(out["summary"]["failed"], 1);
  std::map<std::string, Json> by_id = ById(out);
  ASSERT_EQ(by_id.size(), 50u);
  EXPECT_EQ(by_id["t04"]["result"], "failed");
  EXPECT_EQ(by_id["t04"]["exit_code"], 5);
  EXPECT_THAT(by_id["t04"]["error"].get<std::string>(),
              AllOf(HasSubstr("tasks/0001_init"), HasSubstr("\"projects\" already exists")));
  for (const Tenant& t : tenants) {
    SCOPED_TRACE(t.id + " (" + t.features + ")");
    if (t.id == "t04") {
      // Nothing of tasks: the failed migration left no trace.
      EXPECT_EQ(Tables(*t.db), [] {
        std::set<std::string> s = ExpectedTables("core");
        s.insert("projects");
        return s;
      }());
      continue;
    }
    EXPECT_EQ(by_id[t.id]["result"], "migrated");
    EXPECT_EQ(Tables(*t.db), ExpectedTables(t.features));
    // Described as host:port/dbname, never with the credentials.
    EXPECT_THAT(by_id[t.id]["database"].get<std::string>(),
                ::testing::EndsWith("/" + t.db->name()));
  }
  // The plans differ: a core tenant has no tasks tables, a tasks tenant no billing.
  EXPECT_NE(ExpectedTables("core"), ExpectedTables("tasks"));
  EXPECT_NE(ExpectedTables("tasks"), ExpectedTables("billing,mail"));
  EXPECT_EQ(Tables(*tenants[0].db).count("projects"), 0u);
  EXPECT_EQ(Tables(*tenants[1].db).count("projects"), 1u);

  // Rerun: finished tenants are no-ops, the broken one fails again alone.
  out = MigrateJson(targets, {"--parallel=8", "--max-failures=3"}, &r);
  ASSERT_FALSE(out.is_discarded()) << r.out << r.err;
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(out["summary"]["up_to_date"], 49);
  EXPECT_EQ(out["summary"]["failed"], 1);

  // Fixed: only t04 is migrated.
  ASSERT_TRUE(broken.db->Query("DROP TABLE projects").ok());
  out = MigrateJson(targets, {"--parallel=8"}, &r);
  ASSERT_FALSE(out.is_discarded()) << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  by_id = ById(out);
  for (const auto& [id, t] : by_id) {
    EXPECT_EQ(t["result"], id == "t04" ? "migrated" : "up_to_date") << id;
  }
  EXPECT_EQ(Tables(*broken.db), ExpectedTables("tasks"));

  // t00 (core) buys tasks: the rerun migrates t00 alone, only tasks.
  tenants[0].features = "core,tasks";
  WriteTargets(tenants);
  out = MigrateJson(targets, {"--parallel=8"}, &r);
  ASSERT_FALSE(out.is_discarded()) << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  by_id = ById(out);
  EXPECT_EQ(out["summary"]["migrated"], 1);
  EXPECT_EQ(by_id["t00"]["result"], "migrated");
  std::set<std::string> clusters;
  for (const auto& a : by_id["t00"]["applied"]) clusters.insert(a["cluster"].get<std::string>());
  EXPECT_EQ(clusters, std::set<std::string>{"tasks"});
  EXPECT_EQ(Tables(*tenants[0].db), ExpectedTables("tasks"));
  // The text table names every target, one line each, and the outcome.
  ProcessResult text = Fleet({"migrate", "--targets=" + targets, "--progress-interval=0"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("50 up_to_date"));
  // Progress goes to stderr, a line per target.
  EXPECT_THAT(text.err, HasSubstr("target done"));
  EXPECT_THAT(text.err, HasSubstr("done=50/50"));
}

// A wave with more than --max-failures failed targets stops the rollout:
// the next wave is not started (its databases are untouched).
TEST_F(FleetTest, AWaveWithTooManyFailuresStopsTheNextWave) {
  std::vector<Tenant> tenants = MakeTenants(6, "w");
  for (size_t i = 0; i < tenants.size(); ++i) {
    tenants[i].features = "tasks";
    tenants[i].wave = i < 3 ? "canary" : "1";
  }
  for (int i : {0, 1}) ASSERT_TRUE(tenants[i].db->Query("CREATE TABLE projects (x int)").ok());
  const std::string targets = WriteTargets(tenants);
  ProcessResult r;
  Json out = MigrateJson(targets, {"--max-failures=1", "--parallel=1"}, &r);
  ASSERT_FALSE(out.is_discarded()) << r.out << r.err;
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_TRUE(out["stopped"]);
  EXPECT_EQ(out["stopped_at_wave"], "canary");
  ASSERT_EQ(out["waves"].size(), 2u);
  EXPECT_EQ(out["waves"][0]["wave"], "canary");
  EXPECT_EQ(out["waves"][0]["failed"], 2);
  EXPECT_TRUE(out["waves"][0]["stopped"]);
  EXPECT_EQ(out["waves"][1]["skipped"], 3);
  std::map<std::string, Json> by_id = ById(out);
  EXPECT_EQ(by_id["w00"]["result"], "failed");
  EXPECT_EQ(by_id["w01"]["result"], "failed");
  for (int i : {3, 4, 5}) {
    EXPECT_EQ(by_id[tenants[i].id]["result"], "skipped");
    EXPECT_THAT(by_id[tenants[i].id]["error"].get<std::string>(),
                HasSubstr("wave \"canary\" had 2 failed target(s), more than --max-failures=1"));
    EXPECT_FALSE(HasHistory(*tenants[i].db)) << tenants[i].id;
  }
  // Within the limit the rollout goes on: every healthy tenant is migrated.
  out = MigrateJson(targets, {"--max-failures=2"}, &r);
  EXPECT_EQ(r.exit_code, 5);
  by_id = ById(out);
  for (int i : {2, 3, 4, 5}) {
    EXPECT_THAT(by_id[tenants[i].id]["result"].get<std::string>(),
                ::testing::AnyOf("migrated", "up_to_date"));
    EXPECT_EQ(Tables(*tenants[i].db), ExpectedTables("tasks"));
  }
  // Waves in order: canary first, then natural order, then none.
  ProcessResult list = Fleet({"targets", "--targets=" + targets});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_LT(list.out.find("w02"), list.out.find("w03"));
}

// Problems are per target: an unknown feature, a duplicate id, a bad id,
// both URL fields, an unreadable URL file, an unreachable database. The
// good target is migrated; no password appears anywhere.
TEST_F(FleetTest, ProblemsAreReportedPerTargetNeverFatalForTheOthers) {
  std::vector<Tenant> tenants = MakeTenants(1, "ok");
  const std::string password = "Fl33t-pa55word-never-shown";
  test::RegisterSecret(password);
  const std::string extra = absl::StrCat(
      "target { id: \"typo\" database_url: \"", tenants[0].db->url(), "\" features: \"taks\" }\n",
      "target { id: \"twice\" database_url: \"", tenants[0].db->url(), "\" }\n",
      "target { id: \"twice\" database_url: \"", tenants[0].db->url(), "\" }\n",
      "target { id: \"bad id\" database_url: \"", tenants[0].db->url(), "\" }\n",
      "target { id: \"both\" database_url: \"x\" database_url_file: \"/nonexistent\" }\n",
      "target { id: \"nofile\" database_url_file: \"", dir_, "/missing\" }\n",
      "target { id: \"down\" database_url: \"postgresql://app:", password,
      "@127.0.0.1:1/app\" features: \"tasks\" }\n");
  const std::string targets = WriteTargets(tenants, extra);

  ProcessResult list = Fleet({"targets", "--targets=" + targets, "--json"});
  EXPECT_EQ(list.exit_code, 2) << list.err;  // problems
  Json j = Json::parse(list.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << list.out;
  std::map<std::string, std::string> problems;
  for (const auto& t : j["targets"]) {
    problems[t["id"].get<std::string>()] += t["problem"].get<std::string>();
  }
  EXPECT_THAT(problems["typo"], HasSubstr("unknown feature \"taks\""));
  EXPECT_THAT(problems["twice"], HasSubstr("duplicate id \"twice\" (defined 2 times"));
  EXPECT_THAT(problems["bad id"], HasSubstr("has characters other than"));
  EXPECT_THAT(problems["both"], HasSubstr("both database_url and database_url_file"));
  EXPECT_THAT(problems["nofile"], HasSubstr("cannot read database_url_file"));
  EXPECT_EQ(problems["down"], "");
  EXPECT_EQ(problems["ok00"], "");

  ProcessResult r;
  Json out = MigrateJson(targets, {"--max-failures=100", "--connect-timeout=1s"}, &r);
  ASSERT_FALSE(out.is_discarded()) << r.out << r.err;
  std::map<std::string, Json> by_id = ById(out);
  EXPECT_EQ(by_id["ok00"]["result"], "migrated");
  EXPECT_EQ(by_id["down"]["result"], "failed");
  EXPECT_EQ(by_id["down"]["exit_code"], 3);
  EXPECT_EQ(by_id["down"]["database"], "127.0.0.1:1/app");
  EXPECT_EQ(by_id["typo"]["result"], "invalid");
  EXPECT_EQ(by_id["typo"]["exit_code"], 2);
  // A database that may come back is what a rerun cures: exit 3, so a Job retries.
  EXPECT_EQ(r.exit_code, 3);
  for (const std::string* text : {&r.out, &r.err, &list.out, &list.err}) {
    EXPECT_THAT(*text, Not(HasSubstr(password)));
  }
  EXPECT_EQ(Tables(*tenants[0].db), ExpectedTables(tenants[0].features));
  // A file that does not parse is bad usage, naming the line.
  std::ofstream(dir_ + "/broken.textproto") << "target { id: \"a\"\n  nonsense: 1 }\n";
  ProcessResult bad = Fleet({"migrate", "--targets=" + dir_ + "/broken.textproto"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("broken.textproto:2:"));
}

// --shard-index/--shard-count (JOB_COMPLETION_INDEX in an Indexed Job)
// split the set: every target in exactly one shard.
TEST_F(FleetTest, ShardsSplitTheTargetSet) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    absl::StrAppend(&text, "target { id: \"s", i, "\" database_url: \"postgresql://u@db-", i % 4,
                    ":5432/s", i, "\" }\n");
  }
  const std::string path = dir_ + "/shards.textproto";
  std::ofstream(path) << text;
  std::multiset<std::string> seen;
  for (int index = 0; index < 3; ++index) {
    ProcessResult r = Fleet({"targets", "--targets=" + path, "--shard-count=3", "--json"},
                            {absl::StrCat("JOB_COMPLETION_INDEX=", index)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Json j = Json::parse(r.out);
    EXPECT_GT(j["selected"].get<int>(), 5);
    for (const auto& t : j["targets"]) {
      seen.insert(t["id"].get<std::string>());
      EXPECT_EQ(t["shard"], index);
    }
  }
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 40u);
  ProcessResult bad = Fleet({"targets", "--targets=" + path, "--shard-count=3", "--shard-index=3"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--shard-index must be in 0 .. --shard-count-1"));
}

// fleet migrate per shard, on real databases: every tenant is migrated by
// exactly one shard, and a shard's rerun touches none of the others.
TEST_F(FleetTest, ShardedMigrateCoversEveryTenantOnce) {
  std::vector<Tenant> tenants = MakeTenants(9, "p");
  const std::string targets = WriteTargets(tenants);
  std::map<std::string, int> migrated_by;
  for (int index = 0; index < 3; ++index) {
    ProcessResult r;
    Json out = MigrateJson(targets, {"--shard-count=3", absl::StrCat("--shard-index=", index)}, &r);
    ASSERT_FALSE(out.is_discarded()) << r.out << r.err;
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(out["shard"]["index"], index);
    for (const auto& t : out["targets"]) {
      EXPECT_EQ(t["result"], "migrated") << t["id"];
      migrated_by[t["id"].get<std::string>()] += 1;
    }
  }
  ASSERT_EQ(migrated_by.size(), tenants.size());
  for (const Tenant& t : tenants) {
    EXPECT_EQ(migrated_by[t.id], 1) << t.id;
    EXPECT_EQ(Tables(*t.db), ExpectedTables(t.features)) << t.id;
  }
  // The whole set again: every tenant up to date.
  ProcessResult r;
  Json out = MigrateJson(targets, {}, &r);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(out["summary"]["up_to_date"], 9);
}

// SIGTERM (a Job's pod evicted) stops the rollout: the target waiting for
// its migration lock gives up, no further target starts (skipped), exit 1
// so that the Job retries; the rerun finishes every tenant.
TEST_F(FleetTest, InterruptedRolloutResumes) {
  std::vector<Tenant> tenants = MakeTenants(4, "i");
  for (Tenant& t : tenants) t.features = "core";
  const std::string targets = WriteTargets(tenants);
  // Another migrator holds i00's lock: fleet migrate (one at a time) waits there.
  auto lock = std::make_unique<test::LockHolder>(*tenants[0].db, migrate::HistoryName().LockKey());
  ASSERT_TRUE(lock->ok());
  test::Child child({Bin("schemagate"), "fleet", "migrate", "--targets=" + targets, "--json",
                     "--parallel=1", "--lock-wait-timeout=120s", "--progress-interval=0"});
  ASSERT_TRUE(Eventually(
      [&] {
        auto n = tenants[0].db->Query(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schemagate-fleet' "
            "AND datname = current_database()");
        return n.ok() && !n->empty() && (*n)[0] != "0";
      },
      absl::Seconds(20)));
  absl::SleepFor(absl::Milliseconds(300));
  child.Kill(SIGTERM);
  ProcessResult r = child.Wait();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  Json out = Json::parse(r.out, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << r.out << r.err;
  EXPECT_TRUE(out["interrupted"]);
  std::map<std::string, Json> by_id = ById(out);
  EXPECT_EQ(by_id["i00"]["result"], "failed");
  for (const char* id : {"i01", "i02", "i03"}) {
    EXPECT_EQ(by_id[id]["result"], "skipped") << id;
    EXPECT_THAT(by_id[id]["error"].get<std::string>(), HasSubstr("interrupted"));
  }
  for (const Tenant& t : tenants) EXPECT_FALSE(HasHistory(*t.db)) << t.id;
  EXPECT_THAT(r.err, HasSubstr("SIGTERM"));

  lock.reset();
  out = MigrateJson(targets, {"--parallel=1"}, &r);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(out["summary"]["migrated"], 4);
  for (const Tenant& t : tenants) EXPECT_EQ(Tables(*t.db), ExpectedTables("core")) << t.id;
}

// A control database's query as the target set.
TEST_F(FleetTest, TargetsFromAControlDatabaseQuery) {
  std::vector<Tenant> tenants = MakeTenants(3, "q");
  auto control = TestDatabase::Create("fleet_control");
  ASSERT_TRUE(control.ok()) << control.status();
  std::string sql =
      "CREATE TABLE tenants (id text, url text, plan text[], region text, wave text);";
  for (const Tenant& t : tenants) {
    absl::StrAppend(&sql, "INSERT INTO tenants VALUES ('", t.id, "', '", t.db->url(),
                    "', string_to_array('", t.features, "', ','), 'eu', ",
                    t.id == "q00" ? "'canary'" : "NULL", ");");
  }
  ASSERT_TRUE((*control)->Query(sql).ok());
  const std::string query =
      "SELECT id, url AS database_url, plan AS features, "
      "json_build_object('region', region)::text AS labels, wave FROM tenants";
  ProcessResult r = Fleet({"migrate", "--targets-query=" + query, "--json", "--selector=region=eu"},
                          {"SCHEMAGATE_CONTROL_DATABASE_URL=" + (*control)->url()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json out = Json::parse(r.out);
  EXPECT_EQ(out["summary"]["migrated"], 3);
  EXPECT_EQ(out["targets"][0]["id"], "q00");  // the canary first
  for (const Tenant& t : tenants) EXPECT_EQ(Tables(*t.db), ExpectedTables(t.features)) << t.id;
  ProcessResult bad = Fleet({"targets", "--targets-query=SELECT 1 AS nope"},
                            {"SCHEMAGATE_CONTROL_DATABASE_URL=" + (*control)->url()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown column \"nope\""));
}

class FleetServeTest : public FleetTest {
 protected:
  // Migrates the tenants with fleet migrate (exit 0 expected).
  void MigrateAll(const std::string& targets) {
    ProcessResult r = Fleet({"migrate", "--targets=" + targets, "--progress-interval=0"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
};

// serve --targets without a database of its own: every read RPC answers for
// the named target's features and state; unknown ids are NOT_FOUND.
TEST_F(FleetServeTest, EachTargetAnswersForItsOwnFeatures) {
  std::vector<Tenant> tenants = MakeTenants(2, "s");
  tenants[0].features = "tasks";
  tenants[1].features = "core";
  const std::string targets = WriteTargets(tenants);
  MigrateAll(targets);
  const std::string token = "fleet-admin-token-91c2";
  Server server(Bin("schemagate-server"), "",
                {"--targets=" + targets, "--fleet-poll-interval=500ms",
                 "--admin-token-file=" + test::TokenFile(dir_, token)});
  ASSERT_TRUE(server.ok());
  auto fleet = Connect(server.target(), token);
  auto a = fleet->ForTarget("s00");
  auto b = fleet->ForTarget("s01");
  ASSERT_TRUE(Eventually(
      [&] {
        auto x = a->CheckTables({"projects"});
        auto y = b->CheckTables({"users"});
        return x.ok() && x->state_known() && y.ok() && y->state_known();
      },
      absl::Seconds(20)));

  // CheckTables: tenant A has tasks, tenant B does not.
  auto ca = a->CheckTables({"projects", "users"});
  auto cb = b->CheckTables({"projects", "users"});
  ASSERT_TRUE(ca.ok() && cb.ok());
  EXPECT_EQ(ca->tables(0).status(), v1::TABLE_STATUS_AVAILABLE);
  EXPECT_TRUE(ca->all_available());
  EXPECT_EQ(cb->tables(0).status(), v1::TABLE_STATUS_CLUSTER_DISABLED);
  EXPECT_THAT(cb->tables(0).enable_features(), ::testing::Contains("tasks"));
  EXPECT_EQ(cb->tables(1).status(), v1::TABLE_STATUS_AVAILABLE);
  EXPECT_TRUE(a->Require({"projects"}).ok());
  EXPECT_EQ(b->Require({"projects"}).code(), absl::StatusCode::kFailedPrecondition);
  // ListClusters: each target's features.
  auto la = a->ListClusters();
  auto lb = b->ListClusters();
  ASSERT_TRUE(la.ok() && lb.ok());
  EXPECT_THAT(la->features(), ::testing::Contains("tasks"));
  EXPECT_THAT(lb->features(), ElementsAre("core"));
  // ValidateJoin and ValidateQuery follow the same features.
  auto ja = a->ValidateJoin({"projects", "users"});
  auto jb = b->ValidateJoin({"projects", "users"});
  ASSERT_TRUE(ja.ok() && jb.ok());
  EXPECT_NE(ja->verdict(), v1::JOIN_VERDICT_INVALID);
  EXPECT_EQ(jb->verdict(), v1::JOIN_VERDICT_INVALID);
  auto qb = b->ValidateQuery("SELECT * FROM projects");
  ASSERT_TRUE(qb.ok());
  EXPECT_EQ(qb->verdict(), v1::QUERY_VERDICT_INVALID);
  // Database RPCs per target.
  auto sa = a->GetMigrationStatus();
  ASSERT_TRUE(sa.ok()) << sa.status();
  EXPECT_TRUE(sa->up_to_date());
  // Health per target.
  EXPECT_TRUE(Eventually([&] { return test::Serving(*fleet, "schemagate.target.s00"); },
                         absl::Seconds(10)));
  EXPECT_TRUE(test::Serving(*fleet, "schemagate.target.s01"));
  // Unknown and missing target ids.
  auto unknown = fleet->ForTarget("nobody")->CheckTables({"users"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown target_id \"nobody\""));
  EXPECT_EQ(client::ErrorReason(unknown.status()), "UNKNOWN_TARGET");
  auto none = fleet->CheckTables({"users"});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(), HasSubstr("set target_id"));
  // ListTargets.
  auto list = fleet->ListTargets(v1::ListTargetsRequest());
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->targets_size(), 2);
  EXPECT_EQ(list->targets(0).id(), "s00");
  EXPECT_TRUE(list->targets(0).serving());
  EXPECT_THAT(list->targets(1).features(), ElementsAre("core"));
  v1::ListTargetsRequest page;
  page.set_page_size(1);
  auto first = fleet->ListTargets(page);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->targets_size(), 1);
  EXPECT_EQ(first->next_page_token(), "s00");
  EXPECT_EQ(first->total(), 2);

  // schemactl --target-id: the same answers and the exit-code table.
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {Bin("schemactl")});
    args.push_back("--target=" + server.target());
    return RunProcess(args);
  };
  EXPECT_EQ(ctl({"check", "projects", "--target-id=s00"}).exit_code, 0);
  ProcessResult disabled = ctl({"check", "projects", "--target-id=s01"});
  EXPECT_EQ(disabled.exit_code, 9);
  EXPECT_THAT(disabled.out, HasSubstr("cluster_disabled"));
  ProcessResult missing = ctl({"check", "users", "--target-id=nobody"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("unknown target_id \"nobody\""));
  EXPECT_EQ(ctl({"health", "--target-id=s01"}).exit_code, 0);
  ProcessResult listed = ctl({"targets"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, AllOf(HasSubstr("s00"), HasSubstr("s01"), HasSubstr("serving")));

  // An admin RPC per target: B buys tasks? Not in its catalog: nothing to
  // apply; a rollback of A's tasks cluster changes A only.
  v1::RollbackClusterRequest rollback;
  rollback.set_cluster("tasks");
  rollback.set_to_version(0);
  auto rolled = a->RollbackCluster(rollback, absl::Minutes(2));
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_GT(rolled->reverted_size(), 0);
  EXPECT_EQ(Tables(*tenants[0].db), ExpectedTables("core"));
  // The state follows (a refresh after the admin RPC).
  EXPECT_TRUE(Eventually(
      [&] {
        auto c = a->CheckTables({"projects"});
        return c.ok() && c->tables(0).status() == v1::TABLE_STATUS_NOT_MIGRATED;
      },
      absl::Seconds(10)));
  int finished = 0;
  auto applied = a->ApplyMigrations(
      v1::ApplyMigrationsRequest(),
      [&](const v1::ApplyMigrationsResponse& e) { finished += e.has_finished(); },
      absl::Minutes(2));
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_GT(finished, 0);
  EXPECT_EQ(Tables(*tenants[0].db), ExpectedTables("tasks"));
  EXPECT_EQ(Tables(*tenants[1].db), ExpectedTables("core"));
  // WaitForClusters through a target's watch.
  EXPECT_TRUE(a->WaitForClusters({"tasks"}, absl::Seconds(20)).ok());
  absl::Status not_enabled = b->WaitForClusters({"tasks"}, absl::Seconds(5));
  EXPECT_EQ(not_enabled.code(), absl::StatusCode::kFailedPrecondition);
}

// Health per target flips when that target's database stops (a private
// PostgreSQL), and comes back; the other target stays SERVING throughout.
TEST_F(FleetServeTest, HealthPerTargetFlipsWhenItsDatabaseStops) {
  test::PrivatePostgres pg;
  ASSERT_TRUE(pg.ok());
  std::vector<Tenant> tenants = MakeTenants(1, "h");
  Tenant remote;
  remote.id = "remote";
  remote.features = "tasks";
  remote.url = pg.url();
  // The private server's own "postgres" database serves as the tenant's.
  std::vector<Tenant> all;
  all.push_back(std::move(tenants[0]));
  all.push_back(std::move(remote));
  const std::string targets = WriteTargets(all);
  MigrateAll(targets);
  Server server(Bin("schemagate-server"), "",
                {"--targets=" + targets, "--fleet-poll-interval=300ms", "--fleet-listeners=0"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  const std::string local = "schemagate.target.h00", far = "schemagate.target.remote";
  ASSERT_TRUE(Eventually([&] { return test::Serving(*c, local) && test::Serving(*c, far); },
                         absl::Seconds(20)));
  ASSERT_TRUE(pg.Stop());
  EXPECT_TRUE(Eventually([&] { return !test::Serving(*c, far); }, absl::Seconds(15)));
  EXPECT_TRUE(test::Serving(*c, local));
  auto listed = c->ListTargets(v1::ListTargetsRequest());
  ASSERT_TRUE(listed.ok());
  EXPECT_FALSE(listed->targets(1).database_reachable());
  EXPECT_FALSE(listed->targets(1).error().empty());
  // The memory RPCs keep answering from the last state read.
  auto check = c->ForTarget("remote")->CheckTables({"projects"});
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->tables(0).status(), v1::TABLE_STATUS_AVAILABLE);
  ASSERT_TRUE(pg.Start());
  // Back within the unreachable target's backoff (poll interval doubling).
  EXPECT_TRUE(Eventually([&] { return test::Serving(*c, far); }, absl::Seconds(30)));
  EXPECT_TRUE(test::Serving(*c, local));
}

// Reloading the target set (every --targets-refresh) never restarts the
// pollers' round robin: with more targets than one poll interval reads,
// every target is still read (it was not: each reload sent the pollers back
// to the first targets, which were due again, and the last ones starved).
TEST_F(FleetServeTest, ReloadsNeverStarveTheLastTargets) {
  std::vector<Tenant> tenants = MakeTenants(2, "q");
  MigrateAll(WriteTargets(tenants, "", "q.textproto"));
  constexpr int kTargets = 600;
  std::string text;
  for (int i = 0; i < kTargets; ++i) {
    absl::StrAppend(&text, "target { id: \"p", absl::Dec(i, absl::kZeroPad3), "\" database_url: \"",
                    tenants[i % 2].db->url(), "\" features: \"", tenants[i % 2].features, "\" }\n");
  }
  const std::string path = dir_ + "/many.textproto";
  std::ofstream(path) << text;
  Server server(Bin("schemagate-server"), "",
                {"--targets=" + path, "--targets-refresh=200ms", "--fleet-pollers=1",
                 "--fleet-poll-interval=1s"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  int known = 0;
  auto all_read = [&] {
    v1::ListTargetsRequest req;
    req.set_page_size(kTargets);
    auto l = c->ListTargets(req);
    if (!l.ok()) return false;
    known = 0;
    for (const v1::TargetInfo& t : l->targets()) known += t.state_known() ? 1 : 0;
    return known == kTargets;
  };
  EXPECT_TRUE(Eventually(all_read, absl::Seconds(120)))
      << known << " of " << kTargets << " targets read once";
}

// SIGHUP reads the target set again: a new target answers, a removed one is
// NOT_FOUND, and a watch of the removed target ends.
TEST_F(FleetServeTest, SighupReloadsTheTargetSet) {
  std::vector<Tenant> tenants = MakeTenants(2, "r");
  std::vector<Tenant> first;
  first.push_back(std::move(tenants[0]));
  const std::string targets = WriteTargets(first);
  Server server(Bin("schemagate-server"), "",
                {"--targets=" + targets, "--fleet-poll-interval=300ms"});
  ASSERT_TRUE(server.ok());
  auto c = Connect(server.target());
  ASSERT_TRUE(c->ForTarget("r00")->ListClusters().ok());
  EXPECT_EQ(c->ForTarget("r01")->ListClusters().status().code(), absl::StatusCode::kNotFound);

  // A watch on r00, to see it end when r00 goes.
  grpc::ClientContext watch_ctx;
  v1::WatchClustersRequest watch;
  watch.set_target_id("r00");
  auto reader = c->stub().WatchClusters(&watch_ctx, watch);
  v1::WatchClustersResponse update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_TRUE(update.initial());

  std::vector<Tenant> second;
  second.push_back(std::move(tenants[1]));
  WriteTargets(second);
  server.child().Kill(SIGHUP);
  EXPECT_TRUE(
      Eventually([&] { return c->ForTarget("r01")->ListClusters().ok(); }, absl::Seconds(10)));
  EXPECT_EQ(c->ForTarget("r00")->ListClusters().status().code(), absl::StatusCode::kNotFound);
  while (reader->Read(&update)) {
  }
  grpc::Status ended = reader->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(ended.error_message(), HasSubstr("\"r00\" was removed from the target set"));
  // A set that no longer parses keeps the targets read before.
  std::ofstream(targets) << "target { id: ";
  server.child().Kill(SIGHUP);
  EXPECT_TRUE(Eventually(
      [&] {
        auto l = c->ListTargets(v1::ListTargetsRequest());
        return l.ok() && !l->load_error().empty();
      },
      absl::Seconds(10)));
  EXPECT_TRUE(c->ForTarget("r01")->ListClusters().ok());
}

}  // namespace
}  // namespace schemagate
