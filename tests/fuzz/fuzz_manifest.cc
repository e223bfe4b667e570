// Fuzz target: cluster manifests (cluster.textproto, a
// schemagate.v1.ClusterManifest in protobuf text format) and their checks in
// server/generator/tree.h: generator::ParseTree() over an in-memory tree
// whose manifests come from the input, then, for a tree it accepts, the
// generator's feature resolution and apply order (generator::Generate).
//
// Input: one or more manifests separated by lines "---". The i-th manifest
// is the cluster.textproto of the i-th folder of kFolders (core, people,
// mail, mail_people, tasks: the shape of the bundled tree, with a bridge);
// extra manifests are ignored. Each folder also holds one fixed migration
// whose tables reference the others' by foreign key, so what the manifests
// allow decides the gating verdict. A seed is the bundled manifests joined
// in that order.
//
// Checks besides "no crash": diagnostics point into the manifest they name;
// a tree accepted without diagnostics satisfies the documented manifest
// rules (docs/TREE_FORMAT.md): names equal folders, depends_on names
// existing non-bridge clusters other than itself, once each; a bridge's
// requires_features name existing plain clusters; core is not a bridge.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/generator/diagnostic.h"
#include "server/generator/generator.h"
#include "server/generator/tree.h"

namespace {

using schemagate::generator::Diagnostic;
using schemagate::generator::Diagnostics;
using schemagate::generator::SourceCluster;
using schemagate::generator::SourceTree;
using schemagate::generator::TreeFiles;

constexpr const char* kRoot = "m";

struct Folder {
  const char* name;
  const char* up_sql;
  const char* down_sql;
};

const Folder kFolders[] = {
    {"core", "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n", "DROP TABLE users;\n"},
    {"people",
     "-- schemagate:requires core/1\n"
     "CREATE TABLE contacts (id bigint PRIMARY KEY,\n"
     "  owner_id bigint REFERENCES users (id));\n",
     "DROP TABLE contacts;\n"},
    {"mail",
     "CREATE TABLE messages (id bigint PRIMARY KEY,\n"
     "  sender_id bigint REFERENCES users (id));\n",
     "DROP TABLE messages;\n"},
    {"mail_people",
     "CREATE TABLE message_contacts (\n"
     "  message_id bigint REFERENCES messages (id),\n"
     "  contact_id bigint REFERENCES contacts (id));\n",
     "DROP TABLE message_contacts;\n"},
    {"tasks",
     "-- schemagate:requires people/1\n"
     "CREATE TABLE tasks (id bigint PRIMARY KEY,\n"
     "  assignee_id bigint REFERENCES users (id));\n",
     "DROP TABLE tasks;\n"},
};
constexpr size_t kMaxFolders = sizeof(kFolders) / sizeof(kFolders[0]);

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_manifest: %s\n", what);
  std::abort();
}

