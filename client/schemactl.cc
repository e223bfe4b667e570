// schemactl: the command line for schemagate servers (admins, init
// containers, scripts). Human-readable output by default, --json on every
// command.
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/schemagate_client.h"
#include "google/protobuf/util/json_util.h"
#include "server/util/cli.h"
#include "server/util/exit_codes.h"
#include "server/util/human.h"

namespace schemagate::schemactl {
namespace {

// The one exit-code table (server/util/exit_codes.h, docs/EXIT_CODES.md),
// shared with the schemagate binary.
using exit_codes::kDrift, exit_codes::kNotAvailable, exit_codes::kOk, exit_codes::kUnavailable,
    exit_codes::kUsage, exit_codes::kWarnings;

constexpr const char* kExitCodes = exit_codes::kHelp;

// A server refusal exits with the code of its google.rpc.ErrorInfo reason,
// as the same refusal does from `schemagate`; otherwise by the gRPC code.
int ExitFor(const absl::Status& s) {
  int code = exit_codes::ForReason(client::ErrorReason(s));
  if (code < 0) code = exit_codes::ForReason(client::ErrorKindReason(s));
  return code >= 0 ? code : exit_codes::ForCode(s.code());
}

// Flags every command takes.
struct Common {
  std::string target = "localhost:50051";
  std::string target_id;
  std::string token_file;
  bool tls = false, insecure = false;
  std::string tls_ca, tls_cert, tls_key, tls_server_name;
  absl::Duration timeout = absl::Seconds(10);
  bool json = false;

  void Register(cli::FlagSet& f) {
    f.String("target", &target, "the server, HOST:PORT", "SCHEMAGATE_TARGET");
    f.String("target-id", &target_id,
             "the fleet target (tenant database, shard) of a server run with --targets; "
             "empty: the server's own database",
             "SCHEMAGATE_TARGET_ID");
    f.String("token-file", &token_file, "admin bearer token file (apply, rollback, repair, adopt)",
             "SCHEMAGATE_TOKEN_FILE");
    f.Bool("tls", &tls, "use TLS (system roots unless --tls-ca)");
    f.String("tls-ca", &tls_ca, "PEM roots to verify the server", "SCHEMAGATE_TLS_CA");
    f.String("tls-cert", &tls_cert, "client certificate (mutual TLS)");
    f.String("tls-key", &tls_key, "client key (mutual TLS)");
    f.String("tls-server-name", &tls_server_name, "expected name in the server certificate");
    f.Bool("insecure", &insecure,
           "send the admin token without TLS to a non-loopback target (refused "
           "otherwise); only where the network is encrypted below gRPC");
    f.Duration("rpc-timeout", &timeout, "deadline of each call", "SCHEMAGATE_RPC_TIMEOUT");
    f.Bool("json", &json, "print JSON");
  }

  absl::StatusOr<std::unique_ptr<client::Client>> Connect() const {
    client::ClientOptions o;
    o.target = target;
    o.tls = tls;
    o.tls_ca_file = tls_ca;
    o.tls_cert_file = tls_cert;
    o.tls_key_file = tls_key;
    o.tls_server_name = tls_server_name;
    o.insecure = insecure;
    o.timeout = timeout;
    o.target_id = target_id;
    if (!token_file.empty()) {
      absl::StatusOr<std::string> token = client::ReadTokenFile(token_file);
      if (!token.ok()) return token.status();
      o.token = *token;
    }
    return client::Client::Connect(o);
  }
};

int Fail(const std::string& cmd, const absl::Status& s) {
  std::cerr << "schemactl " << cmd << ": " << absl::StatusCodeToString(s.code()) << ": "
            << s.message() << "\n";
  return ExitFor(s);
}

// One command's start-up: its flags (every command's, Common, then its
// own), --help and usage errors, the parsed positional arguments.
class Command : public cli::FlagSet, public Common {
 public:
  Command(const std::string& cmd, const char* summary)
      : cli::FlagSet("schemactl " + cmd, summary), cmd_(cmd) {
    Register(*this);
    SetEpilog(kExitCodes);
  }
  // Parses `args` (at most `max_positional` positional ones): the exit code
  // when the command ends here (--help, a usage error), -1 to go on.
  int Start(const std::vector<std::string>& args, size_t max_positional = 0) {
    parsed_ = Parse(args);
    return Finish(parsed_, max_positional, kUsage);
  }
  const std::vector<std::string>& positional() const { return parsed_.positional; }
  // Prints the failure and returns its exit code.
  int Fail(const absl::Status& s) const { return schemactl::Fail(cmd_, s); }

