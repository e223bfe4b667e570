#include "server/catalog/catalog.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "server/catalog/checksum.h"

namespace schemagate::catalog {

struct Catalog::State {
  // Every message below lives on this arena: a catalog of thousands of
  // tables is tens of thousands of small objects, and allocating them one
  // by one and freeing them one by one was most of a no-op `migrate`'s CPU
  // on a 5,000-migration tree (docs/BENCHMARKS.md, "No-op start"). Declared
  // first, so it is destroyed after everything that points into it.
  google::protobuf::Arena arena{CatalogArenaOptions()};
  v1::BuildCatalog* compiled = nullptr;
  // The enabled view: compiled when every compiled cluster is enabled (no
  // copy), else a filtered copy on the same arena.
  const v1::BuildCatalog* enabled = nullptr;
  EnabledSet enabled_set;
  absl::flat_hash_map<std::string, int> enabled_tables;
  absl::flat_hash_map<std::string, int> compiled_tables;
  absl::flat_hash_map<std::string, int> enabled_clusters;
  absl::flat_hash_map<std::string, int> compiled_clusters;
  absl::flat_hash_map<uint64_t, uint32_t> absent_tables;
  absl::flat_hash_map<uint64_t, uint32_t> absent_objects;
  std::map<std::pair<std::string, uint64_t>, const v1::Migration*> migrations;
  std::string applied_digest;

  State() : compiled(google::protobuf::Arena::CreateMessage<v1::BuildCatalog>(&arena)) {}

  static google::protobuf::ArenaOptions CatalogArenaOptions() {
    google::protobuf::ArenaOptions options;
    // Blocks grow to 1 MiB instead of the default 8 KiB: a large catalog
    // then takes a handful of allocations.
    options.start_block_size = 64 << 10;
    options.max_block_size = 1 << 20;
    return options;
  }
};

namespace {

std::vector<ClusterSpec> SpecsOf(const v1::BuildCatalog& catalog) {
  std::vector<ClusterSpec> specs;
  for (const v1::Cluster& c : catalog.clusters()) {
    ClusterSpec spec;
    spec.name = c.name();
    spec.depends_on.assign(c.depends_on().begin(), c.depends_on().end());
    spec.requires_features.assign(c.requires_features().begin(), c.requires_features().end());
    specs.push_back(std::move(spec));
  }
  return specs;
}

// Drops the items of clusters not in `set`, keeping the others' order (in
// place: the items stay on their arena).
template <typename T>
void KeepEnabled(google::protobuf::RepeatedPtrField<T>* items, const EnabledSet& set) {
  int kept = 0;
  for (int i = 0; i < items->size(); ++i) {
    if (!set.Contains(items->Get(i).cluster())) continue;
    if (i != kept) items->SwapElements(i, kept);
    ++kept;
  }
  while (items->size() > kept) items->RemoveLast();
}

}  // namespace

std::string AppliedSetDigest(std::vector<AppliedKey> migrations) {
  std::sort(migrations.begin(), migrations.end(), [](const AppliedKey& a, const AppliedKey& b) {
    return a.cluster != b.cluster ? a.cluster < b.cluster : a.version < b.version;
  });
  std::string text;
  text.reserve(migrations.size() * 96);
  for (const AppliedKey& m : migrations) {
    if (!text.empty()) text += '\n';
    absl::StrAppend(&text, m.cluster, " ", m.version, " ", m.checksum);
  }
  return Sha256Hex(text);
}

absl::StatusOr<CatalogSummary> Summarize(absl::string_view serialized) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(serialized.data()),
                                            static_cast<int>(serialized.size()));
  CatalogSummary out;
  const auto kFormat = v1::BuildCatalog::kFormatFieldNumber;
  const auto kDigest = v1::BuildCatalog::kAppliedDigestFieldNumber;
  const auto kFeatures = v1::BuildCatalog::kFeaturesFieldNumber;
  while (uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto type = WireFormatLite::GetTagWireType(tag);
    if (field == kFormat && type == WireFormatLite::WIRETYPE_VARINT) {
      if (!in.ReadVarint32(&out.format)) break;
    } else if (field == kDigest && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::ReadString(&in, &out.applied_digest)) break;
    } else if (field == kFeatures && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::ReadString(&in, &out.features.emplace_back())) break;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  if (!in.ConsumedEntireMessage() || in.CurrentPosition() != static_cast<int>(serialized.size())) {
    return absl::InvalidArgumentError("embedded catalog does not parse");
  }
  return out;
}

