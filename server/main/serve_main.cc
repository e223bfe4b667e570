// schemagate-server: `schemagate serve`, the long-running gRPC service.
// (`schemagate serve ...` execs this binary: it links gRPC, which the
// one-shot commands do not need to load.) This file only parses flags and
// wires components (server/rpc/server.h).
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/stubs/logging.h"
#include "server/main/common.h"
#include "server/main/fleet_flags.h"
#include "server/rpc/server.h"
#include "server/util/cli.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace {

// Protobuf's own log lines (e.g. "String field contains invalid UTF-8")
// go through our logger at debug level: they describe bad requests, which
// are answered with INVALID_ARGUMENT anyway.
void ProtobufLog(google::protobuf::LogLevel level, const char* file, int line,
                 const std::string& message) {
  schemagate::log::Log(level >= google::protobuf::LOGLEVEL_ERROR ? schemagate::log::Level::kDebug
                                                                 : schemagate::log::Level::kDebug,
                       "protobuf: " + message, {{"at", absl::StrCat(file, ":", line)}});
}

int Serve(const std::vector<std::string>& args) {
  using namespace schemagate;
  commands::CommonFlags common;
  commands::DatabaseFlags db;
  rpc::ServerOptions options;
  std::string lock_mode = "session";
  int64_t max_message = options.max_message_bytes;
  int64_t workers = options.workers, pool = options.db_pool;
  int64_t max_watches = options.limits.max_watches;
  int64_t cache_bytes = static_cast<int64_t>(options.limits.response_cache_bytes);
  int64_t max_query = static_cast<int64_t>(options.limits.max_query_bytes);
  int64_t max_parse = static_cast<int64_t>(options.max_parse_bytes);
  int64_t parse_workers = static_cast<int64_t>(options.parse_workers);
  int64_t grpc_memory = static_cast<int64_t>(options.grpc_memory_bytes);
  commands::TargetSetFlags targets;
  int64_t fleet_pollers = static_cast<int64_t>(options.fleet.pollers);
  int64_t fleet_listeners = static_cast<int64_t>(options.fleet.listeners);
  cli::FlagSet flags("schemagate serve",
                     "Serves schemagate.v1.SchemaGate over gRPC: cluster and table checks "
                     "from memory, joins, queries, migration status and (with the admin "
                     "token) apply/rollback/repair; the standard health service with "
                     "\"\" and \"schemagate.v1.SchemaGate\" (all enabled clusters migrated), "
                     "\"schemagate.cluster.<name>\" (one cluster), \"schemagate.readiness\" "
                     "(this replica answers the API: for readiness probes; a database outage "
                     "does not take it out of the Service), \"schemagate.liveness\" "
                     "(the process serves, whatever the database) and, with --migrate-on-start, "
                     "\"schemagate.migrate_on_start\"; "
                     "server reflection. SIGTERM drains in-flight RPCs and exits 0. With --targets "
                     "it serves a fleet too: many databases (a database per tenant, shards), each "
                     "with its own features, named by every request's target_id, each with its "
                     "health \"schemagate.target.<id>\" (docs/FLEETS.md); SIGHUP reads the target "
                     "set again.");
  flags.String("listen", &options.listen, "HOST:PORT to serve on (port 0 picks one)",
               "SCHEMAGATE_LISTEN");
  flags.String("admin-listen", &options.admin_listen,
               "serve the admin RPCs only on this HOST:PORT (then refused on --listen)",
               "SCHEMAGATE_ADMIN_LISTEN");
  flags.String("port-file", &options.port_file,
               "write the bound ports (\"main admin\", then the metrics port with "
               "--metrics-listen) to this file");
  flags.String("metrics-listen", &options.metrics_listen,
               "serve Prometheus metrics at http://HOST:PORT/metrics (off by default; "
               "port 0 picks one)",
               "SCHEMAGATE_METRICS_LISTEN");
  db.Register(flags);
  common.Register(flags);
  targets.Register(flags);
  flags.Duration("targets-refresh", &options.targets_refresh,
                 "read the target set again this often (and on SIGHUP)",
                 "SCHEMAGATE_TARGETS_REFRESH");
  flags.Int("fleet-pollers", &fleet_pollers,
            "targets: threads (one connection each) that re-read the targets in turn",
            "SCHEMAGATE_FLEET_POLLERS");
  flags.Int("fleet-listeners", &fleet_listeners,
            "targets: LISTEN connections, for the targets clients watch or used last "
            "(changes seen within milliseconds)",
            "SCHEMAGATE_FLEET_LISTENERS");
  flags.Duration("fleet-poll-interval", &options.fleet.poll_interval,
                 "targets: re-read each polled target at most this often",
                 "SCHEMAGATE_FLEET_POLL_INTERVAL");
  flags.Duration("fleet-hot-for", &options.fleet.hot_for,
                 "targets: a target an RPC named is a candidate for a LISTEN connection "
                 "this long",
                 "SCHEMAGATE_FLEET_HOT_FOR");
  flags.String("admin-token-file", &options.admin_token_file,
               "file holding the admin bearer token (re-read when it changes); "
               "without it admin RPCs are refused",
               "SCHEMAGATE_ADMIN_TOKEN_FILE");
  flags.Bool("insecure-admin", &options.insecure_admin,
             "allow admin RPCs without a token (loopback listeners only)");
  flags.String("tls-cert", &options.tls_cert, "PEM certificate chain: serve TLS only",
               "SCHEMAGATE_TLS_CERT");
  flags.String("tls-key", &options.tls_key, "PEM private key", "SCHEMAGATE_TLS_KEY");
  flags.String("tls-client-ca", &options.tls_client_ca,
               "PEM CA bundle: require and verify client certificates", "SCHEMAGATE_TLS_CLIENT_CA");
  flags.Bool("migrate-on-start", &options.migrate_on_start,
             "apply pending migrations in the background at start (health is "
             "NOT_SERVING until the database is up to date)");
  flags.Duration("lock-wait-timeout", &options.engine.lock_wait_timeout,
                 "for apply: give up if another migrator holds the lock this long");
  flags.Duration("lock-timeout", &options.engine.lock_timeout,
                 "for apply: PostgreSQL lock_timeout of each migration");
  flags.String("lock-mode", &lock_mode,
               "for apply: session (default) or transaction (through PgBouncer "
               "transaction pooling; no-transaction migrations refused)",
               "SCHEMAGATE_LOCK_MODE");
  flags.Int("max-blocking-rows", &options.engine.max_blocking_rows,
            "for apply (and --migrate-on-start): refuse a plan with an unacknowledged "
            "blocking lock-lint finding on a table of more estimated rows than this, "
            "before taking any lock; -1: no limit",
            "SCHEMAGATE_MAX_BLOCKING_ROWS");
  flags.Int("max-message-bytes", &max_message, "largest request or response");
  flags.Int("max-query-bytes", &max_query,
            "ValidateQuery: the largest SQL accepted (a parse may cost ~400x its size "
            "in memory); larger is RESOURCE_EXHAUSTED");
  flags.Int("max-parse-bytes", &max_parse,
            "ValidateQuery: bytes of SQL being parsed or queued at once, all callers "
            "together (bounds the parses' memory); more is RESOURCE_EXHAUSTED (retry "
            "later)");
  flags.Int("parse-workers", &parse_workers,
            "ValidateQuery: threads that parse large SQL (how many parses run at once)");
  flags.Int("grpc-memory-bytes", &grpc_memory,
            "memory gRPC may hold for connections and requests in flight (a resource "
            "quota: under pressure it reads slower, at worst closes connections); 0 "
            "for no bound");
  flags.Int("max-watches", &max_watches,
            "open WatchClusters streams at most (more are RESOURCE_EXHAUSTED)");
  flags.Duration("statement-timeout", &options.statement_timeout,
                 "statement_timeout of the server's own reads (state monitor, status, "
                 "plan, verify), also enforced on the client side (+2s) against silent "
                 "network partitions; migrations are not bound by it (0: none)",
                 "SCHEMAGATE_STATEMENT_TIMEOUT");
  flags.Duration("poll-interval", &options.poll_interval,
                 "re-read the migration history at least this often (LISTEN/NOTIFY "
                 "wakes it sooner)");
  flags.Duration("shutdown-grace", &options.shutdown_grace,
                 "on SIGTERM, wait this long for in-flight RPCs");
  flags.Int("workers", &workers, "threads for database work");
  flags.Int("db-pool", &pool, "idle database connections kept for RPCs");
  flags.Int("response-cache-bytes", &cache_bytes,
            "memory for answers of ListClusters, CheckTables, ValidateJoin and "
            "ValidateQuery kept for repeated requests until the migration state "
            "changes (0: none)");
  flags.SetEpilog(
      "Exit codes: 0 stopped by SIGTERM/SIGINT after draining; 2 bad usage "
      "(flags, --insecure-admin on a non-loopback listener, unreadable TLS or "
      "token files); 3 cannot bind the listen address (or --metrics-listen).\n"
      "The database may be down at start: the server serves, reports "
      "NOT_SERVING, and reconnects with backoff.\n");
  if (int code = flags.Finish(flags.Parse(args), 0, exit_codes::kUsage); code >= 0) {
    return code;
  }
  const std::string cmd = "schemagate serve";
  if (absl::Status s = common.Apply(); !s.ok()) return commands::Fail(cmd, s);
  google::protobuf::SetLogHandler(&ProtobufLog);
  // Debian's Abseil is built with deadlock detection on: it records every
  // lock acquisition in a graph (measured: ~9% of the server's CPU under
  // load, inside gRPC's own mutexes). Lock order is covered by the TSan
  // build instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (lock_mode != "session" && lock_mode != "transaction") {
    return commands::Fail(
        cmd,
        errors::WithKind(absl::InvalidArgumentError("--lock-mode must be session or transaction"),
                         errors::ErrorKind::kUsage));
  }
  options.engine.lock_mode =
      lock_mode == "transaction" ? migrate::LockMode::kTransaction : migrate::LockMode::kSession;
  if (max_message < 1024 || workers < 1 || pool < 0 || max_watches < 0 || max_watches > 1000000 ||
      max_query < 1 || max_parse < max_query || parse_workers < 1 || grpc_memory < 0 ||
      cache_bytes < 0 || fleet_pollers < 1 || fleet_listeners < 0 ||
      options.fleet.poll_interval <= absl::ZeroDuration() ||
      options.targets_refresh <= absl::ZeroDuration()) {
    return commands::Fail(
        cmd, errors::WithKind(absl::InvalidArgumentError("--max-message-bytes >= 1024, "
                                                         "--workers >= 1, --db-pool >= 0, "
                                                         "0 <= --max-watches <= 1000000, "
                                                         "--max-query-bytes >= 1, "
                                                         "--max-parse-bytes >= --max-query-bytes, "
                                                         "--parse-workers >= 1, "
                                                         "--grpc-memory-bytes >= 0, "
                                                         "--response-cache-bytes >= 0, "
                                                         "--fleet-pollers >= 1, "
                                                         "--fleet-listeners >= 0, "
                                                         "--fleet-poll-interval > 0, "
                                                         "--targets-refresh > 0"),
                              errors::ErrorKind::kUsage));
  }
  options.limits.max_query_bytes = static_cast<size_t>(max_query);
  options.max_parse_bytes = static_cast<size_t>(max_parse);
  options.parse_workers = static_cast<size_t>(parse_workers);
  options.grpc_memory_bytes = static_cast<size_t>(grpc_memory);
  options.max_message_bytes = static_cast<int>(max_message);
  options.workers = static_cast<size_t>(workers);
  options.db_pool = static_cast<size_t>(pool);
  options.limits.max_watches = static_cast<int>(max_watches);
  options.limits.response_cache_bytes = static_cast<size_t>(cache_bytes);
  options.fleet.pollers = static_cast<size_t>(fleet_pollers);
  options.fleet.listeners = static_cast<size_t>(fleet_listeners);
  absl::StatusOr<catalog::Catalog> catalog = commands::LoadCatalog(common, flags.IsSet("features"));
  if (!catalog.ok()) return commands::Fail(cmd, catalog.status());
  absl::StatusOr<migrate::HistoryName> history = db.History();
  if (!history.ok()) return commands::Fail(cmd, history.status());
  options.engine.history = *history;
  // With --targets the server's own database is optional.
  options.has_database = !(targets.given() && db.url.empty() && db.url_file.empty());
  if (options.has_database) {
    db.needs_primary = options.migrate_on_start;
    absl::StatusOr<migrate::ConnectOptions> connect = db.ConnectOptionsForServer();
    if (!connect.ok()) return commands::Fail(cmd, connect.status());
    options.database = *connect;
    // The server's own reads want the primary (a fenced, read-only primary
    // still answers them); its migrations ask for a writable one themselves.
    if (options.database.need == migrate::ConnectOptions::Need::kWritable) {
      options.database.need = migrate::ConnectOptions::Need::kPrimary;
    }
  } else {
    options.database.timeout = db.connect_timeout;
    if (options.migrate_on_start) {
      return commands::Fail(
          cmd, errors::WithKind(
                   absl::InvalidArgumentError("--migrate-on-start needs the server's own database "
                                              "(--database-url); migrate targets with `schemagate "
                                              "fleet migrate`"),
                   errors::ErrorKind::kUsage));
    }
  }
  if (targets.given()) {
    absl::StatusOr<fleet::TargetSource> source =
        targets.Source(db.connect_timeout, options.statement_timeout);
    if (!source.ok()) return commands::Fail(cmd, source.status());
    options.targets = *std::move(source);
  }
  absl::Status served = rpc::Serve(*std::move(catalog), options);
  if (!served.ok()) {
    return commands::Fail(cmd,
                          errors::WithKind(served, served.code() == absl::StatusCode::kUnavailable
                                                       ? errors::ErrorKind::kConnect
                                                       : errors::ErrorKind::kUsage));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "serve") args.erase(args.begin());
  return Serve(args);
}
