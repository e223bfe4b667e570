// Join validation: table-driven cases on the bundled catalog under several
// feature sets (the embedded catalogs of the test build's variants, named by
// SCHEMAGATE_CATALOG_<VARIANT>), synthetic cases for gating, and property
// tests on generated graphs against a brute-force search.
#include "server/catalog/join.h"

#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/generated_catalog.h"

namespace schemagate::catalog {
namespace {

using test::AddCluster;
using test::AddTable;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

Catalog Bundled(const std::string& variant) {
  const char* path = std::getenv(("SCHEMAGATE_CATALOG_" + variant).c_str());
  EXPECT_NE(path, nullptr) << variant;
  std::ifstream in(path == nullptr ? "" : path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  absl::StatusOr<Catalog> c = Catalog::Load(bytes.str());
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

std::vector<std::string> Ons(const std::vector<JoinEdge>& edges) {
  std::vector<std::string> out;
  for (const JoinEdge& e : edges) out.push_back(e.on);
  return out;
}

TEST(JoinBundledTest, TwoForeignKeysAreAmbiguousUntilOneIsChosen) {
  Catalog full = Bundled("FULL");
  JoinGraph graph(full);
  JoinResult r = graph.Join({{"tasks", "users"}, {}});
  ASSERT_EQ(r.pairs.size(), 1u);
  EXPECT_EQ(r.pairs[0].status, PairStatus::kAmbiguous);
  EXPECT_THAT(Ons(r.pairs[0].candidates),
              UnorderedElementsAre("tasks.assignee_id = users.id", "tasks.reporter_id = users.id"));
  EXPECT_EQ(r.verdict, JoinVerdict::kAmbiguous);
  JoinResult chosen = graph.Join({{}, {{"tasks", "users", "tasks_reporter_id_fkey"}}});
  EXPECT_EQ(chosen.pairs[0].status, PairStatus::kDirect);
  EXPECT_THAT(Ons(chosen.pairs[0].candidates), ElementsAre("tasks.reporter_id = users.id"));
  EXPECT_EQ(chosen.verdict, JoinVerdict::kOk);
  JoinResult wrong = graph.Join({{}, {{"tasks", "users", "nope_fkey"}}});
  EXPECT_EQ(wrong.pairs[0].status, PairStatus::kUnknownForeignKey);
  EXPECT_THAT(wrong.pairs[0].message, HasSubstr("candidates: tasks_assignee_id_fkey"));
}

TEST(JoinBundledTest, SelfReference) {
  Catalog full = Bundled("FULL");
  JoinGraph graph(full);
  JoinResult r = graph.Join({{"tasks", "tasks"}, {}});
  EXPECT_EQ(r.pairs[0].status, PairStatus::kDirect);
  EXPECT_THAT(Ons(r.pairs[0].candidates), ElementsAre("tasks.parent_id = parent.id"));
  EXPECT_EQ(r.pairs[0].from_sql, "FROM tasks JOIN tasks AS parent ON tasks.parent_id = parent.id");
  EXPECT_EQ(r.verdict, JoinVerdict::kOk);
}

TEST(JoinBundledTest, EdgesVanishWhenAFeatureIsOff) {
  struct Case {
    std::string variant;
    std::vector<std::string> narrow;  // runtime --features, if any
    std::string left, right;
    PairStatus status;
    std::string on;  // the direct candidate, if any
  };
  std::vector<Case> cases = {
      // The bridge's column: a tasks<->calendar edge only with both.
      {"FULL",
       {},
       "tasks",
       "calendar_events",
       PairStatus::kDirect,
       "tasks.calendar_event_id = calendar_events.id"},
      {"TASKS_CALENDAR",
       {},
       "tasks",
       "calendar_events",
       PairStatus::kDirect,
       "tasks.calendar_event_id = calendar_events.id"},
      {"TASKS", {}, "tasks", "calendar_events", PairStatus::kTableUnavailable, ""},
      {"FULL", {"tasks"}, "tasks", "calendar_events", PairStatus::kTableUnavailable, ""},
      // A core<->tasks edge is gated by tasks.
      {"MINIMAL", {}, "projects", "users", PairStatus::kTableUnavailable, ""},
      {"TASKS",
       {},
       "projects",
       "organizations",
       PairStatus::kDirect,
       "projects.organization_id = organizations.id"},
      // The mail+people bridge.
      {"MAIL", {}, "email_contact_links", "crm_contacts", PairStatus::kTableUnavailable, ""},
      {"MAIL_PEOPLE",
       {},
       "email_contact_links",
       "crm_contacts",
       PairStatus::kDirect,
       "email_contact_links.contact_id = crm_contacts.id"},
  };
  for (const Case& c : cases) {
    Catalog compiled = Bundled(c.variant);
    absl::StatusOr<Catalog> catalog =
        c.narrow.empty() ? Catalog::FromProto(compiled.compiled()) : compiled.Narrow(c.narrow);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    JoinGraph graph(*catalog);
    JoinResult r = graph.Join({{c.left, c.right}, {}});
    ASSERT_EQ(r.pairs.size(), 1u);
    EXPECT_EQ(r.pairs[0].status, c.status)
        << c.variant << " " << c.left << "-" << c.right << ": " << r.pairs[0].message;
    if (!c.on.empty()) {
      EXPECT_THAT(Ons(r.pairs[0].candidates), ElementsAre(c.on)) << c.variant;
    }
  }
}

TEST(JoinBundledTest, DisabledTableNamesItsFeature) {
  Catalog tasks = Bundled("TASKS");
  JoinGraph graph(tasks);
  JoinResult r = graph.Join({{"tasks", "crm_contacts"}, {}});
  ASSERT_EQ(r.tables.size(), 2u);
  EXPECT_EQ(r.tables[1].status(), TableStatus::kClusterDisabled);
  EXPECT_EQ(r.tables[1].lookup.cluster, "people");
  EXPECT_THAT(r.tables[1].lookup.enable_features, ElementsAre("people"));
  EXPECT_FALSE(r.tables[1].lookup.compiled);
  EXPECT_EQ(r.verdict, JoinVerdict::kInvalid);
  // A bridge's table names the missing feature of the bridge.
  JoinResult bridge = graph.Join({{"task_calendar_links"}, {}});
  EXPECT_EQ(bridge.tables[0].lookup.cluster, "tasks_calendar");
  EXPECT_THAT(bridge.tables[0].lookup.enable_features, ElementsAre("calendar"));
}

TEST(JoinBundledTest, UnknownTablesGetCloseMatches) {
  Catalog full = Bundled("FULL");
  JoinGraph graph(full);
  JoinResult r = graph.Join({{"crm_contact", "user", "contacts"}, {}});
  EXPECT_EQ(r.tables[0].status(), TableStatus::kUnknownTable);
  EXPECT_THAT(r.tables[0].suggestions, ::testing::Contains("crm_contacts"));
  EXPECT_THAT(r.tables[1].suggestions, ::testing::Contains("users"));
  EXPECT_THAT(r.tables[2].suggestions, ::testing::Contains("crm_contacts"));
  EXPECT_EQ(r.verdict, JoinVerdict::kInvalid);
}

TEST(JoinBundledTest, ShortestPathWhenNoDirectEdge) {
  Catalog full = Bundled("FULL");
  JoinGraph graph(full);
  JoinResult r = graph.Join({{"task_comments", "crm_contacts"}, {}});
  EXPECT_EQ(r.pairs[0].status, PairStatus::kPath);
  ASSERT_GE(r.pairs[0].path.size(), 2u);
  EXPECT_EQ(r.pairs[0].path.front().to, "task_comments");
  EXPECT_EQ(r.pairs[0].path.back().table, "crm_contacts");
  for (size_t i = 1; i < r.pairs[0].path.size(); ++i) {
    EXPECT_EQ(r.pairs[0].path[i].to, r.pairs[0].path[i - 1].table);
  }
}

TEST(JoinBundledTest, TreeOverSeveralTablesInJoinOrder) {
  Catalog full = Bundled("FULL");
  JoinGraph graph(full);
  JoinResult r = graph.Join({{"task_comments", "projects", "organizations", "crm_contacts"}, {}});
  ASSERT_TRUE(r.tree.connected) << r.tree.message;
  EXPECT_TRUE(r.tree.optimal);
  EXPECT_EQ(r.tree.root, "task_comments");
  std::set<std::string> joined = {r.tree.root};
  for (const JoinStep& s : r.tree.steps) {
    EXPECT_TRUE(joined.count(s.to)) << s.table << " joins " << s.to << " before it is joined";
    joined.insert(s.table);
  }
  for (std::string t : {"projects", "organizations", "crm_contacts"}) {
    EXPECT_TRUE(joined.count(t)) << t;
  }
  EXPECT_EQ(r.tree.steps.size(), 3 + r.tree.extra_tables.size());
}

// --- Synthetic catalogs -------------------------------------------------

// core: users; a: a_items -> users; b: b_links -> a_items, c_things; c: c_things
// b depends on a and c; a feature set without b cannot join a_items and
// c_things.
v1::BuildCatalog Chain() {
  v1::BuildCatalog c;
  AddCluster(&c, "core", {});
  AddCluster(&c, "a", {"core"});
  AddCluster(&c, "c", {"core"});
  AddCluster(&c, "b", {"a", "c"});
  AddTable(&c, "core", "users", {});
  AddTable(&c, "a", "a_items", {});
  AddTable(&c, "c", "c_things", {});
  AddTable(&c, "b", "b_links", {{"item_id", "a_items"}, {"thing_id", "c_things"}});
  return c;
}

TEST(JoinSyntheticTest, DisabledClusterOnTheOnlyPathIsNamed) {
  absl::StatusOr<Catalog> full = Catalog::FromProto(Chain());
  ASSERT_TRUE(full.ok()) << full.status();
  absl::StatusOr<Catalog> narrow = full->Narrow({"a", "c"});
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  JoinGraph graph(*narrow);
  JoinResult r = graph.Join({{"a_items", "c_things"}, {}});
  EXPECT_EQ(r.pairs[0].status, PairStatus::kNoPath);
  EXPECT_THAT(r.pairs[0].blocked_by_features, ElementsAre("b"));
  EXPECT_THAT(r.pairs[0].message, HasSubstr("only through disabled features: b"));
  EXPECT_FALSE(r.tree.connected);
  EXPECT_THAT(r.tree.unreachable, ElementsAre("c_things"));
  EXPECT_THAT(r.tree.blocked_by_features, ElementsAre("b"));
  EXPECT_EQ(r.verdict, JoinVerdict::kUnreachable);
  JoinGraph full_graph(*full);
  JoinResult ok = full_graph.Join({{"a_items", "c_things"}, {}});
  EXPECT_EQ(ok.pairs[0].status, PairStatus::kPath);
  EXPECT_EQ(ok.pairs[0].path.size(), 2u);
}

TEST(JoinSyntheticTest, CompositeForeignKeyListsEveryColumn) {
  v1::BuildCatalog c;
  AddCluster(&c, "core", {});
  AddTable(&c, "core", "parents", {});
  AddTable(&c, "core", "children", {});
  v1::Table* children = c.mutable_tables(1);
  v1::ForeignKey* fk = children->add_foreign_keys();
  fk->set_name("children_parent_fkey");
  fk->add_columns("parent_id");
  fk->add_columns("parent_version");
  fk->set_references_table("parents");
  fk->add_references_columns("id");
  fk->add_references_columns("version");
  fk->set_cluster("core");
  absl::StatusOr<Catalog> catalog = Catalog::FromProto(c);
  ASSERT_TRUE(catalog.ok());
  JoinGraph graph(*catalog);
  std::vector<JoinEdge> edges = graph.Direct("parents", "children");
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].on,
            "children.parent_id = parents.id AND children.parent_version = "
            "parents.version");
}

// The ON clause is SQL: a table outside public, mixed-case names, spaces
// and reserved words are quoted as PostgreSQL needs them, and the answers
// come as a ready FROM clause.
TEST(JoinSyntheticTest, OnClausesQuoteWhatSqlMustQuote) {
  v1::BuildCatalog c;
  AddCluster(&c, "core", {});
  AddTable(&c, "core", "app.User Accounts", {});
  AddTable(&c, "core", "order", {});
  AddTable(&c, "core", "lines", {});
  v1::ForeignKey* owner = c.mutable_tables(1)->add_foreign_keys();
  owner->set_name("order_Owner_fkey");
  owner->add_columns("Owner");
  owner->set_references_table("app.User Accounts");
  owner->add_references_columns("id");
  owner->set_cluster("core");
  v1::ForeignKey* line = c.mutable_tables(2)->add_foreign_keys();
  line->set_name("lines_order_fkey");
  line->add_columns("user");
  line->add_columns("n");
  line->set_references_table("order");
  line->add_references_columns("select");
  line->add_references_columns("n");
  line->set_cluster("core");
  absl::StatusOr<Catalog> catalog = Catalog::FromProto(c);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  JoinGraph graph(*catalog);

  JoinResult direct = graph.Join({{"order", "app.User Accounts"}, {}});
  ASSERT_EQ(direct.pairs.size(), 1u);
  ASSERT_EQ(direct.pairs[0].status, PairStatus::kDirect);
  const JoinEdge& e = direct.pairs[0].candidates[0];
  EXPECT_EQ(e.on, "\"order\".\"Owner\" = app.\"User Accounts\".id");
  EXPECT_EQ(e.from_alias, "\"order\"");
  EXPECT_EQ(e.to_alias, "app.\"User Accounts\"");
  EXPECT_EQ(direct.pairs[0].from_sql,
            "FROM \"order\" JOIN app.\"User Accounts\" ON \"order\".\"Owner\" = "
            "app.\"User Accounts\".id");

  JoinResult path = graph.Join({{"app.User Accounts", "lines"}, {}});
  ASSERT_EQ(path.pairs[0].status, PairStatus::kPath);
  ASSERT_EQ(path.pairs[0].path.size(), 2u);
  EXPECT_EQ(path.pairs[0].path[1].sql,
            "JOIN lines ON lines.\"user\" = \"order\".\"select\" AND lines.n = "
            "\"order\".n");
  EXPECT_EQ(path.pairs[0].from_sql,
            "FROM app.\"User Accounts\" JOIN \"order\" ON \"order\".\"Owner\" = "
            "app.\"User Accounts\".id JOIN lines ON lines.\"user\" = \"order\".\"select\" "
            "AND lines.n = \"order\".n");
  EXPECT_EQ(path.tree.from_sql, path.pairs[0].from_sql);
}

// A self-reference: the referenced side gets its own alias, and the SQL
// joins the table again under it.
TEST(JoinSyntheticTest, SelfReferenceJoinsUnderTheKeysAlias) {
  v1::BuildCatalog c;
  AddCluster(&c, "core", {});
  AddTable(&c, "core", "app.Nodes", {});
  v1::ForeignKey* up = c.mutable_tables(0)->add_foreign_keys();
  up->set_name("nodes_up");
  up->add_columns("Parent_id");
  up->set_references_table("app.Nodes");
  up->add_references_columns("id");
  up->set_cluster("core");
  absl::StatusOr<Catalog> catalog = Catalog::FromProto(c);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  JoinGraph graph(*catalog);
  JoinResult r = graph.Join({{"app.Nodes", "app.Nodes"}, {}});
  ASSERT_EQ(r.pairs[0].status, PairStatus::kDirect);
  const JoinEdge& e = r.pairs[0].candidates[0];
  EXPECT_EQ(e.to_alias, "\"Parent\"");
  EXPECT_EQ(e.on, "app.\"Nodes\".\"Parent_id\" = \"Parent\".id");
  EXPECT_EQ(r.pairs[0].from_sql,
            "FROM app.\"Nodes\" JOIN app.\"Nodes\" AS \"Parent\" ON "
            "app.\"Nodes\".\"Parent_id\" = \"Parent\".id");
}

// --- Property tests on generated graphs ---------------------------------

struct Brute {
  std::map<std::string, std::set<std::string>> adj;
  std::set<std::string> nodes;