uint64_t TableKey(absl::string_view table_name) {
  uint64_t hash = 1469598103934665603ULL;
  auto mix = [&hash](absl::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
  };
  mix("schemagate-table:");
  mix(table_name);
  return hash;
}

uint64_t ObjectKey(absl::string_view kind, absl::string_view table, absl::string_view name) {
  return TableKey(absl::StrCat(kind, ":", table, ".", name));
}

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string HexDecode(absl::string_view hex) {
  if (hex.size() % 2 != 0) return "";
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = value(hex[i]), lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string MigrationPath(const v1::Migration& m) {
  return absl::StrCat(m.cluster(), "/", m.version_text(), "_", m.name());
}

std::string NormalizeTableName(absl::string_view name) {
  if (absl::StartsWith(name, "public.")) name.remove_prefix(7);
  return std::string(name);
}

Catalog::Catalog(std::unique_ptr<State> state) : state_(std::move(state)) {}
Catalog::Catalog(Catalog&&) = default;
Catalog& Catalog::operator=(Catalog&&) = default;
Catalog::~Catalog() = default;

const v1::BuildCatalog& Catalog::compiled() const { return *state_->compiled; }
const v1::BuildCatalog& Catalog::enabled() const { return *state_->enabled; }
const EnabledSet& Catalog::enabled_set() const { return state_->enabled_set; }

absl::StatusOr<Catalog> Catalog::Load(absl::string_view serialized) {
  auto state = std::make_unique<State>();
  if (!state->compiled->ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    return absl::InvalidArgumentError("embedded catalog does not parse");
  }
  return Build(std::move(state));
}

absl::StatusOr<Catalog> Catalog::FromProto(const v1::BuildCatalog& compiled) {
  auto state = std::make_unique<State>();
  *state->compiled = compiled;
  return Build(std::move(state));
}

absl::StatusOr<Catalog> Catalog::Build(std::unique_ptr<State> state) {
  const v1::BuildCatalog& compiled = *state->compiled;
  if (compiled.format() != kCatalogFormat) {
    return absl::InvalidArgumentError(absl::StrCat(
        "catalog format ", compiled.format(), " is not supported (expected ", kCatalogFormat, ")"));
  }
  std::vector<std::string> features(compiled.requested_features().begin(),
                                    compiled.requested_features().end());
  absl::StatusOr<EnabledSet> set = ResolveFeatures(SpecsOf(compiled), features);
  if (!set.ok()) return set.status();
  state->enabled_set = *std::move(set);

  // The enabled view: a filtered copy only when something is disabled.
  bool everything = true;
  for (const v1::Cluster& c : compiled.clusters()) {
    everything = everything && state->enabled_set.Contains(c.name());
  }
  bool same_features =
      static_cast<size_t>(compiled.features_size()) == state->enabled_set.features.size() &&
      std::equal(state->enabled_set.features.begin(), state->enabled_set.features.end(),
                 compiled.features().begin());
  if (everything && same_features) {
    state->enabled = state->compiled;
  } else {
    v1::BuildCatalog& enabled =
        *google::protobuf::Arena::CreateMessage<v1::BuildCatalog>(&state->arena);
    enabled.set_format(compiled.format());
    *enabled.mutable_requested_features() = compiled.requested_features();
    for (const std::string& f : state->enabled_set.features) {
      enabled.add_features(f);
    }
    for (const v1::Cluster& c : compiled.clusters()) {
      if (state->enabled_set.Contains(c.name())) *enabled.add_clusters() = c;
    }
    for (const v1::Table& t : compiled.tables()) {
      if (!state->enabled_set.Contains(t.cluster())) continue;
      v1::Table* copy = enabled.add_tables();
      *copy = t;
      KeepEnabled(copy->mutable_columns(), state->enabled_set);
      KeepEnabled(copy->mutable_foreign_keys(), state->enabled_set);
      KeepEnabled(copy->mutable_indexes(), state->enabled_set);
    }
    for (const v1::MigrationRef& r : compiled.apply_order()) {
      if (state->enabled_set.Contains(r.cluster())) *enabled.add_apply_order() = r;
    }
    *enabled.mutable_absent_clusters() = compiled.absent_clusters();
    *enabled.mutable_absent_tables() = compiled.absent_tables();
    *enabled.mutable_absent_objects() = compiled.absent_objects();
    enabled.set_digest(compiled.digest());
    state->enabled = &enabled;
  }
  const v1::BuildCatalog& enabled = *state->enabled;

  for (int i = 0; i < compiled.tables_size(); ++i) {
    state->compiled_tables.emplace(compiled.tables(i).name(), i);
  }
  for (int i = 0; i < enabled.tables_size(); ++i) {
    state->enabled_tables.emplace(enabled.tables(i).name(), i);
  }
  for (int i = 0; i < compiled.clusters_size(); ++i) {
    state->compiled_clusters.emplace(compiled.clusters(i).name(), i);
  }
  for (int i = 0; i < enabled.clusters_size(); ++i) {
    state->enabled_clusters.emplace(enabled.clusters(i).name(), i);
    for (const v1::Migration& m : enabled.clusters(i).migrations()) {
      state->migrations.emplace(std::make_pair(m.cluster(), m.version()), &m);
    }
  }
  std::vector<AppliedKey> keys;
  keys.reserve(state->migrations.size());
  for (const auto& [key, m] : state->migrations) {
    keys.push_back({m->cluster(), m->version(), m->up_sha256()});
  }
  state->applied_digest = AppliedSetDigest(std::move(keys));
  for (const v1::AbsentTable& t : compiled.absent_tables()) {
    if (static_cast<int>(t.cluster()) < compiled.absent_clusters_size()) {
      state->absent_tables.emplace(t.key(), t.cluster());
    }
  }
  for (const v1::AbsentObject& o : compiled.absent_objects()) {
    if (static_cast<int>(o.cluster()) < compiled.absent_clusters_size()) {
      state->absent_objects.emplace(o.key(), o.cluster());
    }
  }
  return Catalog(std::move(state));
}

absl::StatusOr<Catalog> Catalog::Narrow(const std::vector<std::string>& features) const {
  std::vector<std::string> compiled_features(compiled().features().begin(),
                                             compiled().features().end());
  std::vector<std::string> absent = AbsentFeatures();
  for (const std::string& f : features) {
    if (f == kAllFeatures || IsCompiled(f)) continue;
    if (std::find(absent.begin(), absent.end(), f) != absent.end()) {
      std::vector<std::string> rebuild = compiled_features;
      rebuild.push_back(f);
      return absl::InvalidArgumentError(absl::StrCat(
          "feature \"", f,
          "\" is not compiled into this binary (compiled: ", absl::StrJoin(compiled_features, ","),
          "); rebuild with -DSCHEMAGATE_FEATURES=", absl::StrJoin(rebuild, ",")));
    }
  }
  // Feature resolution over the compiled clusters reports unknown names.
  absl::StatusOr<EnabledSet> check = ResolveFeatures(SpecsOf(compiled()), features);
  if (!check.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(check.status().message(),
                     " (compiled into this binary: ", absl::StrJoin(compiled_features, ","), ")"));
  }
  auto state = std::make_unique<State>();
  *state->compiled = compiled();
  state->compiled->clear_requested_features();
  for (const std::string& f : features) state->compiled->add_requested_features(f);
  return Build(std::move(state));
}

