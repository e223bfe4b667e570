#include "server/rpc/convert.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/util/errors.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"

namespace schemagate::rpc {
namespace {

// A status travels in HTTP/2 trailers, which clients cap (gRPC: 8 KiB by
// default), and its message goes there three times (grpc-message, and twice
// in google.rpc.Status). A longer status reaches the client as
// RESOURCE_EXHAUSTED "received metadata size exceeds limit", so messages
// quoting the request (PostgreSQL's "at or near ...") are cut.
constexpr size_t kMaxMessageBytes = 1024;
// The violations listed in a PreconditionFailure, in total.
constexpr size_t kMaxViolationBytes = 4096;

std::string Bounded(std::string message) {
  if (message.size() <= kMaxMessageBytes) return message;
  size_t cut = kMaxMessageBytes;
  // Not inside a UTF-8 sequence: the details are proto3 strings.
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  message.resize(cut);
  return message + "...";
}

v1::ClusterState StateOf(migrate::ClusterStatus s) {
  switch (s) {
    case migrate::ClusterStatus::kUpToDate:
      return v1::CLUSTER_STATE_UP_TO_DATE;
    case migrate::ClusterStatus::kPending:
      return v1::CLUSTER_STATE_PENDING;
    case migrate::ClusterStatus::kNotInstalled:
      return v1::CLUSTER_STATE_NOT_INSTALLED;
    case migrate::ClusterStatus::kOrphaned:
      return v1::CLUSTER_STATE_ORPHANED;
    case migrate::ClusterStatus::kChecksumMismatch:
      return v1::CLUSTER_STATE_CHECKSUM_MISMATCH;
    case migrate::ClusterStatus::kUnknownApplied:
      return v1::CLUSTER_STATE_UNKNOWN_APPLIED;
  }
  return v1::CLUSTER_STATE_UNKNOWN;
}

void FillEdge(const catalog::JoinEdge& e, v1::JoinEdge* out) {
  out->set_foreign_key(e.foreign_key);
  out->set_from_table(e.from_table);
  for (const std::string& c : e.from_columns) out->add_from_columns(c);
  out->set_to_table(e.to_table);
  for (const std::string& c : e.to_columns) out->add_to_columns(c);
  out->set_from_alias(e.from_alias);
  out->set_to_alias(e.to_alias);
  out->set_on(e.on);
}

void FillStep(const catalog::JoinStep& s, v1::JoinStep* out) {
  out->set_table(s.table);
  out->set_join_to(s.to);
  FillEdge(s.edge, out->mutable_edge());
  out->set_sql(s.sql);
  for (const catalog::JoinEdge& e : s.alternatives) FillEdge(e, out->add_alternatives());
}

v1::TableCheck FromLookup(const ServiceState& state, const Snapshot& snapshot,
                          const std::string& requested, const catalog::TableLookup& lookup) {
  v1::TableCheck out;
  out.set_requested(requested);
  out.set_table(lookup.name);
  out.set_cluster(lookup.cluster);
  out.set_compiled(lookup.compiled);
  for (const std::string& f : lookup.enable_features) out.add_enable_features(f);
  switch (lookup.state) {
    case catalog::TableState::kUnknown:
      out.set_status(v1::TABLE_STATUS_UNKNOWN_TABLE);
      for (const std::string& s : state.graph().Suggest(requested)) out.add_suggestions(s);
      out.set_message(out.suggestions().empty()
                          ? "no cluster of this build's tree has this table"
                          : absl::StrCat("unknown table; did you mean ", out.suggestions(0), "?"));
      break;
    case catalog::TableState::kClusterDisabled:
      out.set_status(v1::TABLE_STATUS_CLUSTER_DISABLED);
      out.set_message(absl::StrCat("cluster ", lookup.cluster, " is not enabled",
                                   lookup.compiled ? " on this server (see --features)"
                                                   : " in this build (rebuild with the feature)"));
      break;
    case catalog::TableState::kAvailable: {
      out.set_created_by(lookup.table->created_by());
      bool applied = snapshot.known && snapshot.IsApplied(lookup.table->cluster(),
                                                          lookup.table->created_by_version());
      out.set_status(applied ? v1::TABLE_STATUS_AVAILABLE : v1::TABLE_STATUS_NOT_MIGRATED);
      if (!applied) {
        out.set_message(snapshot.known ? absl::StrCat("migration ", lookup.table->created_by(),
                                                      " that creates it is not applied yet")
                                       : "the migration state is not known yet (database "
                                         "unreachable)");
      }
      break;
    }
  }
  return out;
}

}  // namespace

v1::TableCheck CheckTable(const ServiceState& state, const Snapshot& snapshot,
                          const std::string& name) {
  return FromLookup(state, snapshot, name, state.catalog().Lookup(name));
}

void FillCluster(const ServiceState& state, const std::string& name,
                 const migrate::ClusterState* migration, bool known, v1::ClusterInfo* out) {
  const catalog::Catalog& c = state.catalog();
  out->set_name(name);
  out->set_enabled(c.IsEnabled(name));
  out->set_compiled(c.IsCompiled(name));
  for (const v1::Cluster& cl : c.compiled().clusters()) {
    if (cl.name() != name) continue;
    out->set_description(cl.description());
    out->set_bridge(cl.bridge());
    *out->mutable_depends_on() = cl.depends_on();
    *out->mutable_requires_features() = cl.requires_features();
    *out->mutable_tables() = cl.tables();
    uint64_t latest = 0;
    for (const v1::Migration& m : cl.migrations()) latest = std::max(latest, m.version());
    out->mutable_migration()->set_latest_version(latest);
  }
  v1::ClusterMigrationStatus* m = out->mutable_migration();
  if (!known) {
    m->set_state(v1::CLUSTER_STATE_UNKNOWN);
    return;
  }
  if (migration == nullptr) {
    // Compiled but not enabled, and nothing applied.
    m->set_state(v1::CLUSTER_STATE_UNSPECIFIED);
    return;
  }
  m->set_state(StateOf(migration->status));
  m->set_applied_version(migration->applied_version);
  if (migration->enabled) m->set_latest_version(migration->latest_version);
  m->set_applied_count(migration->applied);
  m->set_pending_count(migration->pending);
  m->set_ready(migration->ready());
  for (const migrate::ChecksumMismatch& p : migration->mismatches) {
    v1::ChecksumProblem* cp = m->add_checksum_problems();
    cp->set_cluster(p.cluster);
    cp->set_version(p.version);
    cp->set_path(p.path);
    cp->set_applied_sha256(p.applied_checksum);
    cp->set_file_sha256(p.build_checksum);
  }
  for (const migrate::AppliedMigration& a : migration->unknown_applied) {
    v1::MigrationId* r = m->add_unknown_applied();
    r->set_cluster(a.cluster);
    r->set_version(a.version);
    r->set_name(a.name);
  }
}

void FillClusters(const ServiceState& state, const migrate::MigrationState* migration, bool known,
                  google::protobuf::RepeatedPtrField<v1::ClusterInfo>* out) {
  std::set<std::string> done;
  auto find = [&](const std::string& name) -> const migrate::ClusterState* {
    return migration != nullptr ? migration->Find(name) : nullptr;
  };
  for (const v1::Cluster& c : state.catalog().enabled().clusters()) {
    FillCluster(state, c.name(), find(c.name()), known, out->Add());
    done.insert(c.name());
  }
  for (const v1::Cluster& c : state.catalog().compiled().clusters()) {
    if (done.insert(c.name()).second) {
      FillCluster(state, c.name(), find(c.name()), known, out->Add());
    }
  }
  if (migration != nullptr) {
    for (const migrate::ClusterState& c : migration->clusters) {
      if (done.insert(c.name).second) FillCluster(state, c.name, &c, known, out->Add());
    }
  }
}

void FillJoin(const ServiceState& state, const Snapshot& snapshot, const catalog::JoinResult& r,
              v1::ValidateJoinResponse* out) {
  switch (r.verdict) {
    case catalog::JoinVerdict::kOk:
      out->set_verdict(v1::JOIN_VERDICT_OK);
      break;
    case catalog::JoinVerdict::kAmbiguous:
      out->set_verdict(v1::JOIN_VERDICT_AMBIGUOUS);
      break;
    case catalog::JoinVerdict::kUnreachable:
      out->set_verdict(v1::JOIN_VERDICT_UNREACHABLE);
      break;
    case catalog::JoinVerdict::kInvalid:
      out->set_verdict(v1::JOIN_VERDICT_INVALID);
      break;
  }
  for (const catalog::TableResult& t : r.tables) {
    *out->add_tables() = FromLookup(state, snapshot, t.requested, t.lookup);
  }
  for (const catalog::PairResult& p : r.pairs) {
    v1::PairAnswer* a = out->add_pairs();
    a->set_left(p.left);
    a->set_right(p.right);
    a->set_status(static_cast<v1::PairStatus>(static_cast<int>(p.status) + 1));
    for (const catalog::JoinEdge& e : p.candidates) FillEdge(e, a->add_candidates());
    for (const catalog::JoinStep& s : p.path) FillStep(s, a->add_path());
    for (const std::string& f : p.blocked_by_features) a->add_blocked_by_features(f);
    a->set_message(p.message);
    a->set_from_sql(p.from_sql);
  }
  v1::JoinTree* tree = out->mutable_tree();
  tree->set_connected(r.tree.connected);
  tree->set_optimal(r.tree.optimal);
  tree->set_root(r.tree.root);
  for (const catalog::JoinStep& s : r.tree.steps) FillStep(s, tree->add_steps());
  for (const std::string& t : r.tree.extra_tables) tree->add_extra_tables(t);
  for (const std::string& t : r.tree.unreachable) tree->add_unreachable(t);
  for (const std::string& f : r.tree.blocked_by_features) tree->add_blocked_by_features(f);
  tree->set_message(r.tree.message);
  tree->set_from_sql(r.tree.from_sql);
}

void FillQuery(const ServiceState& state, const Snapshot& snapshot, const catalog::QueryResult& r,
               v1::ValidateQueryResponse* out) {
  switch (r.verdict) {
    case catalog::QueryVerdict::kOk:
      out->set_verdict(v1::QUERY_VERDICT_OK);
      break;
    case catalog::QueryVerdict::kWarnings:
      out->set_verdict(v1::QUERY_VERDICT_WARNINGS);
      break;
    case catalog::QueryVerdict::kInvalid:
      out->set_verdict(v1::QUERY_VERDICT_INVALID);
      break;
  }
  out->set_statements(r.statements);
  for (const catalog::QueryTable& t : r.tables) {
    v1::QueryTable* q = out->add_tables();
    *q->mutable_check() = FromLookup(state, snapshot, t.name, t.lookup);
    q->set_role(t.role);
    for (const std::string& a : t.aliases) q->add_aliases(a);
    q->set_statement(t.statement);
    q->set_line(t.line);
    q->set_column(t.column);
  }
  for (const catalog::QueryCondition& c : r.conditions) {
    v1::QueryCondition* q = out->add_conditions();
    q->set_left(c.left_table + "." + c.left_column);
    q->set_right(c.right_table + "." + c.right_column);
    q->set_text(c.text);
    q->set_matches_foreign_key(c.matches_foreign_key);
    q->set_foreign_key(c.foreign_key);
    q->set_statement(c.statement);
    q->set_line(c.line);
    q->set_column(c.column);
  }
  for (const std::string& m : r.messages) out->add_messages(m);
}

void FillPending(const v1::Migration& m, bool include_sql, v1::PendingMigration* out) {
  out->set_cluster(m.cluster());
  out->set_version(m.version());
  out->set_name(m.name());
  out->set_path(m.up_path());
  out->set_no_transaction(m.no_transaction());
  out->set_sha256(m.up_sha256());
  if (include_sql) out->set_sql(m.up_sql());
}

void FillLock(const migrate::PlannedLock& l, v1::PlannedLock* out) {
  out->set_table(l.lock.table());
  out->set_lock(l.lock.lock());
  out->set_line(l.lock.line());
  out->set_statement(l.lock.statement());
  out->set_rule(l.lock.rule());
  out->set_message(l.lock.message());
  out->set_blocking(l.lock.blocking());
  out->set_acknowledged(l.lock.acknowledged());
  out->set_reason(l.lock.reason());
  out->set_table_exists(l.size.exists);
  out->set_estimated_rows(l.size.rows);
  out->set_total_bytes(l.size.bytes);
}

void FillDrift(const migrate::VerifyReport& report, v1::VerifySchemaResponse* out) {
  out->set_ok(report.ok());
  out->set_tables_checked(report.tables_checked);
  for (const migrate::Drift& d : report.drift) {
    v1::Drift* p = out->add_drift();
    p->set_kind(d.kind);
    p->set_table(d.table);
    p->set_object(d.object);
    p->set_expected(d.expected);
    p->set_actual(d.actual);
  }
  for (const std::string& o : report.orphaned_objects) out->add_orphaned(o);
  for (const std::string& f : report.foreign_history) out->add_foreign_history(f);
}

grpc::Status InvalidArgument(const std::string& field, const std::string& full_message) {
  const std::string message = Bounded(log::Scrub(full_message));
  google::rpc::Status details;
  details.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  details.set_message(message);
  google::rpc::BadRequest bad;
  google::rpc::BadRequest::FieldViolation* v = bad.add_field_violations();
  v->set_field(field);
  v->set_description(message);
  details.add_details()->PackFrom(bad);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message, details.SerializeAsString());
}

