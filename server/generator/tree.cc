#include "server/generator/tree.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "server/catalog/checksum.h"
#include "server/catalog/directives.h"
#include "server/generator/internal/textproto.h"
#include "server/generator/lint/lock_lint.h"
#include "server/util/read_file.h"

namespace schemagate::generator {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kManifestFile = "cluster.textproto";

std::string JoinPath(const std::string& root, absl::string_view rel) {
  if (root.empty()) return std::string(rel);
  if (absl::EndsWith(root, "/")) return absl::StrCat(root, rel);
  return absl::StrCat(root, "/", rel);
}

// Parses "<digits>_<name>"; false when the folder name does not match.
bool ParseMigrationDir(absl::string_view dir, uint64_t* version, std::string* version_text,
                       std::string* name) {
  size_t underscore = dir.find('_');
  if (underscore == 0 || underscore == absl::string_view::npos || underscore > 18 ||
      underscore + 1 == dir.size()) {
    return false;
  }
  absl::string_view digits = dir.substr(0, underscore);
  absl::string_view slug = dir.substr(underscore + 1);
  if (!std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return false;
  }
  if (!std::all_of(slug.begin(), slug.end(),
                   [](char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; })) {
    return false;
  }
  if (!absl::SimpleAtoi(digits, version)) return false;
  *version_text = std::string(digits);
  *name = std::string(slug);
  return true;
}

void LoadManifest(const std::string& path, const std::string& text, SourceCluster* cluster,
                  Diagnostics* diagnostics) {
  google::protobuf::TextFormat::ParseInfoTree info;
  v1::ClusterManifest manifest;
  if (!internal::ParseTextproto(path, text, "manifest", &manifest, &info, diagnostics)) {
    return;
  }
  cluster->name_line = internal::LineOf(info, manifest, "name", -1);
  for (int i = 0; i < manifest.depends_on_size(); ++i) {
    cluster->depends_on_lines.push_back(internal::LineOf(info, manifest, "depends_on", i));
  }
  for (int i = 0; i < manifest.requires_features_size(); ++i) {
    cluster->requires_features_lines.push_back(
        internal::LineOf(info, manifest, "requires_features", i));
  }
  if (manifest.name().empty()) {
    diagnostics->Add(path, 0, 0,
                     absl::StrCat("manifest has no name; expected name: \"", cluster->name, "\""));
  } else if (manifest.name() != cluster->name) {
    diagnostics->Add(path, cluster->name_line, 0,
                     absl::StrCat("manifest name \"", manifest.name(),
                                  "\" does not match its folder \"", cluster->name, "\""));
  }
  cluster->manifest = std::move(manifest);
}

void CheckReferences(SourceTree* tree, Diagnostics* diagnostics) {
  for (const SourceCluster& c : tree->clusters) {
    const v1::ClusterManifest& m = c.manifest;
    std::set<std::string> seen;
    for (int i = 0; i < m.depends_on_size(); ++i) {
      const std::string& dep = m.depends_on(i);
      int line = i < static_cast<int>(c.depends_on_lines.size()) ? c.depends_on_lines[i] : 0;
      const SourceCluster* target = tree->Find(dep);
      if (dep == c.name) {
        diagnostics->Add(c.manifest_path, line, 0, "a cluster cannot depend on itself");
      } else if (target == nullptr) {
        diagnostics->Add(c.manifest_path, line, 0,
                         absl::StrCat("depends_on names unknown cluster \"", dep, "\""));
      } else if (target->manifest.requires_features_size() > 0) {
        diagnostics->Add(c.manifest_path, line, 0,
                         absl::StrCat("depends_on names bridge cluster \"", dep,
                                      "\"; a bridge is enabled only by its features (",
                                      absl::StrJoin(target->manifest.requires_features(), ", "),
                                      "), so nothing may depend on it"));
      } else if (!seen.insert(dep).second) {
        diagnostics->Add(c.manifest_path, line, 0,
                         absl::StrCat("depends_on lists \"", dep, "\" twice"));
      }
    }
    if (m.requires_features_size() > 0 && c.name == catalog::kCoreCluster) {
      diagnostics->Add(c.manifest_path,
                       c.requires_features_lines.empty() ? 0 : c.requires_features_lines[0], 0,
                       "core is always on and cannot be a bridge");
    }
    for (int i = 0; i < m.requires_features_size(); ++i) {
      const std::string& f = m.requires_features(i);
      int line =
          i < static_cast<int>(c.requires_features_lines.size()) ? c.requires_features_lines[i] : 0;
      const SourceCluster* target = tree->Find(f);
      if (target == nullptr) {
        diagnostics->Add(c.manifest_path, line, 0,
                         absl::StrCat("requires_features names unknown "
                                      "feature \"",
                                      f, "\""));
      } else if (target->manifest.requires_features_size() > 0) {
        diagnostics->Add(c.manifest_path, line, 0,
                         absl::StrCat("requires_features names bridge cluster "
                                      "\"",
                                      f, "\", which is not a feature"));
      } else if (f == c.name) {
        diagnostics->Add(c.manifest_path, line, 0, "a bridge cannot require itself");
      }
    }
    // requires directives name existing migrations.
    for (const SourceMigration& mig : c.migrations) {
      const Directives& d = mig.directives;
      for (size_t i = 0; i < d.requires_.size(); ++i) {
        const catalog::MigrationKey& req = d.requires_[i];
        const SourceCluster* target = tree->Find(req.cluster);
        bool found = false;
        if (target != nullptr) {
          for (const SourceMigration& t : target->migrations) {
            found = found || t.version == req.version;
          }
        }
        if (!found) {
          diagnostics->Add(
              mig.up_path, d.requires_lines[i], 0,
              absl::StrCat("schemagate:requires names unknown migration \"", catalog::ToString(req),
                           "\"", target == nullptr ? " (no such cluster)" : " (no such version)"));
        }
      }
    }
  }
}

}  // namespace

