#include "server/migrate/history.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace schemagate::migrate {
namespace {

bool ValidIdent(absl::string_view s) {
  if (s.empty() || s.size() > 50) return false;
  if (!(absl::ascii_islower(s[0]) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_')) {
      return false;
    }
  }
  return true;
}

// {a,b} -> vector; the array_to_string form we select avoids quoting rules.
std::vector<std::string> SplitList(const std::string& s) {
  if (s.empty()) return {};
  return absl::StrSplit(s, ',');
}

}  // namespace

std::vector<ClusterRecord> ClusterRecords(const catalog::Catalog& catalog) {
  std::map<std::string, std::vector<std::string>> objects;
  for (const v1::Table& t : catalog.enabled().tables()) {
    objects[t.cluster()].push_back("table:" + t.name());
    for (const v1::Column& c : t.columns()) {
      if (c.cluster() != t.cluster()) {
        objects[c.cluster()].push_back(absl::StrCat("column:", t.name(), ".", c.name()));
      }
    }
    for (const v1::ForeignKey& fk : t.foreign_keys()) {
      objects[fk.cluster()].push_back(absl::StrCat("fk:", t.name(), ".", fk.name()));
    }
  }
  std::vector<ClusterRecord> out;
  for (const v1::Cluster& c : catalog.enabled().clusters()) {
    out.push_back({c.name(),
                   {c.depends_on().begin(), c.depends_on().end()},
                   {c.requires_features().begin(), c.requires_features().end()},
                   objects[c.name()]});
  }
  return out;
}

absl::StatusOr<HistoryName> HistoryName::Parse(absl::string_view text) {
  HistoryName n;
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  if (parts.size() == 1) {
    n.table = parts[0];
  } else if (parts.size() == 2) {
    n.schema = parts[0];
    n.table = parts[1];
  } else {
    parts.clear();
  }
  if (parts.empty() || !ValidIdent(n.schema) || !ValidIdent(n.table)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--history-table \"", text,
        "\" must be [schema.]table, lowercase letters, digits and '_', at most 50 each"));
  }
  // Migrators NOTIFY on "<schema>_<table>" and servers LISTEN on it. A
  // longer channel makes pg_notify fail every migration ("channel name too
  // long") while LISTEN silently truncates it, so servers never hear.
  if (n.Channel().size() > kMaxIdentifierBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--history-table \"", text, "\": the notification channel \"", n.Channel(),
        "\" (schema_table) is ", n.Channel().size(), " bytes; PostgreSQL identifiers hold at most ",
        kMaxIdentifierBytes, ": shorten the schema or table name"));
  }
  return n;
}

std::string HistoryName::Qualified(absl::string_view suffix) const {
  return absl::StrCat(QuoteIdent(schema), ".", QuoteIdent(absl::StrCat(table, suffix)));
}

int64_t HistoryName::LockKey() const {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : absl::StrCat("schemagate-lock:", schema, ".", table)) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return static_cast<int64_t>(hash);
}

std::string HistoryName::Channel() const { return absl::StrCat(schema, "_", table); }

absl::StatusOr<bool> History::Exists() {
  absl::StatusOr<Rows> r = conn_->Query("SELECT to_regclass($1) IS NOT NULL", {name_.Qualified()});
  if (!r.ok()) return r.status();
  return r->Text(0, 0) == "t";
}

