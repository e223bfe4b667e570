// The memory RPCs' ResponseCache behind a fleet server (serve --targets),
// in process and without a database: snapshots are published by hand. An
// answer kept for one target is never served for another target with other
// features, nor for a target redefined under the same id, nor after that
// target's state changes; the server's own state and the targets' do not
// share answers; and every call, answered from the cache or not, is counted
// in the RPC metrics.
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "schemagate/v1/schemagate.grpc.pb.h"
#include "server/catalog/catalog.h"
#include "server/fleet/feature_catalogs.h"
#include "server/fleet/targets.h"
#include "server/metrics/rpc.h"
#include "server/migrate/state.h"
#include "server/rpc/response_cache.h"
#include "server/rpc/service.h"
#include "server/rpc/state.h"
#include "server/rpc/targets.h"
#include "server/util/thread_pool.h"
#include "tests/support/generated_catalog.h"

namespace schemagate::rpc {
namespace {

// core <- c1 <- c2, each cluster a feature of its own name.
catalog::Catalog BaseCatalog() {
  test::GeneratedCatalogOptions o;
  o.clusters = 3;
  o.tables = 12;
  absl::StatusOr<catalog::Catalog> c = catalog::Catalog::FromProto(test::GenerateCatalog(o));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

// A table of cluster `cluster` in `c`.
std::string TableOf(const catalog::Catalog& c, const std::string& cluster) {
  for (const v1::Cluster& cl : c.compiled().clusters()) {
    if (cl.name() == cluster && cl.tables_size() > 0) return cl.tables(0);
  }
  ADD_FAILURE() << "no table in " << cluster;
  return "";
}

// The state read from a history: nothing applied (`known`), or no read yet.
void PublishState(ServiceState& state, bool known) {
  Snapshot s;
  s.known = known;
  s.reachable = known;
  s.as_of = absl::Now();
  if (known) s.state = migrate::ComputeState(state.catalog(), {});
  state.Publish(std::move(s));
}

class ServiceCacheTest : public ::testing::Test {
 protected:
  ServiceCacheTest()
      : base_(std::make_shared<const catalog::Catalog>(BaseCatalog())),
        catalogs_(base_),
        own_(BaseCatalog(), migrate::HistoryName()),
        registry_(migrate::HistoryName()),
        workers_(2, 64),
        cache_(1 << 20),
        rpcs_(metrics_registry_, "schemagate.v1.SchemaGate", {"CheckTables", "ListClusters"}) {}

  void SetUp() override {
    PublishState(own_, true);
    ServiceContext context;
    context.state = &own_;
    context.workers = &workers_;
    context.targets = &registry_;
    context.cache = &cache_;
    context.rpc_metrics = &rpcs_;
    service_ = std::make_unique<SchemaGateService>(context, /*admin=*/false);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::SchemaGate::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  fleet::Target Target(const std::string& id, const std::vector<std::string>& features) {
    fleet::Target t;
    t.id = id;
    t.url = "postgresql://app@db.invalid/" + id;
    t.database = "db.invalid:5432/" + id;
    t.features = features;
    absl::StatusOr<std::shared_ptr<const catalog::Catalog>> c = catalogs_.For(features);
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) t.catalog = *c;
    return t;
  }
  void SetTargets(std::vector<fleet::Target> targets) {
    registry_.Replace(std::move(targets), absl::Now());
  }
  ServiceState& StateOf(const std::string& id) {
    std::shared_ptr<TargetEntry> e = registry_.Find(id);
    EXPECT_TRUE(e != nullptr && e->state != nullptr) << id;
    return *e->state;
  }

  // CheckTables({table}) for `target_id` ("" = the server's own database).
  v1::CheckTablesResponse Check(const std::string& target_id, const std::string& table) {
    grpc::ClientContext ctx;
    v1::CheckTablesRequest req;
    req.set_target_id(target_id);
    req.add_tables(table);
    v1::CheckTablesResponse resp;
    grpc::Status s = stub_->CheckTables(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.tables_size(), 1);
    return resp;
  }
  v1::TableStatus StatusOf(const std::string& target_id, const std::string& table) {
    v1::CheckTablesResponse r = Check(target_id, table);
    return r.tables_size() == 1 ? r.tables(0).status() : v1::TABLE_STATUS_UNSPECIFIED;
  }

  // schemagate_rpc_requests_total{method, code="OK"}.
  double Calls(const std::string& method) {
    for (const prometheus::MetricFamily& f : metrics_registry_.Collect()) {
      if (f.name != "schemagate_rpc_requests_total") continue;
      for (const prometheus::ClientMetric& m : f.metric) {
        bool this_method = false, ok = false;
        for (const prometheus::ClientMetric::Label& l : m.label) {
          this_method = this_method || (l.name == "method" && l.value == method);
          ok = ok || (l.name == "code" && l.value == "OK");
        }
        if (this_method && ok) return m.counter.value;
      }
    }
    return 0;
  }

  std::shared_ptr<const catalog::Catalog> base_;
  fleet::FeatureCatalogs catalogs_;
  ServiceState own_;
  TargetRegistry registry_;
  ThreadPool workers_;
  ResponseCache cache_;
  prometheus::Registry metrics_registry_;
  metrics::RpcMetrics rpcs_;
  std::unique_ptr<SchemaGateService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SchemaGate::Stub> stub_;
};

TEST_F(ServiceCacheTest, TwoTargetsWithOtherFeaturesNeverShareAnAnswer) {
  SetTargets({Target("a", {"c1"}), Target("b", {"core"})});
  PublishState(StateOf("a"), true);
  PublishState(StateOf("b"), true);
  const std::string table = TableOf(*base_, "c1");
  // The same tables asked of each, twice in turn: the second time from the
  // cache, each target its own answer.
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(StatusOf("a", table), v1::TABLE_STATUS_NOT_MIGRATED) << "round " << round;
    EXPECT_EQ(StatusOf("b", table), v1::TABLE_STATUS_CLUSTER_DISABLED) << "round " << round;
    EXPECT_EQ(StatusOf("", table), v1::TABLE_STATUS_NOT_MIGRATED) << "round " << round;
  }
  EXPECT_EQ(cache_.entries(), 3u) << "one answer per target, reused";
  // Every call counted, answered from the cache or not.
  EXPECT_EQ(Calls("CheckTables"), 6);
}

TEST_F(ServiceCacheTest, ARedefinedTargetNeverGetsItsOldDefinitionsAnswer) {
  SetTargets({Target("a", {"core"})});
  // A few snapshots of the first definition, then an answer kept.
  for (int i = 0; i < 3; ++i) PublishState(StateOf("a"), true);
  const std::string table = TableOf(*base_, "c1");
  EXPECT_EQ(StatusOf("a", table), v1::TABLE_STATUS_CLUSTER_DISABLED);
  ASSERT_EQ(cache_.entries(), 1u);
  // Redefined with c1 (a new state): as many snapshots as the old one had,
  // before anyone asks again.
  SetTargets({Target("a", {"c1"})});
  for (int i = 0; i < 3; ++i) PublishState(StateOf("a"), true);
  EXPECT_EQ(StatusOf("a", table), v1::TABLE_STATUS_NOT_MIGRATED);
  EXPECT_EQ(StatusOf("a", table), v1::TABLE_STATUS_NOT_MIGRATED);
}

TEST_F(ServiceCacheTest, ATargetsNewSnapshotReplacesOnlyItsOwnAnswers) {
  SetTargets({Target("a", {"c1"}), Target("b", {"c1"})});
  PublishState(StateOf("a"), false);
  PublishState(StateOf("b"), false);
  const std::string table = TableOf(*base_, "c1");
  EXPECT_FALSE(Check("a", table).state_known());
  EXPECT_FALSE(Check("b", table).state_known());
  // a's history is read: a's answers follow at once; b's stay.
  PublishState(StateOf("a"), true);
  EXPECT_TRUE(Check("a", table).state_known());
  EXPECT_FALSE(Check("b", table).state_known());
  PublishState(StateOf("b"), true);
  EXPECT_TRUE(Check("b", table).state_known());
  EXPECT_TRUE(Check("a", table).state_known());
}

TEST_F(ServiceCacheTest, ListClustersFollowsEachTargetsFeatures) {
  SetTargets({Target("a", {"c2"}), Target("b", {"core"})});
  PublishState(StateOf("a"), true);
  PublishState(StateOf("b"), true);
  for (int round = 0; round < 2; ++round) {
    for (const std::string id : {"a", "b"}) {
      grpc::ClientContext ctx;
      v1::ListClustersRequest req;
      req.set_target_id(id);
      v1::ListClustersResponse resp;
      ASSERT_TRUE(stub_->ListClusters(&ctx, req, &resp).ok());
      std::vector<std::string> features(resp.features().begin(), resp.features().end());
      EXPECT_EQ(StateOf(id).catalog().enabled_set().features, features) << id;
      if (id == "a") {
        EXPECT_THAT(features, ::testing::Contains("c2")) << "round " << round;
      } else {
        EXPECT_THAT(features, ::testing::ElementsAre("core")) << "round " << round;
      }
    }
  }
  EXPECT_EQ(Calls("ListClusters"), 4);
}

}  // namespace
}  // namespace schemagate::rpc
