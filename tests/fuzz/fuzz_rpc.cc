// Fuzz target: every RPC of schemagate.v1.SchemaGate, fed mutated request
// bytes through the real SchemaGateService (server/rpc/service.h) behind an
// in-process gRPC server, called with a generic stub so that the handlers'
// own raw-bytes decoding is what is fuzzed.
//
// Input: byte 0 picks the method (byte % 12, in kMethods order) and the
// deployment it is sent to (see kVariants: (byte / 12) % 5 below 242, the
// slow "refused" deployment from 242 up, so that it stays rare); the rest is
// the request message as sent on the wire.
//
// Deployments (built once, in LLVMFuzzerInitialize, as server/rpc/server.cc
// builds them; the Monitor is never started):
//   0 admin      admin listener, token file, the right bearer token; the
//                state known (some migrations applied, one edited, one
//                unknown, one orphaned cluster); every compiled cluster on
//   1 anonymous  the same server, no authorization metadata
//   2 wrong      the same server, a wrong bearer token
//   3 closed     admin listener without a token file (admin RPCs fail
//                closed); state unknown (as at start); narrowed to tasks
//   4 main       the main listener of a split deployment (admin RPCs are
//                refused there); state unknown; narrowed to tasks
//   5 refused    as admin, but the pool points at 127.0.0.1:1 (nothing
//                listens: connection refused, retried until the deadline)
//                and database calls get a 5 ms deadline; streams are
//                cancelled after 5 ms
// There is never a database. Deployments 0-4 point their pool at
// 127.0.0.1:1 too, with an unknown URI parameter so that libpq refuses the
// URL before connecting (a permanent error, not retried): database RPCs
// fail at once with UNAVAILABLE instead of retrying until the deadline.
//
// Checks besides "no crash":
//   - memory RPCs answer OK or INVALID_ARGUMENT within 5 s (a slow path is
//     a DEADLINE_EXCEEDED, reported as a bug);
//   - database RPCs never answer OK (there is no database) and fail fast;
//   - admin RPCs without valid credentials are refused (UNAUTHENTICATED or
//     PERMISSION_DENIED) unless the request does not decode, and never
//     reach the connection pool;
//   - OK responses and streamed messages parse as the method's response
//     type; INVALID_ARGUMENT carries a google.rpc.Status that parses;
//   - WatchClusters sends its first message at once for a valid request,
//     and the stream is released after the client cancels.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "google/rpc/status.pb.h"
#include "schemagate/v1/schemagate.pb.h"
#include "server/catalog/catalog.h"
#include "server/catalog/embedded.h"
#include "server/migrate/state.h"
#include "server/rpc/auth.h"
#include "server/rpc/db_pool.h"
#include "server/rpc/monitor.h"
#include "server/rpc/service.h"
#include "server/rpc/state.h"
#include "server/util/log.h"
#include "server/util/thread_pool.h"