 private:
  std::string cmd_;
  cli::ParseResult parsed_;
};

void PrintJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  std::cout << out;
  if (out.empty() || out.back() != '\n') std::cout << "\n";
}

std::string StateName(v1::ClusterState s) {
  std::string name = v1::ClusterState_Name(s);
  name = name.substr(std::string("CLUSTER_STATE_").size());
  for (char& c : name) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  return name;
}

std::string TableStatusName(v1::TableStatus s) {
  std::string name = v1::TableStatus_Name(s);
  name = name.substr(std::string("TABLE_STATUS_").size());
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  return name;
}

void PrintUnmanaged(const google::protobuf::RepeatedPtrField<v1::UnmanagedTable>& tables) {
  if (tables.empty()) return;
  std::cout << "unmanaged tables (their cluster is not enabled here; never touched):\n";
  for (const v1::UnmanagedTable& t : tables) {
    std::cout << "  " << t.table() << " (cluster " << t.cluster()
              << (t.compiled() ? ", turned off by --features" : "") << ")\n";
  }
}

void PrintClusters(const google::protobuf::RepeatedPtrField<v1::ClusterInfo>& clusters) {
  std::cout << absl::StrFormat("%-18s %-8s %-18s %8s %8s %8s %7s\n", "CLUSTER", "ENABLED", "STATE",
                               "APPLIED", "LATEST", "PENDING", "TABLES");
  for (const v1::ClusterInfo& c : clusters) {
    std::cout << absl::StrFormat(
        "%-18s %-8s %-18s %8d %8d %8d %7d\n", c.name() + (c.bridge() ? "*" : ""),
        c.enabled() ? "yes" : (c.compiled() ? "off" : "no"), StateName(c.migration().state()),
        c.migration().applied_version(), c.migration().latest_version(),
        c.migration().pending_count(), c.tables_size());
    for (const v1::ChecksumProblem& p : c.migration().checksum_problems()) {
      std::cout << "    changed after apply: " << p.path() << "\n";
    }
    for (const v1::MigrationId& m : c.migration().unknown_applied()) {
      std::cout << "    applied, unknown to this build: " << m.cluster() << "/" << m.version()
                << "\n";
    }
  }
}

// One command: parse, connect, run.
using Runner = int (*)(const std::string&, const std::vector<std::string>&);

int Clusters(const std::string& cmd, const std::vector<std::string>& args) {
  Command c(cmd,
            "Lists every cluster of the server's build (and orphans found in "
            "its database) with its migration state.");
  if (int code = c.Start(args); code >= 0) return code;
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  auto r = (*client)->ListClusters();
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    std::cout << "features: " << absl::StrJoin(r->features(), ", ")
              << (r->database_reachable() ? "" : "   (database unreachable)") << "\n";
    PrintClusters(r->clusters());
    PrintUnmanaged(r->unmanaged_tables());
  }
  return kOk;
}

int Check(const std::string& cmd, const std::vector<std::string>& args) {
  Command c(cmd,
            "Is each table here and migrated? AVAILABLE, UNKNOWN_TABLE, "
            "CLUSTER_DISABLED (naming the feature) or NOT_MIGRATED.");
  c.SetPositionalUsage("TABLE [TABLE...]");
  if (int code = c.Start(args, 100000); code >= 0) return code;
  if (c.positional().empty()) return c.Fail(absl::InvalidArgumentError("name a table"));
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  auto r = (*client)->CheckTables(c.positional());
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    for (const v1::TableCheck& t : r->tables()) {
      std::cout << absl::StrFormat("%-32s %-17s %s\n", t.requested(), TableStatusName(t.status()),
                                   t.message().empty() ? "cluster " + t.cluster() : t.message());
    }
  }
  return r->all_available() ? kOk : kNotAvailable;
}

