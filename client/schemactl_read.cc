// schemactl's commands that read what a server knows: clusters, check,
// join, query, health, wait, targets.
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

}  // namespace schemagate::schemactl
