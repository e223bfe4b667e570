#include "server/migrate/source_history.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/util/errors.h"

namespace schemagate::migrate {
namespace {

bool ValidIdent(absl::string_view s) {
  if (s.empty() || s.size() > 63 || absl::ascii_isdigit(s[0])) return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(c) || c == '_' || c == '$')) return false;
  }
  return true;
}

absl::Status Usage(std::string message, absl::string_view reason) {
  return errors::WithReason(
      errors::WithKind(absl::InvalidArgumentError(std::move(message)), errors::ErrorKind::kUsage),
      reason);
}

// Flyway's kinds of history rows (MigrationType).
bool IsFlywayMigration(absl::string_view type) {
  return type == "SQL" || type == "JDBC" || type == "SPRING_JDBC" || type == "SCRIPT" ||
         type == "CUSTOM" || type == "JDBC_STATE_SCRIPT";
}
bool IsFlywayBaseline(absl::string_view type) {
  return type == "BASELINE" || type == "SQL_BASELINE" || type == "JDBC_BASELINE" ||
         type == "SCRIPT_BASELINE";
}

// A version part without its leading zeros ("007" -> "7", "0" -> "").
absl::string_view TrimZeros(absl::string_view part) {
  while (!part.empty() && part[0] == '0') part.remove_prefix(1);
  return part;
}