int Join(const std::string& cmd, const std::vector<std::string>& args) {
  std::vector<std::string> pairs;
  Command c(cmd,
            "How tables join in the server's build: ON clauses, ambiguity, "
            "shortest paths, join trees.");
  c.SetPositionalUsage("TABLE [TABLE...]");
  c.List("pair", &pairs, "LEFT:RIGHT[:FOREIGN_KEY] (repeatable)");
  if (int code = c.Start(args, 1000); code >= 0) return code;
  std::vector<std::vector<std::string>> pair_list;
  for (const std::string& s : pairs) {
    std::vector<std::string> parts = absl::StrSplit(s, ':');
    if (parts.size() < 2 || parts.size() > 3) {
      return c.Fail(absl::InvalidArgumentError("--pair is LEFT:RIGHT[:FOREIGN_KEY]"));
    }
    pair_list.push_back(parts);
  }
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  auto r = (*client)->ValidateJoin(c.positional(), pair_list);
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    for (const v1::TableCheck& t : r->tables()) {
      std::cout << t.requested() << ": " << TableStatusName(t.status())
                << (t.enable_features().empty()
                        ? ""
                        : " (enable " + absl::StrJoin(t.enable_features(), ", ") + ")")
                << "\n";
    }
    for (const v1::PairAnswer& a : r->pairs()) {
      std::cout << a.left() << " - " << a.right() << ": " << v1::PairStatus_Name(a.status()) << " "
                << a.message() << "\n";
      for (const v1::JoinEdge& e : a.candidates()) {
        std::cout << "  ON " << e.on() << "   (" << e.foreign_key() << ")\n";
      }
      if (!a.from_sql().empty()) std::cout << "  " << a.from_sql() << "\n";
    }
    if (r->tree().steps_size() > 0 && r->tables_size() > 2) {
      std::cout << r->tree().from_sql() << "\n";
    }
    std::cout << "verdict: " << v1::JoinVerdict_Name(r->verdict()) << "\n";
  }
  switch (r->verdict()) {
    case v1::JOIN_VERDICT_OK:
      return kOk;
    case v1::JOIN_VERDICT_AMBIGUOUS:
      return kWarnings;
    default:
      return kNotAvailable;
  }
}

int Query(const std::string& cmd, const std::vector<std::string>& args) {
  Command c(cmd, "Checks SQL against the server's build: tables and join conditions.");
  c.SetPositionalUsage("SQL|-");
  if (int code = c.Start(args, 1); code >= 0) return code;
  if (c.positional().empty()) return c.Fail(absl::InvalidArgumentError("give the SQL or -"));
  std::string sql = c.positional()[0];
  if (sql == "-") {
    std::stringstream s;
    s << std::cin.rdbuf();
    sql = s.str();
  }
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  auto r = (*client)->ValidateQuery(sql);
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    for (const v1::QueryTable& t : r->tables()) {
      std::cout << t.check().requested() << ": " << TableStatusName(t.check().status()) << " ("
                << t.role() << ")\n";
    }
    for (const v1::QueryCondition& q : r->conditions()) {
      std::cout << "condition " << q.text() << ": "
                << (q.matches_foreign_key() ? q.foreign_key() : "no foreign key") << "\n";
    }
    for (const std::string& m : r->messages()) std::cout << "note: " << m << "\n";
    std::cout << "verdict: " << v1::QueryVerdict_Name(r->verdict()) << "\n";
  }
  switch (r->verdict()) {
    case v1::QUERY_VERDICT_OK:
      return kOk;
    case v1::QUERY_VERDICT_WARNINGS:
      return kWarnings;
    default:
      return kNotAvailable;
  }
}

int Status(const std::string& cmd, const std::vector<std::string>& args) {
  Command c(cmd, "Each cluster's migration state, read from the database.");
  if (int code = c.Start(args); code >= 0) return code;
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  auto r = (*client)->GetMigrationStatus();
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    std::cout << "history " << r->history_table() << "\n";
    PrintClusters(r->clusters());
    PrintUnmanaged(r->unmanaged_tables());
    std::cout << (r->up_to_date() ? "up to date\n" : absl::StrCat(r->pending_size(), " pending\n"));
  }
  return kOk;
}