absl::Status History::Ensure() {
  const std::string t = name_.Qualified();
  std::string sql =
      absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", QuoteIdent(name_.schema), ";\n",
                   "CREATE TABLE IF NOT EXISTS ", t,
                   " (\n"
                   "  cluster        text        NOT NULL,\n"
                   "  version        bigint      NOT NULL,\n"
                   "  name           text        NOT NULL,\n"
                   "  checksum       text        NOT NULL,\n"
                   "  down_sql       text        NOT NULL,\n"
                   "  no_transaction boolean     NOT NULL DEFAULT false,\n"
                   "  applied_at     timestamptz NOT NULL DEFAULT now(),\n"
                   "  duration_ms    bigint      NOT NULL DEFAULT 0,\n"
                   "  applied_by     text        NOT NULL DEFAULT '',\n"
                   "  seq            bigserial   NOT NULL,\n"
                   "  PRIMARY KEY (cluster, version)\n);\n",
                   "COMMENT ON TABLE ", t,
                   " IS 'schemagate migration history (format 1): one row per applied "
                   "migration';\n",
                   "CREATE TABLE IF NOT EXISTS ", name_.Qualified("_clusters"),
                   " (\n"
                   "  cluster           text        PRIMARY KEY,\n"
                   "  depends_on        text[]      NOT NULL DEFAULT '{}',\n"
                   "  requires_features text[]      NOT NULL DEFAULT '{}',\n"
                   "  objects           text[]      NOT NULL DEFAULT '{}',\n"
                   "  updated_at        timestamptz NOT NULL DEFAULT now()\n);\n",
                   "CREATE TABLE IF NOT EXISTS ", name_.Qualified("_in_progress"),
                   " (\n"
                   "  cluster    text        NOT NULL,\n"
                   "  version    bigint      NOT NULL,\n"
                   "  name       text        NOT NULL,\n"
                   "  down_sql   text        NOT NULL,\n"
                   "  started_at timestamptz NOT NULL DEFAULT now(),\n"
                   "  action     text        NOT NULL DEFAULT 'apply',\n"
                   "  journal    text[],\n"
                   "  PRIMARY KEY (cluster, version)\n);\n",
                   // Added in format 1.1 (older tables get them: journal NULL, "unknown").
                   "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE "
                   "attrelid = ",
                   QuoteLiteral(name_.Qualified("_in_progress")),
                   "::regclass AND attname = 'journal' AND NOT attisdropped) THEN ALTER TABLE ",
                   name_.Qualified("_in_progress"),
                   " ADD COLUMN IF NOT EXISTS action text NOT NULL DEFAULT 'apply', "
                   "ADD COLUMN IF NOT EXISTS journal text[]; END IF; END $$;\n",
                   "CREATE TABLE IF NOT EXISTS ", name_.Qualified("_log"),
                   " (\n"
                   "  id      bigserial   PRIMARY KEY,\n"
                   "  at      timestamptz NOT NULL DEFAULT now(),\n"
                   "  action  text        NOT NULL,\n"
                   "  cluster text        NOT NULL,\n"
                   "  version bigint      NOT NULL,\n"
                   "  detail  text        NOT NULL DEFAULT '',\n"
                   "  by      text        NOT NULL DEFAULT ''\n);\n",
                   "CREATE TABLE IF NOT EXISTS ", name_.Qualified("_adoptions"),
                   " (\n"
                   "  id            bigserial   PRIMARY KEY,\n"
                   "  at            timestamptz NOT NULL DEFAULT now(),\n"
                   "  by            text        NOT NULL DEFAULT '',\n"
                   "  source_format text        NOT NULL,\n"
                   "  source_table  text        NOT NULL DEFAULT '',\n"
                   "  clusters      text[]      NOT NULL DEFAULT '{}'\n);\n");
  return conn_->Execute(sql);
}

