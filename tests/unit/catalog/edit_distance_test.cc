// EditDistanceAtMost against the full Levenshtein table: every pair of
// strings over a small alphabet up to length 5, every limit, and random
// longer pairs (where the band and the early stop matter).
#include "server/catalog/edit_distance.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace schemagate::test {
namespace {

using catalog::EditDistanceAtMost;

size_t FullDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> AllStrings(size_t max_len) {
  std::vector<std::string> out = {""};
  for (size_t at = 0; at < out.size(); ++at) {
    if (out[at].size() == max_len) continue;
    for (char c : {'a', 'b', 'c'}) out.push_back(out[at] + c);
  }
  return out;
}

TEST(EditDistanceTest, EqualsTheFullTableWithinTheLimitAndLimitPlusOneBeyond) {
  std::vector<std::string> all = AllStrings(5);  // 364 strings
  size_t checked = 0;
  for (const std::string& a : all) {
    for (const std::string& b : all) {
      size_t full = FullDistance(a, b);
      for (size_t limit : {0, 1, 2, 3, 5}) {
        size_t want = std::min(full, limit + 1);
        ASSERT_EQ(EditDistanceAtMost(a, b, limit), want)
            << "a=\"" << a << "\" b=\"" << b << "\" limit=" << limit;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 364u * 364u * 5u);
}

TEST(EditDistanceTest, LongRandomPairsAndNearMisses) {
  std::mt19937 rng(20261130);
  std::uniform_int_distribution<int> letter(0, 3), len(0, 70), op(0, 2);
  for (int round = 0; round < 4000; ++round) {
    std::string a;
    for (int i = len(rng); i > 0; --i) a.push_back(static_cast<char>('a' + letter(rng)));
    std::string b = a;
    if (round % 2 == 0) {  // a near miss: a few edits of a
      for (int e = round % 7; e > 0; --e) {
        size_t at = b.empty() ? 0 : rng() % (b.size() + 1);
        switch (op(rng)) {
          case 0:
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), 'x');
            break;
          case 1:
            if (at < b.size()) b.erase(at, 1);
            break;
          default:
            if (at < b.size()) b[at] = 'y';
        }
      }
    } else {
      b.clear();
      for (int i = len(rng); i > 0; --i) b.push_back(static_cast<char>('a' + letter(rng)));
    }
    size_t full = FullDistance(a, b);
    for (size_t limit : {0, 2, 4, 8, 17, 80}) {
      ASSERT_EQ(EditDistanceAtMost(a, b, limit), std::min(full, limit + 1))
          << "a=\"" << a << "\" b=\"" << b << "\" limit=" << limit;
    }
  }
}

TEST(EditDistanceTest, TableNames) {
  EXPECT_EQ(EditDistanceAtMost("contcts", "contacts", 2), 1u);
  EXPECT_EQ(EditDistanceAtMost("tasks", "task_lists", 2), 3u);  // over: limit + 1
  EXPECT_EQ(EditDistanceAtMost("users", "users", 0), 0u);
  EXPECT_EQ(EditDistanceAtMost("", "abc", 5), 3u);
  EXPECT_EQ(EditDistanceAtMost(std::string(5000, 'q'), "orders", 15), 16u);
}

}  // namespace
}  // namespace schemagate::test
