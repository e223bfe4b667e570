// SchemaGateService's own part: admission of admin RPCs and what a request's
// target_id resolves to (the server's database or a fleet target, and a
// connection to it). The handlers are in service_read.cc (memory RPCs and
// streams of state) and service_database.cc (RPCs that use the database).
#include "server/rpc/service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/rpc/call.h"
#include "server/rpc/convert.h"
#include "server/util/exit_codes.h"

namespace schemagate::rpc {

SchemaGateService::SchemaGateService(ServiceContext context, bool admin)
    : context_(std::move(context)), admin_(admin) {
  if (context_.watches == nullptr) context_.watches = std::make_shared<std::atomic<int>>(0);
}

int SchemaGateService::active_watches() const { return context_.watches->load(); }

grpc::Status SchemaGateService::CheckAdmin(grpc::CallbackServerContext* ctx) const {
  if (!admin_) {
    return WithReason(grpc::StatusCode::PERMISSION_DENIED,
                      "admin RPCs are not served on this listener; use the "
                      "admin listener (--admin-listen)",
                      exit_codes::kReasonNotAuthorized);
  }
  grpc::Status auth = FromAuth(context_.auth->Check(AuthorizationOf(ctx)));
  if (auth.ok() && context_.reads_standby) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this server reads from a standby (its database URL sets "
                        "target_session_attrs to a standby); admin RPCs need the "
                        "primary: run them on a server, or the migrate Job, whose URL "
                        "reaches the primary");
  }
  return auth;
}

absl::StatusOr<ConnectionPool::Lease> SchemaGateService::Scope::Acquire(absl::Time deadline) const {
  if (!entry) return context->pool->Acquire(deadline);
  // A fleet target: a connection of its own for this call (fleets have
  // thousands of databases; a pool per target would hold thousands).
  migrate::ConnectOptions connect = context->target_connect;
  connect.url = entry->target.url;
  connect.timeout =
      std::max(absl::ZeroDuration(), std::min(connect.timeout, deadline - absl::Now()));
  absl::StatusOr<std::unique_ptr<migrate::Connection>> conn = migrate::Connection::Open(connect);
  if (!conn.ok()) return conn.status();
  return ConnectionPool::Lease(nullptr, *std::move(conn));
}

void SchemaGateService::Scope::Refresh() const {
  if (entry) {
    if (context->fleet_monitor != nullptr) context->fleet_monitor->Refresh(entry->target.id);
  } else if (context->monitor != nullptr) {
    context->monitor->Refresh();
  }
}

grpc::Status SchemaGateService::Resolve(const std::string& target_id, Scope* out) const {
  out->context = &context_;
  if (target_id.empty()) {
    if (!context_.has_default) {
      return InvalidArgument(
          "target_id",
          absl::StrCat("this server serves a fleet (--targets) and has no database of its "
                       "own: set target_id (ListTargets lists its ",
                       context_.targets != nullptr ? context_.targets->size() : 0, " targets)"));
    }
    // The server's own state outlives every call: not owned here.
    out->state = std::shared_ptr<ServiceState>(std::shared_ptr<ServiceState>(), context_.state);
    return grpc::Status::OK;
  }
  std::string problem = NameProblem(target_id, context_.limits.max_name_bytes);
  if (!problem.empty()) return InvalidArgument("target_id", "target_id " + problem);
  const std::string shown = absl::CHexEscape(target_id);
  if (context_.targets == nullptr) {
    return WithReason(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("unknown target_id \"", shown,
                                   "\": this server serves one database (it runs without "
                                   "--targets); leave target_id empty"),
                      exit_codes::kReasonUnknownTarget);
  }
  std::shared_ptr<TargetEntry> entry = context_.targets->Find(target_id);
  if (entry == nullptr) {
    return WithReason(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("unknown target_id \"", shown, "\": not in the target set (",
                                   context_.targets->size(), " targets; ListTargets lists them)"),
                      exit_codes::kReasonUnknownTarget);
  }
  if (entry->state == nullptr) {
    return WithReason(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("target \"", shown, "\" is in the target set but not served: ",
                                   entry->target.problem, " (", entry->target.origin, ")"),
                      exit_codes::kReasonTargetNotServed);
  }
  if (context_.fleet_monitor != nullptr) context_.fleet_monitor->Used(*entry);
  out->state = entry->state;
  out->entry = std::move(entry);
  return grpc::Status::OK;
}

}  // namespace schemagate::rpc
