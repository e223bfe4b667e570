// The catalogs of a fleet's feature sets: the process's catalog (the build,
// narrowed by its --features) narrowed once more per target. Targets with
// the same enabled set share one catalog (about the size of the build's
// embedded catalog each), so a fleet of thousands of tenants on a handful
// of plans holds a handful of catalogs.
//
//   FeatureCatalogs catalogs(base);
//   absl::StatusOr<std::shared_ptr<const catalog::Catalog>> c =
//       catalogs.For({"tasks", "billing"});   // INVALID_ARGUMENT: unknown,
//                                             // not compiled, not in base
//
// Thread-safe.
#ifndef SCHEMAGATE_SERVER_FLEET_FEATURE_CATALOGS_H_
#define SCHEMAGATE_SERVER_FLEET_FEATURE_CATALOGS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/catalog/catalog.h"

namespace schemagate::fleet {

class FeatureCatalogs {
 public:
  explicit FeatureCatalogs(std::shared_ptr<const catalog::Catalog> base);

  const std::shared_ptr<const catalog::Catalog>& base() const { return base_; }

  // The base narrowed to `features` (dependencies and bridges follow);
  // empty or "all": the base itself. INVALID_ARGUMENT when a feature is
  // unknown, not compiled in, or not enabled in the base (the process's
  // --features), naming it.
  absl::StatusOr<std::shared_ptr<const catalog::Catalog>> For(
      const std::vector<std::string>& features);

  // Distinct catalogs held (the base included).
  size_t size() const;

 private:
  const std::shared_ptr<const catalog::Catalog> base_;
  mutable absl::Mutex mu_;
  // By the request (sorted, deduplicated), and by the enabled clusters.
  std::map<std::string, std::shared_ptr<const catalog::Catalog>> by_request_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<const catalog::Catalog>> by_clusters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schemagate::fleet

#endif  // SCHEMAGATE_SERVER_FLEET_FEATURE_CATALOGS_H_
