// Import end to end (docs/ADOPTING.md): a flat history applied by psql in its
// tool's own order, and the tree `schemagate-gen import` made of it (built
// by tests/import/CMakeLists.txt) applied by `schemagate migrate`, give the
// same schema — compared line by line from pg_catalog and as
// `pg_dump --schema-only`. Each feature built alone creates exactly a part
// of that schema: no object of another cluster, every object of its own.
// A tree whose catalog only a database can know (DO blocks, CREATE TABLE AS)
// verifies clean right after migrate.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "schemagate/v1/catalog.pb.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;
using test::RunProcess;
using test::TestDatabase;

struct Case {
  std::string name, format, source;
};

std::vector<Case> Cases() {
  std::vector<Case> out;
  const char* env = std::getenv("SCHEMAGATE_IMPORT_CASES");
  if (env == nullptr) return out;
  for (absl::string_view spec : absl::StrSplit(env, ',', absl::SkipEmpty())) {
    std::vector<std::string> p = absl::StrSplit(spec, '|');
    if (p.size() == 3) out.push_back({p[0], p[1], p[2]});
  }
  return out;
}

std::string VariantBin(const std::string& variant) {
  const char* dir = std::getenv("SCHEMAGATE_VARIANTS_DIR");
  return absl::StrCat(dir ? dir : "/nonexistent", "/", variant, "/schemagate");
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One flat migration file as its tool runs it.
struct FlatFile {
  fs::path path;
  bool transaction = true;
};

int CompareNumbers(const std::string& a, const std::string& b) {
  std::string x = a.substr(std::min(a.find_first_not_of('0'), a.size() - 1));
  std::string y = b.substr(std::min(b.find_first_not_of('0'), b.size() - 1));
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  return x.compare(y);
}

// The tool's own order, written here independently of the importer:
// Diesel sorts version strings (folder name before '_', '-' removed);
// golang-migrate sorts numbers; Flyway compares dotted numeric versions
// (found in sub-folders too), then repeatable R__ migrations by name.
std::vector<FlatFile> FlatOrder(const Case& c) {
  std::vector<std::pair<std::string, FlatFile>> keyed;
  std::vector<FlatFile> out;
  if (c.format == "diesel") {
    for (const auto& e : fs::directory_iterator(c.source)) {
      std::string name = e.path().filename().string();
      if (!e.is_directory() || name[0] == '.') continue;
      std::string version = name.substr(0, name.find('_'));
      version.erase(std::remove(version.begin(), version.end(), '-'), version.end());
      FlatFile f{e.path() / "up.sql", true};
      if (fs::exists(e.path() / "metadata.toml")) {
        f.transaction =
            !absl::StrContains(Read(e.path() / "metadata.toml"), "run_in_transaction = false");
      }
      keyed.emplace_back(version, f);
    }
    std::sort(keyed.begin(), keyed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  } else if (c.format == "golang-migrate") {
    for (const auto& e : fs::directory_iterator(c.source)) {
      std::string name = e.path().filename().string();
      if (!absl::EndsWith(name, ".up.sql")) continue;
      keyed.emplace_back(name.substr(0, name.find('_')), FlatFile{e.path(), true});
    }
    std::sort(keyed.begin(), keyed.end(),
              [](const auto& a, const auto& b) { return CompareNumbers(a.first, b.first) < 0; });
  } else if (c.format == "flyway") {
    std::vector<std::pair<std::string, FlatFile>> repeatable;
    for (const auto& e : fs::recursive_directory_iterator(c.source)) {
      std::string name = e.path().filename().string();
      if (!e.is_regular_file() || !absl::EndsWith(name, ".sql")) continue;
      if (name[0] == 'R') repeatable.emplace_back(name, FlatFile{e.path(), true});
      if (name[0] != 'V') continue;
      std::string v = name.substr(1, name.find("__") - 1);
      std::replace(v.begin(), v.end(), '_', '.');
      keyed.emplace_back(v, FlatFile{e.path(), true});
    }
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      std::vector<std::string> x = absl::StrSplit(a.first, '.');
      std::vector<std::string> y = absl::StrSplit(b.first, '.');
      for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
        int c = CompareNumbers(i < x.size() ? x[i] : "0", i < y.size() ? y[i] : "0");
        if (c != 0) return c < 0;
      }
      return false;
    });
    std::sort(repeatable.begin(), repeatable.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    keyed.insert(keyed.end(), repeatable.begin(), repeatable.end());
  }
  for (auto& [key, f] : keyed) {
    std::string text = Read(f.path);
    // A file with its own BEGIN/COMMIT, or a statement that cannot run in a
    // transaction block, runs as the tool runs it: statement by statement.
    if (absl::StrContains(text, "CONCURRENTLY") || absl::StrContains(text, "BEGIN;")) {
      f.transaction = false;
    }
    out.push_back(f);
  }
  return out;
}