int Plan(const std::string& cmd, const std::vector<std::string>& args) {
  bool sql = false;
  Command c(cmd,
            "The pending migrations in apply order, each with the tables it locks "
            "(lock level, the lock lint's finding, the live table's estimated rows "
            "and size); exits 5 when the server's --max-blocking-rows would refuse "
            "the plan.");
  c.Bool("sql", &sql, "include each migration's SQL");
  if (int code = c.Start(args); code >= 0) return code;
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  auto r = (*client)->PlanMigrations(sql);
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    if (r->migrations().empty()) std::cout << "nothing to apply\n";
    int n = 0;
    for (const v1::PendingMigration& m : r->migrations()) {
      std::cout << absl::StrFormat("%3d. %s%s\n", ++n, m.path(),
                                   m.no_transaction() ? "  (no-transaction)" : "");
      for (const v1::PlannedLock& l : m.locks()) {
        if (!l.table_exists()) continue;  // created earlier in the plan: empty
        std::cout << "       " << l.lock() << " on " << l.table() << " ("
                  << human::Rows(l.estimated_rows()) << ", " << human::Bytes(l.total_bytes())
                  << "): " << l.statement() << ", line " << l.line();
        if (l.rule().empty()) {
          std::cout << " (brief)";
        } else {
          std::cout << (l.acknowledged()
                            ? absl::StrCat(" [", l.rule(), "] acknowledged: ", l.reason())
                            : " " + l.message());  // "[rule] what; instead: ..."
        }
        std::cout << "\n";
      }
      if (sql) std::cout << m.sql() << "\n";
    }
    if (r->blocking_limit().refused()) {
      std::cout << "apply would be refused: " << r->blocking_limit().refusal() << "\n";
    }
  }
  if (r->blocking_limit().refused()) return exit_codes::kMigrationFailed;
  return kOk;
}

int Verify(const std::string& cmd, const std::vector<std::string>& args) {
  bool ignore = false;
  Command c(cmd, "The catalog against the live database (drift).");
  c.Bool("ignore-extra-tables", &ignore, "tables no cluster knows are not drift");
  if (int code = c.Start(args); code >= 0) return code;
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  auto r = (*client)->VerifySchema(ignore);
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    for (const v1::Drift& d : r->drift()) {
      std::cout << "drift: " << d.kind() << ": " << d.table()
                << (d.object().empty() ? "" : "." + d.object()) << "\n";
    }
    std::cout << (r->ok() ? "no drift" : "drift") << ": " << r->tables_checked()
              << " tables checked\n";
  }
  return r->ok() ? kOk : kDrift;
}

int Apply(const std::string& cmd, const std::vector<std::string>& args) {
  bool dry_run = false, single = false;
  absl::Duration run_timeout = absl::Minutes(30);
  Command c(cmd,
            "Applies pending migrations on the server, showing progress as it "
            "streams. Needs the admin token.");
  c.Bool("dry-run", &dry_run, "show what would be applied");
  c.Bool("single-transaction", &single, "apply the whole plan atomically");
  c.Duration("run-timeout", &run_timeout, "deadline of the whole run");
  if (int code = c.Start(args); code >= 0) return code;
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  v1::ApplyMigrationsRequest req;
  req.set_dry_run(dry_run);
  req.set_single_transaction(single);
  auto show = [&](const v1::ApplyMigrationsResponse& e) {
    if (c.json) {
      std::string out;
      (void)google::protobuf::util::MessageToJsonString(e, &out);
      std::cout << out << "\n" << std::flush;
      return;
    }
    if (e.has_started()) {
      std::cout << "applying " << e.started().cluster() << "/" << e.started().version() << "_"
                << e.started().name() << " ..." << std::flush;
    } else if (e.has_finished()) {
      std::cout << " ok ("
                << e.finished().duration().seconds() * 1000 +
                       e.finished().duration().nanos() / 1000000
                << " ms)\n"
                << std::flush;
    } else if (e.has_retrying()) {
      std::cout << " retrying: " << e.retrying().message() << "\n" << std::flush;
    } else if (e.has_lock_waiting()) {
      std::cout << e.lock_waiting() << "\n" << std::flush;
    } else if (e.has_reconnecting()) {
      std::cout << "\nconnection to the primary lost: " << e.reconnecting() << "\n" << std::flush;
    } else if (e.has_reconnected()) {
      std::cout << e.reconnected() << "\n" << std::flush;
    } else if (e.has_resolved()) {
      std::cout << e.resolved().cluster() << "/" << e.resolved().version() << "_"
                << e.resolved().name() << ": " << e.resolved().message() << "\n"
                << std::flush;
    } else if (e.has_summary()) {
      if (e.summary().dry_run()) {
        for (const v1::PendingMigration& m : e.summary().planned()) {
          std::cout << "would apply " << m.path() << "\n";
        }
        if (e.summary().planned().empty()) std::cout << "nothing to apply\n";
      } else {
        std::cout << "applied " << e.summary().applied_size()
                  << " migration(s); the database is up to date\n";
      }
    }
  };
  auto r = (*client)->ApplyMigrations(req, show, run_timeout);
  if (!r.ok()) {
    if (!c.json) std::cout << "\n";
    return c.Fail(r.status());
  }
  return kOk;
}

