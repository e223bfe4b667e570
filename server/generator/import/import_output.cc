// The import's outputs: the report as text (what a person reads) or JSON
// (what a script reads), and the tree written to a new directory, all or
// nothing (a temporary directory renamed into place).
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "server/generator/import/import.h"

namespace schemagate::generator::import {

namespace fs = std::filesystem;

std::string ReportText(const ImportReport& report, const Diagnostics& diagnostics) {
  std::string out =
      absl::StrCat("import of ", report.source, " (", report.format, ", ", report.flat_migrations,
                   " migrations, ", report.statements, " statements) with ", report.map, "\n");
  for (const ClusterReport& c : report.clusters) {
    absl::StrAppend(&out, "\ncluster ", c.name, c.bridge ? " (bridge)" : "", ": ", c.tables.size(),
                    " tables, ", c.migrations.size(), " migrations\n");
    if (!c.depends_on.empty()) {
      absl::StrAppend(&out, "  depends on: ", absl::StrJoin(c.depends_on, ", "),
                      c.explicit_dependencies ? " (from the map)" : "", "\n");
    }
    for (const InferredDependency& d : c.inferred) {
      absl::StrAppend(&out, "    ", d.cluster, ": ", d.evidence, "\n");
    }
    if (!c.tables.empty()) absl::StrAppend(&out, "  tables: ", absl::StrJoin(c.tables, ", "), "\n");
    if (!c.migrations.empty()) {
      absl::StrAppend(&out, "  migrations: ", absl::StrJoin(c.migrations, ", "), "\n");
    }
  }
  std::vector<const ImportedMigration*> irreversible;
  for (const ImportedMigration& m : report.migrations) {
    if (!m.irreversible.empty()) irreversible.push_back(&m);
  }
  if (!irreversible.empty()) {
    absl::StrAppend(&out, "\nirreversible migrations (rollback past them is refused):\n");
    for (const ImportedMigration* m : irreversible) {
      absl::StrAppend(&out, "  ", m->dir, ": ", m->irreversible, "\n");
    }
  }
  if (!report.cross_feature_foreign_keys.empty()) {
    absl::StrAppend(&out,
                    "\nforeign keys that cross clusters (joinable only where both are on):\n");
    for (const CrossForeignKey& fk : report.cross_feature_foreign_keys) {
      absl::StrAppend(&out, "  ", fk.table, " (", fk.table_cluster, ") -> ", fk.references, " (",
                      fk.references_cluster, ")", fk.constraint.empty() ? "" : " " + fk.constraint,
                      " at ", fk.at, "\n");
    }
  }
  if (!report.guesses.empty()) {
    absl::StrAppend(&out, "\nassignments to review:\n");
    for (const Guess& g : report.guesses) {
      absl::StrAppend(&out, "  ", g.at, ": ", g.what, " -> ", g.cluster, ": ", g.reason, "\n");
    }
  }
  if (diagnostics.warning_count() > 0) absl::StrAppend(&out, "\n", diagnostics.WarningText(), "\n");
  if (!diagnostics.empty()) {
    absl::StrAppend(&out, "\n", diagnostics.ToStatus().message(), "\n", diagnostics.count(),
                    " error(s): nothing was written\n");
  }
  return out;
}

std::string ReportJson(const ImportReport& report, const Diagnostics& diagnostics) {
  using nlohmann::ordered_json;
  ordered_json clusters = ordered_json::array();
  for (const ClusterReport& c : report.clusters) {
    ordered_json inferred = ordered_json::array();
    for (const InferredDependency& d : c.inferred) {
      inferred.push_back({{"cluster", d.cluster}, {"evidence", d.evidence}});
    }
    clusters.push_back({{"name", c.name},
                        {"description", c.description},
                        {"bridge", c.bridge},
                        {"depends_on", c.depends_on},
                        {"depends_on_from_map", c.explicit_dependencies},
                        {"inferred_dependencies", inferred},
                        {"tables", c.tables},
                        {"migrations", c.migrations}});
  }
  ordered_json migrations = ordered_json::array();
  for (const ImportedMigration& m : report.migrations) {
    migrations.push_back(
        {{"path", m.dir},
         {"cluster", m.cluster},
         {"version", m.version},
         {"imported_from",
          {{"format", report.format}, {"version", m.from_version}, {"path", m.from_path}}},
         {"statements", m.statements},
         {"no_transaction", m.no_transaction},
         {"irreversible", m.irreversible},
         {"requires", m.requires_}});
  }
  ordered_json fks = ordered_json::array();
  for (const CrossForeignKey& fk : report.cross_feature_foreign_keys) {
    fks.push_back({{"table", fk.table},
                   {"cluster", fk.table_cluster},
                   {"references", fk.references},
                   {"references_cluster", fk.references_cluster},
                   {"constraint", fk.constraint},
                   {"at", fk.at}});
  }
  ordered_json guesses = ordered_json::array();
  for (const Guess& g : report.guesses) {
    guesses.push_back(
        {{"at", g.at}, {"statement", g.what}, {"cluster", g.cluster}, {"reason", g.reason}});
  }
  ordered_json problems = ordered_json::array();
  auto add = [&](const Diagnostic& d) {
    problems.push_back({{"severity", d.warning ? "warning" : "error"},
                        {"file", d.file},
                        {"line", d.line},
                        {"column", d.column},
                        {"message", d.message},
                        {"text", Format(d)}});
  };
  for (const Diagnostic& d : diagnostics.list()) add(d);
  for (const Diagnostic& d : diagnostics.warnings()) add(d);
  ordered_json out = {{"ok", diagnostics.empty()},
                      {"format", report.format},
                      {"source", report.source},
                      {"map", report.map},
                      {"flat_migrations", report.flat_migrations},
                      {"statements", report.statements},
                      {"clusters", clusters},
                      {"migrations", migrations},
                      {"cross_feature_foreign_keys", fks},
                      {"guesses", guesses},
                      {"errors", diagnostics.count()},
                      {"warnings", diagnostics.warning_count()},
                      {"problems", problems}};
  return out.dump(2) + "\n";
}

absl::Status WriteTree(const TreeFiles& tree, const std::string& dir) {
  std::error_code ec;
  fs::path target(dir);
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec) || !fs::is_empty(target, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("output \"", dir,
                       "\" exists and is not an empty directory; "
                       "choose a new folder (nothing was written)"));
    }
  }
  fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  fs::create_directories(parent, ec);
  if (ec)
    return absl::UnavailableError(
        absl::StrCat("cannot create ", parent.string(), ": ", ec.message()));
  std::random_device rd;
  fs::path tmp = parent / absl::StrCat(".", target.filename().string(), ".import-", rd());
  auto fail = [&](const std::string& what) {
    std::error_code ignore;
    fs::remove_all(tmp, ignore);
    return absl::UnavailableError(absl::StrCat(what, " (nothing was written to ", dir, ")"));
  };
  fs::create_directories(tmp, ec);
  if (ec) return fail(absl::StrCat("cannot create ", tmp.string(), ": ", ec.message()));
  for (const std::string& d : tree.dirs) {
    fs::create_directories(tmp / d, ec);
    if (ec) return fail(absl::StrCat("cannot create ", (tmp / d).string(), ": ", ec.message()));
  }
  for (const auto& [rel, content] : tree.files) {
    fs::path path = tmp / rel;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return fail("cannot write " + path.string());
  }
  if (fs::exists(target, ec)) fs::remove(target, ec);  // empty
  fs::rename(tmp, target, ec);
  if (ec) return fail(absl::StrCat("cannot move the tree into ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace schemagate::generator::import
