// Feature resolution: which clusters a feature selection enables.
//
// The rules (see docs/GATING.md): core is always on; a plain cluster is on
// when its feature is requested or when an enabled cluster depends on it
// (dependencies are pulled in, as Cargo does); a bridge cluster is on exactly
// when every feature it requires is on, and cannot be requested by name.
// Pure; thread-compatible.
#ifndef SCHEMAGATE_SERVER_CATALOG_FEATURES_H_
#define SCHEMAGATE_SERVER_CATALOG_FEATURES_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schemagate::catalog {

inline constexpr absl::string_view kCoreCluster = "core";
// The feature list keyword that selects every plain cluster.
inline constexpr absl::string_view kAllFeatures = "all";

// The part of a cluster's manifest that feature resolution needs.
struct ClusterSpec {
  std::string name;
  std::vector<std::string> depends_on;
  std::vector<std::string> requires_features;  // non-empty: a bridge
  bool bridge() const { return !requires_features.empty(); }
};

struct EnabledSet {
  // The request, "all" expanded, duplicates removed, in the given order.
  std::vector<std::string> requested;
  // Enabled plain clusters, core first then by name.
  std::vector<std::string> features;
  // Enabled clusters (plain and bridge), core first then by name.
  std::vector<std::string> clusters;
  // Why a cluster that was not requested is on: for a dependency, the
  // cluster that pulled it in; for a bridge, "bridge".
  std::map<std::string, std::string> reason;

  bool Contains(absl::string_view cluster) const;
};

// Splits a feature list as written by users: "tasks,mail", "tasks;mail",
// " tasks , mail ". Empty items are dropped.
std::vector<std::string> SplitFeatureList(absl::string_view list);

// Resolves `requested` over `clusters` (which must be closed under
// depends_on: every dependency named exists). Errors (INVALID_ARGUMENT):
// an unknown feature (the message lists the valid ones) or a bridge cluster
// requested by name (the message names the features that enable it).
absl::StatusOr<EnabledSet> ResolveFeatures(const std::vector<ClusterSpec>& clusters,
                                           const std::vector<std::string>& requested);

// The dependency closure of `cluster`: itself, its depends_on, theirs, ...
// and core. Unknown names are ignored.
std::vector<std::string> DependencyClosure(const std::vector<ClusterSpec>& clusters,
                                           absl::string_view cluster);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_FEATURES_H_
