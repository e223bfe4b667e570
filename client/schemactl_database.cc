// schemactl's commands that read or change the database through a server:
// status, plan, verify, and the admin ones (apply, rollback, repair, adopt).
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/schemactl.h"
#include "google/protobuf/util/json_util.h"
#include "server/util/human.h"

namespace schemagate::schemactl {

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

}  // namespace schemagate::schemactl
