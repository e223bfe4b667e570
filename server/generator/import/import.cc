// `schemagate-gen import` (import.h): a flat history read, analysed, assigned
// to clusters and laid out as a tree in memory. Its outputs (the report as
// text or JSON, the tree written to disk) are import_output.cc.
#include "server/generator/import/import.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "server/catalog/features.h"
#include "server/catalog/order.h"
#include "server/generator/generator.h"
#include "server/generator/import/analyze.h"
#include "server/generator/import/assign.h"
#include "server/generator/import/import_map.h"
#include "server/sql/parser.h"

namespace schemagate::generator::import {
namespace {

const std::string kCore(catalog::kCoreCluster);

// A folder slug from a flat migration's name: [A-Za-z0-9_-], '_' for the
// rest, runs collapsed, at most 80 characters.
std::string Slug(absl::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = absl::ascii_isalnum(c) || c == '-' || c == '_';
    char ch = ok ? c : '_';
    if (ch == '_' && !out.empty() && out.back() == '_') continue;
    out += ch;
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  while (!out.empty() && out.front() == '_') out.erase(out.begin());
  if (out.size() > 80) out.resize(80);
  return out.empty() ? "migration" : out;
}

std::string OneLine(absl::string_view text) {
  std::string out = absl::StrReplaceAll(text, {{"\r", " "}, {"\n", " "}});
  return out;
}

std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

std::string Commented(absl::string_view text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::StrAppend(&out, "-- ", absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::string StatementText(absl::string_view sql, const Placed& p) {
  std::string text(sql.substr(p.offset, p.length));
  // Statements are separated by the newline that ends the previous one.
  size_t start = 0;
  while (start < text.size() && (text[start] == '\n' || text[start] == '\r')) ++start;
  text = text.substr(start);
  while (!text.empty() && absl::ascii_isspace(text.back())) text.pop_back();
  return absl::StrCat(text, ";\n");
}

// The part of a flat file that goes to `cluster`: its statements with the
// session statements (SET) that precede them.
std::string PartText(absl::string_view sql, const std::vector<Placed>& placed,
                     const std::string& cluster) {
  std::string out;
  std::vector<const Placed*> pending_session;
  for (const Placed& p : placed) {
    if (p.left_out) continue;
    if (p.session) {
      pending_session.push_back(&p);
      continue;
    }
    if (p.cluster != cluster) continue;
    for (const Placed* s : pending_session) absl::StrAppend(&out, StatementText(sql, *s));
    pending_session.clear();
    absl::StrAppend(&out, StatementText(sql, p));
  }
  return out;
}

bool AnyLeftOut(const std::vector<Placed>& placed) {
  return std::any_of(placed.begin(), placed.end(), [](const Placed& p) { return p.left_out; });
}

struct Part {
  std::string cluster;
  std::string dir;
  uint64_t version = 0;
  std::string version_text;
  std::vector<std::string> requires_;
  bool no_transaction = false;
  std::string irreversible;
  int statements = 0;
  std::string up_body;
  std::string down_body;
  std::string up_note;
};

}  // namespace

ImportResult Import(const ImportRequest& request, Diagnostics* diagnostics) {
  ImportResult result;
  ImportReport& report = result.report;
  report.format = FormatName(request.format);
  report.source = request.source;
  report.map = request.map_path;

  std::vector<FlatMigration> flat =
      OrderFlat(request.format, request.source, request.files, diagnostics);
  std::optional<ImportMapIndex> map =
      ImportMapIndex::Load(request.map_path, request.map_text, diagnostics);
  report.flat_migrations = static_cast<int>(flat.size());
  if (!map) return result;
  if (flat.empty() && diagnostics->empty()) {
    diagnostics->Add(request.source, 0, 0, absl::StrCat("no ", report.format, " migrations found"));
  }

  // Parse every file.
  std::vector<AnalyzedFlat> analyzed;
  for (const FlatMigration& m : flat) {
    AnalyzedFlat a;
    a.flat = &m;
    absl::StatusOr<std::vector<StatementFacts>> up = AnalyzeSql(m.up_sql);
    if (!up.ok()) {
      // "line:col: message"
      std::vector<std::string> parts =
          absl::StrSplit(std::string(up.status().message()), absl::MaxSplits(':', 2));
      int line = 0, column = 0;
      if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &line) &&
          absl::SimpleAtoi(parts[1], &column)) {
        diagnostics->Add(m.up_path, line, column, absl::StrCat("does not parse:", parts[2]));
      } else {
        diagnostics->Add(m.up_path, 0, 0, absl::StrCat("does not parse: ", up.status().message()));
      }
      continue;
    }
    a.up = *std::move(up);
    report.statements += static_cast<int>(a.up.size());
    if (m.has_down) {
      a.down = AnalyzeSql(m.down_sql);
      if (!a.down.ok()) {
        std::vector<std::string> parts =
            absl::StrSplit(std::string(a.down.status().message()), absl::MaxSplits(':', 2));
        int line = 0, column = 0;
        if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &line) &&
            absl::SimpleAtoi(parts[1], &column)) {
          diagnostics->Warn(m.down_path, line, column,
                            absl::StrCat("down file does not parse:", parts[2],
                                         "; the imported migration is marked irreversible"));
        } else {
          diagnostics->Warn(m.down_path, 0, 0,
                            absl::StrCat("down file does not parse: ", a.down.status().message(),
                                         "; the imported migration is marked irreversible"));
        }
      }
    }
    if (m.repeatable) {
      diagnostics->Warn(m.up_path, 0, 0,
                        "repeatable migration imported as a one-time migration after the "
                        "versioned ones; a later edit of it is a new migration in the tree");
    }
    bool has_statement = std::any_of(a.up.begin(), a.up.end(), [](const StatementFacts& f) {
      return !f.session && !f.transaction_control;
    });
    if (!has_statement) {
      diagnostics->Warn(m.up_path, 0, 0, "has no statement: nothing to import");
    }
    analyzed.push_back(std::move(a));
  }
  if (!diagnostics->empty()) return result;

  Assigner assigner(&*map, diagnostics, &report);
  std::vector<FlatAssignment> assignments = assigner.Run(analyzed);
  if (!diagnostics->empty()) return result;

  // --- the tree ----------------------------------------------------------------
  // Versions: the flat versions themselves when they are numbers that grow
  // in the flat order (Diesel timestamps, golang-migrate and SQL numbers),
  // so tasks/20170923182408_x names its origin; else 1, 2, 3, ...
  bool keep_versions = true;
  std::vector<uint64_t> versions;
  for (const AnalyzedFlat& a : analyzed) {
    uint64_t v = 0;
    bool number =
        !a.flat->version.empty() && a.flat->version.size() <= 18 &&
        std::all_of(a.flat->version.begin(), a.flat->version.end(), absl::ascii_isdigit) &&
        absl::SimpleAtoi(a.flat->version, &v);
    keep_versions = keep_versions && number && (versions.empty() || v > versions.back());
    versions.push_back(v);
  }
  size_t width = 4;
  for (size_t i = 0; i < analyzed.size(); ++i) {
    if (!keep_versions) versions[i] = i + 1;
    width = std::max(width, absl::StrCat(versions[i]).size());
  }
  // Paths inside the tree are relative to the flat folder.
  auto relative = [&](const std::string& path) {
    std::string prefix = request.source;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    return absl::StartsWith(path, prefix) ? path.substr(prefix.size()) : path;
  };
  std::vector<std::vector<Part>> parts(analyzed.size());
  std::vector<catalog::MigrationNode> nodes;
  for (size_t i = 0; i < analyzed.size(); ++i) {
    const FlatMigration& m = *analyzed[i].flat;
    const FlatAssignment& a = assignments[i];
    std::string version_text = absl::StrCat(versions[i]);
    version_text.insert(0, width - std::min(width, version_text.size()), '0');
    bool split = a.parts.size() > 1 || AnyLeftOut(a.up);
    std::vector<std::string> dirs;
    for (const std::string& c : a.parts) {
      dirs.push_back(absl::StrCat(c, "/", version_text, "_", Slug(m.name)));
    }
    for (size_t k = 0; k < a.parts.size(); ++k) {
      Part p;
      p.cluster = a.parts[k];
      p.dir = dirs[k];
      p.version = versions[i];
      p.version_text = version_text;
      p.up_body = split ? PartText(m.up_sql, a.up, p.cluster) : m.up_sql;
      for (const Placed& pl : a.up) {
        if (pl.cluster == p.cluster && !pl.session && !pl.left_out) {
          ++p.statements;
          p.no_transaction = p.no_transaction || pl.no_transaction;
        }
      }
      p.no_transaction = p.no_transaction || !m.run_in_transaction;
      auto irr = a.irreversible.find(p.cluster);
      p.irreversible = irr == a.irreversible.end() ? "" : irr->second;
      if (p.irreversible.empty()) {
        bool down_split = a.parts.size() > 1 || AnyLeftOut(a.down);
        p.down_body = down_split ? PartText(m.down_sql, a.down, p.cluster) : m.down_sql;
      }
      std::vector<std::string> others;
      for (size_t j = 0; j < dirs.size(); ++j) {
        if (j != k) others.push_back(dirs[j]);
      }
      if (!others.empty()) {
        p.up_note = absl::StrCat("-- (", p.statements, " of its statements; the others are in ",
                                 absl::StrJoin(others, ", "), ")\n");
      } else if (AnyLeftOut(a.up)) {
        p.up_note = "-- (BEGIN/COMMIT left out: schemagate runs each migration in a transaction)\n";
      }
      catalog::MigrationNode node;
      node.key = {p.cluster, p.version};
      nodes.push_back(node);
      parts[i].push_back(std::move(p));
    }
  }
  // Keep the flat order between parts of one migration whose clusters do
  // not depend on each other (when that makes no ordering cycle).
  std::vector<catalog::ClusterSpec> specs;
  std::map<std::string, std::vector<std::string>> deps = assigner.Dependencies();
  std::vector<std::string> cluster_names = map->ClusterNames();
  for (const std::string& name : cluster_names) {
    catalog::ClusterSpec spec;
    spec.name = name;
    if (name != kCore) {
      spec.depends_on = deps[name];
      if (const v1::ImportCluster* c = map->Find(name)) {
        spec.requires_features.assign(c->requires_features().begin(), c->requires_features().end());
      }
    }
    specs.push_back(std::move(spec));
  }
  auto node_of = [&](const std::string& cluster, uint64_t version) -> catalog::MigrationNode* {
    for (catalog::MigrationNode& n : nodes) {
      if (n.key.cluster == cluster && n.key.version == version) return &n;
    }
    return nullptr;
  };
  for (std::vector<Part>& list : parts) {
    for (size_t k = 1; k < list.size(); ++k) {
      for (size_t j = 0; j < k; ++j) {
        if (assigner.InClosure(list[j].cluster, list[k].cluster) ||
            assigner.InClosure(list[k].cluster, list[j].cluster)) {
          continue;
        }
        catalog::MigrationNode* node = node_of(list[k].cluster, list[k].version);
        node->requires_.push_back({list[j].cluster, list[j].version});
        if (!catalog::ApplyOrder(specs, nodes).ok()) {
          node->requires_.pop_back();
          continue;
        }
        list[k].requires_.push_back(absl::StrCat(list[j].cluster, "/", list[j].version_text));
      }
    }
  }

  // Files.
  TreeFiles& tree = result.tree;
  std::map<std::string, std::vector<std::string>> tables = assigner.Tables();
  const auto& inferred = assigner.Inferred();
  std::set<std::string> used;
  for (const std::vector<Part>& list : parts) {
    for (const Part& p : list) used.insert(p.cluster);
  }
  for (const std::string& name : cluster_names) {
    const v1::ImportCluster* c = map->Find(name);
    if (name != kCore && !used.count(name)) {
      diagnostics->Warn(map->path(), map->LineOfCluster(name), 0,
                        absl::StrCat("cluster \"", name,
                                     "\" receives no statement of the history (its patterns "
                                     "claim nothing that the history creates)"));
    }
    std::string manifest = absl::StrCat(
        "# proto-message: schemagate.v1.ClusterManifest\n# Made by schemagate-gen import from ",
        request.map_path, " and ", request.source, ".\n");
    absl::StrAppend(&manifest, "name: ", Quote(name), "\n");
    std::string description = c != nullptr ? c->description() : "";
    if (description.empty() && name == kCore) description = "Imported shared tables and objects";
    if (!description.empty()) absl::StrAppend(&manifest, "description: ", Quote(description), "\n");
    if (name != kCore) {
      absl::StrAppend(&manifest, "depends_on: \"core\"\n");
      auto inf = inferred.find(name);
      for (const std::string& d : deps[name]) {
        std::string why;
        if (inf != inferred.end()) {
          for (const InferredDependency& dep : inf->second) {
            if (dep.cluster == d) {
              why = dep.evidence;
              break;
            }
          }
        }
        if (!why.empty()) absl::StrAppend(&manifest, "# inferred: ", OneLine(why), "\n");
        absl::StrAppend(&manifest, "depends_on: ", Quote(d), "\n");
      }
      if (c != nullptr) {
        for (const std::string& f : c->requires_features()) {
          absl::StrAppend(&manifest, "requires_features: ", Quote(f), "\n");
        }
      }
    }
    tree.dirs.insert(name);
    tree.files[name + "/cluster.textproto"] = manifest;
  }
  for (size_t i = 0; i < analyzed.size(); ++i) {
    const FlatMigration& m = *analyzed[i].flat;
    std::string from_version = m.repeatable ? absl::StrCat("R__", Slug(m.name)) : m.version;
    for (const Part& p : parts[i]) {
      std::string up =
          absl::StrCat("-- schemagate:imported-from ", report.format, " ", from_version, "\n");
      for (const std::string& r : p.requires_) {
        absl::StrAppend(&up, "-- schemagate:requires ", r, "\n");
      }
      if (p.no_transaction) absl::StrAppend(&up, "-- schemagate:no-transaction\n");
      absl::StrAppend(&up, "-- Imported by schemagate-gen import from ", report.format, " ",
                      relative(m.up_path), "\n", p.up_note, "\n", p.up_body);
      if (!up.empty() && up.back() != '\n') up += '\n';
      std::string down;
      if (!p.irreversible.empty()) {
        absl::StrAppend(
            &down, "-- schemagate:irreversible ",
            OneLine(absl::StrReplaceAll(
                p.irreversible,
                {{request.source + (absl::EndsWith(request.source, "/") ? "" : "/"), ""}})),
            "\n");
        if (m.has_down && !m.down_sql.empty()) {
          absl::StrAppend(&down, "-- The old down file (", relative(m.down_path),
                          "), kept for reference:\n", Commented(m.down_sql));
        }
      } else {
        absl::StrAppend(&down, "-- Imported by schemagate-gen import from ", report.format, " ",
                        relative(m.down_path), "\n\n", p.down_body);
        if (down.back() != '\n') down += '\n';
      }
      tree.dirs.insert(p.dir);
      tree.files[p.dir + "/up.sql"] = up;
      tree.files[p.dir + "/down.sql"] = down;

      ImportedMigration im;
      im.dir = p.dir;
      im.cluster = p.cluster;
      im.version = p.version;
      im.from_version = from_version;
      im.from_path = m.up_path;
      im.statements = p.statements;
      im.no_transaction = p.no_transaction;
      im.irreversible = p.irreversible;
      im.requires_ = p.requires_;
      report.migrations.push_back(im);
    }
  }

  // Clusters for the report, in dependency order.
  absl::StatusOr<std::vector<std::string>> order = catalog::ClusterOrder(specs);
  std::vector<std::string> ordered = order.ok() ? *order : cluster_names;
  for (const std::string& name : ordered) {
    ClusterReport cr;
    cr.name = name;
    const v1::ImportCluster* c = map->Find(name);
    if (c != nullptr) {
      cr.description = c->description();
      cr.bridge = c->requires_features_size() > 0;
      cr.explicit_dependencies = c->depends_on_size() > 0;
    }
    cr.depends_on = deps[name];
    if (auto it = inferred.find(name); it != inferred.end() && !cr.explicit_dependencies) {
      cr.inferred = it->second;
    }
    cr.tables = tables[name];
    for (const ImportedMigration& im : report.migrations) {
      if (im.cluster == name) cr.migrations.push_back(im.dir);
    }
    report.clusters.push_back(std::move(cr));
  }

  // The generator checks the result: the whole tree, and each feature on
  // its own, must build.
  const std::string display = "<imported tree>";
  Diagnostics check;
  SourceTree source = ParseTree(display, tree, &check);
  GenerateOptions quiet;  // the history is what it is: no lock lint here
  quiet.lint = LintMode::kOff;
  absl::StatusOr<v1::BuildCatalog> all = Generate(source, {"all"}, &check, quiet);
  if (all.ok()) {
    std::vector<std::string> singles = {kCore};
    for (const std::string& name : cluster_names) {
      const v1::ImportCluster* c = map->Find(name);
      if (name != kCore && (c == nullptr || c->requires_features_size() == 0)) {
        singles.push_back(name);
      }
    }
    for (const std::string& f : singles) {
      Diagnostics one;
      absl::StatusOr<v1::BuildCatalog> built = Generate(source, {f}, &one, quiet);
      if (!built.ok()) {
        diagnostics->Add(display, 0, 0,
                         absl::StrCat("the build with only feature \"", f,
                                      "\" does not replay: ", built.status().message()));
      }
    }
  }
  for (const Diagnostic& d : check.list()) {
    Diagnostic copy = d;
    copy.message = absl::StrCat(copy.message, " (in the generated tree)");
    diagnostics->Add(copy);
  }
  for (const Diagnostic& d : check.warnings()) diagnostics->Add(d);
  if (!diagnostics->empty()) result.tree = TreeFiles{};
  return result;
}

}  // namespace schemagate::generator::import
