// schemagate-gen: the build-time generator. Run by the build (see
// cmake/SchemagateEmbed.cmake); usable by hand to lint a tree:
//   schemagate-gen --tree migrations --features all --check
// and to import another tool's flat migration history into a tree:
//   schemagate-gen import --format=diesel --source migrations --map map.textproto --out tree
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "server/catalog/features.h"
#include "server/generator/generator.h"
#include "server/generator/import/import.h"
#include "server/generator/schema_headers.h"
#include "server/generator/tree.h"
#include "server/migrate/dev_database.h"
#include "server/util/cli.h"
#include "server/util/read_file.h"

namespace {

// Writes `content` to `path` unless it already holds exactly that, so the
// build does not recompile what did not change.
bool WriteIfChanged(const std::string& path, const std::string& content) {
  if (absl::StatusOr<std::string> old = schemagate::util::ReadWholeFile(path);
      old.ok() && *old == content) {
    return true;
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// Writes the consumer schema headers under `dir` (the include root) and
// removes headers of an earlier run that this feature set no longer has, so
// a header of a disabled cluster never lingers in the build tree. Returns
// the exit code: 0, 1 on a name collision, 3 on an I/O error (printed).
int WriteSchemaHeaders(const schemagate::v1::BuildCatalog& catalog, const std::string& dir) {
  namespace fs = std::filesystem;
  absl::StatusOr<std::vector<schemagate::generator::SchemaHeader>> headers =
      schemagate::generator::EmitSchemaHeaders(catalog);
  if (!headers.ok()) {
    std::cerr << headers.status().message() << "\n"
              << "schemagate-gen: the schema headers cannot be generated\n";
    return 1;
  }
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "schemagate" / "schema", ec);
  if (ec) {
    std::cerr << "schemagate-gen: cannot create " << dir << ": " << ec.message() << "\n";
    return 3;
  }
  std::set<fs::path> written;
  for (const auto& h : *headers) {
    fs::path path = fs::path(dir) / h.path;
    if (!WriteIfChanged(path.string(), h.content)) {
      std::cerr << "schemagate-gen: cannot write " << path.string() << "\n";
      return 3;
    }
    written.insert(path);
  }
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "schemagate" / "schema", ec)) {
    if (entry.path().extension() == ".h" && written.count(entry.path()) == 0) {
      fs::remove(entry.path(), ec);
    }
  }
  return 0;
}

