// Runs `schemagate serve`: the gRPC server(s), the standard health service
// (per-cluster names), server reflection, the state monitor, optional
// migration at start, and a graceful drain on SIGTERM/SIGINT.
#ifndef SCHEMAGATE_SERVER_RPC_SERVER_H_
#define SCHEMAGATE_SERVER_RPC_SERVER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/catalog/catalog.h"
#include "server/fleet/targets.h"
#include "server/migrate/db.h"
#include "server/migrate/engine.h"
#include "server/rpc/fleet_monitor.h"
#include "server/rpc/service.h"

namespace schemagate::rpc {

struct ServerOptions {
  // HOST:PORT (port 0 picks one). With admin_listen set, mutating RPCs are
  // served only there.
  std::string listen = "0.0.0.0:50051";
  std::string admin_listen;
  // Writes the ports actually bound ("main admin", then " metrics" with
  // metrics_listen) when set (tests).
  std::string port_file;
  // HOST:PORT of the Prometheus endpoint (/metrics; server/rpc/metrics.h);
  // empty: no metrics (and nothing recorded per RPC).
  std::string metrics_listen;

  migrate::ConnectOptions database;
  // False with --targets and no --database-url: the server has no database
  // of its own (requests must name a target_id).
  bool has_database = true;
  migrate::EngineOptions engine;

  // Fleets (docs/FLEETS.md): the target set (empty: none), read again on
  // SIGHUP and every targets_refresh, and how its targets are monitored.
  // Their connections take `database`'s timeouts.
  fleet::TargetSource targets;
  absl::Duration targets_refresh = absl::Minutes(1);
  FleetMonitorOptions fleet;
  bool migrate_on_start = false;

  std::string admin_token_file;
  bool insecure_admin = false;  // only on loopback listeners

  std::string tls_cert, tls_key, tls_client_ca;

  // The largest request or response. Every request up to it is received
  // whole before a handler sees it, so it bounds what each caller in flight
  // costs (2 MiB: 100,000 short table names fit; SQL has its own, lower
  // limit).
  int max_message_bytes = 2 << 20;
  // statement_timeout of the server's own reads (the monitor; status, plan,
  // verify: each a read-only transaction with SET LOCAL); each of their
  // calls is also bounded on the client side at statement_timeout +
  // kCallMargin (a silent partition). Migrations run without either.
  absl::Duration statement_timeout = absl::Seconds(30);
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration shutdown_grace = absl::Seconds(10);
  size_t workers = 8;
  size_t db_pool = 4;
  // ValidateQuery: threads for large parses, and bytes of SQL being parsed
  // or queued at once (~390 bytes of memory each at worst: 192 KiB keeps
  // the parses near 75 MiB; a query of the largest size and small ones
  // beside it).
  size_t parse_workers = 2;
  size_t max_parse_bytes = 192 << 10;
  // Memory gRPC may hold for connections and messages in flight (a resource
  // quota; 0: unbounded). With the parse budget and the process's own ~30
  // MiB this keeps a replica under the manifests' 256 MiB limit whatever
  // callers send (hostile_test).
  size_t grpc_memory_bytes = 64 << 20;
  ServiceLimits limits;
};

// Serves until SIGTERM or SIGINT, then drains in-flight RPCs (up to
// shutdown_grace) and returns OK; SIGHUP reads the target set again.
// Errors: INVALID_ARGUMENT for bad options (e.g. --insecure-admin on a
// non-loopback listener, unreadable TLS files, a target set file that
// cannot be read or does not parse), UNAVAILABLE when a port cannot be
// bound.
absl::Status Serve(catalog::Catalog catalog, const ServerOptions& options);

// How long after its statement_timeout a read may still go unanswered
// before the server gives its connection up.
inline constexpr absl::Duration kCallMargin = absl::Seconds(2);

// Is HOST of HOST:PORT a loopback address (127.0.0.0/8, ::1, localhost)?
bool IsLoopback(const std::string& address);

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_SERVER_H_
