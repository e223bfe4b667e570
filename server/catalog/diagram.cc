#include "server/catalog/diagram.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/catalog/features.h"

namespace schemagate::catalog {
namespace {

std::vector<ClusterSpec> EnabledSpecs(const v1::BuildCatalog& enabled) {
  std::vector<ClusterSpec> specs;
  for (const v1::Cluster& c : enabled.clusters()) {
    specs.push_back({c.name(),
                     {c.depends_on().begin(), c.depends_on().end()},
                     {c.requires_features().begin(), c.requires_features().end()}});
  }
  return specs;
}

// The features that turn `cluster` on by themselves: none for core, a
// bridge's required features, else the cluster's own name.
void AddGateFeatures(const v1::Cluster* cluster, std::set<std::string>* out) {
  if (cluster == nullptr || cluster->name() == kCoreCluster) return;
  if (cluster->bridge()) {
    out->insert(cluster->requires_features().begin(), cluster->requires_features().end());
  } else {
    out->insert(cluster->name());
  }
}

bool Contains(const std::vector<std::string>& items, absl::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// --- Escaping ------------------------------------------------------------------

// A double-quoted dot ID.
std::string DotId(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

// Text inside a dot HTML-like label.
std::string Html(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += " ";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// A Mermaid erDiagram word: [A-Za-z_][A-Za-z0-9_]*; other characters become
// '_' (the real name goes into a comment where it differs).
std::string MermaidWord(absl::string_view s) {
  std::string out;
  for (char c : s) {
    out.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  if (out.empty() || absl::ascii_isdigit(static_cast<unsigned char>(out[0]))) {
    out.insert(out.begin(), '_');
  }
  return out;
}

// A type as a Mermaid attribute type: "character varying(255)" ->
// "character_varying_255", "text[]" -> "text_array".
std::string MermaidType(absl::string_view type) {
  std::string t(type);
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.compare(i, 2, "[]") == 0) {
      out += "_array";
      ++i;
      continue;
    }
    char c = t[i];
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return MermaidWord(out.empty() ? "unknown" : out);
}

// A Mermaid quoted string: no double quotes inside.
std::string MermaidString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) out.push_back(c == '"' ? '\'' : (c == '\n' ? ' ' : c));
  return out + "\"";
}

std::string GateText(const std::vector<std::string>& gate) { return absl::StrJoin(gate, " + "); }

std::string GroupCaption(const DiagramGroup& g) {
  if (g.cluster == kCoreCluster) return "always on";
  if (g.bridge) return absl::StrCat("bridge: ", GateText(g.requires_features));
  return absl::StrCat("feature ", g.cluster);
}

}  // namespace

absl::StatusOr<DiagramFormat> ParseDiagramFormat(absl::string_view name) {
  if (name == "dot") return DiagramFormat::kDot;
  if (name == "mermaid") return DiagramFormat::kMermaid;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown diagram format \"", name, "\" (dot, mermaid)"));
}

