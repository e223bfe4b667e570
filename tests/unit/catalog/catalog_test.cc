#include "server/catalog/catalog.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/catalog/checksum.h"
#include "server/main/catalog_json.h"

namespace schemagate::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A compiled catalog of core + tasks + people (+ a bridge), with mail absent.
v1::BuildCatalog Compiled() {
  v1::BuildCatalog c;
  c.set_format(kCatalogFormat);
  c.add_requested_features("tasks");
  c.add_requested_features("people");
  for (const char* f : {"core", "people", "tasks"}) c.add_features(f);
  auto add_cluster = [&](const std::string& name, std::vector<std::string> deps,
                         std::vector<std::string> reqs) {
    v1::Cluster* cl = c.add_clusters();
    cl->set_name(name);
    for (auto& d : deps) cl->add_depends_on(d);
    for (auto& r : reqs) cl->add_requires_features(r);
    cl->set_bridge(!reqs.empty());
    v1::Migration* m = cl->add_migrations();
    m->set_cluster(name);
    m->set_version(1);
    v1::MigrationRef* ref = c.add_apply_order();
    ref->set_cluster(name);
    ref->set_version(1);
  };
  add_cluster("core", {}, {});
  add_cluster("people", {"core"}, {});
  add_cluster("tasks", {"core"}, {});
  add_cluster("tasks_people", {"tasks", "people"}, {"tasks", "people"});
  auto add_table = [&](const std::string& name, const std::string& cluster) {
    v1::Table* t = c.add_tables();
    t->set_name(name);
    t->set_cluster(cluster);
    v1::Column* col = t->add_columns();
    col->set_name("id");
    col->set_cluster(cluster);
    return t;
  };
  add_table("users", "core");
  add_table("crm_contacts", "people");
  v1::Table* tasks = add_table("tasks", "tasks");
  v1::Column* col = tasks->add_columns();
  col->set_name("contact_id");
  col->set_cluster("tasks_people");
  v1::ForeignKey* fk = tasks->add_foreign_keys();
  fk->set_name("tasks_contact_id_fkey");
  fk->set_references_table("crm_contacts");
  fk->set_cluster("tasks_people");
  add_table("task_contacts", "tasks_people");
  v1::AbsentCluster* mail = c.add_absent_clusters();
  mail->set_name_hex(HexEncode("mail"));
  mail->add_enable_features_hex(HexEncode("mail"));
  v1::AbsentTable* t = c.add_absent_tables();
  t->set_key(TableKey("email_messages"));
  t->set_cluster(0);
  return c;
}

TEST(CatalogTest, LoadRoundTripsAndRejectsGarbage) {
  absl::StatusOr<Catalog> c = Catalog::Load(Compiled().SerializeAsString());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->IsEnabled("tasks_people"));
  EXPECT_EQ(Catalog::Load("\xff\xff\xff").status().code(), absl::StatusCode::kInvalidArgument);
  v1::BuildCatalog future = Compiled();
  future.set_format(99);
  EXPECT_EQ(Catalog::FromProto(future).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AppliedSetDigestTest, OrderFreeAndSensitiveToEveryField) {
  const std::string base =
      AppliedSetDigest({{"core", 1, "aa"}, {"core", 2, "bb"}, {"tasks", 1, "cc"}});
  EXPECT_EQ(base.size(), 64u);
  // The same set in another order.
  EXPECT_EQ(AppliedSetDigest({{"tasks", 1, "cc"}, {"core", 2, "bb"}, {"core", 1, "aa"}}), base);
  // Versions sort as numbers, clusters as bytes.
  EXPECT_EQ(AppliedSetDigest({{"core", 10, "x"}, {"core", 9, "y"}}),
            Sha256Hex("core 9 y\ncore 10 x"));
  EXPECT_EQ(AppliedSetDigest({{"b", 1, "x"}, {"B", 1, "y"}, {"a_b", 1, "z"}}),
            Sha256Hex("B 1 y\na_b 1 z\nb 1 x"));
  // Any difference: a checksum, a version, a cluster, one more or one less.
  EXPECT_NE(AppliedSetDigest({{"core", 1, "aa"}, {"core", 2, "bX"}, {"tasks", 1, "cc"}}), base);
  EXPECT_NE(AppliedSetDigest({{"core", 1, "aa"}, {"core", 3, "bb"}, {"tasks", 1, "cc"}}), base);
  EXPECT_NE(AppliedSetDigest({{"core", 1, "aa"}, {"core", 2, "bb"}, {"people", 1, "cc"}}), base);
  EXPECT_NE(AppliedSetDigest({{"core", 1, "aa"}, {"core", 2, "bb"}}), base);
  EXPECT_EQ(AppliedSetDigest({}), Sha256Hex(""));
}

TEST(CatalogTest, AppliedDigestCoversTheEnabledMigrations) {
  v1::BuildCatalog compiled = Compiled();
  for (v1::Cluster& c : *compiled.mutable_clusters()) {
    for (v1::Migration& m : *c.mutable_migrations()) m.set_up_sha256(c.name() + "-sum");
  }
  absl::StatusOr<Catalog> c = Catalog::FromProto(compiled);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->applied_digest(), AppliedSetDigest({{"core", 1, "core-sum"},
                                                   {"people", 1, "people-sum"},
                                                   {"tasks", 1, "tasks-sum"},
                                                   {"tasks_people", 1, "tasks_people-sum"}}));
  absl::StatusOr<Catalog> narrow = c->Narrow({"tasks"});
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_EQ(narrow->applied_digest(),
            AppliedSetDigest({{"core", 1, "core-sum"}, {"tasks", 1, "tasks-sum"}}));
}

