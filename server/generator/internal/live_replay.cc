#include "server/generator/internal/live_replay.h"

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace schemagate::generator::internal {
namespace {

// Who owns what, by identity.
struct Owners {
  std::map<uint32_t, std::string> tables;                        // oid -> cluster
  std::map<uint32_t, std::pair<std::string, uint64_t>> created;  // oid -> cluster, version
  std::map<std::pair<uint32_t, int32_t>, std::string> columns;   // (oid, attnum)
  std::map<uint32_t, std::string> foreign_keys;                  // constraint oid
  std::map<uint32_t, std::string> indexes;                       // index oid
  std::map<uint32_t, size_t> first_seen;                         // oid -> step
};

}  // namespace

absl::StatusOr<std::vector<v1::Table>> LiveReplay(SchemaOracle* oracle,
                                                  const std::vector<ReplayStep>& steps,
                                                  Diagnostics* diagnostics) {
  if (absl::Status s = oracle->Reset(); !s.ok()) return s;
  Owners owners;
  std::vector<LiveTable> live;
  for (size_t i = 0; i < steps.size(); ++i) {
    const SourceMigration& m = *steps[i].migration;
    const std::string& cluster = steps[i].cluster;
    absl::Status applied = oracle->Apply(m.up_sql, m.directives.no_transaction);
    if (!applied.ok()) {
      if (applied.code() != absl::StatusCode::kInvalidArgument) return applied;
      // "line:col: message"
      std::vector<std::string> parts =
          absl::StrSplit(std::string(applied.message()), absl::MaxSplits(':', 2));
      int line = 0, column = 0;
      std::string message(applied.message());
      if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &line) &&
          absl::SimpleAtoi(parts[1], &column)) {
        message = absl::StrCat(parts[2]).substr(1);
      }
      diagnostics->Add(
          m.up_path, line, column,
          absl::StrCat("does not apply to PostgreSQL (", oracle->Describe(), "): ", message));
      return diagnostics->ToStatus();
    }
    absl::StatusOr<std::vector<LiveTable>> now = oracle->Tables();
    if (!now.ok()) return now.status();
    for (const LiveTable& t : *now) {
      if (!owners.tables.count(t.oid)) {
        owners.tables[t.oid] = cluster;
        owners.created[t.oid] = {cluster, m.version};
        owners.first_seen[t.oid] = i;
      }
      for (int32_t attnum : t.attnums) {
        owners.columns.emplace(std::make_pair(t.oid, attnum), cluster);
      }
      for (uint32_t fk : t.fk_oids) owners.foreign_keys.emplace(fk, cluster);
      for (uint32_t ix : t.index_oids) owners.indexes.emplace(ix, cluster);
    }
    live = *std::move(now);
  }
  // The last state, in creation order, with owners.
  std::stable_sort(live.begin(), live.end(), [&](const LiveTable& a, const LiveTable& b) {
    return std::make_tuple(owners.first_seen[a.oid], a.oid) <
           std::make_tuple(owners.first_seen[b.oid], b.oid);
  });
  std::vector<v1::Table> out;
  for (LiveTable& t : live) {
    v1::Table table = std::move(t.table);
    const auto& [cluster, version] = owners.created[t.oid];
    table.set_cluster(cluster);
    table.set_created_by(absl::StrCat(cluster, "/", version));
    table.set_created_by_version(version);
    for (int i = 0; i < table.columns_size(); ++i) {
      table.mutable_columns(i)->set_cluster(owners.columns[{t.oid, t.attnums[i]}]);
    }
    for (int i = 0; i < table.foreign_keys_size(); ++i) {
      table.mutable_foreign_keys(i)->set_cluster(owners.foreign_keys[t.fk_oids[i]]);
    }
    for (int i = 0; i < table.indexes_size(); ++i) {
      table.mutable_indexes(i)->set_cluster(owners.indexes[t.index_oids[i]]);
    }
    out.push_back(std::move(table));
  }
  return out;
}

}  // namespace schemagate::generator::internal