grpc::Status ToGrpc(const absl::Status& status, const std::string& field) {
  if (status.ok()) return grpc::Status::OK;
  const std::string message(status.message());
  errors::ErrorKind kind = errors::KindOf(status);
  grpc::StatusCode code;
  std::string reason = errors::ReasonFor(kind);
  switch (kind) {
    case errors::ErrorKind::kUsage:
      return InvalidArgument(field, message);
    case errors::ErrorKind::kConnect:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case errors::ErrorKind::kLockWait:
      code = grpc::StatusCode::ABORTED;
      break;
    case errors::ErrorKind::kMigrationFailed:
    case errors::ErrorKind::kIntegrity:
    case errors::ErrorKind::kDrift:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case errors::ErrorKind::kUnknown:
    default:
      code = static_cast<grpc::StatusCode>(status.code());
      if (code == grpc::StatusCode::INVALID_ARGUMENT) return InvalidArgument(field, message);
      if (code == grpc::StatusCode::UNKNOWN) code = grpc::StatusCode::INTERNAL;
      reason = absl::StatusCodeToString(status.code());
      break;
  }
  std::string own = errors::ReasonOf(status);
  if (own.empty()) return WithReason(code, message, reason);
  return Detailed(code, message, own, reason, errors::ViolationsOf(status));
}

