// SchemaGateService's handlers that use the database, on the worker pool:
// reads (GetMigrationStatus, PlanMigrations, VerifySchema) inside a
// read-only transaction bounded by --statement-timeout, and the admin RPCs
// (ApplyMigrations' stream, RollbackCluster, RepairChecksums,
// AdoptDatabase), admitted by CheckAdmin first.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/migrate/adopt.h"
#include "server/migrate/unmanaged.h"
#include "server/migrate/verify.h"
#include "server/rpc/call.h"
#include "server/rpc/convert.h"
#include "server/rpc/reactors.h"
#include "server/rpc/service.h"
#include "server/util/errors.h"
#include "server/util/log.h"

namespace schemagate::rpc {
namespace {

// Runs `work` on the workers with a connection to `scope`'s database (a
// failure to get one is kConnect); with `read`, inside a BoundedRead, which
// is rolled back once `work` is done.
grpc::ServerUnaryReactor* WithDatabase(const ServiceContext& context, Unary call,
                                       SchemaGateService::Scope scope, bool read,
                                       std::function<grpc::Status(migrate::Connection*)> work) {
  grpc::CallbackServerContext* ctx = call.ctx();
  return Offload(context.workers, call,
                 [&context, ctx, scope, read, work = std::move(work)]() -> grpc::Status {
                   absl::StatusOr<ConnectionPool::Lease> conn = scope.Acquire(DeadlineOf(ctx));
                   if (!conn.ok()) {
                     return ToGrpc(errors::WithKind(conn.status(), errors::ErrorKind::kConnect));
                   }
                   if (!read) return work(conn->get());
                   BoundedRead bounded(conn->get(), context.statement_timeout);
                   if (!bounded.status().ok()) return ToGrpc(bounded.status());
                   return work(conn->get());
                 });
}

// A read's error as the status of a call that could not read the database.
grpc::Status ReadFailed(const absl::Status& status) {
  return ToGrpc(errors::WithKind(status, errors::ErrorKind::kConnect));
}

}  // namespace

grpc::ServerUnaryReactor* SchemaGateService::GetMigrationStatus(grpc::CallbackServerContext* ctx,
                                                                const grpc::ByteBuffer* request,
                                                                grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "GetMigrationStatus", ctx);
  v1::GetMigrationStatusRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("GetMigrationStatusRequest"));
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return WithDatabase(
      context_, call, scope, /*read=*/true,
      [this, response, scope](migrate::Connection* conn) -> grpc::Status {
        migrate::Engine engine(scope.state->catalog(), conn, context_.engine);
        absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
        if (!state.ok()) return ReadFailed(state.status());
        v1::GetMigrationStatusResponse resp;
        FillClusters(*scope.state, &*state, true, resp.mutable_clusters());
        resp.set_up_to_date(state->up_to_date());
        for (const v1::Migration* m : state->pending) FillPending(*m, false, resp.add_pending());
        resp.set_history_table(
            absl::StrCat(context_.engine.history.schema, ".", context_.engine.history.table));
        resp.set_history_exists(state->history_exists);
        absl::StatusOr<std::vector<migrate::UnmanagedTable>> unmanaged =
            migrate::ReadUnmanaged(conn, scope.state->catalog(), context_.engine.history, &*state);
        if (!unmanaged.ok()) return ReadFailed(unmanaged.status());
        FillUnmanaged(*unmanaged, resp.mutable_unmanaged_tables());
        return Encode(resp, response);
      });
}

grpc::ServerUnaryReactor* SchemaGateService::PlanMigrations(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "PlanMigrations", ctx);
  v1::PlanMigrationsRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("PlanMigrationsRequest"));
  bool include_sql = req.include_sql();
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return WithDatabase(
      context_, call, scope, /*read=*/true,
      [this, response, include_sql, scope](migrate::Connection* conn) -> grpc::Status {
        migrate::Engine engine(scope.state->catalog(), conn, context_.engine);
        absl::StatusOr<migrate::MigrationState> state = engine.ReadState();
        if (!state.ok()) return ReadFailed(state.status());
        absl::StatusOr<std::vector<migrate::PlannedLock>> locks =
            migrate::PlanLocks(conn, state->pending);
        if (!locks.ok()) return ReadFailed(locks.status());
        v1::PlanMigrationsResponse resp;
        std::map<const v1::Migration*, v1::PendingMigration*> by_migration;
        for (const v1::Migration* m : state->pending) {
          v1::PendingMigration* p = resp.add_migrations();
          FillPending(*m, include_sql, p);
          by_migration[m] = p;
        }
        for (const migrate::PlannedLock& l : *locks) {
          FillLock(l, by_migration[l.migration]->add_locks());
        }
        if (const int64_t max = context_.engine.max_blocking_rows; max >= 0) {
          absl::Status refused = migrate::CheckBlockingRows(*locks, max);
          v1::BlockingLimit* limit = resp.mutable_blocking_limit();
          limit->set_max_blocking_rows(max);
          limit->set_refused(!refused.ok());
          limit->set_refusal(std::string(refused.message()));
        }
        return Encode(resp, response);
      });
}

