#include "server/catalog/diagram.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/generated_catalog.h"

namespace schemagate::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// core (users), people (crm_contacts), tasks (tasks, self-reference to
// users), goals (depends on tasks), the bridge tasks_people (adds
// tasks.contact_id -> crm_contacts and the table task_contacts); mail is in
// the tree but not compiled in.
class CatalogBuilder {
 public:
  CatalogBuilder() {
    using test::AddCluster;
    AddCluster(&c_, "core", {});
    AddCluster(&c_, "people", {"core"});
    AddCluster(&c_, "tasks", {"core"});
    AddCluster(&c_, "goals", {"core", "tasks"});
    AddCluster(&c_, "tasks_people", {"core", "tasks", "people"}, {"tasks", "people"});
    Table("users", "core", {{"email", "text"}}).add_indexes()->CopyFrom(Unique("email", "core"));
    Table("crm_contacts", "people", {{"name", "text"}});
    v1::Table& tasks = Table("tasks", "tasks",
                             {{"title", "character varying(200)"},
                              {"assignee_id", "bigint"},
                              {"parent_id", "bigint"},
                              {"labels", "text[]"}});
    Fk(&tasks, "tasks_assignee_id_fkey", "assignee_id", "users", "tasks", false);
    Fk(&tasks, "tasks_parent_id_fkey", "parent_id", "tasks", "tasks", true);
    AddColumn(&tasks, "contact_id", "bigint", "tasks_people");
    Fk(&tasks, "tasks_contact_id_fkey", "contact_id", "crm_contacts", "tasks_people", true);
    v1::Table& goal_tasks = Table("goal_tasks", "goals", {{"task_id", "bigint"}});
    goal_tasks.clear_primary_key();
    goal_tasks.add_primary_key("task_id");
    Fk(&goal_tasks, "goal_tasks_task_id_fkey", "task_id", "tasks", "goals", false);
    v1::Table& link = Table("task_contacts", "tasks_people", {{"task_id", "bigint"}});
    Fk(&link, "task_contacts_task_id_fkey", "task_id", "tasks", "tasks_people", false);
    v1::AbsentCluster* mail = c_.add_absent_clusters();
    mail->set_name_hex(HexEncode("mail"));
    mail->add_enable_features_hex(HexEncode("mail"));
  }

  v1::BuildCatalog& proto() { return c_; }

  v1::Table& Table(const std::string& name, const std::string& cluster,
                   std::vector<std::pair<std::string, std::string>> columns) {
    v1::Table* t = c_.add_tables();
    t->set_name(name);
    t->set_cluster(cluster);
    AddColumn(t, "id", "bigint", cluster, false);
    t->add_primary_key("id");
    for (auto& [col, type] : columns) AddColumn(t, col, type, cluster);
    c_.mutable_clusters(ClusterIndex(cluster))->add_tables(name);
    return *t;
  }

 private:
  int ClusterIndex(const std::string& name) {
    for (int i = 0; i < c_.clusters_size(); ++i) {
      if (c_.clusters(i).name() == name) return i;
    }
    return -1;
  }
  static void AddColumn(v1::Table* t, const std::string& name, const std::string& type,
                        const std::string& cluster, bool nullable = true) {
    v1::Column* col = t->add_columns();
    col->set_name(name);
    col->set_type(type);
    col->set_nullable(nullable);
    col->set_cluster(cluster);
  }
  static void Fk(v1::Table* t, const std::string& name, const std::string& column,
                 const std::string& to, const std::string& cluster, bool nullable) {
    for (v1::Column& c : *t->mutable_columns()) {
      if (c.name() == column) c.set_nullable(nullable);
    }
    v1::ForeignKey* fk = t->add_foreign_keys();
    fk->set_name(name);
    fk->add_columns(column);
    fk->set_references_table(to);
    fk->add_references_columns("id");
    fk->set_cluster(cluster);
  }
  static v1::Index Unique(const std::string& column, const std::string& cluster) {
    v1::Index ix;
    ix.set_cluster(cluster);
    ix.set_name(column + "_key");
    ix.add_columns(column);
    ix.set_unique(true);
    return ix;
  }

  v1::BuildCatalog c_;
};

Catalog Load(const v1::BuildCatalog& proto) {
  absl::StatusOr<Catalog> c = Catalog::FromProto(proto);
  EXPECT_TRUE(c.ok()) << c.status();
  return std::move(*c);
}