bool AllDigits(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

// Whole non-negative integers of any length, as text.
int CompareNumbers(absl::string_view a, absl::string_view b) {
  a = TrimZeros(a);
  b = TrimZeros(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

// The parts of a Flyway version without trailing zero parts.
std::vector<absl::string_view> FlywayParts(absl::string_view v) {
  std::vector<absl::string_view> parts = absl::StrSplit(v, '.');
  while (!parts.empty() && AllDigits(parts.back()) && TrimZeros(parts.back()).empty()) {
    parts.pop_back();
  }
  return parts;
}

// golang-migrate versions are unsigned integers.
bool ParseGolangVersion(absl::string_view text, uint64_t* out) {
  return !text.empty() && AllDigits(text) && absl::SimpleAtoi(text, out);
}

// A Flyway version in a form where equal versions are equal strings:
// leading zeros of numeric parts and trailing zero parts dropped.
std::string CanonicalFlyway(absl::string_view v) {
  std::vector<std::string> parts;
  for (absl::string_view p : FlywayParts(v)) {
    if (AllDigits(p) && !p.empty()) {
      absl::string_view t = TrimZeros(p);
      parts.emplace_back(t.empty() ? "0" : t);
    } else {
      parts.emplace_back(p);
    }
  }
  return absl::StrJoin(parts, ".");
}

// Flyway's effective state: the versions applied (undone and deleted ones
// removed, in installed_rank order) and the highest successful baseline.
struct FlywayState {
  std::set<std::string> applied;  // canonical
  std::string baseline;           // "" when none
  // Repeatable migrations applied, as `schemagate-gen import` names them
  // in imported-from: "R__" and the script's description part.
  std::set<std::string> repeatables;
};

// "R__reporting_views" for the script "db/R__reporting_views.sql".
std::string RepeatableName(absl::string_view script) {
  absl::string_view base = script.substr(script.find_last_of('/') + 1);
  absl::ConsumeSuffix(&base, ".sql");
  return std::string(base);
}

FlywayState FlywayEffective(const std::vector<FlywayRow>& rows) {
  std::vector<const FlywayRow*> ordered;
  for (const FlywayRow& r : rows) ordered.push_back(&r);
  std::stable_sort(ordered.begin(), ordered.end(), [](const FlywayRow* a, const FlywayRow* b) {
    return a->installed_rank < b->installed_rank;
  });
  FlywayState out;
  for (const FlywayRow* r : ordered) {
    if (r->success && r->version.empty() && IsFlywayMigration(r->type) && !r->script.empty()) {
      out.repeatables.insert(RepeatableName(r->script));
    }
    if (!r->success || r->version.empty()) continue;
    if (IsFlywayMigration(r->type)) {
      out.applied.insert(CanonicalFlyway(r->version));
    } else if (IsFlywayBaseline(r->type)) {
      out.applied.insert(CanonicalFlyway(r->version));
      if (out.baseline.empty() || CompareFlywayVersions(r->version, out.baseline) > 0) {
        out.baseline = r->version;
      }
    } else if (absl::StartsWith(r->type, "UNDO_") || r->type == "DELETE") {
      out.applied.erase(CanonicalFlyway(r->version));
    }
  }
  return out;
}

// Recorded(), with Flyway's state computed once by the caller.
bool IsRecorded(const SourceHistory& history, const FlywayState& flyway,
                absl::string_view version) {
  switch (history.format) {
    case SourceFormat::kNone:
      return false;
    case SourceFormat::kDiesel:
      return history.diesel_versions.count(std::string(version)) > 0;
    case SourceFormat::kGolangMigrate: {
      uint64_t v = 0;
      if (!ParseGolangVersion(version, &v) || history.golang_rows.size() != 1) return false;
      const GolangRow& current = history.golang_rows[0];
      return !current.dirty && current.version >= 0 && v <= static_cast<uint64_t>(current.version);
    }
    case SourceFormat::kFlyway:
      if (absl::StartsWith(version, "R__"))
        return flyway.repeatables.count(std::string(version)) > 0;
      if (!flyway.baseline.empty() && CompareFlywayVersions(version, flyway.baseline) <= 0) {
        return true;
      }
      return flyway.applied.count(CanonicalFlyway(version)) > 0;
  }
  return false;
}

}  // namespace

absl::StatusOr<SourceFormat> ParseSourceFormat(absl::string_view text) {
  if (text == "none") return SourceFormat::kNone;
  if (text == "diesel") return SourceFormat::kDiesel;
  if (text == "golang-migrate") return SourceFormat::kGolangMigrate;
  if (text == "flyway") return SourceFormat::kFlyway;
  return Usage(absl::StrCat("--from must be diesel, golang-migrate, flyway or "
                            "none, got \"",
                            absl::CHexEscape(text), "\""),
               "BAD_SOURCE_FORMAT");
}

const char* SourceFormatName(SourceFormat format) {
  switch (format) {
    case SourceFormat::kNone:
      return "none";
    case SourceFormat::kDiesel:
      return "diesel";
    case SourceFormat::kGolangMigrate:
      return "golang-migrate";
    case SourceFormat::kFlyway:
      return "flyway";
  }
  return "none";
}

absl::StatusOr<SourceTable> SourceTable::Parse(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  SourceTable t;
  if (parts.size() == 1) {
    t.table = parts[0];
  } else if (parts.size() == 2) {
    t.schema = parts[0];
    t.table = parts[1];
  }
  if (parts.size() > 2 || !ValidIdent(t.schema) || !ValidIdent(t.table)) {
    return Usage(absl::StrCat("--source-history-table \"", absl::CHexEscape(text),
                              "\" must be [schema.]table (letters, digits, '_', "
                              "'$'; at most 63 bytes each)"),
                 "BAD_SOURCE_HISTORY_TABLE");
  }
  return t;
}

SourceTable SourceTable::Default(SourceFormat format) {
  SourceTable t;
  switch (format) {
    case SourceFormat::kDiesel:
      t.table = "__diesel_schema_migrations";
      break;
    case SourceFormat::kGolangMigrate:
      t.table = "schema_migrations";
      break;
    case SourceFormat::kFlyway:
      t.table = "flyway_schema_history";
      break;
    case SourceFormat::kNone:
      break;
  }
  return t;
}

std::string SourceTable::Display() const { return absl::StrCat(schema, ".", table); }

std::string SourceTable::CatalogName() const { return schema == "public" ? table : Display(); }

std::string SourceTable::Qualified() const {
  return absl::StrCat(QuoteIdent(schema), ".", QuoteIdent(table));
}

absl::StatusOr<SourceHistory> ReadSourceHistory(Connection* conn, SourceFormat format,
                                                const SourceTable& table) {
  SourceHistory out;
  out.format = format;
  out.table = table;
  if (format == SourceFormat::kNone) return out;
  const char* name = SourceFormatName(format);
  absl::StatusOr<Rows> exists =
      conn->Query("SELECT to_regclass($1) IS NOT NULL", {table.Qualified()});
  if (!exists.ok()) return exists.status();
  if (exists->Text(0, 0) != "t") {
    return errors::WithReason(
        errors::WithKind(absl::FailedPreconditionError(absl::StrCat(
                             "refusing to adopt: the ", name, " history table ", table.Display(),
                             " does not exist, so nothing proves which of the old "
                             "tool's migrations ran here; name it with "
                             "--source-history-table, or pass --from=none to vouch "
                             "for the schema yourself (it is still compared)")),
                         errors::ErrorKind::kIntegrity),
        "SOURCE_HISTORY_MISSING");
  }
  std::string sql;
  std::string shape;
  switch (format) {
    case SourceFormat::kDiesel:
      sql = absl::StrCat("SELECT version::text FROM ", table.Qualified());
      shape = "(version, run_on)";
      break;
    case SourceFormat::kGolangMigrate:
      sql = absl::StrCat("SELECT version::text, dirty::text FROM ", table.Qualified());
      shape = "(version bigint, dirty boolean)";
      break;
    case SourceFormat::kFlyway:
      sql = absl::StrCat(
          "SELECT installed_rank::text, version::text, description::text, "
          "type::text, success::text, script::text FROM ",
          table.Qualified(), " ORDER BY installed_rank");
      shape = "(installed_rank, version, description, type, script, ..., success)";
      break;
    case SourceFormat::kNone:
      return out;
  }
  absl::StatusOr<Rows> rows = conn->Query(sql);
  if (!rows.ok()) {
    if (rows.status().code() != absl::StatusCode::kInvalidArgument) {
      return rows.status();
    }
    return Usage(absl::StrCat(table.Display(), " is not a ", name, " history table ", shape, ": ",
                              rows.status().message()),
                 "SOURCE_HISTORY_SHAPE");
  }
  for (size_t i = 0; i < rows->rows.size(); ++i) {
    switch (format) {
      case SourceFormat::kDiesel:
        out.diesel_versions.insert(rows->Text(i, 0));
        break;
      case SourceFormat::kGolangMigrate: {
        GolangRow r;
        (void)absl::SimpleAtoi(rows->Text(i, 0), &r.version);
        r.dirty = rows->Text(i, 1) == "true" || rows->Text(i, 1) == "t";
        out.golang_rows.push_back(r);
        break;
      }
      case SourceFormat::kFlyway: {
        FlywayRow r;
        (void)absl::SimpleAtoi(rows->Text(i, 0), &r.installed_rank);
        r.version = rows->Text(i, 1);
        r.description = rows->Text(i, 2);
        r.type = rows->Text(i, 3);
        r.success = rows->Text(i, 4) == "true" || rows->Text(i, 4) == "t";
        r.script = rows->Text(i, 5);
        out.flyway_rows.push_back(std::move(r));
        break;
      }
      case SourceFormat::kNone:
        break;
    }
  }
  return out;
}

absl::Status CheckSourceHistory(const SourceHistory& history) {
  std::vector<errors::Violation> violations;
  std::string reason, message;
  const std::string where = history.table.Display();
  if (history.format == SourceFormat::kGolangMigrate) {
    if (history.golang_rows.size() > 1) {
      std::vector<std::string> versions;
      for (const GolangRow& r : history.golang_rows) versions.push_back(absl::StrCat(r.version));
      return errors::WithReason(
          errors::WithKind(
              absl::FailedPreconditionError(absl::StrCat(
                  "refusing to adopt: the golang-migrate history ", where, " holds ",
                  history.golang_rows.size(), " rows (versions ", absl::StrJoin(versions, ", "),
                  "); golang-migrate keeps exactly one, the current version, "
                  "so this is not its table or it was edited by hand")),
              errors::ErrorKind::kIntegrity),
          "SOURCE_HISTORY_INVALID");
    }
    for (const GolangRow& r : history.golang_rows) {
      if (!r.dirty) continue;
      reason = "SOURCE_HISTORY_DIRTY";
      message = absl::StrCat("refusing to adopt: the golang-migrate history ", where,
                             " is dirty at version ", r.version,
                             ": that migration failed half-way, so the schema is not what any "
                             "version describes; repair the schema by hand, then run `migrate "
                             "force <version>` (the last version that is fully applied) and adopt "
                             "again");
      violations.push_back({"SOURCE_HISTORY", absl::StrCat("golang-migrate ", r.version),
                            "dirty: a migration failed half-way; fix the schema and "
                            "run `migrate force <version>`"});
    }
  }
  if (history.format == SourceFormat::kFlyway) {
    std::vector<std::string> failed;
    for (const FlywayRow& r : history.flyway_rows) {
      if (r.success) continue;
      std::string what = r.version.empty()
                             ? absl::StrCat("repeatable \"", r.description, "\"")
                             : absl::StrCat("version ", r.version, " (", r.description, ")");
      failed.push_back(absl::StrCat(what, ", installed_rank ", r.installed_rank));
      violations.push_back(
          {"SOURCE_HISTORY", absl::StrCat("flyway ", r.version.empty() ? r.description : r.version),
           absl::StrCat("failed migration (", r.type, ", installed_rank ", r.installed_rank, ")")});
    }
    if (!failed.empty()) {
      reason = "SOURCE_HISTORY_FAILED";
      message = absl::StrCat("refusing to adopt: the Flyway history ", where,
                             " records failed migrations: ", absl::StrJoin(failed, "; "),
                             ". Flyway itself refuses to go on from there; fix the schema, "
                             "remove the failed rows with `flyway repair` and adopt again");
    }
  }
  if (violations.empty()) return absl::OkStatus();
  return errors::WithViolations(
      errors::WithReason(
          errors::WithKind(absl::FailedPreconditionError(message), errors::ErrorKind::kIntegrity),
          reason),
      violations);
}

int CompareFlywayVersions(absl::string_view a, absl::string_view b) {
  std::vector<absl::string_view> pa = FlywayParts(a), pb = FlywayParts(b);
  for (size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    // A missing part counts as 0 ("1" == "1.0", "1" < "1.1").
    absl::string_view x = i < pa.size() ? pa[i] : "0";
    absl::string_view y = i < pb.size() ? pb[i] : "0";
    bool nx = AllDigits(x) && !x.empty(), ny = AllDigits(y) && !y.empty();
    int c;
    if (nx && ny) {
      c = CompareNumbers(x, y);
    } else if (nx != ny) {
      c = nx ? -1 : 1;
    } else {
      c = x.compare(y) < 0 ? -1 : (x == y ? 0 : 1);
    }
    if (c != 0) return c;
  }
  return 0;
}

bool Recorded(const SourceHistory& history, absl::string_view version) {
  return IsRecorded(history, FlywayEffective(history.flyway_rows), version);
}

std::vector<MissingSource> Uncovered(const SourceHistory& history,
                                     const std::vector<const v1::Migration*>& migrations) {
  std::vector<MissingSource> out;
  const std::string format = SourceFormatName(history.format);
  const FlywayState flyway = FlywayEffective(history.flyway_rows);
  for (const v1::Migration* m : migrations) {
    for (const v1::ImportedFrom& from : m->imported_from()) {
      if (from.format() != format) continue;
      if (!IsRecorded(history, flyway, from.version())) {
        out.push_back({from.format(), from.version(), m->up_path()});
      }
    }
  }
  return out;
}

}  // namespace schemagate::migrate
