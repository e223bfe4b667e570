#include "server/migrate/state.h"

#include <algorithm>
#include <map>
#include <set>

#include "server/catalog/checksum.h"

namespace schemagate::migrate {

const char* ToString(ClusterStatus status) {
  switch (status) {
    case ClusterStatus::kUpToDate:
      return "up to date";
    case ClusterStatus::kPending:
      return "pending";
    case ClusterStatus::kNotInstalled:
      return "not installed";
    case ClusterStatus::kOrphaned:
      return "orphaned";
    case ClusterStatus::kChecksumMismatch:
      return "checksum mismatch";
    case ClusterStatus::kUnknownApplied:
      return "unknown applied";
  }
  return "unknown";
}

const ClusterState* MigrationState::Find(const std::string& cluster) const {
  for (const ClusterState& c : clusters) {
    if (c.name == cluster) return &c;
  }
  return nullptr;
}

MigrationState ComputeState(const catalog::Catalog& catalog,
                            const std::vector<AppliedMigration>& history) {
  MigrationState state;
  std::map<std::pair<std::string, uint64_t>, const AppliedMigration*> applied;
  std::map<std::string, std::vector<const AppliedMigration*>> by_cluster;
  for (const AppliedMigration& a : history) {
    applied[{a.cluster, a.version}] = &a;
    by_cluster[a.cluster].push_back(&a);
  }
  for (const v1::Migration* m : catalog.ApplyOrder()) {
    if (!applied.count({m->cluster(), m->version()})) state.pending.push_back(m);
  }
  for (const v1::Cluster& c : catalog.enabled().clusters()) {
    ClusterState cs;
    cs.name = c.name();
    cs.enabled = true;
    cs.compiled = true;
    cs.bridge = c.bridge();
    std::set<uint64_t> known;
    for (const v1::Migration& m : c.migrations()) {
      known.insert(m.version());
      cs.latest_version = std::max<uint64_t>(cs.latest_version, m.version());
      auto it = applied.find({c.name(), m.version()});
      if (it == applied.end()) {
        ++cs.pending;
        continue;
      }
      ++cs.applied;
      cs.applied_version = std::max(cs.applied_version, m.version());
      if (it->second->checksum != m.up_sha256() &&
          !catalog::SameMigrationText(it->second->checksum, m.up_sql())) {
        cs.mismatches.push_back(
            {c.name(), m.version(), m.up_path(), it->second->checksum, m.up_sha256()});
      }
    }
    for (const AppliedMigration* a : by_cluster[c.name()]) {
      if (!known.count(a->version)) {
        cs.unknown_applied.push_back(*a);
        cs.applied_version = std::max(cs.applied_version, a->version);
      }
    }
    if (!cs.unknown_applied.empty()) {
      cs.status = ClusterStatus::kUnknownApplied;
    } else if (!cs.mismatches.empty()) {
      cs.status = ClusterStatus::kChecksumMismatch;
    } else if (cs.applied == 0 && cs.pending > 0) {
      cs.status = ClusterStatus::kNotInstalled;
    } else if (cs.pending > 0) {
      cs.status = ClusterStatus::kPending;
    }
    state.mismatches.insert(state.mismatches.end(), cs.mismatches.begin(), cs.mismatches.end());
    state.unknown_applied.insert(state.unknown_applied.end(), cs.unknown_applied.begin(),
                                 cs.unknown_applied.end());
    state.clusters.push_back(std::move(cs));
  }
  for (const auto& [name, rows] : by_cluster) {
    if (catalog.IsEnabled(name)) continue;
    ClusterState cs;
    cs.name = name;
    cs.compiled = catalog.IsCompiled(name);
    cs.status = ClusterStatus::kOrphaned;
    cs.applied = static_cast<int>(rows.size());
    for (const AppliedMigration* a : rows) {
      cs.applied_version = std::max(cs.applied_version, a->version);
    }
    state.orphaned.push_back(name);
    state.clusters.push_back(std::move(cs));
  }
  return state;
}

}  // namespace schemagate::migrate