// pg_dump --schema-only without comments, settings and the history schema;
// column lines of each CREATE TABLE sorted (a cluster that adds a column
// later in the flat history may add it earlier in the tree).
std::vector<std::string> PgDump(const std::string& url) {
  ProcessResult r = RunProcess({"pg_dump", "--schema-only", "--no-owner", "--no-privileges",
                                "--exclude-schema=schemagate", "-d", url});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out, block;
  bool in_table = false;
  for (absl::string_view piece : absl::StrSplit(r.out, '\n')) {
    std::string line(piece);
    // (\restrict and \unrestrict carry a random key per dump.)
    if (line.empty() || absl::StartsWith(line, "--") || absl::StartsWith(line, "SET ") ||
        absl::StartsWith(line, "SELECT pg_catalog.set_config") ||
        absl::StartsWith(line, "\\restrict ") || absl::StartsWith(line, "\\unrestrict ")) {
      continue;
    }
    if (absl::StartsWith(line, "CREATE TABLE ")) {
      in_table = true;
      out.push_back(line);
      continue;
    }
    if (in_table) {
      if (absl::StartsWith(line, ")")) {
        std::sort(block.begin(), block.end());
        out.insert(out.end(), block.begin(), block.end());
        block.clear();
        in_table = false;
        out.push_back(line);
      } else {
        if (!line.empty() && line.back() == ',') line.pop_back();
        block.push_back(line);
      }
      continue;
    }
    out.push_back(line);
  }
  return out;
}

std::string Diff(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> x = a, y = b, only_a, only_b;
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(only_a));
  std::set_difference(y.begin(), y.end(), x.begin(), x.end(), std::back_inserter(only_b));
  return absl::StrCat("\n only in the first:\n  ", absl::StrJoin(only_a, "\n  "),
                      "\n only in the second:\n  ", absl::StrJoin(only_b, "\n  "));
}

class ImportTest : public ::testing::TestWithParam<Case> {
 protected:
  // A database with the flat history applied by psql, as its tool would.
  std::unique_ptr<TestDatabase> FlatDatabase() {
    auto db = TestDatabase::Create("flat_" + GetParam().name);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return nullptr;
    std::vector<FlatFile> files = FlatOrder(GetParam());
    EXPECT_FALSE(files.empty());
    for (const FlatFile& f : files) {
      std::vector<std::string> argv = {"psql", "-X",        "-q", "-v", "ON_ERROR_STOP=1",
                                       "-d",   (*db)->url()};
      if (f.transaction) argv.push_back("-1");
      argv.insert(argv.end(), {"-f", f.path.string()});
      ProcessResult r = RunProcess(argv);
      EXPECT_EQ(r.exit_code, 0) << f.path << ": " << r.err;
    }
    return *std::move(db);
  }

  ProcessResult Schemagate(const std::string& variant, const std::string& url,
                           std::vector<std::string> args) {
    args.insert(args.begin(), VariantBin(variant));
    return RunProcess(args, "", {"DATABASE_URL=" + url});
  }

  nlohmann::json Catalog(const std::string& variant, const std::string& features) {
    std::vector<std::string> argv = {VariantBin(variant), "catalog", "--compact"};
    if (!features.empty()) argv.push_back("--features=" + features);
    ProcessResult r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
  }
};

