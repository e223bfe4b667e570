#include "server/catalog/features.h"

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace schemagate::catalog {
namespace {

const ClusterSpec* Find(const std::vector<ClusterSpec>& clusters, absl::string_view name) {
  for (const ClusterSpec& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Core first, then by name.
std::vector<std::string> CoreFirst(const std::set<std::string>& names) {
  std::vector<std::string> out;
  if (names.count(std::string(kCoreCluster))) out.emplace_back(kCoreCluster);
  for (const std::string& n : names) {
    if (n != kCoreCluster) out.push_back(n);
  }
  return out;
}

std::string ValidFeatures(const std::vector<ClusterSpec>& clusters) {
  std::set<std::string> names;
  for (const ClusterSpec& c : clusters) {
    if (!c.bridge()) names.insert(c.name);
  }
  std::vector<std::string> ordered = CoreFirst(names);
  ordered.emplace_back(kAllFeatures);
  return absl::StrJoin(ordered, ", ");
}

}  // namespace

bool EnabledSet::Contains(absl::string_view cluster) const {
  return std::find(clusters.begin(), clusters.end(), cluster) != clusters.end();
}

std::vector<std::string> SplitFeatureList(absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view item :
       absl::StrSplit(list, absl::ByAnyChar(",; \t\n"), absl::SkipEmpty())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

std::vector<std::string> DependencyClosure(const std::vector<ClusterSpec>& clusters,
                                           absl::string_view cluster) {
  std::set<std::string> seen;
  std::vector<std::string> stack = {std::string(cluster)};
  if (Find(clusters, kCoreCluster) != nullptr) stack.emplace_back(kCoreCluster);
  while (!stack.empty()) {
    std::string name = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(name).second) continue;
    if (const ClusterSpec* spec = Find(clusters, name)) {
      for (const std::string& dep : spec->depends_on) stack.push_back(dep);
    }
  }
  return CoreFirst(seen);
}

absl::StatusOr<EnabledSet> ResolveFeatures(const std::vector<ClusterSpec>& clusters,
                                           const std::vector<std::string>& requested) {
  EnabledSet result;
  std::set<std::string> enabled;
  auto add_requested = [&](const std::string& name) {
    if (std::find(result.requested.begin(), result.requested.end(), name) ==
        result.requested.end()) {
      result.requested.push_back(name);
    }
    enabled.insert(name);
  };
  for (const std::string& feature : requested) {
    if (feature == kAllFeatures) {
      for (const ClusterSpec& c : clusters) {
        if (!c.bridge()) add_requested(c.name);
      }
      continue;
    }
    const ClusterSpec* spec = Find(clusters, feature);
    if (spec == nullptr) {
      return absl::InvalidArgumentError("unknown feature \"" + feature +
                                        "\"; valid features: " + ValidFeatures(clusters));
    }
    if (spec->bridge()) {
      return absl::InvalidArgumentError(
          "\"" + feature +
          "\" is a bridge cluster and cannot be selected by name; it is "
          "enabled when all of its features are: " +
          absl::StrJoin(spec->requires_features, ", "));
    }
    add_requested(feature);
  }
  if (Find(clusters, kCoreCluster) != nullptr) {
    if (!enabled.count(std::string(kCoreCluster))) {
      enabled.insert(std::string(kCoreCluster));
    }
  }

  // Fixpoint: dependency closure, then bridges whose features are all on.
  bool changed = true;
  while (changed) {
    changed = false;
    std::vector<std::string> stack(enabled.begin(), enabled.end());
    while (!stack.empty()) {
      std::string name = std::move(stack.back());
      stack.pop_back();
      const ClusterSpec* spec = Find(clusters, name);
      if (spec == nullptr) continue;
      for (const std::string& dep : spec->depends_on) {
        if (enabled.insert(dep).second) {
          result.reason.emplace(dep, name);
          stack.push_back(dep);
          changed = true;
        }
      }
    }
    for (const ClusterSpec& c : clusters) {
      if (!c.bridge() || enabled.count(c.name)) continue;
      bool all_on = std::all_of(c.requires_features.begin(), c.requires_features.end(),
                                [&](const std::string& f) { return enabled.count(f) > 0; });
      if (all_on) {
        enabled.insert(c.name);
        result.reason.emplace(c.name, "bridge");
        changed = true;
      }
    }
  }

  std::set<std::string> features;
  for (const std::string& name : enabled) {
    const ClusterSpec* spec = Find(clusters, name);
    if (spec != nullptr && !spec->bridge()) features.insert(name);
  }
  result.features = CoreFirst(features);
  result.clusters = CoreFirst(enabled);
  if (std::find(result.requested.begin(), result.requested.end(), kCoreCluster) ==
      result.requested.end()) {
    result.reason.emplace(std::string(kCoreCluster), "always on");
  }
  return result;
}

}  // namespace schemagate::catalog
