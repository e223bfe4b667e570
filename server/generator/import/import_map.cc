#include "server/generator/import/import_map.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/catalog/features.h"
#include "server/generator/internal/textproto.h"
#include "server/generator/tree.h"

namespace schemagate::generator::import {

bool GlobMatch(absl::string_view pattern, absl::string_view name) {
  // Iterative wildcard match with backtracking to the last '*'.
  size_t p = 0, n = 0, star = absl::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && name[n] != '.' &&
               (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '.' && name[n] == '.') {
      ++p;
      ++n;
    } else if (star != absl::string_view::npos && name[mark] != '.') {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<ImportMapIndex> ImportMapIndex::Load(const std::string& path, const std::string& text,
                                                   Diagnostics* diagnostics) {
  ImportMapIndex index;
  index.path_ = path;
  google::protobuf::TextFormat::ParseInfoTree info;
  if (!internal::ParseTextproto(path, text, "import map", &index.map_, &info, diagnostics)) {
    return std::nullopt;
  }
  const size_t before = diagnostics->count();
  const v1::ImportMap& map = index.map_;
  std::set<std::string> names = {std::string(catalog::kCoreCluster)};
  std::set<std::string> bridges;
  std::vector<int> lines;
  for (int i = 0; i < map.cluster_size(); ++i) {
    const v1::ImportCluster& c = map.cluster(i);
    int line = internal::LineOf(info, map, "cluster", i);
    lines.push_back(line);
    index.cluster_lines_.emplace(c.name(), line);
    if (!IsValidClusterName(c.name())) {
      diagnostics->Add(path, line, 0,
                       absl::StrCat("cluster name \"", absl::CHexEscape(c.name()),
                                    "\" must match [a-z][a-z0-9_]* (at most 48 "
                                    "characters)"));
      continue;
    }
    if (c.name() != catalog::kCoreCluster && !names.insert(c.name()).second) {
      diagnostics->Add(path, line, 0, absl::StrCat("cluster \"", c.name(), "\" is listed twice"));
    }
    if (c.requires_features_size() > 0) bridges.insert(c.name());
  }
  if (!map.default_cluster().empty() && !names.count(map.default_cluster())) {
    diagnostics->Add(path, internal::LineOf(info, map, "default_cluster", -1), 0,
                     absl::StrCat("default_cluster \"", map.default_cluster(),
                                  "\" is not a cluster of the map (nor core)"));
  }
  if (bridges.count(map.default_cluster())) {
    diagnostics->Add(path, internal::LineOf(info, map, "default_cluster", -1), 0,
                     "default_cluster cannot be a bridge");
  }
  std::map<std::string, std::string> claimed;  // exact pattern text -> cluster
  for (int i = 0; i < map.cluster_size(); ++i) {
    const v1::ImportCluster& c = map.cluster(i);
    int line = lines[i];
    for (const std::string& dep : c.depends_on()) {
      if (!names.count(dep)) {
        diagnostics->Add(path, line, 0,
                         absl::StrCat("cluster \"", c.name(), "\": depends_on names \"", dep,
                                      "\", which is not a cluster of the map"));
      } else if (bridges.count(dep)) {
        diagnostics->Add(path, line, 0,
                         absl::StrCat("cluster \"", c.name(),
                                      "\": depends_on names "
                                      "bridge \"",
                                      dep, "\"; nothing may depend on a bridge"));
      }
    }
    for (const std::string& f : c.requires_features()) {
      if (!names.count(f) || f == catalog::kCoreCluster) {
        diagnostics->Add(path, line, 0,
                         absl::StrCat("cluster \"", c.name(),
                                      "\": requires_features "
                                      "names \"",
                                      f,
                                      "\", which is not a feature of "
                                      "the map"));
      } else if (bridges.count(f)) {
        diagnostics->Add(path, line, 0,
                         absl::StrCat("cluster \"", c.name(),
                                      "\": requires_features "
                                      "names bridge \"",
                                      f, "\""));
      }
    }
    for (const std::string& t : c.tables()) {
      if (t.empty()) {
        diagnostics->Add(path, line, 0,
                         absl::StrCat("cluster \"", c.name(),
                                      "\" has an empty "
                                      "table pattern"));
        continue;
      }
      auto [it, inserted] = claimed.emplace(t, c.name());
      if (!inserted && it->second != c.name()) {
        diagnostics->Add(path, line, 0,
                         absl::StrCat("table pattern \"", t, "\" is listed by \"", it->second,
                                      "\" and \"", c.name(), "\""));
        continue;
      }
      Pattern p;
      p.text = t;
      p.cluster = c.name();
      p.exact = t.find_first_of("*?") == std::string::npos;
      p.literal = static_cast<int>(
          std::count_if(t.begin(), t.end(), [](char ch) { return ch != '*' && ch != '?'; }));
      p.line = line;
      index.patterns_.push_back(std::move(p));
    }
  }
  if (diagnostics->count() > before) return std::nullopt;
  return index;
}

ImportMapIndex::Claim ImportMapIndex::Match(absl::string_view name,
                                            Diagnostics* diagnostics) const {
  const Pattern* best = nullptr;
  const Pattern* tie = nullptr;
  auto better = [](const Pattern& a, const Pattern& b) {
    if (a.exact != b.exact) return a.exact;
    return a.literal > b.literal;
  };
  for (const Pattern& p : patterns_) {
    if (p.exact ? p.text != name : !GlobMatch(p.text, name)) continue;
    if (best == nullptr || better(p, *best)) {
      best = &p;
      tie = nullptr;
    } else if (!better(*best, p) && p.cluster != best->cluster) {
      tie = &p;
    }
  }
  if (best == nullptr) return {};
  if (tie != nullptr) {
    if (diagnostics != nullptr && !reported_ties_[std::string(name)]) {
      reported_ties_[std::string(name)] = true;
      diagnostics->Add(
          path_, tie->line, 0,
          absl::StrCat("\"", name, "\" is claimed equally by pattern \"", best->text, "\" of \"",
                       best->cluster, "\" and pattern \"", tie->text, "\" of \"", tie->cluster,
                       "\"; list it exactly in one of them"));
    }
    return {};
  }
  return {best->cluster, best->text};
}

const v1::ImportCluster* ImportMapIndex::Find(absl::string_view cluster) const {
  for (const v1::ImportCluster& c : map_.cluster()) {
    if (c.name() == cluster) return &c;
  }
  return nullptr;
}

std::vector<std::string> ImportMapIndex::ClusterNames() const {
  std::vector<std::string> out = {std::string(catalog::kCoreCluster)};
  for (const v1::ImportCluster& c : map_.cluster()) {
    if (c.name() != catalog::kCoreCluster) out.push_back(c.name());
  }
  return out;
}

int ImportMapIndex::LineOfCluster(absl::string_view name) const {
  auto it = cluster_lines_.find(std::string(name));
  return it == cluster_lines_.end() ? 0 : it->second;
}

}  // namespace schemagate::generator::import