TEST_P(ImportTest, TheTreeMigratesToTheFlatHistorysSchema) {
  std::unique_ptr<TestDatabase> flat = FlatDatabase();
  ASSERT_NE(flat, nullptr);
  auto tree = TestDatabase::Create("tree_" + GetParam().name);
  ASSERT_TRUE(tree.ok()) << tree.status();
  std::string variant = "import_" + GetParam().name;
  ProcessResult m = Schemagate(variant, (*tree)->url(), {"migrate"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  ProcessResult v = Schemagate(variant, (*tree)->url(), {"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;

  absl::StatusOr<std::vector<std::string>> want = flat->Schema();
  absl::StatusOr<std::vector<std::string>> got = (*tree)->Schema();
  ASSERT_TRUE(want.ok() && got.ok());
  ASSERT_FALSE(want->empty());
  EXPECT_EQ(*want, *got) << "flat (first) vs imported tree (second):" << Diff(*want, *got);
  std::vector<std::string> dump_flat = PgDump(flat->url());
  std::vector<std::string> dump_tree = PgDump((*tree)->url());
  EXPECT_EQ(dump_flat, dump_tree) << "pg_dump of flat (first) vs tree (second):"
                                  << Diff(dump_flat, dump_tree);
}

TEST_P(ImportTest, EachFeatureAloneCreatesExactlyItsPartOfTheSchema) {
  std::unique_ptr<TestDatabase> flat = FlatDatabase();
  ASSERT_NE(flat, nullptr);
  absl::StatusOr<std::vector<std::string>> whole = flat->Schema();
  ASSERT_TRUE(whole.ok());
  std::set<std::string> flat_lines(whole->begin(), whole->end());
  std::string variant = "import_" + GetParam().name;
  nlohmann::json all = Catalog(variant, "");
  std::vector<std::string> features = {"core"};
  for (const auto& c : all["clusters"]) {
    if (c["name"] != "core" && !c["bridge"].get<bool>()) features.push_back(c["name"]);
  }
  ASSERT_GE(features.size(), 2u);
  for (const std::string& f : features) {
    SCOPED_TRACE("feature " + f);
    auto db = TestDatabase::Create("feat_" + GetParam().name);
    ASSERT_TRUE(db.ok()) << db.status();
    // core from its own build; the others by narrowing the full build, as a
    // server does with --features (the generator checked each builds alone).
    std::string bin = f == "core" ? variant + "_core" : variant;
    std::vector<std::string> narrow =
        f == "core" ? std::vector<std::string>{} : std::vector<std::string>{"--features=" + f};
    std::vector<std::string> args = {"migrate"};
    args.insert(args.end(), narrow.begin(), narrow.end());
    ProcessResult m = Schemagate(bin, (*db)->url(), args);
    ASSERT_EQ(m.exit_code, 0) << m.err;
    args[0] = "verify";
    ProcessResult v = Schemagate(bin, (*db)->url(), args);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    absl::StatusOr<std::vector<std::string>> part = (*db)->Schema();
    ASSERT_TRUE(part.ok());
    for (const std::string& line : *part) {
      EXPECT_TRUE(flat_lines.count(line)) << "not in the flat schema: " << line;
    }
    // Exactly the enabled clusters' tables.
    nlohmann::json narrowed = Catalog(bin, f == "core" ? "" : f);
    std::vector<std::string> want;
    for (const auto& c : narrowed["clusters"]) {
      for (const auto& t : c["tables"])
        want.push_back(t.is_string() ? t.get<std::string>() : t["name"].get<std::string>());
    }
    std::sort(want.begin(), want.end());
    absl::StatusOr<std::vector<std::string>> tables = (*db)->Query(
        "SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || "
        "c.relname END FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
        "'information_schema', 'schemagate') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1");
    ASSERT_TRUE(tables.ok()) << tables.status();
    EXPECT_EQ(want, *tables);
  }
}

TEST_P(ImportTest, TheReportNamesTheOriginOfEveryMigration) {
  const char* dir = std::getenv("SCHEMAGATE_VARIANTS_DIR");
  ASSERT_NE(dir, nullptr);
  fs::path report = fs::path(dir).parent_path() / "import" / (GetParam().name + ".report.json");
  nlohmann::json r = nlohmann::json::parse(Read(report));
  EXPECT_TRUE(r["ok"].get<bool>());
  EXPECT_EQ(r["format"], GetParam().format);
  std::set<std::string> from;
  for (const auto& m : r["migrations"]) {
    from.insert(m["imported_from"]["path"].get<std::string>());
    // The tree's up.sql says so too.
    std::string up = Read(fs::path(dir).parent_path() / "import" / "trees" / GetParam().name /
                          m["path"].get<std::string>() / "up.sql");
    EXPECT_THAT(up, ::testing::HasSubstr(
                        absl::StrCat("-- schemagate:imported-from ", GetParam().format, " ",
                                     m["imported_from"]["version"].get<std::string>())));
  }
  EXPECT_EQ(from.size(), FlatOrder(GetParam()).size());
}

INSTANTIATE_TEST_SUITE_P(Histories, ImportTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ImportTest);

// The most common start: a pg_dump --schema-only baseline as the first
// migration of a history applied with psql. Imported with the example map,
// split into the platform's clusters, and applied migration by migration
// in the tree's order, it gives what psql gives for the dump.
TEST(ImportBaselineTest, APgDumpBaselineSplitsIntoClustersWithTheSameSchema) {
  const char* gen = std::getenv("SCHEMAGATE_GEN");
  const char* map = std::getenv("SCHEMAGATE_EXAMPLE_MAP");
  ASSERT_TRUE(gen != nullptr && map != nullptr);
  auto source = TestDatabase::Create("baseline_src");
  ASSERT_TRUE(source.ok()) << source.status();
  ProcessResult m =
      RunProcess({VariantBin("full"), "migrate"}, "", {"DATABASE_URL=" + (*source)->url()});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  ProcessResult dump = RunProcess({"pg_dump", "--schema-only", "--no-owner", "--no-privileges",
                                   "--exclude-schema=schemagate", "-d", (*source)->url()});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  fs::path dir = fs::temp_directory_path() / absl::StrCat("sg_baseline_", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir / "flat");
  std::ofstream(dir / "flat" / "0001_baseline.sql") << dump.out;

  auto flat = TestDatabase::Create("baseline_flat");
  ASSERT_TRUE(flat.ok()) << flat.status();
  ProcessResult psql =
      RunProcess({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", (*flat)->url(), "-f",
                  (dir / "flat" / "0001_baseline.sql").string()});
  ASSERT_EQ(psql.exit_code, 0) << psql.err;

  ProcessResult imported =
      RunProcess({gen, "import", "--format=sql", "--source=" + (dir / "flat").string(),
                  std::string("--map=") + map, "--out=" + (dir / "tree").string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  EXPECT_THAT(imported.out, ::testing::HasSubstr("cluster tasks: 16 tables, 1 migrations"));
  ProcessResult built = RunProcess({gen, "--tree=" + (dir / "tree").string(), "--features=all",
                                    "--out-binary=" + (dir / "catalog.binpb").string()});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  v1::BuildCatalog catalog;
  ASSERT_TRUE(catalog.ParseFromString(Read(dir / "catalog.binpb")));
  EXPECT_EQ(catalog.clusters_size(), 19);

  auto tree = TestDatabase::Create("baseline_tree");
  ASSERT_TRUE(tree.ok()) << tree.status();
  std::map<std::pair<std::string, uint64_t>, const v1::Migration*> migrations;
  for (const v1::Cluster& c : catalog.clusters()) {
    for (const v1::Migration& mig : c.migrations()) migrations[{c.name(), mig.version()}] = &mig;
  }
  for (const v1::MigrationRef& ref : catalog.apply_order()) {
    const v1::Migration* mig = migrations[{ref.cluster(), ref.version()}];
    ASSERT_NE(mig, nullptr);
    std::vector<std::string> argv = {"psql", "-X",          "-q", "-v", "ON_ERROR_STOP=1",
                                     "-d",   (*tree)->url()};
    if (!mig->no_transaction()) argv.push_back("-1");
    ProcessResult r = RunProcess(argv, mig->up_sql());
    ASSERT_EQ(r.exit_code, 0) << mig->up_path() << ": " << r.err;
  }
  absl::StatusOr<std::vector<std::string>> want = (*flat)->Schema();
  absl::StatusOr<std::vector<std::string>> got = (*tree)->Schema();
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_EQ(*want, *got) << Diff(*want, *got);
  fs::remove_all(dir);
}

// CREATE TABLE AS, SELECT INTO, and DO blocks / functions that change the
// schema: the build replayed them in a dev database, so the catalog is what
// PostgreSQL builds and verify has nothing to report right after migrate.
TEST(DynamicTreeTest, VerifyIsCleanRightAfterMigrate) {
  auto db = TestDatabase::Create("dynamic");
  ASSERT_TRUE(db.ok()) << db.status();
  std::string bin = VariantBin("dynamic");
  ProcessResult m = RunProcess({bin, "migrate"}, "", {"DATABASE_URL=" + (*db)->url()});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  ProcessResult v = RunProcess({bin, "verify", "--json"}, "", {"DATABASE_URL=" + (*db)->url()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  // What the static replay alone would have missed is in the catalog.
  ProcessResult c = RunProcess({bin, "catalog", "--compact"});
  ASSERT_EQ(c.exit_code, 0);
  nlohmann::json catalog = nlohmann::json::parse(c.out);
  std::map<std::string, std::string> types;
  for (const auto& cl : catalog["clusters"]) {
    for (const auto& t : cl["tables"]) {
      for (const auto& col : t["columns"]) {
        types[absl::StrCat(t["name"].get<std::string>(), ".", col["name"].get<std::string>())] =
            col["type"].get<std::string>() + (col["nullable"].get<bool>() ? "" : " not null") +
            " " + col["cluster"].get<std::string>();
      }
    }
  }
  EXPECT_EQ(types["users.id"], "bigint not null core");
  EXPECT_EQ(types["users.team_id"], "bigint core");
  EXPECT_EQ(types["users.legacy_ref"], "integer not null core");
  EXPECT_EQ(types["user_backup.email"], "character varying(200) core");
  EXPECT_EQ(types["task_counts.open_tasks"], "bigint tasks");
  EXPECT_EQ(types["tasks.priority"], "smallint not null tasks");
}

}  // namespace
}  // namespace schemagate
