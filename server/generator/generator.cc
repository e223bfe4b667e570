#include "server/generator/generator.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "server/catalog/catalog.h"
#include "server/catalog/order.h"
#include "server/generator/internal/live_replay.h"
#include "server/generator/internal/schema_model.h"
#include "server/generator/lint/lock_lint.h"
#include "server/sql/parser.h"
#include "server/sql/pg_proto.h"

namespace schemagate::generator {
namespace {

using catalog::ClusterSpec;
using catalog::MigrationKey;
using catalog::MigrationNode;

std::vector<ClusterSpec> SpecsOf(const SourceTree& tree) {
  std::vector<ClusterSpec> specs;
  for (const SourceCluster& c : tree.clusters) {
    ClusterSpec spec;
    spec.name = c.name;
    spec.depends_on.assign(c.manifest.depends_on().begin(), c.manifest.depends_on().end());
    spec.requires_features.assign(c.manifest.requires_features().begin(),
                                  c.manifest.requires_features().end());
    specs.push_back(std::move(spec));
  }
  return specs;
}

std::vector<MigrationNode> NodesOf(const SourceTree& tree, const catalog::EnabledSet* only) {
  std::vector<MigrationNode> nodes;
  for (const SourceCluster& c : tree.clusters) {
    if (only != nullptr && !only->Contains(c.name)) continue;
    for (const SourceMigration& m : c.migrations) {
      MigrationNode node;
      node.key = {c.name, m.version};
      node.requires_ = m.directives.requires_;
      nodes.push_back(std::move(node));
    }
  }
  return nodes;
}

const SourceMigration* FindMigration(const SourceTree& tree, const MigrationKey& key,
                                     const SourceCluster** cluster) {
  const SourceCluster* c = tree.Find(key.cluster);
  if (c == nullptr) return nullptr;
  for (const SourceMigration& m : c->migrations) {
    if (m.version == key.version) {
      if (cluster) *cluster = c;
      return &m;
    }
  }
  return nullptr;
}

// Parses every up.sql and down.sql; reports syntax errors at file:line:col.
internal::ParsedFiles ParseAll(const SourceTree& tree, Diagnostics* diagnostics) {
  internal::ParsedFiles parsed;
  for (const SourceCluster& c : tree.clusters) {
    for (const SourceMigration& m : c.migrations) {
      for (const auto& [path, text, is_up] :
           {std::tuple(m.up_path, &m.up_sql, true), std::tuple(m.down_path, &m.down_sql, false)}) {
        absl::StatusOr<sql::ProtoTree> tree_or = sql::ParseProto(*text);
        if (!tree_or.ok()) {
          // The message is "line:col: PostgreSQL's message".
          std::string message(tree_or.status().message());
          int line = 0, column = 0;
          size_t first = message.find(':');
          size_t second = message.find(':', first + 1);
          if (first != std::string::npos && second != std::string::npos &&
              absl::SimpleAtoi(message.substr(0, first), &line) &&
              absl::SimpleAtoi(message.substr(first + 1, second - first - 1), &column)) {
            message = message.substr(second + 2);
          }
          diagnostics->Add(path, line, column, "SQL does not parse: " + message);
          continue;
        }
        if (is_up && tree_or->statements.empty()) {
          diagnostics->Add(path, 0, 0, "up.sql has no SQL statement");
          continue;
        }
        parsed.emplace(path, *std::move(tree_or));
      }
    }
  }
  return parsed;
}

// Runs the lock lint over `order` (every up.sql is in `parsed`) and reports
// findings as `mode` says.
std::map<MigrationKey, std::vector<lint::TableLock>> LockLint(
    const SourceTree& tree, const internal::ParsedFiles& parsed,
    const std::vector<MigrationKey>& order, LintMode mode, Diagnostics* diagnostics,
    std::string* report) {
  std::map<MigrationKey, std::vector<lint::TableLock>> out;
  lint::Linter linter;
  nlohmann::ordered_json migrations = nlohmann::ordered_json::array();
  for (const MigrationKey& key : order) {
    const SourceCluster* c = nullptr;
    const SourceMigration* m = FindMigration(tree, key, &c);
    std::vector<lint::StatementSummary> summaries;
    std::vector<lint::TableLock> found = linter.Migration(
        {c->name, m->up_path, m->up_sql, m->directives.no_transaction, &parsed.at(m->up_path)},
        report != nullptr ? &summaries : nullptr);
    if (report != nullptr) {
      nlohmann::ordered_json statements = nlohmann::ordered_json::array();
      for (const lint::StatementSummary& sum : summaries) {
        statements.push_back({{"line", sum.line},
                              {"end_line", sum.end_line},
                              {"statement", sum.statement},
                              {"tables", sum.tables},
                              {"existing", sum.existing},
                              {"target", sum.target},
                              {"judged_safe", sum.judged_safe}});
      }
      nlohmann::ordered_json locks = nlohmann::ordered_json::array();
      for (const lint::TableLock& l : found) {
        locks.push_back({{"line", l.line},
                         {"table", l.table},
                         {"lock", lint::LockName(l.lock)},
                         {"rule", l.rule},
                         {"acknowledged", l.acknowledged}});
      }
      migrations.push_back({{"path", m->up_path},
                            {"cluster", c->name},
                            {"no_transaction", m->directives.no_transaction},
                            {"statements", statements},
                            {"locks", locks}});
    }
    for (const lint::TableLock& l : found) {
      if (l.rule.empty() || l.acknowledged || mode == LintMode::kOff) continue;
      if (l.kind == lint::RuleKind::kError || mode == LintMode::kError) {
        diagnostics->Add(m->up_path, l.line, l.column, l.message);
      } else {
        diagnostics->Warn(m->up_path, l.line, l.column, l.message);
      }
    }
    out[key] = std::move(found);
  }
  if (report != nullptr) *report = migrations.dump(1) + "\n";
  return out;
}

}  // namespace

absl::StatusOr<LintMode> ParseLintMode(absl::string_view text) {
  if (text == "off") return LintMode::kOff;
  if (text == "warn") return LintMode::kWarn;
  if (text == "error") return LintMode::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown lint mode \"", text, "\"; valid: warn, error, off"));
}

