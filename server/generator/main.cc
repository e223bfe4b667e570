// schemagate-gen: the build-time generator. Run by the build (see
// cmake/Schemagate.cmake); usable by hand to lint a tree:
//   schemagate-gen --tree migrations --features all --check
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "server/catalog/features.h"
#include "server/generator/generator.h"
#include "server/generator/tree.h"
#include "server/util/cli.h"

namespace {

// Writes `content` to `path` unless it already holds exactly that, so the
// build does not recompile what did not change.
bool WriteIfChanged(const std::string& path, const std::string& content) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream old;
      old << in.rdbuf();
      if (old.str() == content) return true;
    }
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace schemagate;
  std::string tree_path = "migrations", features = "all", out_cc, out_binary;
  bool check = false;
  cli::FlagSet flags("schemagate-gen",
                     "Checks a migrations tree and generates the embedded "
                     "catalog of one feature set.");
  flags.String("tree", &tree_path, "the migrations tree");
  flags.String("features", &features,
               "comma-separated features; 'all' for every cluster, 'core' "
               "for the minimal build");
  flags.String("out", &out_cc, "write the embedded catalog C++ source here");
  flags.String("out-binary", &out_binary,
               "write the serialized schemagate.v1.BuildCatalog here");
  flags.Bool("check", &check, "only check the tree; write nothing");
  flags.SetEpilog(
      "Errors are printed as file:line:col: error: message.\n"
      "Exit codes: 0 ok, 1 the tree has errors, 2 bad usage, 3 I/O error.\n");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (int code = flags.Finish(flags.Parse(args), 0, 2); code >= 0) {
    return code;
  }
  if (!check && out_cc.empty() && out_binary.empty()) {
    std::cerr << "schemagate-gen: give --out, --out-binary or --check\n";
    return 2;
  }

  absl::StatusOr<generator::TreeFiles> files =
      generator::ReadTreeFiles(tree_path);
  if (!files.ok()) {
    std::cerr << "schemagate-gen: " << files.status().message() << "\n";
    return 3;
  }
  generator::Diagnostics diagnostics;
  generator::SourceTree tree =
      generator::ParseTree(tree_path, *files, &diagnostics);
  absl::StatusOr<v1::BuildCatalog> catalog = generator::Generate(
      tree, catalog::SplitFeatureList(features), &diagnostics);
  if (!catalog.ok()) {
    std::cerr << catalog.status().message() << "\n";
    if (!diagnostics.empty()) {
      std::cerr << "schemagate-gen: " << diagnostics.count()
                << " error(s) in migrations tree " << tree_path << "\n";
    }
    return 1;
  }
  if (check) return 0;
  if (!out_cc.empty() &&
      !WriteIfChanged(out_cc, generator::EmitEmbeddedSource(*catalog))) {
    std::cerr << "schemagate-gen: cannot write " << out_cc << "\n";
    return 3;
  }
  if (!out_binary.empty() &&
      !WriteIfChanged(out_binary, catalog->SerializeAsString())) {
    std::cerr << "schemagate-gen: cannot write " << out_binary << "\n";
    return 3;
  }
  return 0;
}
