// Applies every up.sql of a build (the binary named by SCHEMAGATE_BIN, via
// `schemagate sql` and psql) to a fresh database and checks that what
// PostgreSQL created — tables, columns, types, nullability, primary keys,
// foreign keys, indexes — is exactly the build's catalog. Then applies every
// down.sql in reverse order and checks nothing of the tree is left.
#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/subprocess.h"
#include "tests/support/test_db.h"

namespace schemagate {
namespace {

using test::ProcessResult;
using test::RunProcess;
using test::TestDatabase;

std::string Binary() {
  const char* bin = std::getenv("SCHEMAGATE_BIN");
  return bin != nullptr ? bin : "";
}

std::string Cols(const nlohmann::json& list) {
  std::vector<std::string> out;
  for (const auto& c : list) out.push_back(c.get<std::string>());
  return absl::StrJoin(out, ",");
}

struct Expected {
  std::vector<std::string> columns, primary_keys, foreign_keys, indexes, tables;
};

Expected FromCatalog(const nlohmann::json& catalog) {
  Expected e;
  for (const auto& cluster : catalog["clusters"]) {
    for (const auto& t : cluster["tables"]) {
      std::string table = t["name"];
      e.tables.push_back(table);
      for (const auto& c : t["columns"]) {
        e.columns.push_back(absl::StrCat(table, "\t", c["name"].get<std::string>(), "\t",
                                         c["type"].get<std::string>(), "\t",
                                         c["nullable"].get<bool>() ? "t" : "f"));
      }
      if (!t["primary_key"].empty()) {
        e.primary_keys.push_back(absl::StrCat(table, "\t", Cols(t["primary_key"])));
      }
      for (const auto& fk : t["foreign_keys"]) {
        e.foreign_keys.push_back(absl::StrCat(
            fk["name"].get<std::string>(), "\t", table, "\t", Cols(fk["columns"]), "\t",
            fk["references_table"].get<std::string>(), "\t", Cols(fk["references_columns"]), "\t",
            fk["on_delete"].get<std::string>(), "\t", fk["on_update"].get<std::string>()));
      }
      for (const auto& ix : t["indexes"]) {
        std::vector<std::string> cols;
        for (const auto& c : ix["columns"]) {
          std::string s = c;
          cols.push_back(s == "(expression)" ? "" : s);
        }
        e.indexes.push_back(absl::StrCat(
            ix["name"].get<std::string>(), "\t", table, "\t", absl::StrJoin(cols, ","), "\t",
            ix["unique"].get<bool>() ? "t" : "f", "\t", ix["primary"].get<bool>() ? "t" : "f"));
      }
    }
  }
  for (auto* v : {&e.columns, &e.primary_keys, &e.foreign_keys, &e.indexes, &e.tables}) {
    std::sort(v->begin(), v->end());
  }
  return e;
}

constexpr char kUserRelations[] =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND "
    "n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

// The catalog's spelling of relation `oid`: "name", or "schema.name"
// outside public, never quoted (unlike ::regclass).
std::string NameOf(const std::string& oid) {
  return absl::StrCat(
      "(SELECT CASE WHEN rn.nspname = 'public' THEN rc.relname ELSE rn.nspname "
      "|| '.' || rc.relname END FROM pg_class rc JOIN pg_namespace rn ON rn.oid = "
      "rc.relnamespace WHERE rc.oid = ",
      oid, ")");
}

Expected FromDatabase(const TestDatabase& db) {
  Expected e;
  auto rows = [&](const std::string& sql) {
    absl::StatusOr<std::vector<std::string>> r = db.Query(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out = r.ok() ? *r : std::vector<std::string>{};
    std::sort(out.begin(), out.end());
    return out;
  };
  e.tables = rows(absl::StrCat("SELECT ", NameOf("c.oid"),
                               " FROM pg_class c JOIN pg_namespace n ON "
                               "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND ",
                               kUserRelations));
  e.columns =
      rows(absl::StrCat("SELECT ", NameOf("c.oid"),
                        ", a.attname, format_type(a.atttypid, "
                        "a.atttypmod), CASE WHEN a.attnotnull THEN 'f' ELSE 't' END "
                        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "JOIN pg_attribute a ON a.attrelid = c.oid "
                        "WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
                        "AND ",
                        kUserRelations));
  const std::string cols =
      "(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(%s) WITH "
      "ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = %s AND "
      "a.attnum = k.attnum)";
  auto colsOf = [&](const std::string& arr, const std::string& rel) {
    std::string s = cols;
    s.replace(s.find("%s"), 2, arr);
    s.replace(s.find("%s"), 2, rel);
    return s;
  };
  e.primary_keys = rows(absl::StrCat("SELECT ", NameOf("con.conrelid"), ", ",
                                     colsOf("con.conkey", "con.conrelid"),
                                     " FROM pg_constraint con JOIN pg_namespace n ON n.oid = "
                                     "con.connamespace WHERE con.contype = 'p' AND ",
                                     kUserRelations));
  e.foreign_keys = rows(absl::StrCat(
      "SELECT con.conname, ", NameOf("con.conrelid"), ", ", colsOf("con.conkey", "con.conrelid"),
      ", ", NameOf("con.confrelid"), ", ", colsOf("con.confkey", "con.confrelid"),
      ", con.confdeltype, con.confupdtype FROM pg_constraint con JOIN "
      "pg_namespace n ON n.oid = con.connamespace WHERE con.contype = 'f' AND ",
      kUserRelations));
  e.indexes =
      rows(absl::StrCat("SELECT ic.relname, ", NameOf("i.indrelid"),
                        ", (SELECT "
                        "string_agg(COALESCE(a.attname, ''), ',' ORDER BY k.ord) FROM "
                        "unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) LEFT JOIN "
                        "pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum), "
                        "CASE WHEN i.indisunique THEN 't' ELSE 'f' END, CASE WHEN "
                        "i.indisprimary THEN 't' ELSE 'f' END FROM pg_index i JOIN pg_class ic "
                        "ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN "
                        "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
                        "AND ",
                        kUserRelations));
  return e;
}

// Lines in `a` but not in `b`, for readable failures.
std::string Missing(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return absl::StrJoin(out, "\n  ");
}

void ExpectSame(const char* what, const std::vector<std::string>& catalog,
                const std::vector<std::string>& database) {
  EXPECT_EQ(catalog, database) << what << "\n in the catalog, not in the database:\n  "
                               << Missing(catalog, database)
                               << "\n in the database, not in the catalog:\n  "
                               << Missing(database, catalog);
}

TEST(CatalogMatchesDatabaseTest, UpCreatesExactlyTheCatalogAndDownRemovesIt) {
  ASSERT_FALSE(Binary().empty()) << "SCHEMAGATE_BIN is not set";
  ProcessResult catalog_run = RunProcess({Binary(), "catalog", "--compact"});
  ASSERT_EQ(catalog_run.exit_code, 0) << catalog_run.err;
  nlohmann::json catalog = nlohmann::json::parse(catalog_run.out);
  ProcessResult up = RunProcess({Binary(), "sql"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  ProcessResult down = RunProcess({Binary(), "sql", "--down"});
  ASSERT_EQ(down.exit_code, 0) << down.err;

  auto db = TestDatabase::Create("catalog");
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::string> applied = test::RunPsql((*db)->url(), up.out);
  ASSERT_TRUE(applied.ok()) << applied.status();

  Expected want = FromCatalog(catalog);
  Expected got = FromDatabase(**db);
  ASSERT_FALSE(want.tables.empty());
  ExpectSame("tables", want.tables, got.tables);
  ExpectSame("columns (table, column, type, nullable)", want.columns, got.columns);
  ExpectSame("primary keys", want.primary_keys, got.primary_keys);
  ExpectSame("foreign keys", want.foreign_keys, got.foreign_keys);
  ExpectSame("indexes", want.indexes, got.indexes);

  absl::StatusOr<std::string> reverted = test::RunPsql((*db)->url(), down.out);
  ASSERT_TRUE(reverted.ok()) << reverted.status();
  Expected after = FromDatabase(**db);
  EXPECT_TRUE(after.tables.empty()) << absl::StrJoin(after.tables, ", ");
  absl::StatusOr<std::vector<std::string>> leftovers = (*db)->Query(
      "SELECT c.relkind::text || ' ' || c.oid::regclass::text FROM pg_class c JOIN "
      "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
      "UNION ALL SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace "
      "n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype "
      "IN ('e', 'd', 'r') UNION ALL SELECT 'function ' || p.proname FROM "
      "pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
      "n.nspname = 'public'");
  ASSERT_TRUE(leftovers.ok()) << leftovers.status();
  EXPECT_TRUE(leftovers->empty()) << "left behind by the down migrations:\n  "
                                  << absl::StrJoin(*leftovers, "\n  ");
}

}  // namespace
}  // namespace schemagate