int Rollback(const std::string& cmd, const std::vector<std::string>& args) {
  std::string cluster;
  int64_t to = -1;
  bool force = false, dry_run = false;
  Command c(cmd, "Reverts a cluster to a version (0 removes it). Needs the admin token.");
  c.String("cluster", &cluster, "the cluster (required)");
  c.Int("to", &to, "keep migrations up to this version (required; 0 removes it)");
  c.Bool("force", &force, "skip the dependent-cluster checks");
  c.Bool("dry-run", &dry_run, "list what would be reverted");
  if (int code = c.Start(args); code >= 0) return code;
  if (cluster.empty() || to < 0) {
    return c.Fail(absl::InvalidArgumentError("--cluster and --to are required"));
  }
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  v1::RollbackClusterRequest req;
  req.set_cluster(cluster);
  req.set_to_version(static_cast<uint64_t>(to));
  req.set_force(force);
  req.set_dry_run(dry_run);
  auto r = (*client)->RollbackCluster(req, absl::Minutes(30));
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    if (r->reverted().empty()) std::cout << "nothing to roll back\n";
    for (const v1::MigrationId& m : r->reverted()) {
      std::cout << (dry_run ? "would revert " : "reverted ") << m.cluster() << "/" << m.version()
                << " (" << m.name() << ")\n";
    }
  }
  return kOk;
}

int Repair(const std::string& cmd, const std::vector<std::string>& args) {
  std::string cluster;
  bool dry_run = false;
  Command c(cmd,
            "Records new checksums of intentionally edited migrations. Needs the "
            "admin token.");
  c.String("cluster", &cluster, "only this cluster");
  c.Bool("dry-run", &dry_run, "list what would be repaired");
  if (int code = c.Start(args); code >= 0) return code;
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  v1::RepairChecksumsRequest req;
  req.set_cluster(cluster);
  req.set_dry_run(dry_run);
  auto r = (*client)->RepairChecksums(req);
  if (!r.ok()) return c.Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    if (r->repaired().empty()) std::cout << "nothing to repair\n";
    for (const v1::ChecksumProblem& p : r->repaired()) {
      std::cout << (dry_run ? "would record " : "recorded ") << p.path() << "\n";
    }
  }
  return kOk;
}

int Adopt(const std::string& cmd, const std::vector<std::string>& args) {
  std::string from, source_table;
  std::vector<std::string> clusters;
  bool dry_run = false, ignore_extra = false;
  absl::Duration run_timeout = absl::Minutes(30);
  Command c(cmd,
            "Takes over a database another tool migrated (AdoptDatabase): the "
            "server checks the old tool's history and the schema, then records "
            "the adopted clusters' migrations as applied without running them. "
            "Needs the admin token.");
  c.String("from", &from, "diesel, golang-migrate, flyway or none (required)");
  c.List("cluster", &clusters, "adopt only this enabled cluster (repeatable)");
  c.String("source-history-table", &source_table,
           "[schema.]table of the old tool's history (default: the tool's)");
  c.Bool("dry-run", &dry_run, "check everything, record nothing");
  c.Bool("ignore-extra-tables", &ignore_extra, "tables no cluster knows are not drift");
  c.Duration("run-timeout", &run_timeout, "deadline of the call");
  if (int code = c.Start(args); code >= 0) return code;
  static const std::map<std::string, v1::SourceFormat> kFormats = {
      {"none", v1::SOURCE_FORMAT_NONE},
      {"diesel", v1::SOURCE_FORMAT_DIESEL},
      {"golang-migrate", v1::SOURCE_FORMAT_GOLANG_MIGRATE},
      {"flyway", v1::SOURCE_FORMAT_FLYWAY}};
  auto format = kFormats.find(from);
  if (format == kFormats.end()) {
    return Fail(
        cmd, absl::InvalidArgumentError("--from must be diesel, golang-migrate, flyway or none"));
  }
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  v1::AdoptDatabaseRequest req;
  req.set_source_format(format->second);
  for (const std::string& cl : clusters) req.add_clusters(cl);
  req.set_dry_run(dry_run);
  req.set_source_history_table(source_table);
  req.set_ignore_extra_tables(ignore_extra);
  auto r = (*client)->AdoptDatabase(req, run_timeout);
  if (!r.ok()) {
    int code = c.Fail(r.status());
    for (const std::string& v : client::ErrorViolations(r.status())) {
      std::cerr << "  " << v << "\n";
    }
    return code;  // SCHEMA_DRIFT is of kind DRIFT: verify's code
  }
  if (c.json) {
    PrintJson(*r);
    return kOk;
  }
  for (const std::string& cl : r->already_installed()) {
    std::cout << "already installed: " << cl << "\n";
  }
  if (r->adopted_clusters().empty()) {
    std::cout << "nothing to adopt\n";
  } else {
    std::cout << (dry_run ? "would adopt " : "adopted ")
              << absl::StrJoin(r->adopted_clusters(), ", ") << ": " << r->recorded_size()
              << " migration(s) " << (dry_run ? "would be recorded" : "recorded") << "\n";
    if (dry_run) {
      for (const v1::AdoptedMigration& m : r->migrations()) {
        std::cout << "  " << m.path() << "\n";
      }
    }
  }
  PrintUnmanaged(r->unmanaged_tables());
  return kOk;
}