namespace {

namespace rpc = schemagate::rpc;
namespace v1 = schemagate::v1;
using google::protobuf::Message;

enum Kind { kMemory, kDatabase, kAdmin };

struct Method {
  const char* name;
  Kind kind;
  bool stream;
  const Message* request;
  const Message* response;
};

const Method kMethods[] = {
    {"ListClusters", kMemory, false, &v1::ListClustersRequest::default_instance(),
     &v1::ListClustersResponse::default_instance()},
    {"CheckTables", kMemory, false, &v1::CheckTablesRequest::default_instance(),
     &v1::CheckTablesResponse::default_instance()},
    {"ValidateJoin", kMemory, false, &v1::ValidateJoinRequest::default_instance(),
     &v1::ValidateJoinResponse::default_instance()},
    {"ValidateQuery", kMemory, false, &v1::ValidateQueryRequest::default_instance(),
     &v1::ValidateQueryResponse::default_instance()},
    {"GetMigrationStatus", kDatabase, false, &v1::GetMigrationStatusRequest::default_instance(),
     &v1::GetMigrationStatusResponse::default_instance()},
    {"PlanMigrations", kDatabase, false, &v1::PlanMigrationsRequest::default_instance(),
     &v1::PlanMigrationsResponse::default_instance()},
    {"VerifySchema", kDatabase, false, &v1::VerifySchemaRequest::default_instance(),
     &v1::VerifySchemaResponse::default_instance()},
    {"ApplyMigrations", kAdmin, true, &v1::ApplyMigrationsRequest::default_instance(),
     &v1::ApplyMigrationsResponse::default_instance()},
    {"RollbackCluster", kAdmin, false, &v1::RollbackClusterRequest::default_instance(),
     &v1::RollbackClusterResponse::default_instance()},
    {"RepairChecksums", kAdmin, false, &v1::RepairChecksumsRequest::default_instance(),
     &v1::RepairChecksumsResponse::default_instance()},
    {"WatchClusters", kMemory, true, &v1::WatchClustersRequest::default_instance(),
     &v1::WatchClustersResponse::default_instance()},
    {"AdoptDatabase", kAdmin, false, &v1::AdoptDatabaseRequest::default_instance(),
     &v1::AdoptDatabaseResponse::default_instance()},
};
constexpr int kMethodCount = sizeof(kMethods) / sizeof(kMethods[0]);
constexpr int kWatchClusters = 10;

enum Credentials { kSendToken, kSendNothing, kSendWrongToken };

struct Variant {
  const char* name;
  int backend;  // index into Backends
  Credentials credentials;
  // Admin RPCs with these credentials get through (to the pool).
  bool admitted;
  grpc::StatusCode refusal;  // otherwise
  bool slow_database;        // the pool retries until the deadline
};

const Variant kVariants[] = {
    {"admin", 0, kSendToken, true, grpc::StatusCode::OK, false},
    {"anonymous", 0, kSendNothing, false, grpc::StatusCode::UNAUTHENTICATED, false},
    {"wrong", 0, kSendWrongToken, false, grpc::StatusCode::UNAUTHENTICATED, false},
    {"closed", 1, kSendToken, false, grpc::StatusCode::PERMISSION_DENIED, false},
    {"main", 2, kSendToken, false, grpc::StatusCode::PERMISSION_DENIED, false},
    {"refused", 3, kSendToken, true, grpc::StatusCode::OK, true},
};
constexpr int kVariantCount = sizeof(kVariants) / sizeof(kVariants[0]);

constexpr char kToken[] = "fuzz-admin-token-5b0c3e9d";
// Refused by libpq before any connection attempt (permanent: not retried).
constexpr char kFastFailUrl[] =
    "postgresql://fuzz@127.0.0.1:1/fuzz?schemagate_fuzz_no_such_option=1";
// Nothing listens on port 1: connection refused, retried until the deadline.
constexpr char kRefusedUrl[] = "postgresql://fuzz@127.0.0.1:1/fuzz";

const absl::Duration kSlow = absl::Seconds(5);  // "hangs"
// Every call on the slow deployment waits for this deadline (the pool
// retries a refused connection until then): 5 ms is long enough for the
// retry loop to run and short enough not to be most of the target's time.
const absl::Duration kDatabaseDeadline = absl::Milliseconds(5);  // slow pool
const absl::Duration kCancelAfter = absl::Milliseconds(5);       // slow pool
constexpr int kFirstRefusedByte = 242;

// SCHEMAGATE_FUZZ_TRACE=1: one line per call (method, deployment, code).
const bool kTrace = std::getenv("SCHEMAGATE_FUZZ_TRACE") != nullptr;

void Trace(const Method& m, const Variant& v, const grpc::Status& s, const char* extra) {
  if (!kTrace) return;
  std::fprintf(stderr, "%s on %s: code %d \"%s\"%s\n", m.name, v.name,
               static_cast<int>(s.error_code()), s.error_message().substr(0, 160).c_str(), extra);
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_rpc: %s\n", what.c_str());
  std::abort();
}

struct Backend {
  std::unique_ptr<rpc::ConnectionPool> pool;
  std::unique_ptr<rpc::TokenVerifier> auth;
  std::unique_ptr<rpc::Monitor> monitor;
  std::unique_ptr<rpc::SchemaGateService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<grpc::GenericStub> stub;
  rpc::ResponseCache* cache = nullptr;  // answers kept for repeated requests
};

struct World {
  std::string token_dir, token_file;
  std::unique_ptr<rpc::ServiceState> known, unknown;
  std::unique_ptr<schemagate::ThreadPool> workers;
  // Backends 0 (the admin, anonymous and wrong deployments) and 1 keep
  // memory RPCs' answers; 2 and 3 keep none.
  std::unique_ptr<rpc::ResponseCache> caches[2];
  Backend backends[4];
};
World* g_world = nullptr;

void RemoveTokenFile() {
  if (g_world == nullptr) return;
  unlink(g_world->token_file.c_str());
  rmdir(g_world->token_dir.c_str());
}

schemagate::catalog::Catalog LoadCatalog(bool narrow) {
  absl::StatusOr<schemagate::catalog::Catalog> full =
      schemagate::catalog::Catalog::Load(schemagate::catalog::EmbeddedCatalogBytes());
  if (!full.ok()) Fail("the embedded catalog does not load");
  if (!narrow) return *std::move(full);
  absl::StatusOr<schemagate::catalog::Catalog> n = full->Narrow({"tasks"});
  if (!n.ok()) n = full->Narrow({});
  if (!n.ok()) Fail("the embedded catalog does not narrow");
  return *std::move(n);
}

// A history as a monitor might read it: all of core, the first migration of
// every other cluster, the last of those edited since, one migration from a
// newer build and one of a cluster this build does not know.
void PublishKnownState(rpc::ServiceState* state) {
  std::vector<schemagate::migrate::AppliedMigration> history;
  int64_t seq = 0;
  for (const v1::Migration* m : state->catalog().ApplyOrder()) {
    if (m->cluster() != "core" && m->version() > 1) continue;
    schemagate::migrate::AppliedMigration a;
    a.cluster = m->cluster();
    a.version = m->version();
    a.name = m->name();
    a.checksum = m->up_sha256();
    a.down_sql = m->down_sql();
    a.no_transaction = m->no_transaction();
    a.applied_at = "2024-01-01T00:00:00Z";
    a.applied_by = "fuzz";
    a.seq = ++seq;
    history.push_back(std::move(a));
  }
  if (!history.empty()) history.back().checksum = std::string(64, '0');
  for (const auto& [cluster, name] :
       {std::pair<const char*, const char*>{"core", "from_a_newer_build"}, {"legacy", "init"}}) {
    schemagate::migrate::AppliedMigration a;
    a.cluster = cluster;
    a.version = 9999;
    a.name = name;
    a.checksum = std::string(64, 'a');
    a.seq = ++seq;
    history.push_back(std::move(a));
  }
  rpc::Snapshot snapshot;
  snapshot.known = true;
  snapshot.reachable = true;
  snapshot.as_of = absl::Now();
  snapshot.state = schemagate::migrate::ComputeState(state->catalog(), history);
  for (const auto& a : history) snapshot.applied.insert({a.cluster, a.version});
  state->Publish(std::move(snapshot));
}

void StartBackend(Backend* b, rpc::ServiceState* state, const char* url,
                  const std::string& token_file, bool admin, rpc::ResponseCache* cache = nullptr) {
  schemagate::migrate::ConnectOptions connect;
  connect.url = url;
  connect.timeout = absl::ZeroDuration();
  connect.attempt_timeout = absl::Seconds(1);
  b->pool = std::make_unique<rpc::ConnectionPool>(connect, 2);
  b->auth = std::make_unique<rpc::TokenVerifier>(token_file, /*insecure=*/false);
  if (absl::Status s = b->auth->Init(); !s.ok()) Fail(std::string(s.message()));
  b->monitor = std::make_unique<rpc::Monitor>(state, connect, absl::Seconds(1));
  rpc::ServiceContext context{
      state, b->pool.get(), b->auth.get(), g_world->workers.get(), b->monitor.get(), {}, {}};
  context.cache = cache;
  b->cache = cache;
  b->service = std::make_unique<rpc::SchemaGateService>(context, admin);
  grpc::ServerBuilder builder;
  builder.RegisterService(b->service.get());
  builder.SetMaxReceiveMessageSize(4 << 20);
  builder.SetMaxSendMessageSize(4 << 20);
  b->server = builder.BuildAndStart();
  if (b->server == nullptr) Fail("the in-process server does not start");
  b->stub =
      std::make_unique<grpc::GenericStub>(b->server->InProcessChannel(grpc::ChannelArguments()));
}

void Init() {
  // The server's protobuf complains of every string that is not UTF-8.
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  // Every log line is formatted (debug: one per call) and dropped.
  schemagate::log::Options log_options;
  log_options.level = schemagate::log::Level::kDebug;
  schemagate::log::Configure(log_options);
  schemagate::log::SetSinkForTesting([](const std::string&) {});

  g_world = new World;  // never destroyed: gRPC threads outlive main()
  char dir[] = "/tmp/schemagate-fuzz-rpc.XXXXXX";
  if (mkdtemp(dir) == nullptr) Fail("mkdtemp");
  g_world->token_dir = dir;
  g_world->token_file = g_world->token_dir + "/admin-token";
  FILE* f = std::fopen(g_world->token_file.c_str(), "w");
  if (f == nullptr) Fail("cannot write the token file");
  std::fprintf(f, "%s\n", kToken);
  std::fclose(f);
  std::atexit(RemoveTokenFile);

  g_world->known =
      std::make_unique<rpc::ServiceState>(LoadCatalog(false), schemagate::migrate::HistoryName());
  PublishKnownState(g_world->known.get());
  g_world->unknown =
      std::make_unique<rpc::ServiceState>(LoadCatalog(true), schemagate::migrate::HistoryName());
  // As a monitor whose first read failed: the state stays unknown, and the
  // snapshot has a generation, so backend 1's cache keeps answers (one never
  // published, generation 0, is not cached).
  rpc::Snapshot unread;
  unread.error = "the database was not reached";
  g_world->unknown->Publish(std::move(unread));
  g_world->workers = std::make_unique<schemagate::ThreadPool>(4, 256);
  Backend* b = g_world->backends;
  // Small caches: entries come and go while fuzzing.
  for (auto& cache : g_world->caches) cache = std::make_unique<rpc::ResponseCache>(256 << 10);
  StartBackend(&b[0], g_world->known.get(), kFastFailUrl, g_world->token_file, true,
               g_world->caches[0].get());
  StartBackend(&b[1], g_world->unknown.get(), kFastFailUrl, "", true, g_world->caches[1].get());
  StartBackend(&b[2], g_world->unknown.get(), kFastFailUrl, g_world->token_file, false);
  StartBackend(&b[3], g_world->known.get(), kRefusedUrl, g_world->token_file, true);
}

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Valid() || !buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

void CheckParses(const Method& m, const std::string& bytes, const char* what) {
  std::unique_ptr<Message> message(m.response->New());
  if (!message->ParseFromString(bytes)) {
    Fail(absl::StrCat(m.name, ": ", what, " does not parse as ", m.response->GetTypeName()));
  }
}

// grpc's default limit on received metadata (GRPC_ARG_MAX_METADATA_SIZE).
constexpr size_t kClientMetadataLimit = 8 * 1024;

// The size of a status on the wire as the receiver counts it (HPACK: name,
// value and 32 bytes per entry): grpc-status, grpc-message (percent-encoded
// outside printable ASCII) and grpc-status-details-bin (base64).
size_t StatusMetadataBytes(const grpc::Status& s) {
  size_t message = 0;
  for (unsigned char c : s.error_message()) message += c >= 0x20 && c < 0x7f && c != '%' ? 1 : 3;
  size_t details = (s.error_details().size() + 2) / 3 * 4;
  return (11 + 2 + 32) + (12 + message + 32) + (s.error_details().empty() ? 0 : 23 + details + 32);
}

// What the handler's decoding of a request body should conclude (same
// runtime, same rules).
struct Decoded {
  bool decodes = false;
  // A non-empty target_id: these servers serve one database (no --targets),
  // so once a call is admitted and its fields are valid it is NOT_FOUND.
  bool names_target = false;
};

Decoded Decode(const Method& m, const std::string& body) {
  Decoded d;
  std::unique_ptr<Message> message(m.request->New());
  d.decodes = message->ParseFromString(body);
  const google::protobuf::FieldDescriptor* field =
      message->GetDescriptor()->FindFieldByName("target_id");
  if (d.decodes && field != nullptr) {
    d.names_target = !message->GetReflection()->GetString(*message, field).empty();
  }
  return d;
}

void CheckStatus(const Method& m, const Variant& v, const Decoded& d, const grpc::Status& s) {
  const grpc::StatusCode code = s.error_code();
  auto bad = [&](const char* why) {
    Fail(absl::StrCat(m.name, " on ", v.name, ": ", why, ": code ", static_cast<int>(code), " \"",
                      s.error_message().substr(0, 300), "\""));
  };
  if (code == grpc::StatusCode::INVALID_ARGUMENT) {
    google::rpc::Status details;
    if (!details.ParseFromString(s.error_details())) bad("error details do not parse");
    if (details.code() != grpc::StatusCode::INVALID_ARGUMENT) bad("error details disagree");
  }
  // The in-process transport does not limit metadata, HTTP/2 does: a client
  // drops a status whose trailers exceed its limit (8 KiB by default) and
  // reports RESOURCE_EXHAUSTED instead.
  if (StatusMetadataBytes(s) > kClientMetadataLimit) bad("the status does not fit in trailers");
  // With a 5 ms deadline on a loaded machine, any answer may come late.
  bool slow = v.slow_database && m.kind != kMemory;
  if (slow &&
      (code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::CANCELLED)) {
    return;
  }
  if (!d.decodes) {
    // A request that does not decode is INVALID_ARGUMENT, whatever else.
    if (code != grpc::StatusCode::INVALID_ARGUMENT)
      bad("a malformed request is not INVALID_ARGUMENT");
    return;
  }
  if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) return;  // workers busy
  if (code == grpc::StatusCode::DEADLINE_EXCEEDED) bad("too slow (deadline exceeded)");
  const bool admitted = m.kind != kAdmin || v.admitted;
  if (d.names_target && admitted) {
    // An invalid field (target_id's own name rules included) is still
    // INVALID_ARGUMENT; otherwise the target is unknown here.
    if (code != grpc::StatusCode::NOT_FOUND && code != grpc::StatusCode::INVALID_ARGUMENT) {
      bad("a target_id on a server without --targets is not NOT_FOUND");
    }
    return;
  }
  switch (m.kind) {
    case kMemory:
      if (code != grpc::StatusCode::OK && code != grpc::StatusCode::INVALID_ARGUMENT) {
        bad("unexpected code");
      }
      break;
    case kDatabase:
      if (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::INVALID_ARGUMENT) {
        bad("unexpected code (there is no database)");
      }
      break;
    case kAdmin:
      if (!v.admitted) {
        if (code != v.refusal) bad("an admin RPC without valid credentials is not refused");
      } else if (code != grpc::StatusCode::UNAVAILABLE &&
                 code != grpc::StatusCode::INVALID_ARGUMENT) {
        bad("unexpected code (there is no database)");
      }
      break;
  }
}