absl::StatusOr<v1::BuildCatalog> Generate(const SourceTree& tree,
                                          const std::vector<std::string>& features,
                                          Diagnostics* diagnostics, SchemaOracle* oracle,
                                          int* unmodelled) {
  GenerateOptions options;
  options.oracle = oracle;
  options.unmodelled = unmodelled;
  return Generate(tree, features, diagnostics, options);
}

absl::StatusOr<v1::BuildCatalog> Generate(const SourceTree& tree,
                                          const std::vector<std::string>& features,
                                          Diagnostics* diagnostics,
                                          const GenerateOptions& options) {
  SchemaOracle* oracle = options.oracle;
  int* unmodelled = options.unmodelled;
  if (!diagnostics->empty()) return diagnostics->ToStatus();
  std::vector<ClusterSpec> specs = SpecsOf(tree);

  absl::StatusOr<std::vector<std::string>> cluster_order = catalog::ClusterOrder(specs);
  if (!cluster_order.ok()) {
    // Point at the manifest of the first cluster of the cycle.
    std::string message(cluster_order.status().message());
    std::string first = message.substr(message.find(": ") + 2);
    first = first.substr(0, first.find(' '));
    const SourceCluster* c = tree.Find(first);
    diagnostics->Add(c ? c->manifest_path : tree.root, 0, 0, message);
    return diagnostics->ToStatus();
  }
  absl::StatusOr<catalog::EnabledSet> enabled = catalog::ResolveFeatures(specs, features);
  if (!enabled.ok()) {
    diagnostics->Add("SCHEMAGATE_FEATURES", 0, 0, std::string(enabled.status().message()));
    return diagnostics->ToStatus();
  }

  internal::ParsedFiles parsed = ParseAll(tree, diagnostics);
  if (!diagnostics->empty()) return diagnostics->ToStatus();

  absl::StatusOr<std::vector<MigrationKey>> full_order =
      catalog::ApplyOrder(specs, NodesOf(tree, nullptr));
  if (!full_order.ok()) {
    diagnostics->Add(
        tree.root, 0, 0,
        absl::StrCat(full_order.status().message(), " (from depends_on and schemagate:requires)"));
    return diagnostics->ToStatus();
  }

  // Lint: replay the whole tree in its full order.
  internal::TreeFacts facts = internal::CollectFacts(tree, parsed, diagnostics);
  internal::SchemaModel full(&facts, diagnostics);
  for (const MigrationKey& key : *full_order) {
    const SourceCluster* c = nullptr;
    const SourceMigration* m = FindMigration(tree, key, &c);
    full.ApplyUp(*m, c->name, parsed.at(m->up_path));
    full.CheckDown(*m, c->name, parsed.at(m->down_path));
  }
  if (!diagnostics->empty()) return diagnostics->ToStatus();

  // The lock lint, over the whole tree in its full order too.
  std::map<MigrationKey, std::vector<lint::TableLock>> locks =
      LockLint(tree, parsed, *full_order, options.lint, diagnostics, options.lint_report);
  if (!diagnostics->empty()) return diagnostics->ToStatus();

  // The build's catalog: replay only the enabled clusters, in their order.
  absl::StatusOr<std::vector<MigrationKey>> order =
      catalog::ApplyOrder(specs, NodesOf(tree, &*enabled));
  if (!order.ok()) return order.status();
  Diagnostics replay;
  internal::SchemaModel model(&facts, &replay);
  for (const MigrationKey& key : *order) {
    const SourceCluster* c = nullptr;
    const SourceMigration* m = FindMigration(tree, key, &c);
    model.ApplyUp(*m, c->name, parsed.at(m->up_path));
  }
  if (!replay.empty()) {
    return absl::InternalError(absl::StrCat("the enabled clusters do not replay on their own: ",
                                            replay.ToStatus().message()));
  }
  std::vector<v1::Table> tables = model.Tables();
  if (unmodelled != nullptr) *unmodelled = static_cast<int>(model.unmodelled().size());
  if (!model.unmodelled().empty()) {
    if (oracle != nullptr) {
      std::vector<internal::ReplayStep> steps;
      for (const MigrationKey& key : *order) {
        const SourceCluster* c = nullptr;
        const SourceMigration* m = FindMigration(tree, key, &c);
        steps.push_back({m, c->name});
      }
      absl::StatusOr<std::vector<v1::Table>> live =
          internal::LiveReplay(oracle, steps, diagnostics);
      if (!live.ok()) {
        if (diagnostics->empty()) {
          diagnostics->Add(tree.root, 0, 0,
                           absl::StrCat("the dev database failed: ", live.status().message()));
        }
        return diagnostics->ToStatus();
      }
      tables = *std::move(live);
    } else {
      for (const internal::UnmodelledStatement& u : model.unmodelled()) {
        diagnostics->Warn(u.path, u.line, 0,
                          absl::StrCat("not modelled without a database: ", u.what,
                                       "; the catalog may differ from PostgreSQL here "
                                       "(give schemagate-gen --dev-database, or build with "
                                       "-DSCHEMAGATE_DEV_DATABASE=auto and PostgreSQL's "
                                       "server binaries installed)"));
      }
    }
  }

  v1::BuildCatalog out;
  out.set_format(catalog::kCatalogFormat);
  for (const std::string& f : enabled->requested) out.add_requested_features(f);
  for (const std::string& f : enabled->features) out.add_features(f);
  std::string digest_input;
  for (const std::string& name : *cluster_order) {
    if (!enabled->Contains(name)) continue;
    const SourceCluster& src = *tree.Find(name);
    v1::Cluster* c = out.add_clusters();
    c->set_name(name);
    c->set_description(src.manifest.description());
    *c->mutable_depends_on() = src.manifest.depends_on();
    *c->mutable_requires_features() = src.manifest.requires_features();
    c->set_bridge(src.manifest.requires_features_size() > 0);
    absl::StrAppend(&digest_input, "cluster:", name, "\n", src.manifest.SerializeAsString());
    for (const SourceMigration& m : src.migrations) {
      v1::Migration* mig = c->add_migrations();
      mig->set_cluster(name);
      mig->set_version(m.version);
      mig->set_version_text(m.version_text);
      mig->set_name(m.name);
      mig->set_up_sql(m.up_sql);
      mig->set_down_sql(m.down_sql);
      mig->set_up_sha256(Sha256Hex(m.up_sql));
      mig->set_no_transaction(m.directives.no_transaction);
      for (const MigrationKey& r : m.directives.requires_) {
        v1::MigrationRef* ref = mig->add_requires();
        ref->set_cluster(r.cluster);
        ref->set_version(r.version);
      }
      for (const ImportedFromRef& f : m.directives.imported_from) {
        v1::ImportedFrom* from = mig->add_imported_from();
        from->set_format(f.format);
        from->set_version(f.version);
      }
      mig->set_irreversible(m.down_directives.irreversible);
      for (const lint::TableLock& l : locks[{name, m.version}]) {
        v1::TableLock* out_lock = mig->add_locks();
        out_lock->set_table(l.table);
        out_lock->set_lock(lint::LockName(l.lock));
        out_lock->set_line(l.line);
        out_lock->set_statement(l.statement);
        out_lock->set_rule(l.rule);
        out_lock->set_message(l.message);
        out_lock->set_blocking(!l.rule.empty() && l.kind == lint::RuleKind::kBlocking);
        out_lock->set_acknowledged(l.acknowledged);
        out_lock->set_reason(l.reason);
      }
      mig->set_up_path(m.rel_dir + "/up.sql");
      mig->set_down_path(m.rel_dir + "/down.sql");
      absl::StrAppend(&digest_input, m.rel_dir, "\n", mig->up_sha256(), "\n", Sha256Hex(m.down_sql),
                      "\n");
    }
    for (const v1::Table& t : tables) {
      if (t.cluster() == name) c->add_tables(t.name());
    }
  }
  for (v1::Table& t : tables) *out.add_tables() = std::move(t);
  for (const MigrationKey& key : *order) {
    v1::MigrationRef* ref = out.add_apply_order();
    ref->set_cluster(key.cluster);
    ref->set_version(key.version);
  }

  // Clusters of the tree that are not compiled in: hashes and hex only.
  std::map<std::string, uint32_t> absent_index;
  for (const SourceCluster& src : tree.clusters) {
    if (enabled->Contains(src.name)) continue;
    absent_index.emplace(src.name, out.absent_clusters_size());
    v1::AbsentCluster* a = out.add_absent_clusters();
    a->set_name_hex(catalog::HexEncode(src.name));
    a->set_bridge(src.manifest.requires_features_size() > 0);
    for (const std::string& f : src.manifest.requires_features()) {
      a->add_requires_features_hex(catalog::HexEncode(f));
      if (!enabled->Contains(f)) a->add_enable_features_hex(catalog::HexEncode(f));
    }
    if (!a->bridge()) a->add_enable_features_hex(catalog::HexEncode(src.name));
  }
  for (const v1::Table& t : full.Tables()) {
    auto it = absent_index.find(t.cluster());
    if (it == absent_index.end()) continue;
    v1::AbsentTable* a = out.add_absent_tables();
    a->set_key(catalog::TableKey(t.name()));
    a->set_cluster(it->second);
  }
  // Columns and foreign keys that absent clusters add to compiled tables.
  for (const v1::Table& t : full.Tables()) {
    if (!enabled->Contains(t.cluster())) continue;
    for (const v1::Column& c : t.columns()) {
      auto it = absent_index.find(c.cluster());
      if (it == absent_index.end()) continue;
      v1::AbsentObject* a = out.add_absent_objects();
      a->set_key(catalog::ObjectKey("column", t.name(), c.name()));
      a->set_cluster(it->second);
    }
    for (const v1::ForeignKey& fk : t.foreign_keys()) {
      auto it = absent_index.find(fk.cluster());
      if (it == absent_index.end()) continue;
      v1::AbsentObject* a = out.add_absent_objects();
      a->set_key(catalog::ObjectKey("fk", t.name(), fk.name()));
      a->set_cluster(it->second);
    }
  }
  for (const v1::Table& t : full.Tables()) {
    for (const v1::ForeignKey& fk : t.foreign_keys()) {
      if (enabled->Contains(fk.cluster())) continue;
      v1::AbsentEdge* e = out.add_absent_edges();
      e->set_from_key(catalog::TableKey(t.name()));
      e->set_to_key(catalog::TableKey(fk.references_table()));
    }
  }
  out.set_digest(Sha256Hex(digest_input));
  // What an up-to-date history digests to, read by `migrate` without
  // decoding the catalog: computed by the loader itself, so it is the
  // enabled set the binary will resolve.
  absl::StatusOr<catalog::Catalog> loaded = catalog::Catalog::FromProto(out);
  if (!loaded.ok()) return loaded.status();
  out.set_applied_digest(loaded->applied_digest());
  return out;
}