bool IsValidClusterName(absl::string_view name) {
  if (name.empty() || name.size() > 48) return false;
  if (!absl::ascii_islower(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

const SourceCluster* SourceTree::Find(absl::string_view name) const {
  for (const SourceCluster& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

absl::StatusOr<TreeFiles> ReadTreeFiles(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError(absl::StrCat("migrations tree \"", root, "\" is not a directory"));
  }
  TreeFiles tree;
  auto read = [&](const fs::path& path, const std::string& rel) -> absl::Status {
    absl::StatusOr<std::string> text = util::ReadWholeFile(path.string());
    if (!text.ok()) return text.status();
    tree.files.emplace(rel, *std::move(text));
    return absl::OkStatus();
  };
  auto hidden = [](const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; };
  for (const fs::directory_entry& c : fs::directory_iterator(root, ec)) {
    if (hidden(c.path()) || !c.is_directory(ec)) continue;
    std::string cluster = c.path().filename().string();
    tree.dirs.insert(cluster);
    for (const fs::directory_entry& e : fs::directory_iterator(c.path(), ec)) {
      if (hidden(e.path())) continue;
      std::string name = e.path().filename().string();
      std::string rel = cluster + "/" + name;
      if (e.is_directory(ec)) {
        tree.dirs.insert(rel);
        for (const char* file : {"up.sql", "down.sql"}) {
          fs::path p = e.path() / file;
          std::error_code missing;
          if (fs::is_regular_file(p, missing)) {
            if (absl::Status s = read(p, rel + "/" + std::string(file)); !s.ok()) {
              return s;
            }
          }
        }
      } else if (name == kManifestFile) {
        if (absl::Status s = read(e.path(), rel); !s.ok()) return s;
      }
    }
    if (ec) break;
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot list ", root, ": ", ec.message()));
  }
  return tree;
}

namespace {

bool IsImportFormat(absl::string_view f) {
  return f == "diesel" || f == "golang-migrate" || f == "flyway" || f == "sql";
}

bool IsVersionToken(absl::string_view v) {
  return !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

Directives ParseDirectives(absl::string_view up_sql, const std::string& path,
                           Diagnostics* diagnostics) {
  Directives d;
  for (const catalog::DirectiveLine& dl : catalog::ScanDirectives(up_sql)) {
    const int line_no = dl.line;
    if (dl.verb == "allow") {
      // Anywhere: it acknowledges a lint finding of the statement after it.
      std::vector<absl::string_view> parts =
          absl::StrSplit(dl.args, absl::MaxSplits(absl::ByAnyChar(" \t"), 1), absl::SkipEmpty());
      if (parts.empty() || lint::FindRule(parts[0]) == nullptr) {
        std::vector<std::string> names;
        for (const lint::Rule& r : lint::Rules()) names.push_back(r.name);
        diagnostics->Add(
            path, line_no, 0,
            absl::StrCat("schemagate:allow names ",
                         parts.empty()
                             ? "no rule"
                             : absl::StrCat("unknown rule \"", absl::CHexEscape(parts[0]), "\""),
                         "; rules: ", absl::StrJoin(names, ", ")));
      } else if (parts.size() < 2 || absl::StripAsciiWhitespace(parts[1]).empty()) {
        diagnostics->Add(
            path, line_no, 0,
            absl::StrCat("schemagate:allow ", parts[0], " needs a reason (why this is safe here)"));
      }
      continue;
    }
    if (!dl.in_header) {
      diagnostics->Add(path, line_no, 0,
                       "schemagate directive below the first statement is not "
                       "read; move it to the comment block at the top of the "
                       "file");
      continue;
    }
    absl::string_view verb = dl.verb;
    absl::string_view args = dl.args;
    if (verb == "no-transaction") {
      if (!args.empty()) {
        diagnostics->Add(path, line_no, 0, "schemagate:no-transaction takes no argument");
      }
      d.no_transaction = true;
    } else if (verb == "requires") {
      std::vector<absl::string_view> items =
          absl::StrSplit(args, absl::ByAnyChar(" \t,"), absl::SkipEmpty());
      if (items.empty()) {
        diagnostics->Add(path, line_no, 0, "schemagate:requires needs <cluster>/<version>");
      }
      for (absl::string_view item : items) {
        std::pair<absl::string_view, absl::string_view> parts =
            absl::StrSplit(item, absl::MaxSplits('/', 1));
        catalog::MigrationKey key;
        key.cluster = std::string(parts.first);
        bool digits = !parts.second.empty() && parts.second.size() <= 18 &&
                      std::all_of(parts.second.begin(), parts.second.end(), absl::ascii_isdigit);
        if (!IsValidClusterName(key.cluster) || !digits ||
            !absl::SimpleAtoi(parts.second, &key.version)) {
          diagnostics->Add(path, line_no, 0,
                           absl::StrCat("schemagate:requires argument \"", item,
                                        "\" is not <cluster>/<version>"));
          continue;
        }
        d.requires_.push_back(std::move(key));
        d.requires_lines.push_back(line_no);
      }
    } else if (verb == "imported-from") {
      std::vector<absl::string_view> items =
          absl::StrSplit(args, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (items.size() != 2 || !IsImportFormat(items[0]) || !IsVersionToken(items[1])) {
        diagnostics->Add(path, line_no, 0,
                         absl::StrCat("schemagate:imported-from needs <format> "
                                      "<version>, the format one of diesel, "
                                      "golang-migrate, flyway, sql (got \"",
                                      absl::CHexEscape(args), "\")"));
        continue;
      }
      d.imported_from.push_back({std::string(items[0]), std::string(items[1])});
    } else if (verb == "irreversible") {
      diagnostics->Add(path, line_no, 0,
                       "schemagate:irreversible belongs at the top of "
                       "down.sql, not up.sql");
    } else {
      diagnostics->Add(path, line_no, 0,
                       absl::StrCat("unknown directive \"schemagate:", absl::CHexEscape(verb),
                                    "\"; known: schemagate:requires, "
                                    "schemagate:no-transaction, "
                                    "schemagate:imported-from, schemagate:allow (up.sql), "
                                    "schemagate:irreversible (down.sql)"));
    }
  }
  return d;
}

DownDirectives ParseDownDirectives(absl::string_view down_sql, const std::string& path,
                                   Diagnostics* diagnostics) {
  DownDirectives d;
  for (const catalog::DirectiveLine& dl : catalog::ScanDirectives(down_sql)) {
    if (!dl.in_header) {
      diagnostics->Add(path, dl.line, 0,
                       "schemagate directive below the first statement is not "
                       "read; move it to the comment block at the top of the "
                       "file");
    } else if (dl.verb == "irreversible") {
      if (dl.args.empty()) {
        diagnostics->Add(path, dl.line, 0,
                         "schemagate:irreversible needs a reason (shown when "
                         "a rollback is refused)");
      } else {
        d.irreversible = dl.args;
      }
    } else {
      diagnostics->Add(path, dl.line, 0,
                       absl::StrCat("directive \"schemagate:", absl::CHexEscape(dl.verb),
                                    "\" is not read in down.sql; only "
                                    "schemagate:irreversible <reason> is"));
    }
  }
  return d;
}

SourceTree ParseTree(const std::string& root, const TreeFiles& files, Diagnostics* diagnostics) {
  SourceTree tree;
  tree.root = root;
  std::map<std::string, SourceCluster> clusters;
  for (const std::string& dir : files.dirs) {
    if (dir.find('/') != std::string::npos) continue;
    std::string dir_path = JoinPath(root, dir);
    if (!IsValidClusterName(dir)) {
      diagnostics->Add(dir_path, 0, 0,
                       "cluster folder name must match [a-z][a-z0-9_]* "
                       "(at most 48 characters)");
      continue;
    }
    SourceCluster cluster;
    cluster.name = dir;
    cluster.manifest_path = JoinPath(root, dir + "/" + std::string(kManifestFile));
    auto manifest = files.files.find(dir + "/" + std::string(kManifestFile));
    if (manifest == files.files.end()) {
      diagnostics->Add(cluster.manifest_path, 0, 0,
                       "missing cluster.textproto: every folder of the tree is "
                       "a cluster and needs a manifest");
      continue;
    }
    LoadManifest(cluster.manifest_path, manifest->second, &cluster, diagnostics);
    clusters.emplace(dir, std::move(cluster));
  }
  for (const std::string& dir : files.dirs) {
    size_t slash = dir.find('/');
    if (slash == std::string::npos) continue;
    auto cluster = clusters.find(dir.substr(0, slash));
    if (cluster == clusters.end()) continue;
    SourceMigration m;
    m.rel_dir = dir;
    if (!ParseMigrationDir(dir.substr(slash + 1), &m.version, &m.version_text, &m.name)) {
      diagnostics->Add(JoinPath(root, dir), 0, 0,
                       "migration folder name must be <version>_<name>: "
                       "digits, '_', then letters, digits, '_' or '-'");
      continue;
    }
    m.up_path = JoinPath(root, dir + "/up.sql");
    m.down_path = JoinPath(root, dir + "/down.sql");
    auto up = files.files.find(dir + "/up.sql");
    auto down = files.files.find(dir + "/down.sql");
    if (up == files.files.end()) {
      diagnostics->Add(m.up_path, 0, 0, "missing up.sql");
      continue;
    }
    if (down == files.files.end()) {
      diagnostics->Add(m.down_path, 0, 0,
                       "missing down.sql: every migration needs one that "
                       "undoes its up.sql");
      continue;
    }
    if (!internal::CheckText(m.up_path, up->second, diagnostics) ||
        !internal::CheckText(m.down_path, down->second, diagnostics)) {
      continue;
    }
    // As the checksum sees them: CRLF endings and a BOM do not make another
    // migration (server/catalog/checksum.h).
    m.up_sql = catalog::NormalizeMigrationText(up->second);
    m.down_sql = catalog::NormalizeMigrationText(down->second);
    m.directives = ParseDirectives(m.up_sql, m.up_path, diagnostics);
    m.down_directives = ParseDownDirectives(m.down_sql, m.down_path, diagnostics);
    cluster->second.migrations.push_back(std::move(m));
  }
  for (auto& [name, cluster] : clusters) {
    std::sort(cluster.migrations.begin(), cluster.migrations.end(),
              [](const SourceMigration& a, const SourceMigration& b) {
                return std::tie(a.version, a.rel_dir) < std::tie(b.version, b.rel_dir);
              });
    for (size_t i = 1; i < cluster.migrations.size(); ++i) {
      if (cluster.migrations[i].version == cluster.migrations[i - 1].version) {
        diagnostics->Add(JoinPath(root, cluster.migrations[i].rel_dir), 0, 0,
                         absl::StrCat("version ", cluster.migrations[i].version,
                                      " is used twice in cluster \"", name, "\" (also ",
                                      JoinPath(root, cluster.migrations[i - 1].rel_dir), ")"));
      }
    }
    tree.clusters.push_back(std::move(cluster));
  }
  if (tree.clusters.empty() && diagnostics->empty()) {
    diagnostics->Add(root, 0, 0, "no clusters found (expected <cluster>/cluster.textproto)");
  }
  CheckReferences(&tree, diagnostics);
  return tree;
}

}  // namespace schemagate::generator