int Health(const std::string& cmd, const std::vector<std::string>& args) {
  std::string service;
  Command c(cmd,
            "grpc.health.v1 Check: \"\" (default), schemagate.v1.SchemaGate, "
            "schemagate.cluster.<name>, schemagate.liveness or, for a fleet "
            "target, schemagate.target.<id> (the default with --target-id). "
            "Exits 0 when SERVING, 3 otherwise.");
  c.String("service", &service, "the health service name");
  if (int code = c.Start(args); code >= 0) return code;
  if (!c.IsSet("service") && !c.target_id.empty()) {
    service = client::TargetHealthService(c.target_id);
  }
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  auto r = (*client)->Health(service);
  if (!r.ok()) return c.Fail(r.status());
  std::string name = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(*r);
  if (c.json) {
    std::cout << "{\"service\": \"" << service << "\", \"status\": \"" << name << "\"}\n";
  } else {
    std::cout << (service.empty() ? "(server)" : service) << ": " << name << "\n";
  }
  return *r == grpc::health::v1::HealthCheckResponse::SERVING ? kOk : kUnavailable;
}

int Wait(const std::string& cmd, const std::vector<std::string>& args) {
  std::vector<std::string> clusters;
  absl::Duration timeout = absl::Seconds(120);
  Command c(cmd,
            "Waits until the named clusters are migrated (for init containers). "
            "Exits 0 once they are up to date, 4 on timeout, 9 at once when a "
            "cluster is not enabled in the server's build. Keeps retrying while "
            "the server is not reachable.");
  c.List("clusters", &clusters, "clusters to wait for (comma-separated; required)",
         "SCHEMAGATE_WAIT_CLUSTERS");
  c.Duration("timeout", &timeout, "give up after this long");
  if (int code = c.Start(args); code >= 0) return code;
  if (clusters.empty()) return c.Fail(absl::InvalidArgumentError("--clusters is required"));
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  absl::Status s = (*client)->WaitForClusters(clusters, timeout, [&](const v1::ClusterInfo& ci) {
    if (!c.json) {
      std::cerr << "schemactl wait: " << ci.name() << " is " << StateName(ci.migration().state())
                << "\n";
    }
  });
  if (!s.ok()) return c.Fail(s);
  if (c.json) {
    std::cout << "{\"ready\": true, \"clusters\": [\"" << absl::StrJoin(clusters, "\", \"")
              << "\"]}\n";
  } else {
    std::cout << "ready: " << absl::StrJoin(clusters, ", ") << "\n";
  }
  return kOk;
}