grpc::ServerUnaryReactor* SchemaGateService::VerifySchema(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "VerifySchema", ctx);
  v1::VerifySchemaRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("VerifySchemaRequest"));
  bool ignore_extra = req.ignore_extra_tables();
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return WithDatabase(
      context_, call, scope, /*read=*/true,
      [this, response, ignore_extra, scope](migrate::Connection* conn) -> grpc::Status {
        migrate::VerifyOptions options;
        options.ignore_extra_tables = ignore_extra;
        absl::StatusOr<migrate::VerifyReport> report =
            migrate::VerifyLive(conn, scope.state->catalog(), context_.engine.history, options);
        if (!report.ok()) return ReadFailed(report.status());
        v1::VerifySchemaResponse resp;
        FillDrift(*report, &resp);
        return Encode(resp, response);
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SchemaGateService::ApplyMigrations(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  v1::ApplyMigrationsRequest req;
  bool parsed = Decode(request, &req);
  Scope scope;
  grpc::Status refusal = !parsed ? Malformed("ApplyMigrationsRequest") : CheckAdmin(ctx);
  if (refusal.ok()) refusal = Resolve(req.target_id(), &scope);
  return StartApply(ctx, context_, std::move(req), std::move(scope), refusal);
}

grpc::ServerUnaryReactor* SchemaGateService::RollbackCluster(grpc::CallbackServerContext* ctx,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "RollbackCluster", ctx);
  v1::RollbackClusterRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("RollbackClusterRequest"));
  if (grpc::Status auth = CheckAdmin(ctx); !auth.ok()) return call.Finish(auth);
  std::string problem = NameProblem(req.cluster(), context_.limits.max_name_bytes);
  if (!problem.empty()) {
    return call.Finish(InvalidArgument("cluster", absl::StrCat("cluster ", problem)));
  }
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return WithDatabase(context_, call, scope, /*read=*/false,
                      [this, ctx, response, req, scope](migrate::Connection* conn) -> grpc::Status {
                        migrate::Engine engine(scope.state->catalog(), conn, context_.engine);
                        migrate::RollbackOptions options;
                        options.cluster = req.cluster();
                        options.to_version = req.to_version();
                        options.force = req.force();
                        options.dry_run = req.dry_run();
                        options.stop = [ctx] { return ctx->IsCancelled(); };
                        options.progress = [](const migrate::Event& e) {
                          if (e.kind == migrate::Event::kFinished)
                            log::Info("rolled back", {{"migration", e.ref}});
                        };
                        absl::StatusOr<migrate::RollbackResult> result = engine.Rollback(options);
                        scope.Refresh();
                        if (!result.ok()) return ToGrpc(result.status(), "cluster");
                        v1::RollbackClusterResponse resp;
                        resp.set_dry_run(req.dry_run());
                        for (const migrate::StepResult& s : result->reverted) {
                          v1::MigrationId* r = resp.add_reverted();
                          r->set_cluster(s.cluster);
                          r->set_version(s.version);
                          r->set_name(s.name);
                        }
                        return Encode(resp, response);
                      });
}

