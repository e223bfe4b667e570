// Pictures of the enabled schema (`schemagate catalog --format=dot|mermaid`):
// Graphviz dot and Mermaid erDiagram renderings of one catalog.
//
// Each enabled cluster is a group of its tables (dot: a `cluster_<name>`
// subgraph; Mermaid's erDiagram has no groups, so a `%% cluster` comment
// heads each cluster's entities); bridge clusters are drawn distinct (dashed,
// another fill, "bridge: a + b"). Tables show their keys — primary key
// columns, foreign key columns and the columns foreign keys reference — or,
// with `all_columns`, every column, each with the cluster that added it when
// that is not the table's. Every foreign key is an edge. An edge between two
// clusters is marked with the features that gate it: it exists in a build
// exactly when all of them are on (docs/GATING.md), and an edge gated by two
// or more features (a bridge's) is drawn distinct again.
//
//   DiagramOptions options;
//   options.clusters = {"tasks"};
//   absl::StatusOr<std::string> dot =
//       RenderDiagram(catalog, DiagramFormat::kDot, options);
//
// Pure (no I/O), deterministic (catalog order), thread-compatible.
#ifndef SCHEMAGATE_SERVER_CATALOG_DIAGRAM_H_
#define SCHEMAGATE_SERVER_CATALOG_DIAGRAM_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/catalog/catalog.h"

namespace schemagate::catalog {

enum class DiagramFormat { kDot, kMermaid };

// "dot" or "mermaid"; INVALID_ARGUMENT naming the valid ones otherwise.
absl::StatusOr<DiagramFormat> ParseDiagramFormat(absl::string_view name);

struct DiagramOptions {
  // Draw only these enabled clusters (empty: all). Foreign keys whose table
  // or owning cluster is selected are drawn; the tables at their other end
  // appear by name only ("context") in their own cluster's group.
  std::vector<std::string> clusters;
  // Every column instead of the keys only.
  bool all_columns = false;
};

// The model both renderings draw (exposed for tests).
struct DiagramColumn {
  std::string name;
  std::string type;
  bool nullable = true;
  bool primary_key = false;
  bool foreign_key = false;  // the source of a drawn foreign key
  bool unique = false;       // alone in a unique index
  std::string cluster;       // set when another cluster than the table's added it
};

struct DiagramTable {
  std::string name;
  bool context = false;  // outside the selected clusters: name only
  std::vector<DiagramColumn> columns;
};

struct DiagramGroup {
  std::string cluster;
  bool bridge = false;
  std::vector<std::string> requires_features;  // of a bridge
  std::vector<std::string> depends_on;
  std::vector<DiagramTable> tables;
};

struct DiagramEdge {
  std::string foreign_key;  // constraint name
  std::string cluster;      // the cluster that created the constraint
  std::string from_table;
  std::vector<std::string> from_columns;
  std::string to_table;
  std::vector<std::string> to_columns;
  // The features that must all be on for this edge to exist, without those
  // another one implies (goals pulls in tasks); empty for core's own edges.
  std::vector<std::string> gate;
  bool between_clusters = false;  // its tables or its creator differ in cluster
  bool nullable = false;          // some source column is nullable
  bool identifying = false;       // the source columns are in the primary key
};

struct Diagram {
  std::vector<std::string> features;  // enabled features of the catalog
  std::vector<DiagramGroup> groups;   // dependency order, core first
  std::vector<DiagramEdge> edges;     // by table order, then constraint
};

// The model of `catalog`'s enabled part narrowed by `options`.
// INVALID_ARGUMENT for a selected cluster that is not enabled: the message
// says whether it is narrowed out by --features, not compiled in (and the
// features that would build it), or unknown (listing the enabled ones).
absl::StatusOr<Diagram> BuildDiagram(const Catalog& catalog, const DiagramOptions& options);

std::string RenderDot(const Diagram& diagram);
std::string RenderMermaid(const Diagram& diagram);

// BuildDiagram, then the rendering of `format`.
absl::StatusOr<std::string> RenderDiagram(const Catalog& catalog, DiagramFormat format,
                                          const DiagramOptions& options);

// Checks that every name of `clusters` is an enabled cluster of `catalog`
// (the errors of BuildDiagram); shared with `catalog --format=json`.
absl::Status CheckClustersEnabled(const Catalog& catalog, const std::vector<std::string>& clusters);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_DIAGRAM_H_