int LineCount(absl::string_view text) {
  return 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// The documented manifest rules, for a tree accepted without diagnostics.
void CheckAccepted(const SourceTree& tree) {
  for (const SourceCluster& c : tree.clusters) {
    Check(c.manifest.name() == c.name, "accepted a manifest that does not name its folder");
    const bool bridge = c.manifest.requires_features_size() > 0;
    Check(!(bridge && c.name == "core"), "accepted core as a bridge");
    std::set<std::string> seen;
    for (const std::string& dep : c.manifest.depends_on()) {
      const SourceCluster* target = tree.Find(dep);
      Check(target != nullptr, "accepted depends_on naming an unknown cluster");
      Check(dep != c.name, "accepted a cluster depending on itself");
      Check(target->manifest.requires_features_size() == 0, "accepted depends_on naming a bridge");
      Check(seen.insert(dep).second, "accepted depends_on listing a cluster twice");
    }
    for (const std::string& f : c.manifest.requires_features()) {
      const SourceCluster* target = tree.Find(f);
      Check(target != nullptr, "accepted requires_features naming an unknown feature");
      Check(f != c.name, "accepted a bridge requiring itself");
      Check(target->manifest.requires_features_size() == 0,
            "accepted requires_features naming a bridge");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> manifests;
  size_t start = 0;
  while (manifests.size() < kMaxFolders) {
    size_t sep = input.find("\n---\n", start);
    if (sep == absl::string_view::npos) {
      manifests.push_back(input.substr(start));
      break;
    }
    manifests.push_back(input.substr(start, sep + 1 - start));
    start = sep + 5;
  }

  TreeFiles files;
  std::map<std::string, absl::string_view> manifest_of;  // display path -> text
  for (size_t i = 0; i < manifests.size(); ++i) {
    const Folder& f = kFolders[i];
    const std::string dir = f.name;
    files.dirs.insert(dir);
    files.dirs.insert(dir + "/0001_init");
    files.files[dir + "/cluster.textproto"] = std::string(manifests[i]);
    files.files[dir + "/0001_init/up.sql"] = f.up_sql;
    files.files[dir + "/0001_init/down.sql"] = f.down_sql;
    manifest_of[std::string(kRoot) + "/" + dir + "/cluster.textproto"] = manifests[i];
  }

  Diagnostics diagnostics;
  SourceTree tree = schemagate::generator::ParseTree(kRoot, files, &diagnostics);
  static const bool trace = std::getenv("SCHEMAGATE_FUZZ_TRACE") != nullptr;
  if (trace) {
    for (const Diagnostic& d : diagnostics.list()) {
      std::fprintf(stderr, "  %s\n", schemagate::generator::Format(d).c_str());
    }
  }
  Check(tree.clusters.size() <= manifests.size(), "more clusters than folders");
  for (const Diagnostic& d : diagnostics.list()) {
    Check(!d.message.empty(), "a diagnostic without a message");
    Check(d.line >= 0 && d.column >= 0, "a negative line or column");
    auto m = manifest_of.find(d.file);
    if (m != manifest_of.end()) {
      Check(d.line <= LineCount(m->second), "a diagnostic line is outside the manifest");
    }
  }
  for (const SourceCluster& c : tree.clusters) {
    auto m = manifest_of.find(c.manifest_path);
    Check(m != manifest_of.end(), "a cluster with an unknown manifest path");
    const int lines = LineCount(m->second);
    Check(c.name_line >= 0 && c.name_line <= lines, "name line outside the manifest");
    for (int l : c.depends_on_lines) Check(l >= 0 && l <= lines, "depends_on line outside");
    for (int l : c.requires_features_lines) {
      Check(l >= 0 && l <= lines, "requires_features line outside");
    }
  }
  if (!diagnostics.empty()) return 0;
  CheckAccepted(tree);

  // What a build does next with an accepted tree: resolve features, order
  // the migrations, check the gating rule, derive the catalog. One feature
  // set per input, picked by its length: the migrations' SQL is the same
  // for every input, so deriving three catalogs of each tree mostly parsed
  // that SQL three times (two thirds of the target's time); across inputs
  // every set is still tried on every kind of tree.
  static const std::vector<std::string> kFeatureSets[] = {{"all"}, {"core"}, {"mail", "people"}};
  {
    const std::vector<std::string>& features = kFeatureSets[size % 3];
    Diagnostics generate;
    absl::StatusOr<schemagate::v1::BuildCatalog> catalog =
        schemagate::generator::Generate(tree, features, &generate);
    if (trace) {
      std::fprintf(stderr, "  Generate(%s): %s\n", features[0].c_str(),
                   catalog.ok() ? "ok" : std::string(catalog.status().message()).c_str());
    }
    if (catalog.ok()) {
      Check(generate.empty(), "Generate succeeded with diagnostics");
      Check(catalog->clusters_size() >= 1 && catalog->clusters(0).name() == "core",
            "a catalog that does not start with core");
    } else {
      // A refused tree is refused with file:line diagnostics, never with an
      // internal error (the lint passed but the build cannot be derived).
      Check(catalog.status().code() != absl::StatusCode::kInternal,
            "Generate failed with an internal error");
      Check(!generate.empty(), "Generate failed without a diagnostic");
    }
  }
  return 0;
}