const DiagramEdge* FindEdge(const Diagram& d, const std::string& fk) {
  for (const DiagramEdge& e : d.edges) {
    if (e.foreign_key == fk) return &e;
  }
  return nullptr;
}

const DiagramTable* FindTable(const Diagram& d, const std::string& name,
                              std::string* cluster = nullptr) {
  for (const DiagramGroup& g : d.groups) {
    for (const DiagramTable& t : g.tables) {
      if (t.name != name) continue;
      if (cluster != nullptr) *cluster = g.cluster;
      return &t;
    }
  }
  return nullptr;
}

std::vector<std::string> ColumnNames(const DiagramTable& t) {
  std::vector<std::string> out;
  for (const DiagramColumn& c : t.columns) out.push_back(c.name);
  return out;
}

TEST(DiagramTest, EdgesCarryTheFeaturesThatGateThem) {
  CatalogBuilder b;
  Catalog catalog = Load(b.proto());
  absl::StatusOr<Diagram> d = BuildDiagram(catalog, {});
  ASSERT_TRUE(d.ok()) << d.status();
  struct Case {
    std::string fk;
    std::vector<std::string> gate;
    bool between_clusters;
    bool nullable;
    bool identifying;
  };
  const std::vector<Case> cases = {
      // Inside tasks: gated by tasks alone, not between clusters.
      {"tasks_parent_id_fkey", {"tasks"}, false, true, false},
      // tasks -> core: core is always on.
      {"tasks_assignee_id_fkey", {"tasks"}, true, false, false},
      // goals pulls in tasks, so goals alone gates it.
      {"goal_tasks_task_id_fkey", {"goals"}, true, false, true},
      // The bridge's foreign key on a tasks table: both features.
      {"tasks_contact_id_fkey", {"people", "tasks"}, true, true, false},
      {"task_contacts_task_id_fkey", {"people", "tasks"}, true, false, false},
  };
  ASSERT_EQ(d->edges.size(), cases.size());
  for (const Case& k : cases) {
    const DiagramEdge* e = FindEdge(*d, k.fk);
    ASSERT_NE(e, nullptr) << k.fk;
    EXPECT_EQ(e->gate, k.gate) << k.fk;
    EXPECT_EQ(e->between_clusters, k.between_clusters) << k.fk;
    EXPECT_EQ(e->nullable, k.nullable) << k.fk;
    EXPECT_EQ(e->identifying, k.identifying) << k.fk;
  }
}

TEST(DiagramTest, GroupsAreClustersInDependencyOrderWithTheirKeys) {
  CatalogBuilder b;
  Catalog catalog = Load(b.proto());
  absl::StatusOr<Diagram> d = BuildDiagram(catalog, {});
  ASSERT_TRUE(d.ok());
  std::vector<std::string> groups;
  for (const DiagramGroup& g : d->groups) groups.push_back(g.cluster);
  EXPECT_THAT(groups, ElementsAre("core", "people", "tasks", "goals", "tasks_people"));
  EXPECT_TRUE(d->groups.back().bridge);
  EXPECT_THAT(d->groups.back().requires_features, ElementsAre("tasks", "people"));
  // Keys only: the primary key, foreign keys, referenced and unique columns.
  const DiagramTable* tasks = FindTable(*d, "tasks");
  ASSERT_NE(tasks, nullptr);
  EXPECT_THAT(ColumnNames(*tasks), ElementsAre("id", "assignee_id", "parent_id", "contact_id"));
  EXPECT_EQ(tasks->columns[3].cluster, "tasks_people");  // added by the bridge
  EXPECT_EQ(tasks->columns[0].cluster, "");
  const DiagramTable* users = FindTable(*d, "users");
  ASSERT_NE(users, nullptr);
  EXPECT_THAT(ColumnNames(*users), ElementsAre("id", "email"));
  EXPECT_TRUE(users->columns[1].unique);
  // Every column on request.
  DiagramOptions all;
  all.all_columns = true;
  absl::StatusOr<Diagram> full = BuildDiagram(catalog, all);
  ASSERT_TRUE(full.ok());
  EXPECT_THAT(ColumnNames(*FindTable(*full, "tasks")),
              ElementsAre("id", "title", "assignee_id", "parent_id", "labels", "contact_id"));
}

