// CollectFacts(): who creates each table, view and type (facts.h).
#include "server/generator/internal/facts.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "server/catalog/order.h"
#include "server/generator/internal/replay_util.h"
#include "server/sql/parser.h"

namespace schemagate::generator::internal {

TreeFacts CollectFacts(const SourceTree& tree, const ParsedFiles& parsed,
                       Diagnostics* diagnostics) {
  TreeFacts facts;
  std::vector<catalog::ClusterSpec> specs;
  for (const SourceCluster& c : tree.clusters) {
    catalog::ClusterSpec spec;
    spec.name = c.name;
    spec.depends_on.assign(c.manifest.depends_on().begin(), c.manifest.depends_on().end());
    specs.push_back(std::move(spec));
  }
  for (const SourceCluster& c : tree.clusters) {
    std::vector<std::string> closure = catalog::DependencyClosure(specs, c.name);
    facts.closures[c.name] = std::set<std::string>(closure.begin(), closure.end());
  }
  auto record = [&](std::map<std::string, Origin>& map, const std::string& name,
                    const Origin& origin, const char* what) {
    if (name.empty()) return;
    auto [it, inserted] = map.emplace(name, origin);
    if (!inserted && it->second.cluster != origin.cluster) {
      diagnostics->Add(origin.file, origin.line, origin.column,
                       absl::StrCat(what, " ", Quote(name), " is created by two clusters: ",
                                    Quote(origin.cluster), " here and ", Quote(it->second.cluster),
                                    " at ", it->second.file, ":", it->second.line,
                                    "; each table belongs to exactly one "
                                    "cluster"));
    }
  };
  for (const SourceCluster& c : tree.clusters) {
    for (const SourceMigration& m : c.migrations) {
      auto found = parsed.find(m.up_path);
      if (found == parsed.end()) continue;
      sql::LineIndex lines(m.up_sql);
      for (const sql::ProtoStatement& s : found->second.statements) {
        const pg_query::Node& node = *s.node;
        auto origin_at = [&](int location) {
          size_t offset = location >= 0 ? static_cast<size_t>(location) : s.offset;
          sql::LineCol at = lines.PositionOf(offset);
          return Origin{c.name, m.up_path, at.line, at.column, false};
        };
        auto relation = [&](const pg_query::RangeVar& rel, bool view) {
          Origin o = origin_at(rel.location());
          o.view = view;
          record(facts.relations, sql::RelationName(rel), o, view ? "view" : "table");
        };
        switch (node.node_case()) {
          case pg_query::Node::kCreateStmt:
            if (node.create_stmt().has_relation()) {
              relation(node.create_stmt().relation(), false);
            }
            break;
          case pg_query::Node::kViewStmt:
            if (node.view_stmt().has_view()) relation(node.view_stmt().view(), true);
            break;
          case pg_query::Node::kCreateTableAsStmt: {
            const pg_query::CreateTableAsStmt& ctas = node.create_table_as_stmt();
            if (ctas.has_into() && ctas.into().has_rel()) {
              relation(ctas.into().rel(), ctas.objtype() == pg_query::OBJECT_MATVIEW);
            }
            break;
          }
          case pg_query::Node::kSelectStmt: {
            const pg_query::SelectStmt& select = node.select_stmt();
            if (select.has_into_clause() && select.into_clause().has_rel()) {
              relation(select.into_clause().rel(), false);
            }
            break;
          }
          case pg_query::Node::kCreateEnumStmt:
            record(facts.types, QualifiedName(node.create_enum_stmt().type_name()), origin_at(-1),
                   "type");
            break;
          case pg_query::Node::kCreateRangeStmt:
            record(facts.types, QualifiedName(node.create_range_stmt().type_name()), origin_at(-1),
                   "type");
            break;
          case pg_query::Node::kCreateDomainStmt:
            record(facts.types, QualifiedName(node.create_domain_stmt().domainname()),
                   origin_at(-1), "type");
            break;
          case pg_query::Node::kCompositeTypeStmt:
            if (node.composite_type_stmt().has_typevar()) {
              const pg_query::RangeVar& rel = node.composite_type_stmt().typevar();
              record(facts.types, sql::RelationName(rel), origin_at(rel.location()), "type");
            }
            break;
          case pg_query::Node::kRenameStmt: {
            const pg_query::RenameStmt& rename = node.rename_stmt();
            if (rename.rename_type() != pg_query::OBJECT_TABLE || !rename.has_relation()) break;
            const pg_query::RangeVar& rel = rename.relation();
            if (facts.relations.count(sql::RelationName(rel))) {
              record(facts.relations, InSchema(rel.schemaname(), rename.newname()),
                     origin_at(rel.location()), "table");
            }
            break;
          }
          default:
            break;
        }
      }
    }
  }
  return facts;
}

}  // namespace schemagate::generator::internal