TEST(SummarizeTest, ReadsFormatDigestAndFeaturesWithoutParsing) {
  v1::BuildCatalog compiled = Compiled();
  compiled.set_applied_digest("abc123");
  const std::string bytes = compiled.SerializeAsString();
  absl::StatusOr<CatalogSummary> s = Summarize(bytes);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->format, kCatalogFormat);
  EXPECT_EQ(s->applied_digest, "abc123");
  EXPECT_EQ(s->features,
            std::vector<std::string>(compiled.features().begin(), compiled.features().end()));
  EXPECT_FALSE(s->features.empty());
  // An older catalog without the field: an empty digest.
  compiled.clear_applied_digest();
  s = Summarize(compiled.SerializeAsString());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->applied_digest, "");
  // Truncated or garbage bytes are refused, at every cut.
  for (size_t cut : {size_t{1}, bytes.size() - 1}) {
    EXPECT_EQ(Summarize(absl::string_view(bytes).substr(0, cut)).status().code(),
              absl::StatusCode::kInvalidArgument)
        << cut;
  }
  EXPECT_FALSE(Summarize("\xff\xff\xff").ok());
  EXPECT_TRUE(Summarize("").ok());
}

TEST(CatalogTest, LookupStates) {
  absl::StatusOr<Catalog> c = Catalog::FromProto(Compiled());
  ASSERT_TRUE(c.ok());
  struct Case {
    std::string name;
    TableState state;
    std::string cluster;
    std::vector<std::string> enable;
    bool compiled;
  };
  std::vector<Case> cases = {
      {"users", TableState::kAvailable, "core", {}, true},
      {"public.tasks", TableState::kAvailable, "tasks", {}, true},
      {"TASKS", TableState::kAvailable, "tasks", {}, true},
      {"email_messages", TableState::kClusterDisabled, "mail", {"mail"}, false},
      {"nope", TableState::kUnknown, "", {}, false},
  };
  for (const Case& k : cases) {
    TableLookup t = c->Lookup(k.name);
    EXPECT_EQ(t.state, k.state) << k.name;
    EXPECT_EQ(t.cluster, k.cluster) << k.name;
    EXPECT_EQ(t.enable_features, k.enable) << k.name;
    EXPECT_EQ(t.compiled, k.compiled) << k.name;
  }
}

TEST(CatalogTest, NarrowDropsClustersColumnsAndEdges) {
  absl::StatusOr<Catalog> full = Catalog::FromProto(Compiled());
  ASSERT_TRUE(full.ok());
  absl::StatusOr<Catalog> narrow = full->Narrow({"tasks"});
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_THAT(narrow->enabled_set().clusters, ElementsAre("core", "tasks"));
  EXPECT_FALSE(narrow->IsEnabled("tasks_people"));
  EXPECT_TRUE(narrow->IsCompiled("tasks_people"));
  const v1::Table* tasks = narrow->FindTable("tasks");
  ASSERT_NE(tasks, nullptr);
  EXPECT_EQ(tasks->columns_size(), 1);  // contact_id belongs to the bridge
  EXPECT_EQ(tasks->foreign_keys_size(), 0);
  EXPECT_EQ(narrow->ApplyOrder().size(), 2u);
  TableLookup contacts = narrow->Lookup("crm_contacts");
  EXPECT_EQ(contacts.state, TableState::kClusterDisabled);
  EXPECT_TRUE(contacts.compiled);
  EXPECT_THAT(contacts.enable_features, ElementsAre("people"));
  TableLookup link = narrow->Lookup("task_contacts");
  EXPECT_THAT(link.enable_features, ElementsAre("people"));
}

TEST(CatalogTest, NarrowRefusesWhatWasNotCompiledIn) {
  absl::StatusOr<Catalog> full = Catalog::FromProto(Compiled());
  ASSERT_TRUE(full.ok());
  absl::StatusOr<Catalog> mail = full->Narrow({"tasks", "mail"});
  EXPECT_EQ(mail.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(mail.status().message()),
              HasSubstr("feature \"mail\" is not compiled into this binary "
                        "(compiled: core,people,tasks); rebuild with "
                        "-DSCHEMAGATE_FEATURES=core,people,tasks,mail"));
  absl::StatusOr<Catalog> bogus = full->Narrow({"bogus"});
  EXPECT_EQ(bogus.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bogus.status().message()), HasSubstr("unknown feature \"bogus\""));
}

TEST(CatalogTest, JsonListsEnabledPartOnly) {
  absl::StatusOr<Catalog> full = Catalog::FromProto(Compiled());
  ASSERT_TRUE(full.ok());
  absl::StatusOr<Catalog> narrow = full->Narrow({"people"});
  ASSERT_TRUE(narrow.ok());
  nlohmann::ordered_json j = commands::CatalogJson(*narrow);
  EXPECT_EQ(j["features"], nlohmann::ordered_json::array({"core", "people"}));
  ASSERT_EQ(j["clusters"].size(), 2u);
  EXPECT_EQ(j["clusters"][1]["name"], "people");
  EXPECT_EQ(j["clusters"][1]["tables"][0]["name"], "crm_contacts");
}

TEST(TableKeyTest, StableAndDistinct) {
  EXPECT_EQ(TableKey("tasks"), TableKey("tasks"));
  EXPECT_NE(TableKey("tasks"), TableKey("task"));
  // The key is part of the embedded format: it must never change.
  EXPECT_EQ(TableKey("tasks"), 0x128927459a72346eULL);
}

TEST(HexTest, RoundTrip) {
  EXPECT_EQ(HexEncode("tasks"), "7461736b73");
  EXPECT_EQ(HexDecode("7461736b73"), "tasks");
  EXPECT_EQ(HexDecode("zz"), "");
  EXPECT_EQ(HexDecode("123"), "");
}

}  // namespace
}  // namespace schemagate::catalog
