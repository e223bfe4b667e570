// `schemagate catalog` and `schemagate sql`: what this binary was built with.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "server/catalog/catalog.h"
#include "server/catalog/embedded.h"
#include "server/catalog/json.h"
#include "server/main/commands.h"
#include "server/util/cli.h"

namespace schemagate::commands {
namespace {

// Loads the embedded catalog, narrowed by --features when given.
absl::StatusOr<catalog::Catalog> LoadCatalog(
    const std::vector<std::string>& features, bool narrow) {
  absl::StatusOr<catalog::Catalog> compiled =
      catalog::Catalog::Load(catalog::EmbeddedCatalogBytes());
  if (!compiled.ok() || !narrow) return compiled;
  return compiled->Narrow(features);
}

}  // namespace

int Catalog(const Args& args) {
  std::vector<std::string> features;
  bool compact = false;
  cli::FlagSet flags("schemagate catalog",
                     "Prints the catalog compiled into this binary as JSON: "
                     "enabled features, clusters, tables (columns, primary "
                     "keys, foreign keys, indexes) and migrations.");
  flags.List("features", &features,
             "narrow to these compiled features (comma-separated)",
             "SCHEMAGATE_RUNTIME_FEATURES");
  flags.Bool("compact", &compact, "print the JSON on one line");
  if (int code = flags.Finish(flags.Parse(args), 0, kUsage); code >= 0) {
    return code;
  }
  absl::StatusOr<catalog::Catalog> loaded =
      LoadCatalog(features, flags.IsSet("features"));
  if (!loaded.ok()) {
    std::cerr << "schemagate catalog: " << loaded.status().message() << "\n";
    return kUsage;
  }
  std::cout << catalog::CatalogJson(*loaded).dump(compact ? -1 : 2) << "\n";
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
  flags.List("features", &features,
             "narrow to these compiled features (comma-separated)",
             "SCHEMAGATE_RUNTIME_FEATURES");
  flags.Bool("down", &down, "print the down migrations, last first");
  if (int code = flags.Finish(flags.Parse(args), 0, kUsage); code >= 0) {
    return code;
  }
  absl::StatusOr<catalog::Catalog> loaded =
      LoadCatalog(features, flags.IsSet("features"));
  if (!loaded.ok()) {
    std::cerr << "schemagate sql: " << loaded.status().message() << "\n";
    return kUsage;
  }
  std::vector<const v1::Migration*> order = loaded->ApplyOrder();
  if (down) std::reverse(order.begin(), order.end());
  for (const v1::Migration* m : order) {
    std::cout << "-- schemagate: " << m->cluster() << "/" << m->version_text()
              << "_" << m->name() << (down ? " (down)" : "") << "\n"
              << (down ? m->down_sql() : m->up_sql());
    const std::string& text = down ? m->down_sql() : m->up_sql();
    if (!text.empty() && text.back() != '\n') std::cout << "\n";
    // A statement left unterminated must not run into the next file.
    std::cout << ";\n";
  }
  return kOk;
}

}  // namespace schemagate::commands