absl::StatusOr<std::vector<AppliedMigration>> History::ReadApplied() {
  absl::StatusOr<bool> exists = Exists();
  if (!exists.ok()) return exists.status();
  std::vector<AppliedMigration> out;
  if (!*exists) return out;
  absl::StatusOr<Rows> r = conn_->Query(
      absl::StrCat("SELECT cluster, version, name, checksum, down_sql, no_transaction, "
                   "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                   "duration_ms, applied_by, seq FROM ",
                   name_.Qualified(), " ORDER BY seq"));
  if (!r.ok()) return r.status();
  out.reserve(r->rows.size());
  for (size_t i = 0; i < r->rows.size(); ++i) {
    AppliedMigration m;
    m.cluster = r->Text(i, 0);
    (void)absl::SimpleAtoi(r->Text(i, 1), &m.version);
    m.name = r->Text(i, 2);
    m.checksum = r->Text(i, 3);
    m.down_sql = r->Text(i, 4);
    m.no_transaction = r->Text(i, 5) == "t";
    m.applied_at = r->Text(i, 6);
    (void)absl::SimpleAtoi(r->Text(i, 7), &m.duration_ms);
    m.applied_by = r->Text(i, 8);
    (void)absl::SimpleAtoi(r->Text(i, 9), &m.seq);
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<bool> History::MatchesAppliedDigest(const std::string& digest) {
  // The same text as catalog::AppliedSetDigest hashes: "C" collation for
  // the byte order of cluster names.
  absl::StatusOr<Rows> r = conn_->Query(
      absl::StrCat("SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to("
                   "pg_catalog.string_agg(cluster || ' ' || version || ' ' || checksum, E'\\n' "
                   "ORDER BY cluster COLLATE \"C\", version), 'UTF8')), 'hex') = $1 "
                   "AND NOT EXISTS (SELECT 1 FROM ",
                   name_.Qualified("_in_progress"), ") FROM ", name_.Qualified()),
      {digest});
  if (!r.ok()) {
    if (r.status().code() == absl::StatusCode::kUnavailable) return r.status();
    return false;
  }
  return r->Text(0, 0) == "t";
}

absl::Status History::Insert(const AppliedMigration& m) {
  return conn_
      ->Query(absl::StrCat("INSERT INTO ", name_.Qualified(),
                           " (cluster, version, name, checksum, down_sql, "
                           "no_transaction, duration_ms, applied_by) VALUES "
                           "($1, $2, $3, $4, $5, $6, $7, $8)"),
              {m.cluster, absl::StrCat(m.version), m.name, m.checksum, m.down_sql,
               m.no_transaction ? "true" : "false", absl::StrCat(m.duration_ms), m.applied_by})
      .status();
}

namespace {
// Rows travel as one jsonb parameter (jsonb_to_recordset): one round trip
// and no quoting of SQL text. Invalid UTF-8 (which PostgreSQL would refuse
// as text anyway) is replaced rather than thrown.
std::string JsonParam(const nlohmann::json& rows) {
  return rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

absl::Status History::InsertMany(const std::vector<AppliedMigration>& rows) {
  if (rows.empty()) return absl::OkStatus();
  nlohmann::json list = nlohmann::json::array();
  for (const AppliedMigration& m : rows) {
    list.push_back({{"cluster", m.cluster},
                    {"version", m.version},
                    {"name", m.name},
                    {"checksum", m.checksum},
                    {"down_sql", m.down_sql},
                    {"no_transaction", m.no_transaction},
                    {"duration_ms", m.duration_ms},
                    {"applied_by", m.applied_by}});
  }
  return conn_
      ->Query(
          absl::StrCat("INSERT INTO ", name_.Qualified(),
                       " (cluster, version, name, checksum, down_sql, no_transaction, "
                       "duration_ms, applied_by) SELECT j->>'cluster', (j->>'version')::bigint, "
                       "j->>'name', j->>'checksum', j->>'down_sql', "
                       "(j->>'no_transaction')::boolean, (j->>'duration_ms')::bigint, "
                       "j->>'applied_by' FROM jsonb_array_elements($1::jsonb) WITH "
                       "ORDINALITY AS e(j, n) ORDER BY n"),
          {JsonParam(list)})
      .status();
}

std::string History::RecordAppliedSql(const AppliedMigration& m, const std::string& log_detail,
                                      const std::string& notify_payload) const {
  const std::string version = absl::StrCat(m.version);
  // One statement: the row, the log entry and the notification.
  return absl::StrCat(
      "WITH applied AS (INSERT INTO ", name_.Qualified(),
      " (cluster, version, name, checksum, down_sql, no_transaction, duration_ms, "
      "applied_by) VALUES (",
      QuoteLiteral(m.cluster), ", ", version, ", ", QuoteLiteral(m.name), ", ",
      QuoteLiteral(m.checksum), ", ", QuoteLiteral(m.down_sql), ", ",
      m.no_transaction ? "true" : "false", ", ",
      m.duration_ms >= 0
          ? absl::StrCat(m.duration_ms)
          : std::string("pg_catalog.floor(EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - "
                        "pg_catalog.now()) * 1000)::bigint"),
      ", ", QuoteLiteral(m.applied_by), ") RETURNING 1), logged AS (INSERT INTO ",
      name_.Qualified("_log"), " (action, cluster, version, detail, by) VALUES ('apply', ",
      QuoteLiteral(m.cluster), ", ", version, ", ", QuoteLiteral(log_detail), ", ",
      QuoteLiteral(m.applied_by), ") RETURNING 1) SELECT pg_catalog.pg_notify(",
      QuoteLiteral(name_.Channel()), ", ", QuoteLiteral(notify_payload), ") FROM applied, logged");
}

absl::Status History::Delete(const std::string& cluster, uint64_t version) {
  return conn_
      ->Query(
          absl::StrCat("DELETE FROM ", name_.Qualified(), " WHERE cluster = $1 AND version = $2"),
          {cluster, absl::StrCat(version)})
      .status();
}

absl::Status History::UpdateChecksum(const std::string& cluster, uint64_t version,
                                     const std::string& checksum, const std::string& name,
                                     const std::string& down_sql) {
  return conn_
      ->Query(absl::StrCat("UPDATE ", name_.Qualified(),
                           " SET checksum = $3, name = $4, down_sql = $5 "
                           "WHERE cluster = $1 AND version = $2"),
              {cluster, absl::StrCat(version), checksum, name, down_sql})
      .status();
}

absl::StatusOr<std::vector<ClusterRecord>> History::ReadClusters() {
  std::vector<ClusterRecord> out;
  absl::StatusOr<bool> exists = Exists();
  if (!exists.ok()) return exists.status();
  if (!*exists) return out;
  absl::StatusOr<Rows> r = conn_->Query(
      absl::StrCat("SELECT cluster, array_to_string(depends_on, ','), "
                   "array_to_string(requires_features, ','), array_to_string(objects, ',') "
                   "FROM ",
                   name_.Qualified("_clusters"), " ORDER BY cluster"));
  if (!r.ok()) return r.status();
  for (size_t i = 0; i < r->rows.size(); ++i) {
    out.push_back({r->Text(i, 0), SplitList(r->Text(i, 1)), SplitList(r->Text(i, 2)),
                   SplitList(r->Text(i, 3))});
  }
  return out;
}

absl::Status History::UpsertClusters(const std::vector<ClusterRecord>& clusters) {
  if (clusters.empty()) return absl::OkStatus();
  // One statement for every cluster: one round trip and, outside a
  // transaction, one commit (one WAL flush) instead of one per cluster.
  const std::string t = name_.Qualified("_clusters");
  std::vector<std::string> params;
  std::string values;
  for (const ClusterRecord& c : clusters) {
    const size_t n = params.size();
    absl::StrAppend(&values, values.empty() ? "" : ", ", "($", n + 1,
                    ", COALESCE(string_to_array(NULLIF($", n + 2, ", ''), ','), '{}'), ",
                    "COALESCE(string_to_array(NULLIF($", n + 3, ", ''), ','), '{}'), ",
                    "COALESCE(string_to_array(NULLIF($", n + 4, ", ''), ','), '{}'))");
    params.push_back(c.name);
    params.push_back(absl::StrJoin(c.depends_on, ","));
    params.push_back(absl::StrJoin(c.requires_features, ","));
    params.push_back(absl::StrJoin(c.objects, ","));
  }
  return conn_
      ->Query(absl::StrCat("INSERT INTO ", t,
                           " (cluster, depends_on, requires_features, objects) VALUES ", values,
                           " ON CONFLICT (cluster) DO UPDATE SET "
                           "depends_on = EXCLUDED.depends_on, requires_features = "
                           "EXCLUDED.requires_features, objects = EXCLUDED.objects, "
                           "updated_at = now() WHERE (",
                           t, ".depends_on, ", t, ".requires_features, ", t,
                           ".objects) IS DISTINCT FROM (EXCLUDED.depends_on, "
                           "EXCLUDED.requires_features, EXCLUDED.objects)"),
              params)
      .status();
}

absl::Status History::DeleteCluster(const std::string& cluster) {
  return conn_
      ->Query(absl::StrCat("DELETE FROM ", name_.Qualified("_clusters"), " WHERE cluster = $1"),
              {cluster})
      .status();
}

absl::StatusOr<std::vector<InProgress>> History::ReadInProgress() {
  std::vector<InProgress> out;
  absl::StatusOr<Rows> r =
      conn_->Query(absl::StrCat("SELECT cluster, version, name, down_sql, action, journal IS NULL, "
                                "array_to_string(journal, E'\\x1e') FROM ",
                                name_.Qualified("_in_progress"), " ORDER BY started_at DESC"));
  if (!r.ok()) return r.status();
  for (size_t i = 0; i < r->rows.size(); ++i) {
    InProgress p;
    p.cluster = r->Text(i, 0);
    (void)absl::SimpleAtoi(r->Text(i, 1), &p.version);
    p.name = r->Text(i, 2);
    p.down_sql = r->Text(i, 3);
    p.action = r->Text(i, 4);
    if (r->Text(i, 5) == "t") {
      p.journal = std::nullopt;
    } else if (!r->Text(i, 6).empty()) {
      p.journal = absl::StrSplit(r->Text(i, 6), '\x1e');
    }
    out.push_back(std::move(p));
  }
  return out;
}

absl::Status History::MarkInProgress(const InProgress& m) {
  return conn_
      ->Query(absl::StrCat("INSERT INTO ", name_.Qualified("_in_progress"),
                           " (cluster, version, name, down_sql, action, journal) VALUES "
                           "($1, $2, $3, $4, $5, '{}') ON CONFLICT (cluster, version) DO "
                           "NOTHING"),
              {m.cluster, absl::StrCat(m.version), m.name, m.down_sql, m.action})
      .status();
}

absl::Status History::AppendJournal(const std::string& cluster, uint64_t version,
                                    const std::vector<std::string>& entries) {
  for (const std::string& e : entries) {
    absl::Status s =
        conn_
            ->Query(absl::StrCat("UPDATE ", name_.Qualified("_in_progress"),
                                 " SET journal = array_append(COALESCE(journal, '{}'), $3) "
                                 "WHERE cluster = $1 AND version = $2"),
                    {cluster, absl::StrCat(version), e})
            .status();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status History::ClearInProgress(const std::string& cluster, uint64_t version) {
  return conn_
      ->Query(absl::StrCat("DELETE FROM ", name_.Qualified("_in_progress"),
                           " WHERE cluster = $1 AND version = $2"),
              {cluster, absl::StrCat(version)})
      .status();
}

absl::StatusOr<std::vector<Adoption>> History::ReadAdoptions() {
  std::vector<Adoption> out;
  absl::StatusOr<Rows> exists =
      conn_->Query("SELECT to_regclass($1) IS NOT NULL", {name_.Qualified("_adoptions")});
  if (!exists.ok()) return exists.status();
  if (exists->Text(0, 0) != "t") return out;
  absl::StatusOr<Rows> r = conn_->Query(
      absl::StrCat("SELECT source_format, source_table, array_to_string(clusters, ','), "
                   "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), by FROM ",
                   name_.Qualified("_adoptions"), " ORDER BY id"));
  if (!r.ok()) return r.status();
  for (size_t i = 0; i < r->rows.size(); ++i) {
    out.push_back(
        {r->Text(i, 0), r->Text(i, 1), SplitList(r->Text(i, 2)), r->Text(i, 3), r->Text(i, 4)});
  }
  return out;
}

absl::Status History::RecordAdoption(const Adoption& a) {
  return conn_
      ->Query(absl::StrCat("INSERT INTO ", name_.Qualified("_adoptions"),
                           " (source_format, source_table, clusters, by) VALUES ($1, "
                           "$2, COALESCE(string_to_array(NULLIF($3, ''), ','), "
                           "'{}'), $4)"),
              {a.source_format, a.source_table, absl::StrJoin(a.clusters, ","), a.by})
      .status();
}

absl::Status History::Log(const std::string& action, const std::string& cluster, uint64_t version,
                          const std::string& detail, const std::string& by) {
  return conn_
      ->Query(absl::StrCat("INSERT INTO ", name_.Qualified("_log"),
                           " (action, cluster, version, detail, by) VALUES "
                           "($1, $2, $3, $4, $5)"),
              {action, cluster, absl::StrCat(version), detail, by})
      .status();
}

absl::Status History::LogMany(const std::vector<LogEntry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  nlohmann::json list = nlohmann::json::array();
  for (const LogEntry& e : entries) {
    list.push_back({{"action", e.action},
                    {"cluster", e.cluster},
                    {"version", e.version},
                    {"detail", e.detail},
                    {"by", e.by}});
  }
  return conn_
      ->Query(absl::StrCat("INSERT INTO ", name_.Qualified("_log"),
                           " (action, cluster, version, detail, by) SELECT "
                           "j->>'action', j->>'cluster', (j->>'version')::bigint, "
                           "j->>'detail', j->>'by' FROM jsonb_array_elements($1::jsonb) "
                           "WITH ORDINALITY AS e(j, n) ORDER BY n"),
              {JsonParam(list)})
      .status();
}

absl::Status History::Notify(const std::string& payload) {
  return conn_->Query("SELECT pg_notify($1, $2)", {name_.Channel(), payload}).status();
}

}  // namespace schemagate::migrate
