// Includes every schema header of the package (whatever the tree: odd
// names must make valid C++) and prints the feature set it was built with.
#include <iostream>

#include "schemagate/schema.h"

int main() {
  static_assert(schemagate::schema::kEnabledClusters.size() >= 1);
  for (std::string_view c : schemagate::schema::kEnabledClusters) std::cout << c << "\n";
  return 0;
}