namespace {

// `text` as the inside of a double-quoted string (GAS and C++ alike).
std::string QuotedInside(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string EmitEmbeddedSource(const v1::BuildCatalog& catalog, absl::string_view binary_path) {
  if (!binary_path.empty()) {
    // The symbols are hidden: one embedded catalog per binary.
    const std::string directives = absl::StrCat(
        ".pushsection .rodata.schemagate_catalog,\"a\",@progbits\n"
        ".balign 16\n"
        ".globl schemagate_embedded_catalog_begin\n"
        ".hidden schemagate_embedded_catalog_begin\n"
        "schemagate_embedded_catalog_begin:\n"
        ".incbin \"",
        QuotedInside(binary_path),
        "\"\n"
        ".globl schemagate_embedded_catalog_end\n"
        ".hidden schemagate_embedded_catalog_end\n"
        "schemagate_embedded_catalog_end:\n"
        ".popsection\n");
    return absl::StrCat(
        "// Generated by schemagate-gen. Do not edit.\n"
        "// The serialized schemagate.v1.BuildCatalog is the file below, taken\n"
        "// in by the assembler.\n"
        "#include \"server/catalog/embedded.h\"\n\n"
        "__asm__(\"",
        QuotedInside(directives),
        "\");\n\n"
        "extern \"C\" const char schemagate_embedded_catalog_begin[];\n"
        "extern \"C\" const char schemagate_embedded_catalog_end[];\n\n"
        "absl::string_view schemagate::catalog::EmbeddedCatalogBytes() {\n"
        "  return absl::string_view(\n"
        "      schemagate_embedded_catalog_begin,\n"
        "      static_cast<size_t>(schemagate_embedded_catalog_end - "
        "schemagate_embedded_catalog_begin));\n"
        "}\n");
  }
  std::string bytes = catalog.SerializeAsString();
  std::string out =
      "// Generated by schemagate-gen. Do not edit.\n"
      "#include \"server/catalog/embedded.h\"\n\n"
      "namespace {\n"
      "// A serialized schemagate.v1.BuildCatalog.\n"
      "const char kCatalog[] =\n";
  static constexpr char kDigits[] = "01234567";
  constexpr size_t kLine = 96;
  size_t column = 0;
  out += "    \"";
  for (unsigned char c : bytes) {
    if (column >= kLine) {
      out += "\"\n    \"";
      column = 0;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      column += 2;
    } else if (c >= 0x20 && c < 0x7f && c != '?') {
      out += static_cast<char>(c);
      ++column;
    } else {
      // Always three octal digits, so a following digit is never absorbed.
      out += '\\';
      out += kDigits[(c >> 6) & 7];
      out += kDigits[(c >> 3) & 7];
      out += kDigits[c & 7];
      column += 4;
    }
  }
  out += "\";\n}  // namespace\n\n";
  absl::StrAppend(&out,
                  "absl::string_view schemagate::catalog::EmbeddedCatalogBytes() "
                  "{\n  return absl::string_view(kCatalog, ",
                  bytes.size(), ");\n}\n");
  return out;
}

}  // namespace schemagate::generator