bool Catalog::IsEnabled(absl::string_view cluster) const {
  return state_->enabled_clusters.contains(cluster);
}

bool Catalog::IsCompiled(absl::string_view cluster) const {
  return state_->compiled_clusters.contains(cluster);
}

const v1::Cluster* Catalog::FindCluster(absl::string_view name) const {
  auto it = state_->enabled_clusters.find(name);
  if (it == state_->enabled_clusters.end()) return nullptr;
  return &enabled().clusters(it->second);
}

const v1::Table* Catalog::FindTable(absl::string_view name) const {
  auto it = state_->enabled_tables.find(NormalizeTableName(name));
  if (it == state_->enabled_tables.end()) return nullptr;
  return &enabled().tables(it->second);
}

const v1::Migration* Catalog::FindMigration(absl::string_view cluster, uint64_t version) const {
  auto it = state_->migrations.find({std::string(cluster), version});
  return it == state_->migrations.end() ? nullptr : it->second;
}

TableLookup Catalog::Lookup(absl::string_view raw_name, bool fold_case) const {
  TableLookup out;
  std::string name = NormalizeTableName(raw_name);
  auto lookup = [&](const std::string& candidate) -> bool {
    if (auto it = state_->enabled_tables.find(candidate); it != state_->enabled_tables.end()) {
      out.table = &enabled().tables(it->second);
      out.state = TableState::kAvailable;
      out.name = out.table->name();
      out.cluster = out.table->cluster();
      out.compiled = true;
      return true;
    }
    if (auto it = state_->compiled_tables.find(candidate); it != state_->compiled_tables.end()) {
      const v1::Table& table = state_->compiled->tables(it->second);
      out.state = TableState::kClusterDisabled;
      out.name = table.name();
      out.cluster = table.cluster();
      out.compiled = true;
      const v1::Cluster& c =
          state_->compiled->clusters(state_->compiled_clusters.at(table.cluster()));
      if (c.requires_features().empty()) {
        out.enable_features.push_back(c.name());
      } else {
        for (const std::string& f : c.requires_features()) {
          if (!IsEnabled(f)) out.enable_features.push_back(f);
        }
      }
      return true;
    }
    if (auto it = state_->absent_tables.find(TableKey(candidate));
        it != state_->absent_tables.end()) {
      const v1::AbsentCluster& c = state_->compiled->absent_clusters(it->second);
      out.state = TableState::kClusterDisabled;
      out.name = candidate;
      out.cluster = HexDecode(c.name_hex());
      out.compiled = false;
      for (const std::string& f : c.enable_features_hex()) {
        out.enable_features.push_back(HexDecode(f));
      }
      return true;
    }
    return false;
  };
  if (lookup(name) || !fold_case) return out;
  std::string lower = absl::AsciiStrToLower(name);
  if (lower != name && lookup(lower)) return out;
  return out;
}

std::string Catalog::AbsentOwner(absl::string_view kind, absl::string_view table,
                                 absl::string_view name) const {
  auto it = state_->absent_objects.find(ObjectKey(kind, NormalizeTableName(table), name));
  if (it == state_->absent_objects.end()) return "";
  return HexDecode(state_->compiled->absent_clusters(it->second).name_hex());
}

std::vector<const v1::Migration*> Catalog::ApplyOrder() const {
  std::vector<const v1::Migration*> order;
  order.reserve(enabled().apply_order_size());
  for (const v1::MigrationRef& ref : enabled().apply_order()) {
    if (const v1::Migration* m = FindMigration(ref.cluster(), ref.version())) {
      order.push_back(m);
    }
  }
  return order;
}

const std::string& Catalog::applied_digest() const { return state_->applied_digest; }

std::vector<std::string> Catalog::AbsentFeatures() const {
  std::vector<std::string> out;
  for (const v1::AbsentCluster& c : compiled().absent_clusters()) {
    if (!c.bridge()) out.push_back(HexDecode(c.name_hex()));
  }
  return out;
}

}  // namespace schemagate::catalog