int Targets(const std::string& cmd, const std::vector<std::string>& args) {
  bool not_serving = false;
  std::vector<std::string> selector;
  std::string wave;
  Command c(cmd,
            "Lists the fleet targets of a server run with --targets: each one's "
            "features, wave, database (host:port/db), whether it is serving, its "
            "pending migrations and any problem in its definition. With "
            "--not-serving, exits 9 when any target is listed.");
  c.Bool("not-serving", &not_serving,
         "only targets that are not serving (unreachable, not migrated, a problem)");
  c.List("selector", &selector, "only targets with these labels (key=value, comma-separated)");
  c.String("wave", &wave, "only targets of this wave");
  if (int code = c.Start(args); code >= 0) return code;
  v1::ListTargetsRequest req;
  req.set_only_not_serving(not_serving);
  req.set_wave(wave);
  for (const std::string& item : selector) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return c.Fail(absl::InvalidArgumentError("--selector items are key=value"));
    }
    (*req.mutable_labels())[item.substr(0, eq)] = item.substr(eq + 1);
  }
  auto client = c.Connect();
  if (!client.ok()) return c.Fail(client.status());
  v1::ListTargetsResponse all;
  for (;;) {
    auto r = (*client)->ListTargets(req);
    if (!r.ok()) return c.Fail(r.status());
    for (v1::TargetInfo& t : *r->mutable_targets()) *all.add_targets() = std::move(t);
    all.set_total(r->total());
    *all.mutable_loaded_at() = r->loaded_at();
    all.set_load_error(r->load_error());
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  if (c.json) {
    PrintJson(all);
  } else {
    std::cout << absl::StrFormat("%-24s %-10s %-32s %-11s %7s %-7s %s\n", "TARGET", "WAVE",
                                 "DATABASE", "STATE", "PENDING", "MONITOR", "FEATURES");
    for (const v1::TargetInfo& t : all.targets()) {
      std::string state = !t.problem().empty()      ? "invalid"
                          : t.serving()             ? "serving"
                          : !t.state_known()        ? "unknown"
                          : !t.database_reachable() ? "unreachable"
                                                    : "not ready";
      std::cout << absl::StrFormat(
          "%-24s %-10s %-32s %-11s %7d %-7s %s\n", t.id(), t.wave().empty() ? "-" : t.wave(),
          t.database().empty() ? "-" : t.database(), state, t.pending_count(),
          t.monitoring().empty() ? "-" : t.monitoring(), absl::StrJoin(t.features(), ","));
      if (!t.problem().empty()) std::cout << "    problem: " << t.problem() << "\n";
      if (!t.error().empty() && t.problem().empty())
        std::cout << "    error: " << t.error() << "\n";
    }
    std::cout << all.total() << " target(s)\n";
    if (!all.load_error().empty()) {
      std::cout << "the target set could not be read again: " << all.load_error() << "\n";
    }
  }
  return not_serving && all.total() > 0 ? exit_codes::kNotAvailable : kOk;
}

const std::map<std::string, std::pair<Runner, const char*>>& Commands() {
  static const auto* commands = new std::map<std::string, std::pair<Runner, const char*>>{
      {"clusters", {&Clusters, "list clusters and their migration state"}},
      {"check", {&Check, "are these tables here and migrated?"}},
      {"join", {&Join, "how do these tables join?"}},
      {"query", {&Query, "check SQL against the build"}},
      {"status", {&Status, "migration state from the database"}},
      {"plan", {&Plan, "pending migrations"}},
      {"apply", {&Apply, "apply pending migrations (admin)"}},
      {"rollback", {&Rollback, "revert a cluster (admin)"}},
      {"repair", {&Repair, "record new checksums (admin)"}},
      {"adopt", {&Adopt, "take over a database another tool migrated (admin)"}},
      {"verify", {&Verify, "drift between catalog and database"}},
      {"health", {&Health, "grpc.health.v1 status"}},
      {"wait", {&Wait, "wait until clusters are migrated"}},
      {"targets", {&Targets, "the fleet targets of a server run with --targets"}},
  };
  return *commands;
}

void Usage(std::ostream& out) {
  out << "Usage: schemactl <command> [flags]\n\nCommands:\n";
  for (const auto& [name, c] : Commands()) {
    out << absl::StrFormat("  %-10s %s\n", name, c.second);
  }
  out << "\nEvery command takes --target (the server, SCHEMAGATE_TARGET), --target-id (a "
         "fleet target, SCHEMAGATE_TARGET_ID), TLS flags and --json; see `schemactl "
         "<command> --help`.\n";
}

}  // namespace
}  // namespace schemagate::schemactl

int main(int argc, char** argv) {
  using namespace schemagate::schemactl;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    Usage(std::cerr);
    return kUsage;
  }
  std::string name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    Usage(std::cout);
    return kOk;
  }
  auto it = Commands().find(name);
  if (it == Commands().end()) {
    std::cerr << "schemactl: unknown command \"" << name << "\"\n\n";
    Usage(std::cerr);
    return kUsage;
  }
  args.erase(args.begin());
  return it->second.first(name, args);
}