// `schemagate-gen import`: exit 0 written, 1 the history or map has errors
// (nothing written), 2 bad usage, 3 I/O error.
int Import(const std::vector<std::string>& args) {
  using namespace schemagate;
  namespace imp = generator::import;
  std::string format, source, map_path, out, report_path;
  bool json = false, dry_run = false;
  cli::FlagSet flags("schemagate-gen import",
                     "Turns another tool's flat migration history into a schemagate tree: "
                     "every statement goes to the cluster that owns what it touches "
                     "(docs/ADOPTING.md).");
  flags.String("format", &format, "diesel, golang-migrate, flyway or sql");
  flags.String("source", &source, "the flat migrations folder");
  flags.String("map", &map_path,
               "the import map (schemagate.v1.ImportMap in text format): features and "
               "their tables");
  flags.String("out", &out, "the tree to write (a new or empty folder)");
  flags.Bool("json", &json, "print the report as JSON");
  flags.String("report", &report_path, "also write the JSON report to this file");
  flags.Bool("dry-run", &dry_run, "check and report; write nothing");
  flags.SetEpilog(
      "Problems are printed as file:line:col: error|warning: message.\n"
      "Exit codes: 0 ok, 1 the history or the map has errors (nothing written),\n"
      "2 bad usage, 3 I/O error.\n");
  if (int code = flags.Finish(flags.Parse(args), 0, 2); code >= 0) return code;
  if (format.empty() || source.empty() || map_path.empty() || (out.empty() && !dry_run)) {
    std::cerr << "schemagate-gen import: --format, --source, --map and --out are required "
                 "(--out may be left out with --dry-run)\n";
    return 2;
  }
  absl::StatusOr<imp::FlatFormat> f = imp::ParseFlatFormat(format);
  if (!f.ok()) {
    std::cerr << "schemagate-gen import: --format: " << f.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<imp::FlatFiles> files = imp::ReadFlatFiles(source, *f);
  if (!files.ok()) {
    std::cerr << "schemagate-gen import: " << files.status().message() << "\n";
    return files.status().code() == absl::StatusCode::kNotFound ? 2 : 3;
  }
  absl::StatusOr<std::string> map_text = schemagate::util::ReadWholeFile(map_path);
  if (!map_text.ok()) {
    std::cerr << "schemagate-gen import: cannot read --map " << map_path << "\n";
    return 2;
  }
  generator::Diagnostics diagnostics;
  imp::ImportResult result =
      imp::Import({*f, source, *std::move(files), map_path, *std::move(map_text)}, &diagnostics);
  int code = diagnostics.empty() ? 0 : 1;
  if (code == 0 && !dry_run) {
    if (absl::Status s = imp::WriteTree(result.tree, out); !s.ok()) {
      std::cerr << "schemagate-gen import: " << s.message() << "\n";
      return s.code() == absl::StatusCode::kFailedPrecondition ? 2 : 3;
    }
  }
  std::cout << (json ? imp::ReportJson(result.report, diagnostics)
                     : imp::ReportText(result.report, diagnostics));
  if (!report_path.empty() &&
      !WriteIfChanged(report_path, imp::ReportJson(result.report, diagnostics))) {
    std::cerr << "schemagate-gen import: cannot write --report " << report_path << "\n";
    return 3;
  }
  if (code == 0 && !json) {
    std::cout << (dry_run
                      ? "dry run: nothing written\n"
                      : absl::StrCat("wrote ", result.tree.files.size(), " files to ", out, "\n"));
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace schemagate;
  if (argc >= 2 && std::string(argv[1]) == "import") {
    return Import(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::string tree_path = "migrations", features = "all", out_cc, out_binary, out_headers;
  bool check = false;
  std::string dev_database = "auto";
  std::string lint = "warn";
  std::string lint_report;
  cli::FlagSet flags("schemagate-gen",
                     "Checks a migrations tree and generates the embedded "
                     "catalog of one feature set.");
  flags.String("tree", &tree_path, "the migrations tree");
  flags.String("features", &features,
               "comma-separated features; 'all' for every cluster, 'core' "
               "for the minimal build");
  flags.String("out", &out_cc, "write the embedded catalog C++ source here");
  flags.String("out-binary", &out_binary, "write the serialized schemagate.v1.BuildCatalog here");
  flags.String("out-headers", &out_headers,
               "write the consumer schema headers (schemagate/schema.h, "
               "schemagate/schema/*.h) under this include directory");
  flags.Bool("check", &check, "only check the tree; write nothing");
  flags.String("lint", &lint,
               "the lock lint (docs/LINT.md): 'warn' prints findings as warnings, "
               "'error' fails on any unacknowledged finding, 'off' prints none");
  flags.String("lint-report", &lint_report,
               "write the lock lint's JSON report here: each statement's tables (and "
               "which existed before its migration), locks and findings");
  flags.String("dev-database", &dev_database,
               "where to replay migrations the static replay cannot model (DO blocks "
               "and functions that change the schema, CREATE TABLE AS): 'auto' starts "
               "a scratch PostgreSQL from its server binaries when one is needed and "
               "installed, a URL names a server where a scratch database may be "
               "created, 'off' only warns");
  flags.SetEpilog(
      "Errors are printed as file:line:col: error: message.\n"
      "Exit codes: 0 ok, 1 the tree has errors, 2 bad usage, 3 I/O error (or the\n"
      "dev database could not be started or reached).\n");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (int code = flags.Finish(flags.Parse(args), 0, 2); code >= 0) {
    return code;
  }
  if (!check && out_cc.empty() && out_binary.empty() && out_headers.empty() &&
      lint_report.empty()) {
    std::cerr << "schemagate-gen: give --out, --out-binary, --out-headers or "
                 "--check\n";
    return 2;
  }

  absl::StatusOr<generator::TreeFiles> files = generator::ReadTreeFiles(tree_path);
  if (!files.ok()) {
    std::cerr << "schemagate-gen: " << files.status().message() << "\n";
    return 3;
  }
  generator::Diagnostics diagnostics;
  generator::SourceTree tree = generator::ParseTree(tree_path, *files, &diagnostics);
  absl::StatusOr<generator::LintMode> lint_mode = generator::ParseLintMode(lint);
  if (!lint_mode.ok()) {
    std::cerr << "schemagate-gen: --lint: " << lint_mode.status().message() << "\n";
    return 2;
  }
  int unmodelled = 0;
  generator::GenerateOptions options;
  options.lint = *lint_mode;
  options.unmodelled = &unmodelled;
  std::string lint_json;
  if (!lint_report.empty()) options.lint_report = &lint_json;
  absl::StatusOr<v1::BuildCatalog> catalog =
      generator::Generate(tree, catalog::SplitFeatureList(features), &diagnostics, options);
  if (catalog.ok() && unmodelled > 0 && dev_database != "off") {
    // Again, exactly, on a real PostgreSQL.
    absl::StatusOr<std::unique_ptr<migrate::DevDatabase>> db =
        migrate::DevDatabase::Open(dev_database);
    if (!db.ok() && dev_database == "auto" && db.status().code() == absl::StatusCode::kNotFound) {
      diagnostics.Warn("--dev-database", 0, 0, std::string(db.status().message()));
    } else if (!db.ok()) {
      std::cerr << "schemagate-gen: the dev database: " << db.status().message() << "\n";
      return 3;
    } else {
      generator::Diagnostics exact;
      options.oracle = db->get();
      options.unmodelled = nullptr;
      catalog = generator::Generate(tree, catalog::SplitFeatureList(features), &exact, options);
      diagnostics = std::move(exact);
    }
  }
  if (diagnostics.warning_count() > 0) {
    std::cerr << diagnostics.WarningText() << "\n";
  }
  if (!lint_report.empty() && !WriteIfChanged(lint_report, lint_json)) {
    std::cerr << "schemagate-gen: cannot write " << lint_report << "\n";
    return 3;
  }
  if (!catalog.ok()) {
    std::cerr << catalog.status().message() << "\n";
    if (!diagnostics.empty()) {
      std::cerr << "schemagate-gen: " << diagnostics.count() << " error(s) in migrations tree "
                << tree_path << "\n";
    }
    return 1;
  }
  if (check) {
    // Names must also make valid, distinct C++ identifiers.
    absl::StatusOr<std::vector<generator::SchemaHeader>> headers =
        generator::EmitSchemaHeaders(*catalog);
    if (!headers.ok()) {
      std::cerr << headers.status().message() << "\n";
      return 1;
    }
    return 0;
  }
  // Headers first: a name collision fails the run before anything else
  // changes.
  if (!out_headers.empty()) {
    if (int code = WriteSchemaHeaders(*catalog, out_headers); code != 0) {
      return code;
    }
  }
  if (!out_binary.empty() && !WriteIfChanged(out_binary, catalog->SerializeAsString())) {
    std::cerr << "schemagate-gen: cannot write " << out_binary << "\n";
    return 3;
  }
  // With --out-binary the source takes the file in (.incbin), by its
  // absolute path (the compiler runs elsewhere).
  const std::string binary_path =
      out_binary.empty() ? "" : std::filesystem::absolute(out_binary).lexically_normal().string();
  if (!out_cc.empty() &&
      !WriteIfChanged(out_cc, generator::EmitEmbeddedSource(*catalog, binary_path))) {
    std::cerr << "schemagate-gen: cannot write " << out_cc << "\n";
    return 3;
  }
  return 0;
}