grpc::ServerUnaryReactor* SchemaGateService::RepairChecksums(grpc::CallbackServerContext* ctx,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "RepairChecksums", ctx);
  v1::RepairChecksumsRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("RepairChecksumsRequest"));
  if (grpc::Status auth = CheckAdmin(ctx); !auth.ok()) return call.Finish(auth);
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return WithDatabase(context_, call, scope, /*read=*/false,
                      [this, ctx, response, req, scope](migrate::Connection* conn) -> grpc::Status {
                        migrate::Engine engine(scope.state->catalog(), conn, context_.engine);
                        absl::StatusOr<migrate::RepairResult> result =
                            engine.Repair({req.cluster(), req.dry_run(), nullptr,
                                           [ctx] { return ctx->IsCancelled(); }});
                        scope.Refresh();
                        if (!result.ok()) return ToGrpc(result.status(), "cluster");
                        v1::RepairChecksumsResponse resp;
                        resp.set_dry_run(req.dry_run());
                        for (const migrate::ChecksumMismatch& m : result->repaired) {
                          v1::ChecksumProblem* p = resp.add_repaired();
                          p->set_cluster(m.cluster);
                          p->set_version(m.version);
                          p->set_path(m.path);
                          p->set_applied_sha256(m.applied_checksum);
                          p->set_file_sha256(m.build_checksum);
                        }
                        return Encode(resp, response);
                      });
}

grpc::ServerUnaryReactor* SchemaGateService::AdoptDatabase(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "AdoptDatabase", ctx);
  v1::AdoptDatabaseRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("AdoptDatabaseRequest"));
  if (grpc::Status auth = CheckAdmin(ctx); !auth.ok()) return call.Finish(auth);
  migrate::AdoptOptions options;
  switch (req.source_format()) {
    case v1::SOURCE_FORMAT_NONE:
      options.from = migrate::SourceFormat::kNone;
      break;
    case v1::SOURCE_FORMAT_DIESEL:
      options.from = migrate::SourceFormat::kDiesel;
      break;
    case v1::SOURCE_FORMAT_GOLANG_MIGRATE:
      options.from = migrate::SourceFormat::kGolangMigrate;
      break;
    case v1::SOURCE_FORMAT_FLYWAY:
      options.from = migrate::SourceFormat::kFlyway;
      break;
    default:
      return call.Finish(InvalidArgument("source_format",
                                         "set source_format to the tool that migrated the database "
                                         "(DIESEL, GOLANG_MIGRATE, FLYWAY) or NONE"));
  }
  for (int i = 0; i < req.clusters_size(); ++i) {
    std::string problem = NameProblem(req.clusters(i), context_.limits.max_name_bytes);
    if (!problem.empty()) {
      return call.Finish(InvalidArgument(absl::StrCat("clusters[", i, "]"),
                                         absl::StrCat("cluster name ", problem)));
    }
    options.clusters.push_back(req.clusters(i));
  }
  if (req.source_history_table().size() > context_.limits.max_name_bytes) {
    return call.Finish(InvalidArgument("source_history_table", "too long"));
  }
  if (options.from == migrate::SourceFormat::kNone && !req.source_history_table().empty()) {
    return call.Finish(InvalidArgument("source_history_table",
                                       "a history table needs a source_format other than NONE"));
  }
  options.source_table = req.source_history_table();
  options.dry_run = req.dry_run();
  options.ignore_extra_tables = req.ignore_extra_tables();
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  return WithDatabase(
      context_, call, scope, /*read=*/false,
      [this, ctx, response, options, scope](migrate::Connection* conn) -> grpc::Status {
        migrate::AdoptOptions adopt = options;
        adopt.stop = [ctx] { return ctx->IsCancelled(); };
        absl::StatusOr<migrate::AdoptResult> result =
            migrate::Adopt(scope.state->catalog(), conn, context_.engine, adopt);
        scope.Refresh();
        if (!result.ok()) {
          std::string reason = errors::ReasonOf(result.status());
          const char* field =
              reason == "SOURCE_FORMAT_MISMATCH" ? "source_format"
              : absl::StartsWith(reason, "SOURCE_HISTORY") || reason == "BAD_SOURCE_HISTORY_TABLE"
                  ? "source_history_table"
                  : "clusters";
          return ToGrpc(result.status(), field);
        }
        if (!result->dry_run && !result->nothing_to_adopt()) {
          log::Info("adopted", {{"clusters", absl::StrJoin(result->adopted, ",")},
                                {"recorded", absl::StrCat(result->recorded.size())},
                                {"from", result->from}});
        }
        v1::AdoptDatabaseResponse resp;
        FillAdopt(*result, &resp);
        SetDuration(result->total, resp.mutable_duration());
        SetDuration(result->lock_wait, resp.mutable_lock_wait());
        return Encode(resp, response);
      });
}

}  // namespace schemagate::rpc
