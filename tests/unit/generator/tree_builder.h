// In-memory migrations trees for generator tests.
#ifndef SCHEMAGATE_TESTS_UNIT_GENERATOR_TREE_BUILDER_H_
#define SCHEMAGATE_TESTS_UNIT_GENERATOR_TREE_BUILDER_H_

#include <map>
#include <string>

#include "server/generator/tree.h"

namespace schemagate::test {

// Files by path relative to the tree root; directories are derived.
inline generator::TreeFiles MakeTree(const std::map<std::string, std::string>& files) {
  generator::TreeFiles tree;
  for (const auto& [path, content] : files) {
    tree.files.emplace(path, content);
    size_t slash = path.find('/');
    while (slash != std::string::npos) {
      tree.dirs.insert(path.substr(0, slash));
      slash = path.find('/', slash + 1);
    }
  }
  return tree;
}

// A manifest with depends_on / requires_features lines.
inline std::string Manifest(const std::string& name,
                            std::initializer_list<std::string> depends_on = {},
                            std::initializer_list<std::string> requires_features = {}) {
  std::string out = "name: \"" + name + "\"\n";
  for (const std::string& d : depends_on) out += "depends_on: \"" + d + "\"\n";
  for (const std::string& f : requires_features) {
    out += "requires_features: \"" + f + "\"\n";
  }
  return out;
}

}  // namespace schemagate::test

#endif  // SCHEMAGATE_TESTS_UNIT_GENERATOR_TREE_BUILDER_H_
