// The history tables of the tools schemagate adopts databases from (Diesel,
// golang-migrate, Flyway), and whether they record the flat migrations a
// build's migrations were imported from (`-- schemagate:imported-from`).
// ReadSourceHistory() is the I/O half: it only reads the old tool's table.
// CheckSourceHistory(), Recorded() and Uncovered() are pure.
//
//   absl::StatusOr<SourceHistory> h = ReadSourceHistory(
//       conn, SourceFormat::kDiesel, SourceTable::Default(SourceFormat::kDiesel));
//   if (!h.ok()) return h.status();          // missing table: kIntegrity
//   if (auto s = CheckSourceHistory(*h); !s.ok()) return s;  // dirty, failed
//   std::vector<MissingSource> missing = Uncovered(*h, migrations);
//
// What "recorded" means, per tool:
//   diesel          a row of __diesel_schema_migrations with exactly that
//                   version string (Diesel's folder version without '-');
//   golang-migrate  schema_migrations holds one row, the current version:
//                   v is recorded when v <= it (numerically); a dirty row
//                   is refused (a migration failed half-way);
//   flyway          a successful row of flyway_schema_history of a
//                   migration type (SQL, JDBC, SPRING_JDBC, SCRIPT, CUSTOM,
//                   JDBC_STATE_SCRIPT) with an equal version ("1.0" == "1"),
//                   not undone later (UNDO_*) nor marked deleted (DELETE);
//                   a successful BASELINE (or *_BASELINE) row with version B
//                   records every version <= B; a failed row is refused.
#ifndef SCHEMAGATE_SERVER_MIGRATE_SOURCE_HISTORY_H_
#define SCHEMAGATE_SERVER_MIGRATE_SOURCE_HISTORY_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "schemagate/v1/catalog.pb.h"
#include "server/migrate/db.h"

namespace schemagate::migrate {

enum class SourceFormat {
  kNone,  // no history check: the user vouches for the schema
  kDiesel,
  kGolangMigrate,
  kFlyway,
};

// "none", "diesel", "golang-migrate", "flyway" (as in ImportedFrom.format
// and --from). INVALID_ARGUMENT (kUsage) for anything else.
absl::StatusOr<SourceFormat> ParseSourceFormat(absl::string_view text);
const char* SourceFormatName(SourceFormat format);

// A [schema.]table name of an old tool's history table (schema public when
// not given). Names are taken as written (case-sensitive, quoted in SQL).
struct SourceTable {
  std::string schema = "public";
  std::string table;

  // INVALID_ARGUMENT (kUsage) unless `text` is [schema.]table of
  // identifiers (letters, digits, '_' or '$', not starting with a digit, at
  // most 63 bytes each).
  static absl::StatusOr<SourceTable> Parse(absl::string_view text);
  // The tool's default: public.__diesel_schema_migrations,
  // public.schema_migrations, public.flyway_schema_history.
  static SourceTable Default(SourceFormat format);
  // "schema.table" for messages.
  std::string Display() const;
  // As verify names tables: "table" in public, "schema.table" elsewhere.
  std::string CatalogName() const;
  // Quoted for SQL.
  std::string Qualified() const;
};

// One row of Flyway's flyway_schema_history.
struct FlywayRow {
  int64_t installed_rank = 0;
  std::string version;  // "" for repeatable migrations
  std::string description;
  std::string type;  // SQL, JDBC, BASELINE, UNDO_SQL, DELETE, SCHEMA, ...
  bool success = false;
  std::string script;  // "V1__init.sql", "R__views.sql"
};

// One row of golang-migrate's schema_migrations.
struct GolangRow {
  int64_t version = 0;
  bool dirty = false;
};

// The old tool's history as read from the database.
struct SourceHistory {
  SourceFormat format = SourceFormat::kNone;
  SourceTable table;
  std::set<std::string> diesel_versions;
  std::vector<GolangRow> golang_rows;
  std::vector<FlywayRow> flyway_rows;  // by installed_rank
};

// Reads `table` as `format`'s history table (read only). Errors:
// FAILED_PRECONDITION (kIntegrity, reason SOURCE_HISTORY_MISSING) when the
// table does not exist; INVALID_ARGUMENT (kUsage, reason
// SOURCE_HISTORY_SHAPE) when it lacks that tool's columns; UNAVAILABLE.
absl::StatusOr<SourceHistory> ReadSourceHistory(Connection* conn, SourceFormat format,
                                                const SourceTable& table);

// Refusals that do not depend on the build: a dirty golang-migrate history
// (reason SOURCE_HISTORY_DIRTY) or one with several rows, a failed Flyway
// row (SOURCE_HISTORY_FAILED). FAILED_PRECONDITION (kIntegrity) naming each,
// with violations; OK otherwise.
absl::Status CheckSourceHistory(const SourceHistory& history);

// Flyway's version order: dot-separated parts compared as integers (any
// length), trailing zero parts ignored ("1.0" == "1", "1.10" > "1.9"). A
// part that is not a number compares as text after the numbers.
// Negative, zero or positive like strcmp.
int CompareFlywayVersions(absl::string_view a, absl::string_view b);

// Is the flat migration `version` (as its tool records it) recorded in
// `history`? False for kNone.
bool Recorded(const SourceHistory& history, absl::string_view version);

// A flat migration that an adopted migration was imported from, and that
// the old tool's history does not record.
struct MissingSource {
  std::string format;
  std::string version;
  std::string migration;  // the importing migration's up.sql path
};

// Every imported_from of `migrations` (in their order) that `history` does
// not record. Imported-from entries of other formats are not looked at
// (the caller refuses them before).
std::vector<MissingSource> Uncovered(const SourceHistory& history,
                                     const std::vector<const v1::Migration*>& migrations);

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_SOURCE_HISTORY_H_
