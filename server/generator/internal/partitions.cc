// Partitions and LIKE in the DDL replay: what PostgreSQL copies to a
// partition (PARTITION OF, ATTACH PARTITION) and to a LIKE ... INCLUDING
// table: indexes named as DefineIndex() names them, foreign keys, CHECKs.
#include <algorithm>

#include "server/generator/internal/replay_util.h"

namespace schemagate::generator::internal {
namespace {

// CREATE_TABLE_LIKE_* bits of TableLikeClause.options (PostgreSQL's
// parsenodes.h); INCLUDING ALL sets them all.
constexpr int kLikeConstraints = 1 << 2;
constexpr int kLikeIndexes = 1 << 6;

}  // namespace

void SchemaModel::ClonePartitionIndex(TableState& partition, const v1::Index& ix,
                                      const std::vector<std::string>& primary_key) {
  if (ix.primary() && partition.table.primary_key_size() > 0) return;
  std::vector<std::string> cols(ix.columns().begin(), ix.columns().end());
  // An equivalent index the partition already has (ATTACH PARTITION of a
  // table with its own indexes) is adopted as it is, as
  // AttachPartitionEnsureIndexes() does; a constraint's index only by a
  // constraint's index.
  for (const v1::Index& have : partition.table.indexes()) {
    if (std::equal(have.columns().begin(), have.columns().end(), cols.begin(), cols.end()) &&
        have.unique() == ix.unique() && (!ix.constraint() || have.constraint())) {
      return;
    }
  }
  AddIndexCopy(partition, ix, primary_key);
  for (const std::string& p : partition.partitions) {
    auto sub = tables_.find(p);
    if (sub != tables_.end()) ClonePartitionIndex(sub->second, ix, primary_key);
  }
}

void SchemaModel::ClonePartitionForeignKey(TableState& partition, const v1::ForeignKey& fk) {
  for (const v1::ForeignKey& have : partition.table.foreign_keys()) {
    // Already there, or an equivalent one to adopt (ATTACH PARTITION).
    if (have.name() == fk.name() ||
        (have.references_table() == fk.references_table() && have.on_delete() == fk.on_delete() &&
         have.on_update() == fk.on_update() &&
         std::equal(have.columns().begin(), have.columns().end(), fk.columns().begin(),
                    fk.columns().end()) &&
         std::equal(have.references_columns().begin(), have.references_columns().end(),
                    fk.references_columns().begin(), fk.references_columns().end()))) {
      return;
    }
  }
  *partition.table.add_foreign_keys() = fk;
  for (const std::string& p : partition.partitions) {
    auto sub = tables_.find(p);
    if (sub != tables_.end()) ClonePartitionForeignKey(sub->second, fk);
  }
}

void SchemaModel::CopyLike(Context& ctx, TableState& t, const std::string& source, int options) {
  auto it = tables_.find(source);
  if (it == tables_.end() || &it->second == &t) return;
  const TableState& from = it->second;
  // CHECK constraints keep their names.
  if (options & kLikeConstraints) AddCheckNames(t, from.checks);
  if (!(options & kLikeIndexes)) return;
  // Each index is created again and named as DefineIndex() names an
  // unnamed one: <table>_pkey, <table>_<columns>_key for a constraint's
  // index, <table>_<columns>_idx otherwise.
  for (const v1::Index& ix : from.table.indexes()) {
    if (std::find(ix.columns().begin(), ix.columns().end(), "(expression)") != ix.columns().end()) {
      ReportAtStatementLine(
          ctx, absl::StrCat("LIKE ", Quote(source),
                            " INCLUDING INDEXES copies the expression index ", Quote(ix.name()),
                            ", whose new name schemagate cannot derive; copy "
                            "the columns only and create the indexes "
                            "explicitly"));
      continue;
    }
    if (ix.primary() && t.table.primary_key_size() > 0) continue;
    std::vector<std::string> pk(from.table.primary_key().begin(), from.table.primary_key().end());
    AddIndexCopy(t, ix, pk)->set_cluster(ctx.cluster);
  }
}

v1::Index* SchemaModel::AddIndexCopy(TableState& t, const v1::Index& ix,
                                     const std::vector<std::string>& primary_key) {
  std::vector<std::string> cols(ix.columns().begin(), ix.columns().end());
  std::string name =
      ChooseRelationName(sql::BareName(t.table.name()), ix.primary() ? "" : sql::NameAddition(cols),
                         ix.primary()      ? "pkey"
                         : ix.constraint() ? "key"
                                           : "idx");
  v1::Index* copy = t.table.add_indexes();
  *copy = ix;
  copy->set_name(name);
  relnames_.insert(name);
  if (ix.constraint()) connames_.insert(name);
  if (ix.primary()) {
    for (const std::string& c : primary_key) {
      t.table.add_primary_key(c);
      if (v1::Column* col = FindColumn(t.table, c)) col->set_nullable(false);
    }
  }
  return copy;
}

void SchemaModel::AddCheckNames(TableState& t, const std::vector<std::string>& checks) {
  for (const std::string& check : checks) {
    if (std::find(t.checks.begin(), t.checks.end(), check) == t.checks.end()) {
      t.checks.push_back(check);
    }
  }
}

void SchemaModel::AddPartition(TableState& parent, const std::string& name, TableState& partition) {
  parent.partitions.push_back(name);
  std::vector<std::string> pk(parent.table.primary_key().begin(), parent.table.primary_key().end());
  for (const v1::Index& ix : parent.table.indexes()) ClonePartitionIndex(partition, ix, pk);
  for (const v1::ForeignKey& fk : parent.table.foreign_keys()) {
    ClonePartitionForeignKey(partition, fk);
  }
}

}  // namespace schemagate::generator::internal
