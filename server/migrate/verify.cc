#include "server/migrate/verify.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace schemagate::migrate {
namespace {

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return absl::StrJoin(list, ",");
}

std::string FkShape(const v1::ForeignKey& fk) {
  return absl::StrCat("(", Join(fk.columns()), ") -> ", fk.references_table(), " (",
                      Join(fk.references_columns()), ")");
}

// Rows of a query grouped by its first column (a table name).
constexpr char kRelationFilter[] =
    "c.relkind IN ('r', 'p') AND n.nspname = ANY (string_to_array($1, ','))";

std::string Name(const std::string& schema, const std::string& table) {
  return schema == "public" ? table : schema + "." + table;
}

}  // namespace

std::string Drift::ToString() const {
  std::string where = object.empty() ? table : absl::StrCat(table, ".", object);
  std::string out = absl::StrCat(kind, ": ", where);
  if (!expected.empty() || !actual.empty()) {
    absl::StrAppend(&out, " (catalog: ", expected.empty() ? "-" : expected,
                    ", database: ", actual.empty() ? "-" : actual, ")");
  }
  return out;
}

std::vector<std::string> CatalogSchemas(const catalog::Catalog& catalog) {
  std::set<std::string> schemas = {"public"};
  for (const v1::Table& t : catalog.compiled().tables()) {
    size_t dot = t.name().find('.');
    if (dot != std::string::npos) schemas.insert(t.name().substr(0, dot));
  }
  return {schemas.begin(), schemas.end()};
}

absl::StatusOr<std::vector<v1::Table>> Introspect(Connection* conn,
                                                  const std::vector<std::string>& schemas) {
  const std::string list = absl::StrJoin(schemas, ",");
  std::map<std::string, v1::Table> tables;
  std::vector<std::string> order;
  absl::StatusOr<Rows> cols =
      conn->Query(absl::StrCat("SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, "
                               "a.atttypmod), NOT a.attnotnull FROM pg_class c JOIN pg_namespace n "
                               "ON n.oid = c.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = "
                               "c.oid AND a.attnum > 0 AND NOT a.attisdropped WHERE ",
                               kRelationFilter, " ORDER BY n.nspname, c.relname, a.attnum"),
                  {list});
  if (!cols.ok()) return cols.status();
  for (size_t i = 0; i < cols->rows.size(); ++i) {
    std::string name = Name(cols->Text(i, 0), cols->Text(i, 1));
    auto [it, inserted] = tables.try_emplace(name);
    if (inserted) {
      it->second.set_name(name);
      order.push_back(name);
    }
    if (!cols->rows[i][2].has_value()) continue;
    v1::Column* c = it->second.add_columns();
    c->set_name(cols->Text(i, 2));
    c->set_type(cols->Text(i, 3));
    c->set_nullable(cols->Text(i, 4) == "t");
  }
  absl::StatusOr<Rows> keys = conn->Query(
      absl::StrCat("SELECT n.nspname, c.relname, con.contype, con.conname, "
                   "(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM "
                   "unnest(con.conkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute "
                   "a ON a.attrelid = con.conrelid AND a.attnum = k.attnum), "
                   "fn.nspname, fc.relname, (SELECT string_agg(a.attname, ',' ORDER BY "
                   "k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord) JOIN "
                   "pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = "
                   "k.attnum), con.confdeltype, con.confupdtype FROM pg_constraint con "
                   "JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid "
                   "= c.relnamespace LEFT JOIN pg_class fc ON fc.oid = con.confrelid "
                   "LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace WHERE "
                   "con.contype IN ('p', 'f') AND ",
                   kRelationFilter, " ORDER BY n.nspname, c.relname, con.conname"),
      {list});
  if (!keys.ok()) return keys.status();
  for (size_t i = 0; i < keys->rows.size(); ++i) {
    auto it = tables.find(Name(keys->Text(i, 0), keys->Text(i, 1)));
    if (it == tables.end()) continue;
    std::vector<std::string> columns = absl::StrSplit(keys->Text(i, 4), ',');
    if (keys->Text(i, 2) == "p") {
      for (const std::string& c : columns) it->second.add_primary_key(c);
      continue;
    }
    v1::ForeignKey* fk = it->second.add_foreign_keys();
    fk->set_name(keys->Text(i, 3));
    for (const std::string& c : columns) fk->add_columns(c);
    fk->set_references_table(Name(keys->Text(i, 5), keys->Text(i, 6)));
    for (absl::string_view c : absl::StrSplit(keys->Text(i, 7), ',')) {
      fk->add_references_columns(std::string(c));
    }
    fk->set_on_delete(keys->Text(i, 8));
    fk->set_on_update(keys->Text(i, 9));
  }
  std::vector<v1::Table> out;
  for (const std::string& name : order) out.push_back(std::move(tables[name]));
  return out;
}

