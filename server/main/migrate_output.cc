#include "server/main/migrate_output.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace schemagate::commands {

using nlohmann::ordered_json;

namespace {

std::string Snake(migrate::ClusterStatus s) {
  std::string out = migrate::ToString(s);
  for (char& c : out) {
    if (c == ' ') c = '_';
  }
  return out;
}

}  // namespace

ordered_json StateJson(const migrate::MigrationState& state, const Session& session) {
  ordered_json clusters = ordered_json::array();
  for (const migrate::ClusterState& c : state.clusters) {
    ordered_json mismatches = ordered_json::array();
    for (const migrate::ChecksumMismatch& m : c.mismatches) {
      mismatches.push_back({{"version", m.version},
                            {"path", m.path},
                            {"applied_sha256", m.applied_checksum},
                            {"file_sha256", m.build_checksum}});
    }
    ordered_json unknown = ordered_json::array();
    for (const migrate::AppliedMigration& a : c.unknown_applied) {
      unknown.push_back({{"version", a.version}, {"name", a.name}, {"applied_at", a.applied_at}});
    }
    clusters.push_back({{"name", c.name},
                        {"state", Snake(c.status)},
                        {"enabled", c.enabled},
                        {"compiled", c.compiled},
                        {"bridge", c.bridge},
                        {"applied_version", c.applied_version},
                        {"latest_version", c.latest_version},
                        {"applied", c.applied},
                        {"pending", c.pending},
                        {"ready", c.ready()},
                        {"checksum_mismatches", mismatches},
                        {"unknown_applied", unknown}});
  }
  ordered_json pending = ordered_json::array();
  for (const v1::Migration* m : state.pending) {
    pending.push_back({{"cluster", m->cluster()},
                       {"version", m->version()},
                       {"name", m->name()},
                       {"path", m->up_path()},
                       {"no_transaction", m->no_transaction()}});
  }
  return {{"database", session.conn->description()},
          {"history_table", absl::StrCat(session.history.schema, ".", session.history.table)},
          {"features", session.catalog->enabled_set().features},
          {"up_to_date", state.up_to_date()},
          {"ready", state.ready()},
          {"clusters", clusters},
          {"pending", pending}};
}

void PrintStateTable(const migrate::MigrationState& state) {
  std::cout << absl::StrFormat("%-18s %-20s %8s %8s %8s\n", "CLUSTER", "STATE", "APPLIED", "LATEST",
                               "PENDING");
  for (const migrate::ClusterState& c : state.clusters) {
    std::string label = migrate::ToString(c.status);
    if (c.status == migrate::ClusterStatus::kPending) {
      label = absl::StrCat("pending ", c.pending);
    }
    bool orphan = c.status == migrate::ClusterStatus::kOrphaned;
    std::cout << absl::StrFormat("%-18s %-20s %8d %8s %8s\n", c.name + (c.bridge ? "*" : ""), label,
                                 c.applied_version, orphan ? "-" : absl::StrCat(c.latest_version),
                                 orphan ? "-" : absl::StrCat(c.pending));
    for (const migrate::ChecksumMismatch& m : c.mismatches) {
      std::cout << "    changed after apply: " << m.path << " (applied sha256 "
                << m.applied_checksum.substr(0, 12) << "..., file "
                << m.build_checksum.substr(0, 12) << "...)\n";
    }
    for (const migrate::AppliedMigration& a : c.unknown_applied) {
      std::cout << "    applied, unknown to this build: " << a.cluster << "/" << a.version << " ("
                << a.name << ")\n";
    }
  }
}

std::string DescribeLock(const migrate::PlannedLock& l) {
  std::string out =
      absl::StrCat(l.lock.lock(), " on ", l.lock.table(), " (", migrate::DescribeSize(l.size),
                   "): ", l.lock.statement(), ", line ", l.lock.line());
  if (l.lock.rule().empty()) return absl::StrCat(out, " (brief)");
  if (l.lock.acknowledged()) {
    return absl::StrCat(out, " [", l.lock.rule(), "] acknowledged: ", l.lock.reason());
  }
  return absl::StrCat(out, " ", l.lock.message());  // "[rule] what; instead: ..."
}

}  // namespace schemagate::commands