// One unary call, waited for (Fail when it never completes).
grpc::Status CallUnary(const Method& m, Backend* b, const std::string& method,
                       grpc::ClientContext* ctx, const grpc::ByteBuffer& request,
                       grpc::ByteBuffer* response) {
  absl::Mutex mu;
  bool done = false;
  grpc::Status status;
  b->stub->UnaryCall(ctx, method, grpc::StubOptions(), &request, response, [&](grpc::Status s) {
    absl::MutexLock lock(&mu);
    status = std::move(s);
    done = true;
  });
  absl::MutexLock lock(&mu);
  if (!mu.AwaitWithTimeout(absl::Condition(&done), kSlow + absl::Seconds(25))) {
    Fail(absl::StrCat(m.name, ": the call never completed"));
  }
  return status;
}

void Unary(const Method& m, const Variant& v, Backend* b, const std::string& method,
           grpc::ClientContext* ctx, const grpc::ByteBuffer& request, const Decoded& decoded) {
  grpc::ByteBuffer response;
  grpc::Status status = CallUnary(m, b, method, ctx, request, &response);
  Trace(m, v, status, "");
  CheckStatus(m, v, decoded, status);
  if (status.ok()) CheckParses(m, Bytes(response), "the response");
  if (status.ok() && m.kind == kMemory && b->cache != nullptr) {
    // The same request again (most likely answered from the cache, the
    // snapshot being the same): the same status and the same bytes.
    grpc::ClientContext again;
    again.set_deadline(absl::ToChronoTime(absl::Now() + kSlow));
    grpc::ByteBuffer second;
    grpc::Status status2 = CallUnary(m, b, method, &again, request, &second);
    if (!status2.ok() || Bytes(second) != Bytes(response)) {
      Fail(absl::StrCat(m.name, " on ", v.name,
                        ": the same request answered differently "
                        "the second time (response cache)"));
    }
  }
}

