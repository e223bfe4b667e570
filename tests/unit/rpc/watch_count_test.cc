// WatchClusters streams are counted per service (ServiceContext::watches),
// not per process: two servers in one process each have their own
// --max-watches, while a server's two listeners, given one counter, share
// theirs. In process, without a database (snapshots published by hand).
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "schemagate/v1/schemagate.grpc.pb.h"
#include "server/catalog/catalog.h"
#include "server/migrate/state.h"
#include "server/rpc/service.h"
#include "server/rpc/state.h"
#include "server/util/thread_pool.h"
#include "tests/support/generated_catalog.h"

namespace schemagate::rpc {
namespace {

catalog::Catalog SmallCatalog() {
  test::GeneratedCatalogOptions o;
  o.clusters = 2;
  o.tables = 4;
  absl::StatusOr<catalog::Catalog> c = catalog::Catalog::FromProto(test::GenerateCatalog(o));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

// One in-process server: its own state, `max_watches`, and the counter it
// is given (null: its own).
class Served {
 public:
  Served(int max_watches, std::shared_ptr<std::atomic<int>> counter)
      : state_(SmallCatalog(), migrate::HistoryName()), workers_(1, 16) {
    Snapshot s;
    s.known = true;
    s.reachable = true;
    s.as_of = absl::Now();
    s.state = migrate::ComputeState(state_.catalog(), {});
    state_.Publish(std::move(s));
    ServiceContext context;
    context.state = &state_;
    context.workers = &workers_;
    context.limits.max_watches = max_watches;
    context.watches = std::move(counter);
    service_ = std::make_unique<SchemaGateService>(context, /*admin=*/false);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = v1::SchemaGate::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  ~Served() { server_->Shutdown(); }

  const SchemaGateService& service() const { return *service_; }
  v1::SchemaGate::Stub* stub() { return stub_.get(); }

 private:
  ServiceState state_;
  ThreadPool workers_;
  std::unique_ptr<SchemaGateService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SchemaGate::Stub> stub_;
};

// An open WatchClusters stream: its first message read (or its refusal).
class Watch {
 public:
  explicit Watch(Served* served) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    reader_ = served->stub()->WatchClusters(&ctx_, v1::WatchClustersRequest());
    v1::WatchClustersResponse first;
    open_ = reader_->Read(&first);
    if (!open_) status_ = reader_->Finish();
  }
  ~Watch() { Close(); }
  void Close() {
    if (!open_) return;
    ctx_.TryCancel();
    v1::WatchClustersResponse more;
    while (reader_->Read(&more)) {
    }
    status_ = reader_->Finish();
    open_ = false;
  }
  bool open() const { return open_; }
  const grpc::Status& status() const { return status_; }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::WatchClustersResponse>> reader_;
  bool open_ = false;
  grpc::Status status_;
};

// The stream is released by the reactor after the client has gone.
bool CountReaches(const SchemaGateService& service, int want) {
  absl::Time until = absl::Now() + absl::Seconds(10);
  while (service.active_watches() != want) {
    if (absl::Now() > until) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST(WatchCount, TwoServersInOneProcessEachHaveTheirOwnLimit) {
  Served a(/*max_watches=*/1, nullptr);
  Served b(/*max_watches=*/1, nullptr);
  Watch on_a(&a);
  ASSERT_TRUE(on_a.open()) << on_a.status().error_message();
  EXPECT_EQ(a.service().active_watches(), 1);
  EXPECT_EQ(b.service().active_watches(), 0);
  // With one count for the process, b would refuse: a's stream is open.
  Watch on_b(&b);
  ASSERT_TRUE(on_b.open()) << on_b.status().error_message();
  EXPECT_EQ(b.service().active_watches(), 1);
  // Each server's own limit still holds.
  Watch second_on_a(&a);
  EXPECT_FALSE(second_on_a.open());
  EXPECT_EQ(second_on_a.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(second_on_a.status().error_message().find("--max-watches=1"), std::string::npos)
      << second_on_a.status().error_message();
  on_a.Close();
  on_b.Close();
  EXPECT_TRUE(CountReaches(a.service(), 0));
  EXPECT_TRUE(CountReaches(b.service(), 0));
}

TEST(WatchCount, ListenersGivenOneCounterShareTheLimit) {
  auto shared = std::make_shared<std::atomic<int>>(0);
  Served main_listener(/*max_watches=*/1, shared);
  Served admin_listener(/*max_watches=*/1, shared);
  Watch first(&main_listener);
  ASSERT_TRUE(first.open()) << first.status().error_message();
  EXPECT_EQ(admin_listener.service().active_watches(), 1);
  Watch refused(&admin_listener);
  EXPECT_FALSE(refused.open());
  EXPECT_EQ(refused.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  first.Close();
  ASSERT_TRUE(CountReaches(admin_listener.service(), 0));
  Watch now(&admin_listener);
  EXPECT_TRUE(now.open()) << now.status().error_message();
  now.Close();
  EXPECT_TRUE(CountReaches(main_listener.service(), 0));
  EXPECT_EQ(shared->load(), 0);
}

}  // namespace
}  // namespace schemagate::rpc