TEST(DiagramTest, NarrowingToAClusterKeepsItsEdgesAndTheirOtherEnds) {
  CatalogBuilder b;
  Catalog catalog = Load(b.proto());
  DiagramOptions options;
  options.clusters = {"tasks"};
  absl::StatusOr<Diagram> d = BuildDiagram(catalog, options);
  ASSERT_TRUE(d.ok()) << d.status();
  std::vector<std::string> fks;
  for (const DiagramEdge& e : d->edges) fks.push_back(e.foreign_key);
  // Foreign keys of tasks' tables (including the bridge's on tasks), not
  // goals' or the bridge table's references into tasks.
  EXPECT_THAT(
      fks, ElementsAre("tasks_assignee_id_fkey", "tasks_parent_id_fkey", "tasks_contact_id_fkey"));
  std::string cluster;
  const DiagramTable* users = FindTable(*d, "users", &cluster);
  ASSERT_NE(users, nullptr);
  EXPECT_TRUE(users->context);
  EXPECT_EQ(cluster, "core");
  EXPECT_THAT(ColumnNames(*users), ElementsAre("id"));  // what the edge touches
  const DiagramTable* contacts = FindTable(*d, "crm_contacts", &cluster);
  ASSERT_NE(contacts, nullptr);
  EXPECT_TRUE(contacts->context);
  EXPECT_EQ(cluster, "people");
  EXPECT_FALSE(FindTable(*d, "tasks")->context);
  EXPECT_EQ(FindTable(*d, "goal_tasks"), nullptr);
  EXPECT_EQ(FindTable(*d, "task_contacts"), nullptr);
  std::vector<std::string> groups;
  for (const DiagramGroup& g : d->groups) groups.push_back(g.cluster);
  EXPECT_THAT(groups, ElementsAre("core", "people", "tasks"));
}

TEST(DiagramTest, ClustersThatAreNotEnabledAreRefusedWithTheRemedy) {
  CatalogBuilder b;
  Catalog catalog = Load(b.proto());
  absl::StatusOr<Catalog> narrow = catalog.Narrow({"tasks"});
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  struct Case {
    const Catalog* catalog;
    std::string cluster;
    std::string message;
  };
  const std::vector<Case> cases = {
      {&catalog, "mail",
       "cluster \"mail\" is not compiled into this build; rebuild with its "
       "features (mail) in -DSCHEMAGATE_FEATURES"},
      {&catalog, "tsks",
       "unknown cluster \"tsks\"; enabled clusters: core, goals, people, tasks, "
       "tasks_people"},
      {&*narrow, "people", "cluster \"people\" is compiled in but not enabled by --features"},
  };
  for (const Case& k : cases) {
    DiagramOptions options;
    options.clusters = {"tasks", k.cluster};
    absl::StatusOr<Diagram> d = BuildDiagram(*k.catalog, options);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << k.cluster;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(k.message)) << k.cluster;
    EXPECT_EQ(CheckClustersEnabled(*k.catalog, options.clusters), d.status());
  }
  EXPECT_TRUE(CheckClustersEnabled(catalog, {"core", "tasks_people"}).ok());
}

TEST(DiagramTest, FormatNames) {
  EXPECT_EQ(*ParseDiagramFormat("dot"), DiagramFormat::kDot);
  EXPECT_EQ(*ParseDiagramFormat("mermaid"), DiagramFormat::kMermaid);
  absl::StatusOr<DiagramFormat> bad = ParseDiagramFormat("svg");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("dot, mermaid"));
}