  explicit Brute(const Catalog& c) {
    for (const v1::Table& t : c.enabled().tables()) {
      nodes.insert(t.name());
      for (const v1::ForeignKey& fk : t.foreign_keys()) {
        adj[t.name()].insert(fk.references_table());
        adj[fk.references_table()].insert(t.name());
      }
    }
  }
  int Distance(const std::string& a, const std::string& b) const {
    std::map<std::string, int> d = {{a, 0}};
    std::deque<std::string> q = {a};
    while (!q.empty()) {
      std::string u = q.front();
      q.pop_front();
      if (u == b) return d[u];
      auto it = adj.find(u);
      if (it == adj.end()) continue;
      for (const std::string& v : it->second) {
        if (!d.count(v)) {
          d[v] = d[u] + 1;
          q.push_back(v);
        }
      }
    }
    return -1;
  }
  // Fewest nodes of a connected subgraph holding every terminal (tries
  // every subset of up to `max_extra` other nodes).
  int SteinerNodes(const std::vector<std::string>& terminals, int max_extra) const {
    std::vector<std::string> others;
    for (const std::string& n : nodes) {
      if (std::find(terminals.begin(), terminals.end(), n) == terminals.end()) {
        others.push_back(n);
      }
    }
    auto connected = [&](const std::set<std::string>& s) {
      std::set<std::string> seen = {*s.begin()};
      std::deque<std::string> q = {*s.begin()};
      while (!q.empty()) {
        std::string u = q.front();
        q.pop_front();
        auto it = adj.find(u);
        if (it == adj.end()) continue;
        for (const std::string& v : it->second) {
          if (s.count(v) && seen.insert(v).second) q.push_back(v);
        }
      }
      return seen.size() == s.size();
    };
    std::set<std::string> base(terminals.begin(), terminals.end());
    for (int extra = 0; extra <= max_extra; ++extra) {
      std::vector<int> idx(extra);
      std::function<bool(int, int)> rec = [&](int pos, int start) -> bool {
        if (pos == extra) {
          std::set<std::string> s = base;
          for (int i : idx) s.insert(others[i]);
          return connected(s);
        }
        for (int i = start; i < static_cast<int>(others.size()); ++i) {
          idx[pos] = i;
          if (rec(pos + 1, i + 1)) return true;
        }
        return false;
      };
      if (rec(0, 0)) return static_cast<int>(base.size()) + extra;
    }
    return -1;
  }
};

TEST(JoinPropertyTest, PathsAreRealChainsAndShortest) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    test::GeneratedCatalogOptions o;
    o.clusters = 4;
    o.tables = 40;
    o.foreign_keys_per_table = 1;
    o.seed = seed;
    absl::StatusOr<Catalog> full = Catalog::FromProto(test::GenerateCatalog(o));
    ASSERT_TRUE(full.ok());
    // Also with a cluster switched off (its tables and edges vanish).
    absl::StatusOr<Catalog> narrow = full->Narrow({"c1"});
    ASSERT_TRUE(narrow.ok()) << narrow.status();
    for (const Catalog* c : {&*full, &*narrow}) {
      JoinGraph graph(*c);
      Brute brute(*c);
      std::vector<std::string> names(brute.nodes.begin(), brute.nodes.end());
      std::mt19937_64 rng(seed);
      for (int i = 0; i < 30; ++i) {
        std::uniform_int_distribution<size_t> pick(0, names.size() - 1);
        std::string a = names[pick(rng)], b = names[pick(rng)];
        if (a == b) continue;
        int want = brute.Distance(a, b);
        std::vector<JoinStep> path = graph.ShortestPath(a, b);
        EXPECT_EQ(static_cast<int>(path.size()), want < 0 ? 0 : want)
            << "seed " << seed << " " << a << " -> " << b;
        std::string at = a;
        for (const JoinStep& s : path) {
          EXPECT_EQ(s.to, at);
          EXPECT_TRUE(brute.adj.at(at).count(s.table)) << at << " - " << s.table;
          EXPECT_TRUE(s.edge.from_table == at || s.edge.to_table == at);
          EXPECT_TRUE(c->IsEnabled(c->FindTable(s.table)->cluster()));
          at = s.table;
        }
        if (!path.empty()) {
          EXPECT_EQ(at, b);
        }
      }
    }
  }
}

