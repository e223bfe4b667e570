// SchemaGateService's handlers answered from memory: the catalog, the join
// graph and the last snapshot of the migration state (ListClusters,
// CheckTables, ValidateJoin, ValidateQuery through the ResponseCache;
// WatchClusters' stream; ListTargets). None touches the database.
#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/catalog/query.h"
#include "server/rpc/call.h"
#include "server/rpc/convert.h"
#include "server/rpc/reactors.h"
#include "server/rpc/service.h"
#include "server/util/exit_codes.h"
#include "server/util/log.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace schemagate::rpc {

grpc::ServerUnaryReactor* SchemaGateService::ListClusters(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "ListClusters", ctx);
  v1::ListClustersRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("ListClustersRequest"));
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  CachedAnswer answer(context_.cache, kListClusters, request, scope.state->snapshot());
  if (answer.Found(response)) return call.Finish(grpc::Status::OK);
  const Snapshot& snapshot = answer.snapshot();
  v1::ListClustersResponse resp;
  FillClusters(*scope.state, snapshot.known ? &snapshot.state : nullptr, snapshot.known,
               resp.mutable_clusters());
  for (const std::string& f : scope.state->catalog().enabled_set().features) {
    resp.add_features(f);
  }
  resp.set_database_reachable(snapshot.reachable);
  *resp.mutable_state_as_of() = Stamp(snapshot.as_of);
  FillUnmanaged(snapshot.unmanaged, resp.mutable_unmanaged_tables());
  return call.Finish(answer.Answer(resp, response));
}

grpc::ServerUnaryReactor* SchemaGateService::CheckTables(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "CheckTables", ctx);
  v1::CheckTablesRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("CheckTablesRequest"));
  if (req.tables().empty()) {
    return call.Finish(InvalidArgument("tables", "name at least one table"));
  }
  if (static_cast<size_t>(req.tables_size()) > context_.limits.max_tables) {
    return call.Finish(InvalidArgument(
        "tables", absl::StrCat("at most ", context_.limits.max_tables, " tables per request (got ",
                               req.tables_size(), ")")));
  }
  for (int i = 0; i < req.tables_size(); ++i) {
    std::string problem = NameProblem(req.tables(i), context_.limits.max_name_bytes);
    if (!problem.empty()) {
      return call.Finish(
          InvalidArgument(absl::StrCat("tables[", i, "]"), absl::StrCat("table name ", problem)));
    }
  }
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  CachedAnswer answer(context_.cache, kCheckTables, request, scope.state->snapshot());
  if (answer.Found(response)) return call.Finish(grpc::Status::OK);
  const Snapshot& snapshot = answer.snapshot();
  v1::CheckTablesResponse resp;
  bool all = true;
  for (const std::string& t : req.tables()) {
    v1::TableCheck* check = resp.add_tables();
    *check = CheckTable(*scope.state, snapshot, t);
    all = all && check->status() == v1::TABLE_STATUS_AVAILABLE;
  }
  resp.set_all_available(all);
  resp.set_state_known(snapshot.known);
  return call.Finish(answer.Answer(resp, response));
}

grpc::ServerUnaryReactor* SchemaGateService::ValidateJoin(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "ValidateJoin", ctx);
  v1::ValidateJoinRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("ValidateJoinRequest"));
  if (req.tables().empty() && req.pairs().empty()) {
    return call.Finish(InvalidArgument("tables", "name at least one table or pair"));
  }
  if (static_cast<size_t>(req.tables_size() + req.pairs_size()) > context_.limits.max_join_tables) {
    return call.Finish(
        InvalidArgument("tables", absl::StrCat("at most ", context_.limits.max_join_tables,
                                               " tables and pairs per request")));
  }
  catalog::JoinRequest jr;
  for (int i = 0; i < req.tables_size(); ++i) {
    std::string problem = NameProblem(req.tables(i), context_.limits.max_name_bytes);
    if (!problem.empty()) {
      return call.Finish(
          InvalidArgument(absl::StrCat("tables[", i, "]"), absl::StrCat("table name ", problem)));
    }
    jr.tables.push_back(req.tables(i));
  }
  for (int i = 0; i < req.pairs_size(); ++i) {
    const v1::JoinPair& p = req.pairs(i);
    for (const auto& [field, value] :
         {std::pair<const char*, const std::string*>{"left", &p.left()}, {"right", &p.right()}}) {
      std::string problem = NameProblem(*value, context_.limits.max_name_bytes);
      if (!problem.empty()) {
        return call.Finish(InvalidArgument(absl::StrCat("pairs[", i, "].", field),
                                           absl::StrCat("table name ", problem)));
      }
    }
    jr.pairs.push_back({p.left(), p.right(), p.foreign_key()});
  }
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  CachedAnswer answer(context_.cache, kValidateJoin, request, scope.state->snapshot());
  if (answer.Found(response)) return call.Finish(grpc::Status::OK);
  catalog::JoinResult result = scope.state->graph().Join(jr);
  v1::ValidateJoinResponse resp;
  FillJoin(*scope.state, answer.snapshot(), result, &resp);
  return call.Finish(answer.Answer(resp, response));
}