TEST(DiagramTest, DotDrawsGroupsBridgesAndGatedEdges) {
  CatalogBuilder b;
  Catalog catalog = Load(b.proto());
  absl::StatusOr<std::string> dot = RenderDiagram(catalog, DiagramFormat::kDot, {});
  ASSERT_TRUE(dot.ok());
  const std::vector<std::string> expected = {
      "digraph schemagate {",
      "subgraph \"cluster_core\" {\n    label=<<B>core</B> <I>always on</I>>;",
      "subgraph \"cluster_tasks\" {\n    label=<<B>tasks</B> <I>feature tasks</I>>;",
      // The bridge: dashed, another fill and its features.
      "subgraph \"cluster_tasks_people\" {\n    label=<<B>tasks_people</B> <I>bridge: "
      "tasks + people</I>>;\n    style=\"dashed,rounded,filled\"; fillcolor=\"#fff1dc\"",
      // A foreign key inside a cluster: plain.
      "\"t:tasks\":c2 -> \"t:tasks\":c0 [arrowhead=teeodot, tooltip=\"tasks_parent_id_fkey: "
      "tasks(parent_id) -> tasks(id) — gated by tasks\"];",
      // Between clusters: dashed, labelled with its gate.
      "\"t:tasks\":c1 -> \"t:users\":c0 [arrowhead=teetee, tooltip=\"tasks_assignee_id_fkey: "
      "tasks(assignee_id) -> users(id) — gated by tasks\", style=dashed, label=\"tasks\", "
      "color=\"#3b6ea5\"",
      // Gated by both features: bold orange.
      "\"t:tasks\":c3 -> \"t:crm_contacts\":c0 [arrowhead=teeodot, "
      "tooltip=\"tasks_contact_id_fkey: "
      "tasks(contact_id) -> crm_contacts(id) — gated by people + tasks\", style=dashed, "
      "label=\"people + tasks\", color=\"#d9822b\", fontcolor=\"#b35900\", penwidth=2];",
      // A column the bridge added, marked with its cluster.
      "contact_id <FONT COLOR=\"#666666\">bigint</FONT> "
      "<FONT COLOR=\"#b35900\" POINT-SIZE=\"8\">(tasks_people)</FONT>",
  };
  for (const std::string& e : expected) EXPECT_THAT(*dot, HasSubstr(e));
}

TEST(DiagramTest, MermaidEntitiesAndRelationships) {
  CatalogBuilder b;
  Catalog catalog = Load(b.proto());
  DiagramOptions options;
  options.all_columns = true;
  absl::StatusOr<std::string> m = RenderDiagram(catalog, DiagramFormat::kMermaid, options);
  ASSERT_TRUE(m.ok());
  const std::vector<std::string> expected = {
      "---\ntitle: \"schemagate — features: core, goals, people, tasks\"\n---\nerDiagram\n",
      "  %% cluster tasks_people (bridge: tasks + people)\n",
      "  tasks {\n    bigint id PK \"not null\"\n"
      "    character_varying_200 title \"character varying(200)\"\n"
      "    bigint assignee_id FK \"not null\"\n    bigint parent_id FK\n"
      "    text_array labels \"text[]\"\n    bigint contact_id FK \"added by tasks_people\"\n  }\n",
      "    text email UK\n",
      "  tasks |o..o{ tasks : \"parent_id\"\n",
      "  users ||..o{ tasks : \"assignee_id (gated: tasks)\"\n",
      "  tasks ||--o{ goal_tasks : \"task_id (gated: goals)\"\n",
      "  crm_contacts |o..o{ tasks : \"contact_id (gated: people + tasks)\"\n",
  };
  for (const std::string& e : expected) EXPECT_THAT(*m, HasSubstr(e));
}

TEST(DiagramTest, NamesAreEscapedForEachFormat) {
  CatalogBuilder b;
  b.Table("odd.\"Table\" <x>", "core", {{"2nd col", "numeric(10,2)"}});
  Catalog catalog = Load(b.proto());
  DiagramOptions options;
  options.all_columns = true;
  absl::StatusOr<std::string> dot = RenderDiagram(catalog, DiagramFormat::kDot, options);
  ASSERT_TRUE(dot.ok());
  EXPECT_THAT(*dot, HasSubstr("\"t:odd.\\\"Table\\\" <x>\" [label=<"));
  EXPECT_THAT(*dot, HasSubstr("<B>odd.&quot;Table&quot; &lt;x&gt;</B>"));
  EXPECT_THAT(*dot, Not(HasSubstr("<x>\"</B>")));
  absl::StatusOr<std::string> m = RenderDiagram(catalog, DiagramFormat::kMermaid, options);
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(*m, HasSubstr("  %% odd__Table___x_ is table odd.\"Table\" <x>\n"
                            "  odd__Table___x_ {\n"));
  EXPECT_THAT(*m, HasSubstr("    numeric_10_2 _2nd_col \"numeric(10,2), column 2nd col\"\n"));
}

}  // namespace
}  // namespace schemagate::catalog
