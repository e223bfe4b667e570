// Owns the bounded Levenshtein distance of edit_distance.h (Ukkonen's band:
// cells with |i - j| > limit can never be within the limit).
#include "server/catalog/edit_distance.h"

#include <algorithm>
#include <vector>

namespace schemagate::catalog {

size_t EditDistanceAtMost(absl::string_view a, absl::string_view b, size_t limit) {
  if (a.size() < b.size()) std::swap(a, b);  // b is the shorter one: the row
  const size_t n = a.size(), m = b.size();
  if (n - m > limit) return limit + 1;
  if (m == 0) return n;
  const size_t over = limit + 1;
  // Two rows of the DP over b, indices 0..m; cells outside the band hold
  // `over` (a value that can only stay out of the limit).
  thread_local std::vector<size_t> prev_row, cur_row;
  prev_row.assign(m + 1, over);
  cur_row.assign(m + 1, over);
  for (size_t j = 0; j <= std::min(m, limit); ++j) prev_row[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    const size_t lo = i > limit ? i - limit : 1;
    const size_t hi = std::min(m, i + limit);
    cur_row[lo - 1] = (lo == 1 && i <= limit) ? i : over;
    size_t row_min = cur_row[lo - 1];
    for (size_t j = lo; j <= hi; ++j) {
      size_t best = prev_row[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      best = std::min(best, prev_row[j] + 1);
      best = std::min(best, cur_row[j - 1] + 1);
      cur_row[j] = std::min(best, over);
      row_min = std::min(row_min, cur_row[j]);
    }
    if (row_min > limit) return over;  // every alignment is already over
    std::swap(prev_row, cur_row);
  }
  return std::min(prev_row[m], over);
}

}  // namespace schemagate::catalog