grpc::ServerUnaryReactor* SchemaGateService::ValidateQuery(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "ValidateQuery", ctx);
  // Too long to accept: refused by its encoded size, before a copy of it is
  // decoded (the request holds only `sql`: a tag and a length precede it).
  auto too_long = [&](size_t bytes) {
    // Not worth a retry: a usage error for the exit-code table.
    return call.Finish(
        WithReason(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   absl::StrCat("ValidateQuery: the SQL is ", bytes,
                                " bytes; this server accepts at most --max-query-bytes=",
                                context_.limits.max_query_bytes),
                   exit_codes::kReasonUsage));
  };
  // A tag and a length before the SQL, and a target_id (at most
  // max_name_bytes, with its own tag and length).
  const size_t kFieldOverhead = 16 + context_.limits.max_name_bytes;
  if (request != nullptr && request->Length() > context_.limits.max_query_bytes + kFieldOverhead) {
    return too_long(request->Length() - std::min<size_t>(request->Length(), 6));
  }
  v1::ValidateQueryRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("ValidateQueryRequest"));
  const size_t size = req.sql().size();
  if (size > context_.limits.max_query_bytes) return too_long(size);
  Scope scope;
  if (grpc::Status s = Resolve(req.target_id(), &scope); !s.ok()) return call.Finish(s);
  auto answer = std::make_shared<CachedAnswer>(context_.cache, kValidateQuery, request,
                                               scope.state->snapshot());
  if (answer->Found(response)) return call.Finish(grpc::Status::OK);
  auto work = [state = scope.state, req = std::move(req), response, answer]() -> grpc::Status {
    absl::StatusOr<catalog::QueryResult> result = catalog::AnalyzeQuery(state->graph(), req.sql());
    if (!result.ok()) return InvalidArgument("sql", std::string(result.status().message()));
    v1::ValidateQueryResponse resp;
    FillQuery(*state, answer->snapshot(), *result, &resp);
    return answer->Answer(resp, response);
  };
  // Every parse holds its SQL's bytes of a budget while queued or running:
  // parsing costs hundreds of bytes of memory per byte of SQL (measured:
  // ~390 for a long IN list), so the budget, not the number of callers,
  // bounds the memory.
  ByteBudget* budget = context_.parse_budget;
  if (budget != nullptr && !budget->TryTake(size)) {
    return call.Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                    absl::StrCat("ValidateQuery: ", budget->used(),
                                                 " bytes of SQL are already being parsed or queued "
                                                 "(--max-parse-bytes=",
                                                 budget->max(), "); retry later")));
  }
  if (size < context_.limits.large_query_bytes) {
    grpc::Status s = work();
    if (budget != nullptr) budget->Give(size);
    return call.Finish(s);
  }
  // Large SQL is parsed on the parser pool (a few at a time), not inline on
  // a gRPC thread.
  ThreadPool* pool = context_.parsers != nullptr ? context_.parsers : context_.workers;
  bool queued = pool->TrySubmit(
      [call, budget, size, work = std::function<grpc::Status()>(std::move(work))]() mutable {
        grpc::Status s = call.ctx()->IsCancelled()
                             ? grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran")
                             : work();
        work = nullptr;  // the request's SQL goes before the budget is given back
#ifdef __GLIBC__
        // A large parse frees hundreds of MiB into this thread's malloc arena;
        // without a trim the next one, on another thread's arena, adds as much
        // again to the resident set.
        malloc_trim(0);
#endif
        if (budget != nullptr) budget->Give(size);
        call.Finish(s);
      });
  if (!queued) {
    if (budget != nullptr) budget->Give(size);
    return call.Finish(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many queries queued; retry later"));
  }
  return call.reactor();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SchemaGateService::WatchClusters(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  v1::WatchClustersRequest req;
  bool parsed = Decode(request, &req);
  std::set<std::string> filter(req.clusters().begin(), req.clusters().end());
  Scope scope;
  grpc::Status refusal =
      parsed ? Resolve(req.target_id(), &scope) : Malformed("WatchClustersRequest");
  for (const std::string& c : filter) {
    std::string problem = NameProblem(c, context_.limits.max_name_bytes);
    if (refusal.ok() && !problem.empty()) {
      refusal = InvalidArgument("clusters", absl::StrCat("cluster name ", problem));
    }
  }
  std::shared_ptr<ServiceState> state =
      scope.state ? scope.state
                  : std::shared_ptr<ServiceState>(std::shared_ptr<ServiceState>(), context_.state);
  return StartWatch(ctx, context_, std::move(state), std::move(filter), context_.watches, refusal);
}

grpc::ServerUnaryReactor* SchemaGateService::ListTargets(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  Unary call(context_.rpc_metrics, "ListTargets", ctx);
  v1::ListTargetsRequest req;
  if (!Decode(request, &req)) return call.Finish(Malformed("ListTargetsRequest"));
  constexpr int kDefaultPage = 1000, kMaxPage = 10000;
  if (req.page_size() < 0 || req.page_size() > kMaxPage) {
    return call.Finish(InvalidArgument(
        "page_size", absl::StrCat("page_size must be 0 (", kDefaultPage, ") to ", kMaxPage)));
  }
  const int page = req.page_size() == 0 ? kDefaultPage : req.page_size();
  v1::ListTargetsResponse resp;
  if (context_.targets == nullptr) return call.Finish(Encode(resp, response));
  *resp.mutable_loaded_at() = Stamp(context_.targets->loaded_at());
  resp.set_load_error(context_.targets->load_error());
  int total = 0;
  for (const std::shared_ptr<TargetEntry>& e : context_.targets->All()) {
    const fleet::Target& t = e->target;
    bool labels_match = true;
    for (const auto& [k, v] : req.labels()) {
      auto it = t.labels.find(k);
      labels_match = labels_match && it != t.labels.end() && it->second == v;
    }
    if (!labels_match || (!req.wave().empty() && t.wave != req.wave())) continue;
    std::shared_ptr<const Snapshot> snapshot =
        e->state ? e->state->snapshot() : std::make_shared<const Snapshot>();
    const bool serving = e->state != nullptr && snapshot->Serving();
    if (req.only_not_serving() && serving) continue;
    ++total;
    if (t.id <= req.page_token() || resp.targets_size() >= page) {
      if (resp.targets_size() >= page && resp.next_page_token().empty() &&
          t.id > req.page_token()) {
        resp.set_next_page_token(resp.targets(resp.targets_size() - 1).id());
      }
      continue;
    }
    v1::TargetInfo* info = resp.add_targets();
    info->set_id(t.id);
    if (e->state) {
      for (const std::string& f : e->state->catalog().enabled_set().features) info->add_features(f);
    } else {
      for (const std::string& f : t.features) info->add_features(f);
    }
    info->mutable_labels()->insert(t.labels.begin(), t.labels.end());
    info->set_wave(t.wave);
    info->set_database(t.database);
    info->set_problem(t.problem);
    info->set_state_known(snapshot->known);
    info->set_database_reachable(snapshot->reachable);
    info->set_serving(serving);
    info->set_pending_count(static_cast<int32_t>(snapshot->state.pending.size()));
    *info->mutable_state_as_of() = Stamp(snapshot->as_of);
    info->set_error(log::Scrub(snapshot->error));
    if (e->state && context_.fleet_monitor != nullptr) {
      info->set_monitoring(context_.fleet_monitor->Monitoring(t.id));
    }
  }
  resp.set_total(total);
  return call.Finish(Encode(resp, response));
}

}  // namespace schemagate::rpc