grpc::Status WithReason(grpc::StatusCode code, const std::string& full_message,
                        const std::string& reason) {
  return Detailed(code, full_message, reason, "", {});
}

grpc::Status Detailed(grpc::StatusCode code, const std::string& full_message,
                      const std::string& reason, const std::string& kind_reason,
                      const std::vector<errors::Violation>& violations) {
  const std::string message = Bounded(log::Scrub(full_message));
  google::rpc::Status details;
  details.set_code(code);
  details.set_message(message);
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain(exit_codes::kDomain);
  if (!kind_reason.empty()) (*info.mutable_metadata())["kind"] = kind_reason;
  details.add_details()->PackFrom(info);
  if (!violations.empty()) {
    google::rpc::PreconditionFailure failure;
    size_t bytes = 0, listed = 0;
    for (const errors::Violation& v : violations) {
      size_t size = v.type.size() + v.subject.size() + v.description.size();
      if (bytes + size > kMaxViolationBytes) break;
      bytes += size;
      ++listed;
      google::rpc::PreconditionFailure::Violation* p = failure.add_violations();
      p->set_type(v.type);
      p->set_subject(Bounded(v.subject));
      p->set_description(Bounded(v.description));
    }
    if (listed < violations.size()) {
      google::rpc::PreconditionFailure::Violation* p = failure.add_violations();
      p->set_type("TRUNCATED");
      p->set_description(absl::StrCat(violations.size() - listed,
                                      " more not listed (the status would not fit "
                                      "in the response trailers)"));
    }
    details.add_details()->PackFrom(failure);
  }
  return grpc::Status(code, message, details.SerializeAsString());
}

