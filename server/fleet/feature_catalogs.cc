#include "server/fleet/feature_catalogs.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace schemagate::fleet {

FeatureCatalogs::FeatureCatalogs(std::shared_ptr<const catalog::Catalog> base)
    : base_(std::move(base)) {
  absl::MutexLock lock(&mu_);
  by_clusters_[absl::StrJoin(base_->enabled_set().clusters, ",")] = base_;
}

absl::StatusOr<std::shared_ptr<const catalog::Catalog>> FeatureCatalogs::For(
    const std::vector<std::string>& features) {
  std::vector<std::string> request = features;
  std::sort(request.begin(), request.end());
  request.erase(std::unique(request.begin(), request.end()), request.end());
  if (request.empty() || std::find(request.begin(), request.end(),
                                   std::string(catalog::kAllFeatures)) != request.end()) {
    return base_;
  }
  const std::string key = absl::StrJoin(request, ",");
  {
    absl::MutexLock lock(&mu_);
    auto it = by_request_.find(key);
    if (it != by_request_.end()) return it->second;
  }
  absl::StatusOr<catalog::Catalog> narrowed = base_->Narrow(request);
  if (!narrowed.ok()) return narrowed.status();
  // Narrow() checks against what is compiled in; the base may be narrower
  // (the process's --features): a target never gets more than the process.
  std::vector<std::string> outside;
  for (const std::string& c : narrowed->enabled_set().clusters) {
    if (!base_->IsEnabled(c)) outside.push_back(c);
  }
  if (!outside.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature(s) ", absl::StrJoin(outside, ", "),
                     " not enabled in this process (its --features: ",
                     absl::StrJoin(base_->enabled_set().features, ","), ")"));
  }
  const std::string clusters = absl::StrJoin(narrowed->enabled_set().clusters, ",");
  absl::MutexLock lock(&mu_);
  auto shared = by_clusters_.find(clusters);
  if (shared == by_clusters_.end()) {
    shared = by_clusters_
                 .emplace(clusters, std::make_shared<const catalog::Catalog>(*std::move(narrowed)))
                 .first;
  }
  by_request_[key] = shared->second;
  return shared->second;
}

size_t FeatureCatalogs::size() const {
  absl::MutexLock lock(&mu_);
  return by_clusters_.size();
}

}  // namespace schemagate::fleet
