#include "server/migrate/plan_locks.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/catalog/catalog.h"
#include "server/util/errors.h"
#include "server/util/human.h"

namespace schemagate::migrate {
namespace {

constexpr char kSeparator = '\x1f';

// One row per wanted name: exists, estimated rows, bytes. Each leaf of a
// partition tree (a plain table is its own only leaf) counts reltuples
// scaled to its current page count, as the planner does; a table with
// pages that was never analyzed or vacuumed (or was empty then) counts the
// statistics collector's live tuples, which lag its writers by up to a
// second or so (and are not used otherwise: a backend's unflushed inserts
// are added again after its own ANALYZE).
constexpr char kSizesQuery[] = R"sql(
WITH wanted AS (
  SELECT w.name,
         CASE WHEN strpos(w.name, '.') > 0 THEN split_part(w.name, '.', 1) ELSE 'public' END AS nsp,
         CASE WHEN strpos(w.name, '.') > 0 THEN substr(w.name, strpos(w.name, '.') + 1)
              ELSE w.name END AS rel
  FROM unnest(string_to_array($1, E'\x1f')) AS w(name)),
found AS (
  SELECT w.name, c.oid, c.relkind
  FROM wanted w
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = w.nsp
  LEFT JOIN pg_catalog.pg_class c
    ON c.relnamespace = n.oid AND c.relname = w.rel AND c.relkind IN ('r', 'p', 'm')),
leaves AS (
  SELECT f.name, f.oid AS relid FROM found f WHERE f.relkind IN ('r', 'm')
  UNION ALL
  SELECT f.name, pt.relid FROM found f, pg_catalog.pg_partition_tree(f.oid) pt
  WHERE f.relkind = 'p' AND pt.isleaf)
SELECT f.name, f.oid IS NOT NULL,
  COALESCE((SELECT sum(
               CASE WHEN pc.reltuples >= 0 AND pc.relpages > 0
                    THEN pc.reltuples / pc.relpages *
                         (pg_catalog.pg_relation_size(pc.oid) /
                          pg_catalog.current_setting('block_size')::float8)
                    WHEN pg_catalog.pg_relation_size(pc.oid) = 0 THEN 0
                    ELSE COALESCE(pg_catalog.pg_stat_get_live_tuples(pc.oid), 0) END)::bigint
            FROM leaves l JOIN pg_catalog.pg_class pc ON pc.oid = l.relid
            WHERE l.name = f.name), 0),
  COALESCE((SELECT sum(pg_catalog.pg_total_relation_size(l.relid))::bigint
            FROM leaves l WHERE l.name = f.name), 0)
FROM found f
)sql";

}  // namespace

std::string DescribeSize(const LiveTableSize& size) {
  if (!size.exists) return "not created yet";
  return absl::StrCat(human::Rows(size.rows), ", ", human::Bytes(size.bytes));
}

absl::StatusOr<std::map<std::string, LiveTableSize>> ReadTableSizes(
    Connection* conn, const std::vector<std::string>& tables) {
  std::map<std::string, LiveTableSize> out;
  std::vector<std::string> names;
  for (const std::string& t : tables) {
    if (t.empty() || t.find(kSeparator) != std::string::npos) {
      out[t] = LiveTableSize{};  // no such relation can exist
      continue;
    }
    names.push_back(t);
  }
  if (names.empty()) return out;
  absl::StatusOr<migrate::Rows> rows =
      conn->Query(kSizesQuery, {absl::StrJoin(names, std::string(1, kSeparator))});
  if (!rows.ok()) return rows.status();
  for (size_t r = 0; r < rows->rows.size(); ++r) {
    LiveTableSize size;
    size.exists = rows->Text(r, 1) == "t";
    (void)absl::SimpleAtoi(rows->Text(r, 2), &size.rows);
    (void)absl::SimpleAtoi(rows->Text(r, 3), &size.bytes);
    out[rows->Text(r, 0)] = size;
  }
  return out;
}

absl::StatusOr<std::vector<PlannedLock>> PlanLocks(
    Connection* conn, const std::vector<const v1::Migration*>& pending) {
  std::set<std::string> tables;
  for (const v1::Migration* m : pending) {
    for (const v1::TableLock& l : m->locks()) tables.insert(l.table());
  }
  absl::StatusOr<std::map<std::string, LiveTableSize>> sizes =
      ReadTableSizes(conn, std::vector<std::string>(tables.begin(), tables.end()));
  if (!sizes.ok()) return sizes.status();
  std::vector<PlannedLock> out;
  for (const v1::Migration* m : pending) {
    for (const v1::TableLock& l : m->locks()) {
      PlannedLock p;
      p.migration = m;
      p.lock = l;
      if (auto it = sizes->find(l.table()); it != sizes->end()) p.size = it->second;
      out.push_back(std::move(p));
    }
  }
  return out;
}

absl::Status CheckBlockingRows(const std::vector<PlannedLock>& locks, int64_t max_rows) {
  if (max_rows < 0) return absl::OkStatus();
  std::vector<std::string> problems;
  std::vector<errors::Violation> violations;
  for (const PlannedLock& p : locks) {
    if (!p.lock.blocking() || p.lock.acknowledged() || p.lock.rule().empty()) continue;
    if (!p.size.exists || p.size.rows <= max_rows) continue;
    const std::string where = absl::StrCat(p.migration->up_path(), ":", p.lock.line());
    const std::string what =
        absl::StrCat(p.lock.lock(), " on ", p.lock.table(), " (", DescribeSize(p.size), ") by ",
                     p.lock.statement(), " [", p.lock.rule(), "]");
    problems.push_back(absl::StrCat(where, ": ", what));
    violations.push_back({"BLOCKING_LOCK",
                          absl::StrCat(catalog::MigrationPath(*p.migration), " ", p.lock.table()),
                          absl::StrCat(where, ": ", what, ": ", p.lock.message())});
  }
  if (problems.empty()) return absl::OkStatus();
  return errors::WithViolations(
      errors::WithReason(
          errors::WithKind(
              absl::FailedPreconditionError(absl::StrCat(
                  "refusing to migrate: ", problems.size(),
                  " unacknowledged blocking lock(s) on tables above --max-blocking-rows=", max_rows,
                  ": ", absl::StrJoin(problems, "; "),
                  ". Rewrite the migration the safe way (docs/LINT.md), acknowledge "
                  "it with -- schemagate:allow <rule> <reason>, or raise the limit. "
                  "Nothing was run")),
              errors::ErrorKind::kMigrationFailed),
          "BLOCKING_LOCK_ON_LARGE_TABLE"),
      violations);
}

}  // namespace schemagate::migrate
