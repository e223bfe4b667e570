// The import map (schemagate.v1.ImportMap, proto/schemagate/v1/import.proto):
// which cluster owns which names. Loading checks it; Claim() answers "whose
// is this table?" with the most specific pattern.
#ifndef SCHEMAGATE_SERVER_GENERATOR_IMPORT_IMPORT_MAP_H_
#define SCHEMAGATE_SERVER_GENERATOR_IMPORT_IMPORT_MAP_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "schemagate/v1/import.pb.h"
#include "server/generator/diagnostic.h"

namespace schemagate::generator::import {

// Does `name` match the glob `pattern` (`*` any run of characters except
// '.', `?` one character except '.')?
bool GlobMatch(absl::string_view pattern, absl::string_view name);

class ImportMapIndex {
 public:
  struct Claim {
    std::string cluster;  // "" when no pattern claims the name
    std::string pattern;  // the pattern that did
  };

  // Parses and checks the map: cluster names valid and unique,
  // default_cluster, depends_on and requires_features naming clusters of
  // the map (or core), no bridge named as a feature, every pattern
  // non-empty and claimed by one cluster only. Problems go to `diagnostics`
  // (path:line); nullopt when the map cannot be used.
  static std::optional<ImportMapIndex> Load(const std::string& path, const std::string& text,
                                            Diagnostics* diagnostics);

  // The cluster that owns `name` ("t", or "s.t" outside public): an exact
  // pattern over a glob, a glob with more literal characters over one with
  // fewer. A tie between two clusters is reported once per name to
  // `diagnostics` (when given) and claims nothing.
  Claim Match(absl::string_view name, Diagnostics* diagnostics = nullptr) const;

  const v1::ImportMap& map() const { return map_; }
  const std::string& path() const { return path_; }
  // The default cluster ("" when the map has none).
  const std::string& default_cluster() const { return map_.default_cluster(); }
  // The map's entry for `cluster`, or nullptr (core need not be listed).
  const v1::ImportCluster* Find(absl::string_view cluster) const;
  // Every cluster the import may produce: the map's, plus core.
  std::vector<std::string> ClusterNames() const;
  // The line of cluster `name`'s entry in the map file (0 when unknown).
  int LineOfCluster(absl::string_view name) const;

 private:
  struct Pattern {
    std::string text;
    std::string cluster;
    bool exact = false;
    int literal = 0;  // characters that are not wildcards
    int line = 0;
  };

  std::string path_;
  v1::ImportMap map_;
  std::vector<Pattern> patterns_;
  std::map<std::string, int> cluster_lines_;
  mutable std::map<std::string, bool> reported_ties_;
};

}  // namespace schemagate::generator::import

#endif  // SCHEMAGATE_SERVER_GENERATOR_IMPORT_IMPORT_MAP_H_