// A server-streaming call made as a bidi call: one request, half-close,
// read the first message, then cancel.
class Stream : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  void Start(grpc::GenericStub* stub, grpc::ClientContext* ctx, const std::string& method,
             const grpc::ByteBuffer& request) {
    request_ = request;
    stub->PrepareBidiStreamingCall(ctx, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (ok) first_ = Bytes(response_);
    got_first_ = ok;
    read_done_ = true;
  }
  void OnDone(const grpc::Status& s) override {
    absl::MutexLock lock(&mu_);
    status_ = s;
    done_ = true;
  }
  // Until the first message or the end; false on timeout.
  bool WaitFirst(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(
                                    +[](Stream* s) { return s->read_done_ || s->done_; }, this),
                                timeout);
  }
  bool WaitDone(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
  }
  bool got_first() {
    absl::MutexLock lock(&mu_);
    return got_first_;
  }
  std::string first() {
    absl::MutexLock lock(&mu_);
    return first_;
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  grpc::ByteBuffer request_, response_;
  absl::Mutex mu_;
  bool read_done_ = false, got_first_ = false, done_ = false;
  std::string first_;
  grpc::Status status_;
};

bool ValidWatchFilter(const v1::WatchClustersRequest& r) {
  for (const std::string& c : r.clusters()) {
    if (c.empty() || c.size() > rpc::ServiceLimits().max_name_bytes ||
        c.find('\0') != std::string::npos) {
      return false;
    }
  }
  return true;
}