void FillUnmanaged(const std::vector<migrate::UnmanagedTable>& tables,
                   google::protobuf::RepeatedPtrField<v1::UnmanagedTable>* out) {
  for (const migrate::UnmanagedTable& t : tables) {
    v1::UnmanagedTable* u = out->Add();
    u->set_table(t.table);
    u->set_cluster(t.cluster);
    u->set_compiled(t.compiled);
    for (const std::string& f : t.enable_features) u->add_enable_features(f);
  }
}

void FillAdopt(const migrate::AdoptResult& result, v1::AdoptDatabaseResponse* out) {
  for (const std::string& c : result.adopted) out->add_adopted_clusters(c);
  for (const std::string& c : result.already_installed) out->add_already_installed(c);
  for (const migrate::AdoptedMigration& m : result.recorded) {
    v1::MigrationId* id = out->add_recorded();
    id->set_cluster(m.cluster);
    id->set_version(m.version);
    id->set_name(m.name);
    v1::AdoptedMigration* a = out->add_migrations();
    *a->mutable_id() = *id;
    a->set_path(m.path);
    for (const std::string& f : m.imported_from) a->add_imported_from(f);
  }
  FillUnmanaged(result.unmanaged, out->mutable_unmanaged_tables());
  out->set_dry_run(result.dry_run);
  out->set_source_history_table(result.source_table);
  out->set_tables_checked(result.tables_checked);
}

google::protobuf::Timestamp Stamp(absl::Time t) {
  google::protobuf::Timestamp out;
  if (t == absl::InfinitePast()) return out;
  out.set_seconds(absl::ToUnixSeconds(t));
  out.set_nanos(
      static_cast<int32_t>((t - absl::FromUnixSeconds(out.seconds())) / absl::Nanoseconds(1)));
  return out;
}

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  int64_t ns = absl::ToInt64Nanoseconds(d);
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

}  // namespace schemagate::rpc