TEST(JoinPropertyTest, TreesConnectEveryTableWithTheFewestExtras) {
  int optimal_checked = 0;
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    test::GeneratedCatalogOptions o;
    o.clusters = 3;
    o.tables = 18;
    o.foreign_keys_per_table = 1;
    o.seed = seed;
    absl::StatusOr<Catalog> c = Catalog::FromProto(test::GenerateCatalog(o));
    ASSERT_TRUE(c.ok());
    JoinGraph graph(*c);
    Brute brute(*c);
    std::vector<std::string> names(brute.nodes.begin(), brute.nodes.end());
    std::mt19937_64 rng(seed * 7);
    for (int i = 0; i < 6; ++i) {
      std::set<std::string> pick;
      std::uniform_int_distribution<size_t> any(0, names.size() - 1);
      while (pick.size() < 3 + static_cast<size_t>(i % 3)) pick.insert(names[any(rng)]);
      std::vector<std::string> terminals(pick.begin(), pick.end());
      JoinResult r = graph.Join({terminals, {}});
      int want = brute.SteinerNodes(terminals, 4);
      if (!r.tree.connected) {
        // Not connected: no subgraph with up to 4 extra tables is either,
        // and some terminal is really unreachable from the first.
        EXPECT_EQ(want, -1) << "seed " << seed;
        continue;
      }
      std::set<std::string> joined = {r.tree.root};
      for (const JoinStep& s : r.tree.steps) {
        EXPECT_TRUE(joined.count(s.to));
        EXPECT_TRUE(brute.adj.at(s.to).count(s.table));
        joined.insert(s.table);
      }
      for (const std::string& t : terminals) EXPECT_TRUE(joined.count(t)) << t;
      if (want > 0 && r.tree.optimal) {
        ++optimal_checked;
        EXPECT_EQ(static_cast<int>(joined.size()), want)
            << "seed " << seed << ": tree is not minimal";
      }
    }
  }
  EXPECT_GT(optimal_checked, 20);
}

}  // namespace
}  // namespace schemagate::catalog