absl::Status CheckClustersEnabled(const Catalog& catalog,
                                  const std::vector<std::string>& clusters) {
  for (const std::string& name : clusters) {
    if (catalog.IsEnabled(name)) continue;
    if (catalog.IsCompiled(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster \"", name,
                       "\" is compiled in but not enabled by --features; add its feature "
                       "to --features"));
    }
    for (const v1::AbsentCluster& a : catalog.compiled().absent_clusters()) {
      if (HexDecode(a.name_hex()) != name) continue;
      std::vector<std::string> features;
      for (const std::string& f : a.enable_features_hex()) {
        features.push_back(HexDecode(f));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("cluster \"", name,
                       "\" is not compiled into this build; rebuild with "
                       "its features (",
                       absl::StrJoin(features, ","), ") in -DSCHEMAGATE_FEATURES"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown cluster \"", name,
        "\"; enabled clusters: ", absl::StrJoin(catalog.enabled_set().clusters, ", ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<Diagram> BuildDiagram(const Catalog& catalog, const DiagramOptions& options) {
  if (absl::Status s = CheckClustersEnabled(catalog, options.clusters); !s.ok()) {
    return s;
  }
  const v1::BuildCatalog& enabled = catalog.enabled();
  const std::vector<ClusterSpec> specs = EnabledSpecs(enabled);
  auto selected = [&](absl::string_view cluster) {
    return options.clusters.empty() || Contains(options.clusters, cluster);
  };

  Diagram diagram;
  diagram.features.assign(enabled.features().begin(), enabled.features().end());

  // Edges first: they decide which context tables and columns are drawn.
  std::set<std::string> context_tables;
  std::map<std::string, std::set<std::string>> referenced_columns;
  for (const v1::Table& t : enabled.tables()) {
    for (const v1::ForeignKey& fk : t.foreign_keys()) {
      const v1::Table* to = catalog.FindTable(fk.references_table());
      if (to == nullptr) continue;  // the generator guarantees it; be safe
      if (!selected(t.cluster()) && !selected(fk.cluster())) continue;
      DiagramEdge e;
      e.foreign_key = fk.name();
      e.cluster = fk.cluster();
      e.from_table = t.name();
      e.from_columns.assign(fk.columns().begin(), fk.columns().end());
      e.to_table = to->name();
      e.to_columns.assign(fk.references_columns().begin(), fk.references_columns().end());
      e.between_clusters = t.cluster() != to->cluster() || fk.cluster() != t.cluster();
      std::set<std::string> gate;
      for (const std::string& c : {t.cluster(), to->cluster(), fk.cluster()}) {
        AddGateFeatures(catalog.FindCluster(c), &gate);
      }
      for (const std::string& f : gate) {
        bool implied = false;
        for (const std::string& g : gate) {
          if (g == f) continue;
          std::vector<std::string> closure = DependencyClosure(specs, g);
          if (Contains(closure, f)) implied = true;
        }
        if (!implied) e.gate.push_back(f);
      }
      for (const std::string& col : e.from_columns) {
        for (const v1::Column& c : t.columns()) {
          if (c.name() == col && c.nullable()) e.nullable = true;
        }
      }
      e.identifying = !e.from_columns.empty();
      for (const std::string& col : e.from_columns) {
        if (!Contains({t.primary_key().begin(), t.primary_key().end()}, col)) {
          e.identifying = false;
        }
      }
      if (!selected(t.cluster())) context_tables.insert(t.name());
      if (!selected(to->cluster())) context_tables.insert(to->name());
      referenced_columns[to->name()].insert(e.to_columns.begin(), e.to_columns.end());
      diagram.edges.push_back(std::move(e));
    }
  }
  std::map<std::string, std::set<std::string>> fk_columns;
  for (const DiagramEdge& e : diagram.edges) {
    fk_columns[e.from_table].insert(e.from_columns.begin(), e.from_columns.end());
  }

  std::map<std::string, std::vector<const v1::Table*>> tables_by_cluster;
  for (const v1::Table& t : enabled.tables()) {
    tables_by_cluster[t.cluster()].push_back(&t);
  }
  for (const v1::Cluster& c : enabled.clusters()) {
    DiagramGroup group;
    group.cluster = c.name();
    group.bridge = c.bridge();
    group.requires_features.assign(c.requires_features().begin(), c.requires_features().end());
    group.depends_on.assign(c.depends_on().begin(), c.depends_on().end());
    for (const v1::Table* t : tables_by_cluster[c.name()]) {
      const bool context = context_tables.count(t->name()) > 0;
      if (!selected(c.name()) && !context) continue;
      DiagramTable table;
      table.name = t->name();
      table.context = context;
      std::set<std::string> unique;
      for (const v1::Index& ix : t->indexes()) {
        if (ix.unique() && !ix.primary() && ix.columns_size() == 1) {
          unique.insert(ix.columns(0));
        }
      }
      const std::set<std::string>& fks = fk_columns[t->name()];
      const std::set<std::string>& refs = referenced_columns[t->name()];
      for (const v1::Column& col : t->columns()) {
        DiagramColumn dc;
        dc.name = col.name();
        dc.type = col.type();
        dc.nullable = col.nullable();
        dc.primary_key = Contains({t->primary_key().begin(), t->primary_key().end()}, col.name());
        dc.foreign_key = fks.count(col.name()) > 0;
        dc.unique = unique.count(col.name()) > 0;
        if (col.cluster() != t->cluster()) dc.cluster = col.cluster();
        const bool key =
            dc.primary_key || dc.foreign_key || dc.unique || refs.count(col.name()) > 0;
        // Context tables show only what the drawn edges touch.
        const bool show =
            context ? (dc.foreign_key || refs.count(col.name()) > 0) : (options.all_columns || key);
        if (show) table.columns.push_back(std::move(dc));
      }
      group.tables.push_back(std::move(table));
    }
    if (group.tables.empty() && !selected(c.name())) continue;
    diagram.groups.push_back(std::move(group));
  }
  return diagram;
}

// --- Graphviz ----------------------------------------------------------------------

namespace {

constexpr char kFont[] = "Helvetica";

std::string NodeId(absl::string_view table) { return DotId(absl::StrCat("t:", table)); }

std::string ColumnRow(const DiagramColumn& c, size_t port) {
  std::string keys;
  if (c.primary_key) keys += "PK ";
  if (c.foreign_key) keys += "FK ";
  if (c.unique) keys += "UK ";
  std::string out = absl::StrCat(
      "<TR><TD ALIGN=\"LEFT\" PORT=\"c", port, "\">",
      keys.empty() ? "" : absl::StrCat("<FONT COLOR=\"#7a5c00\">", Html(keys), "</FONT>"),
      c.primary_key ? absl::StrCat("<B>", Html(c.name), "</B>") : Html(c.name),
      " <FONT COLOR=\"#666666\">", Html(c.type), c.nullable ? "" : " not null", "</FONT>");
  if (!c.cluster.empty()) {
    absl::StrAppend(&out, " <FONT COLOR=\"#b35900\" POINT-SIZE=\"8\">(", Html(c.cluster),
                    ")</FONT>");
  }
  return out + "</TD></TR>";
}

std::string TableNode(const DiagramTable& t) {
  std::string label = absl::StrCat(
      "<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"3\"",
      t.context ? " COLOR=\"#999999\"" : "", "><TR><TD BGCOLOR=\"",
      t.context ? "#eeeeee" : "#dde7f3", "\" PORT=\"t\"><B>", Html(t.name), "</B></TD></TR>");
  for (size_t i = 0; i < t.columns.size(); ++i) {
    absl::StrAppend(&label, ColumnRow(t.columns[i], i));
  }
  absl::StrAppend(&label, "</TABLE>");
  return absl::StrCat("    ", NodeId(t.name), " [label=<", label, ">",
                      t.context ? ", tooltip=\"context: not in the selected clusters\"" : "",
                      "];\n");
}

// The port of `column` in the drawn table, or the header's.
std::string Port(const std::map<std::string, const DiagramTable*>& tables, absl::string_view table,
                 const std::vector<std::string>& columns) {
  auto it = tables.find(std::string(table));
  if (it != tables.end() && !columns.empty()) {
    const std::vector<DiagramColumn>& cols = it->second->columns;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i].name == columns.front()) return absl::StrCat("c", i);
    }
  }
  return "t";
}

}  // namespace

std::string RenderDot(const Diagram& d) {
  std::string out = absl::StrCat(
      "// schemagate catalog --format=dot (features: ", absl::StrJoin(d.features, ", "),
      ")\n// Render: dot -Tsvg -o schema.svg\n", "digraph schemagate {\n",
      "  graph [rankdir=LR, newrank=true, fontname=\"", kFont, "\", fontsize=12, ",
      "nodesep=0.25, ranksep=1.0, labelloc=t, labeljust=l, label=<<B>schemagate</B> ",
      "— features: ", Html(absl::StrJoin(d.features, ", ")),
      "<BR ALIGN=\"LEFT\"/>solid: foreign key inside a cluster · dashed: between "
      "clusters, labelled with the features that gate it · bold orange: gated by "
      "two or more features (a bridge's) · dashed orange box: bridge cluster"
      "<BR ALIGN=\"LEFT\"/>>];\n",
      "  node [shape=plain, fontname=\"", kFont, "\", fontsize=10];\n", "  edge [fontname=\"",
      kFont,
      "\", fontsize=8, dir=both, arrowtail=crow, "
      "color=\"#555555\"];\n");
  std::map<std::string, const DiagramTable*> tables;
  for (const DiagramGroup& g : d.groups) {
    for (const DiagramTable& t : g.tables) tables[t.name] = &t;
  }
  for (const DiagramGroup& g : d.groups) {
    std::string style = g.bridge ? "dashed,rounded,filled" : "rounded,filled";
    std::string fill = g.cluster == kCoreCluster ? "#f4f4f4" : g.bridge ? "#fff1dc" : "#f2f7ee";
    std::string color = g.bridge ? "#d9822b" : "#888888";
    absl::StrAppend(&out, "  subgraph ", DotId(absl::StrCat("cluster_", g.cluster)),
                    " {\n    label=<<B>", Html(g.cluster), "</B> <I>", Html(GroupCaption(g)),
                    "</I>>;\n    style=\"", style, "\"; fillcolor=\"", fill, "\"; color=\"", color,
                    "\";", g.bridge ? " penwidth=2;" : "", "\n");
    for (const DiagramTable& t : g.tables) absl::StrAppend(&out, TableNode(t));
    if (g.tables.empty()) {
      // Graphviz does not draw an empty subgraph: say what the cluster adds.
      absl::StrAppend(&out, "    ", DotId(absl::StrCat("note:", g.cluster)),
                      " [shape=note, fontsize=9, label=",
                      DotId("no tables of its own (adds columns or keys to others)"), "];\n");
    }
    absl::StrAppend(&out, "  }\n");
  }
  for (const DiagramEdge& e : d.edges) {
    std::string attrs = absl::StrCat(
        "arrowhead=", e.nullable ? "teeodot" : "teetee", ", tooltip=",
        DotId(absl::StrCat(e.foreign_key, ": ", e.from_table, "(",
                           absl::StrJoin(e.from_columns, ", "), ") -> ", e.to_table, "(",
                           absl::StrJoin(e.to_columns, ", "), ")",
                           e.gate.empty() ? "" : absl::StrCat(" — gated by ", GateText(e.gate)))));
    if (e.between_clusters) {
      absl::StrAppend(&attrs, ", style=dashed, label=", DotId(GateText(e.gate)));
      if (e.gate.size() >= 2) {
        absl::StrAppend(&attrs, ", color=\"#d9822b\", fontcolor=\"#b35900\", penwidth=2");
      } else {
        absl::StrAppend(&attrs, ", color=\"#3b6ea5\", fontcolor=\"#3b6ea5\"");
      }
    }
    absl::StrAppend(&out, "  ", NodeId(e.from_table), ":",
                    Port(tables, e.from_table, e.from_columns), " -> ", NodeId(e.to_table), ":",
                    Port(tables, e.to_table, e.to_columns), " [", attrs, "];\n");
  }
  absl::StrAppend(&out, "}\n");
  return out;
}

// --- Mermaid -----------------------------------------------------------------------

std::string RenderMermaid(const Diagram& d) {
  std::string out =
      absl::StrCat("---\ntitle: \"schemagate — features: ", absl::StrJoin(d.features, ", "),
                   "\"\n---\nerDiagram\n",
                   "  %% erDiagram has no groups: each cluster's tables follow its \"cluster\"\n",
                   "  %% comment; an edge between clusters is labelled with the features\n",
                   "  %% that gate it (it exists exactly when all of them are on).\n");
  for (const DiagramGroup& g : d.groups) {
    absl::StrAppend(&out, "  %% cluster ", g.cluster, " (", GroupCaption(g), ")\n");
    for (const DiagramTable& t : g.tables) {
      std::string id = MermaidWord(t.name);
      if (id != t.name) {
        std::string name = t.name;
        std::replace(name.begin(), name.end(), '\n', ' ');
        absl::StrAppend(&out, "  %% ", id, " is table ", name, "\n");
      }
      if (t.columns.empty()) {
        absl::StrAppend(&out, "  ", id, " {\n  }\n");
        continue;
      }
      absl::StrAppend(&out, "  ", id, " {\n");
      for (const DiagramColumn& c : t.columns) {
        std::vector<std::string> keys;
        if (c.primary_key) keys.push_back("PK");
        if (c.foreign_key) keys.push_back("FK");
        if (c.unique) keys.push_back("UK");
        std::vector<std::string> notes;
        if (c.type != MermaidType(c.type)) notes.push_back(c.type);
        if (!c.nullable) notes.push_back("not null");
        if (MermaidWord(c.name) != c.name) notes.push_back("column " + c.name);
        if (!c.cluster.empty()) notes.push_back("added by " + c.cluster);
        absl::StrAppend(&out, "    ", MermaidType(c.type), " ", MermaidWord(c.name),
                        keys.empty() ? "" : " " + absl::StrJoin(keys, ", "),
                        notes.empty() ? "" : " " + MermaidString(absl::StrJoin(notes, ", ")), "\n");
      }
      absl::StrAppend(&out, "  }\n");
    }
  }
  for (const DiagramEdge& e : d.edges) {
    std::string label = absl::StrJoin(e.from_columns, ", ");
    if (e.between_clusters) {
      absl::StrAppend(&label, " (gated: ", GateText(e.gate), ")");
    }
    // Referenced side: exactly one, or zero or one when nullable; the
    // referencing side: zero or more.
    absl::StrAppend(&out, "  ", MermaidWord(e.to_table), " ", e.nullable ? "|o" : "||",
                    e.identifying ? "--" : "..", "o{ ", MermaidWord(e.from_table), " : ",
                    MermaidString(label), "\n");
  }
  return out;
}

absl::StatusOr<std::string> RenderDiagram(const Catalog& catalog, DiagramFormat format,
                                          const DiagramOptions& options) {
  absl::StatusOr<Diagram> diagram = BuildDiagram(catalog, options);
  if (!diagram.ok()) return diagram.status();
  return format == DiagramFormat::kDot ? RenderDot(*diagram) : RenderMermaid(*diagram);
}

}  // namespace schemagate::catalog
