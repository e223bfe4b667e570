// The edit distance behind "did you mean" suggestions (JoinGraph::Suggest).
// A table name is at most NAMEDATALEN-1 bytes once PostgreSQL's parser has
// read it, but names typed into CheckTables or a join are not, and an
// unknown name is compared with every table of the catalog: so only the
// band that can stay within the limit is computed, in two rows kept per
// thread (no allocation once they have grown to the longest name seen).
#ifndef SCHEMAGATE_SERVER_CATALOG_EDIT_DISTANCE_H_
#define SCHEMAGATE_SERVER_CATALOG_EDIT_DISTANCE_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace schemagate::catalog {

// Levenshtein distance (insert, delete, substitute a byte, each costing 1)
// between `a` and `b` when it is at most `limit`, otherwise `limit + 1`.
// Time O(min(|a|, |b|) * limit); stops as soon as no alignment can stay
// within the limit.
size_t EditDistanceAtMost(absl::string_view a, absl::string_view b, size_t limit);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_EDIT_DISTANCE_H_