void Streaming(const Method& m, const Variant& v, Backend* b, const std::string& method,
               grpc::ClientContext* ctx, const grpc::ByteBuffer& request, const Decoded& decoded,
               const std::string& body, int index) {
  Stream stream;
  stream.Start(b->stub.get(), ctx, method, request);
  absl::Duration wait = v.slow_database && m.kind != kMemory ? kCancelAfter : kSlow;
  bool first = stream.WaitFirst(wait);
  if (!first && !v.slow_database) Fail(absl::StrCat(m.name, ": no first message or end in time"));
  ctx->TryCancel();
  if (!stream.WaitDone(absl::Seconds(30))) Fail(absl::StrCat(m.name, ": not done after cancel"));
  grpc::Status status = stream.status();
  Trace(m, v, status, stream.got_first() ? " (after a first message)" : "");
  if (stream.got_first()) {
    CheckParses(m, stream.first(), "the first streamed message");
  }
  if (index == kWatchClusters) {
    v1::WatchClustersRequest r;
    bool valid =
        decoded.decodes && !decoded.names_target && r.ParseFromString(body) && ValidWatchFilter(r);
    if (valid && !stream.got_first()) {
      Fail(absl::StrCat("WatchClusters on ", v.name, ": no first message (code ",
                        static_cast<int>(status.error_code()), ")"));
    }
    if (!valid) CheckStatus(m, v, decoded, status);
    // The stream is released once the client has gone.
    absl::Time until = absl::Now() + absl::Seconds(10);
    while (b->service->active_watches() != 0) {
      if (absl::Now() > until) Fail("a cancelled WatchClusters stream is never released");
      absl::SleepFor(absl::Microseconds(50));
    }
    return;
  }
  // ApplyMigrations: it never streams progress (there is no database).
  if (stream.got_first()) Fail("ApplyMigrations streamed a message without a database");
  if (status.error_code() != grpc::StatusCode::CANCELLED) CheckStatus(m, v, decoded, status);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_world == nullptr) Init();
  if (size == 0) return 0;
  const int index = data[0] % kMethodCount;
  const Method& m = kMethods[index];
  const Variant& v = data[0] >= kFirstRefusedByte
                         ? kVariants[kVariantCount - 1]
                         : kVariants[(data[0] / kMethodCount) % (kVariantCount - 1)];
  Backend* b = &g_world->backends[v.backend];
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Decoded decoded = Decode(m, body);

  grpc::ClientContext ctx;
  bool slow = v.slow_database && m.kind != kMemory;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + (slow ? kDatabaseDeadline : kSlow)));
  if (v.credentials == kSendToken)
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
  if (v.credentials == kSendWrongToken) ctx.AddMetadata("authorization", "Bearer not-the-token");

  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1);
  const std::string method = absl::StrCat("/schemagate.v1.SchemaGate/", m.name);
  if (m.stream) {
    Streaming(m, v, b, method, &ctx, request, decoded, body, index);
  } else {
    Unary(m, v, b, method, &ctx, request, decoded);
  }
  return 0;
}
