// `schemagate catalog` and `schemagate sql`: what this binary was built with
// (the catalog as JSON or as a diagram, server/catalog/diagram.h).
#include <iostream>

#include "absl/strings/str_cat.h"
#include "server/catalog/catalog.h"
#include "server/catalog/diagram.h"
#include "server/catalog/embedded.h"
#include "server/main/catalog_json.h"
#include "server/main/commands.h"
#include "server/util/cli.h"

namespace schemagate::commands {
namespace {

// Loads the embedded catalog, narrowed by --features when given.
absl::StatusOr<catalog::Catalog> LoadCatalog(const std::vector<std::string>& features,
                                             bool narrow) {
  absl::StatusOr<catalog::Catalog> compiled =
      catalog::Catalog::Load(catalog::EmbeddedCatalogBytes());
  if (!compiled.ok() || !narrow) return compiled;
  return compiled->Narrow(features);
}

}  // namespace

int Catalog(const Args& args) {
  std::vector<std::string> features;
  std::vector<std::string> clusters;
  std::string format = "json";
  bool compact = false;
  bool columns = false;
  cli::FlagSet flags("schemagate catalog",
                     "Prints the catalog compiled into this binary: as JSON "
                     "(enabled features, clusters, tables with columns, keys "
                     "and indexes, migrations), or as a picture of the schema "
                     "for Graphviz (--format=dot) or Mermaid "
                     "(--format=mermaid): clusters as groups of their tables, "
                     "foreign keys as edges, edges between clusters labelled "
                     "with the features that gate them, bridges distinct.");
  flags.String("format", &format, "json, dot or mermaid");
  flags.List("features", &features, "narrow to these compiled features (comma-separated)",
             "SCHEMAGATE_RUNTIME_FEATURES");
  flags.List("cluster", &clusters,
             "only these enabled clusters (repeatable or comma-separated); a "
             "diagram also shows, by name, the tables their foreign keys "
             "reference in other clusters");
  flags.Bool("columns", &columns,
             "diagrams: every column (default: keys only: primary, foreign "
             "and unique keys and referenced columns)");
  flags.Bool("compact", &compact, "json: print the JSON on one line");
  flags.SetEpilog(
      "Examples:\n"
      "  schemagate catalog --format=dot | dot -Tsvg -o schema.svg\n"
      "  schemagate catalog --format=mermaid --cluster=core > core.mmd\n"
      "\nExit codes:\n  0  ok\n  2  bad flags, a feature not compiled in, or "
      "a --cluster that is not enabled\n");
  if (int code = flags.Finish(flags.Parse(args), 0, kUsage); code >= 0) {
    return code;
  }
  absl::StatusOr<catalog::Catalog> loaded = LoadCatalog(features, flags.IsSet("features"));
  if (!loaded.ok()) {
    std::cerr << "schemagate catalog: " << loaded.status().message() << "\n";
    return kUsage;
  }
  if (format == "json") {
    if (absl::Status s = catalog::CheckClustersEnabled(*loaded, clusters); !s.ok()) {
      std::cerr << "schemagate catalog: --cluster: " << s.message() << "\n";
      return kUsage;
    }
    std::cout << CatalogJson(*loaded, clusters).dump(compact ? -1 : 2) << "\n";
    return kOk;
  }
  absl::StatusOr<catalog::DiagramFormat> diagram_format = catalog::ParseDiagramFormat(format);
  if (!diagram_format.ok()) {
    std::cerr << "schemagate catalog: --format: unknown format \"" << format
              << "\" (json, dot, mermaid)\n";
    return kUsage;
  }
  catalog::DiagramOptions options;
  options.clusters = clusters;
  options.all_columns = columns;
  absl::StatusOr<std::string> picture = catalog::RenderDiagram(*loaded, *diagram_format, options);
  if (!picture.ok()) {
    std::cerr << "schemagate catalog: --cluster: " << picture.status().message() << "\n";
    return kUsage;
  }
  std::cout << *picture;
  return kOk;
}

int Sql(const Args& args) {
  std::vector<std::string> features;
  bool down = false;
  cli::FlagSet flags("schemagate sql",
                     "Prints the up.sql of every enabled migration in "
                     "fresh-install order (or, with --down, every down.sql in "
                     "reverse order), each preceded by a comment naming it. "
                     "For inspection and psql; `schemagate migrate` applies "
                     "migrations with history, locking and checksums.");
  flags.List("features", &features, "narrow to these compiled features (comma-separated)",
             "SCHEMAGATE_RUNTIME_FEATURES");
  flags.Bool("down", &down, "print the down migrations, last first");
  if (int code = flags.Finish(flags.Parse(args), 0, kUsage); code >= 0) {
    return code;
  }
  absl::StatusOr<catalog::Catalog> loaded = LoadCatalog(features, flags.IsSet("features"));
  if (!loaded.ok()) {
    std::cerr << "schemagate sql: " << loaded.status().message() << "\n";
    return kUsage;
  }
  std::vector<const v1::Migration*> order = loaded->ApplyOrder();
  if (down) std::reverse(order.begin(), order.end());
  for (const v1::Migration* m : order) {
    std::cout << "-- schemagate: " << m->cluster() << "/" << m->version_text() << "_" << m->name()
              << (down ? " (down)" : "") << "\n"
              << (down ? m->down_sql() : m->up_sql());
    const std::string& text = down ? m->down_sql() : m->up_sql();
    if (!text.empty() && text.back() != '\n') std::cout << "\n";
    // A statement left unterminated must not run into the next file.
    std::cout << ";\n";
  }
  return kOk;
}

}  // namespace schemagate::commands