absl::StatusOr<KnownObjects> ReadKnownObjects(History& history, const catalog::Catalog& catalog) {
  KnownObjects out;
  absl::StatusOr<std::vector<ClusterRecord>> records = history.ReadClusters();
  if (!records.ok()) return records.status();
  out.orphans = OrphansOf(*records, catalog);
  absl::StatusOr<std::vector<Adoption>> adoptions = history.ReadAdoptions();
  if (!adoptions.ok()) return adoptions.status();
  for (const Adoption& a : *adoptions) {
    if (a.source_table.empty()) continue;
    out.foreign_history[catalog::NormalizeTableName(a.source_table)] =
        absl::StrCat(a.source_format, " history, adopted");
  }
  return out;
}

VerifyReport Compare(const catalog::Catalog& catalog, const std::vector<v1::Table>& live,
                     const VerifyOptions& options, const OrphanOwners& orphans) {
  VerifyReport report;
  std::map<std::string, const v1::Table*> actual;
  for (const v1::Table& t : live) actual[t.name()] = &t;
  std::map<std::string, const v1::Table*> compiled;
  for (const v1::Table& t : catalog.compiled().tables()) compiled[t.name()] = &t;

  const bool scoped = !options.only_clusters.empty();
  // Not compared: owned by an enabled cluster outside the scope.
  auto out_of_scope = [&](const std::string& cluster) {
    return scoped && !options.only_clusters.count(cluster) && catalog.IsEnabled(cluster);
  };
  for (const v1::Table& want : catalog.enabled().tables()) {
    if (out_of_scope(want.cluster())) continue;
    ++report.tables_checked;
    auto found = actual.find(want.name());
    if (found == actual.end()) {
      report.drift.push_back({"missing table", want.name(), "", "", ""});
      continue;
    }
    const v1::Table& got = *found->second;
    std::map<std::string, const v1::Column*> got_cols;
    for (const v1::Column& c : got.columns()) got_cols[c.name()] = &c;
    std::set<std::string> want_cols;
    for (const v1::Column& c : want.columns()) {
      want_cols.insert(c.name());
      if (out_of_scope(c.cluster())) continue;
      auto g = got_cols.find(c.name());
      if (g == got_cols.end()) {
        report.drift.push_back({"missing column", want.name(), c.name(), c.type(), ""});
        continue;
      }
      if (g->second->type() != c.type()) {
        report.drift.push_back({"column type", want.name(), c.name(), c.type(), g->second->type()});
      }
      if (g->second->nullable() != c.nullable()) {
        report.drift.push_back({"nullability", want.name(), c.name(),
                                c.nullable() ? "NULL" : "NOT NULL",
                                g->second->nullable() ? "NULL" : "NOT NULL"});
      }
    }
    // Columns and keys created by compiled clusters that are not enabled
    // are orphans, not drift.
    std::map<std::string, std::string> owners;
    for (const auto& [object, cluster] : orphans) {
      if (absl::StartsWith(object, "column:" + want.name() + ".")) {
        owners[object.substr(8 + want.name().size())] = cluster;
      } else if (absl::StartsWith(object, "fk:" + want.name() + ".")) {
        owners["fk:" + object.substr(4 + want.name().size())] = cluster;
      }
    }
    if (auto full = compiled.find(want.name()); full != compiled.end()) {
      for (const v1::Column& c : full->second->columns()) owners[c.name()] = c.cluster();
      for (const v1::ForeignKey& fk : full->second->foreign_keys()) {
        owners["fk:" + fk.name()] = fk.cluster();
      }
    }
    for (const v1::Column& c : got.columns()) {
      if (want_cols.count(c.name())) continue;
      auto owner = owners.find(c.name());
      if (owner != owners.end() && out_of_scope(owner->second)) continue;
      std::string absent =
          owner == owners.end() ? catalog.AbsentOwner("column", want.name(), c.name()) : "";
      if (!absent.empty()) {
        report.orphaned_objects.push_back(
            absl::StrCat("column ", want.name(), ".", c.name(), " (cluster ", absent, ")"));
      } else if (owner != owners.end() && !catalog.IsEnabled(owner->second)) {
        report.orphaned_objects.push_back(
            absl::StrCat("column ", want.name(), ".", c.name(), " (cluster ", owner->second, ")"));
      } else {
        report.drift.push_back({"extra column", want.name(), c.name(), "", c.type()});
      }
    }
    if (Join(want.primary_key()) != Join(got.primary_key())) {
      report.drift.push_back(
          {"primary key", want.name(), "", Join(want.primary_key()), Join(got.primary_key())});
    }
    std::map<std::string, const v1::ForeignKey*> got_fks;
    for (const v1::ForeignKey& fk : got.foreign_keys()) got_fks[fk.name()] = &fk;
    std::set<std::string> want_fks;
    for (const v1::ForeignKey& fk : want.foreign_keys()) {
      want_fks.insert(fk.name());
      if (out_of_scope(fk.cluster())) continue;
      auto g = got_fks.find(fk.name());
      if (g == got_fks.end()) {
        report.drift.push_back({"missing foreign key", want.name(), fk.name(), FkShape(fk), ""});
      } else if (FkShape(fk) != FkShape(*g->second)) {
        report.drift.push_back(
            {"foreign key", want.name(), fk.name(), FkShape(fk), FkShape(*g->second)});
      }
    }
    for (const v1::ForeignKey& fk : got.foreign_keys()) {
      if (want_fks.count(fk.name())) continue;
      auto owner = owners.find("fk:" + fk.name());
      if (owner != owners.end() && out_of_scope(owner->second)) continue;
      std::string absent =
          owner == owners.end() ? catalog.AbsentOwner("fk", want.name(), fk.name()) : "";
      if (!absent.empty()) {
        report.orphaned_objects.push_back(
            absl::StrCat("foreign key ", want.name(), ".", fk.name(), " (cluster ", absent, ")"));
      } else if (owner != owners.end() && !catalog.IsEnabled(owner->second)) {
        report.orphaned_objects.push_back(absl::StrCat("foreign key ", want.name(), ".", fk.name(),
                                                       " (cluster ", owner->second, ")"));
      } else {
        report.drift.push_back({"extra foreign key", want.name(), fk.name(), "", FkShape(fk)});
      }
    }
  }
  for (const v1::Table& t : live) {
    if (catalog.FindTable(t.name()) != nullptr) continue;
    if (auto f = options.foreign_history.find(t.name()); f != options.foreign_history.end()) {
      report.foreign_history.push_back(absl::StrCat(t.name(), " (", f->second, ")"));
    } else if (std::optional<UnmanagedTable> u = UnmanagedOwner(catalog, orphans, t.name())) {
      report.orphaned_objects.push_back(
          absl::StrCat("table ", t.name(), " (cluster ", u->cluster, ")"));
    } else if (!options.ignore_extra_tables) {
      report.drift.push_back({"extra table", t.name(), "", "", ""});
    }
  }
  return report;
}

absl::StatusOr<VerifyReport> VerifyLive(Connection* conn, const catalog::Catalog& catalog,
                                        const HistoryName& name, VerifyOptions options) {
  absl::StatusOr<std::vector<v1::Table>> live = Introspect(conn, CatalogSchemas(catalog));
  if (!live.ok()) return live.status();
  History history(conn, name);
  absl::StatusOr<KnownObjects> known = ReadKnownObjects(history, catalog);
  if (!known.ok()) return known.status();
  options.foreign_history = known->foreign_history;
  return Compare(catalog, *live, options, known->orphans);
}

}  // namespace schemagate::migrate
