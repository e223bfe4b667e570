#include "server/rpc/response_cache.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schemagate::rpc {
namespace {

std::shared_ptr<const std::string> Bytes(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

TEST(ResponseCacheTest, AnswersTheSameRequestOfTheSameMethodUnderTheSameSnapshot) {
  ResponseCache cache(1 << 20);
  cache.Insert(1, 7, "request", Bytes("answer"));
  ASSERT_NE(cache.Find(1, 7, "request"), nullptr);
  EXPECT_EQ(*cache.Find(1, 7, "request"), "answer");
  EXPECT_EQ(cache.Find(2, 7, "request"), nullptr) << "another method";
  EXPECT_EQ(cache.Find(1, 8, "request"), nullptr) << "a newer snapshot";
  EXPECT_EQ(cache.Find(1, 7, "requesT"), nullptr) << "another request";
  EXPECT_EQ(cache.Find(1, 7, ""), nullptr);
  // The answer under the new snapshot replaces the old one.
  cache.Insert(1, 8, "request", Bytes("newer"));
  EXPECT_EQ(*cache.Find(1, 8, "request"), "newer");
  EXPECT_EQ(cache.Find(1, 7, "request"), nullptr);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.bytes(), std::string("request").size() + 1 + 5);
}

TEST(ResponseCacheTest, StaysWithinItsBudgetDroppingTheOldestFirst) {
  const size_t budget = 64 << 10;
  ResponseCache cache(budget);
  const std::string answer(1000, 'x');
  for (int i = 0; i < 1000; ++i) {
    cache.Insert(0, 1, "q" + std::to_string(i), Bytes(answer));
    ASSERT_LE(cache.bytes(), budget);
  }
  EXPECT_GT(cache.entries(), 0u);
  EXPECT_LT(cache.entries(), 1000u);
  EXPECT_NE(cache.Find(0, 1, "q999"), nullptr) << "the newest is kept";
  EXPECT_EQ(cache.Find(0, 1, "q0"), nullptr) << "the oldest went first";
}

TEST(ResponseCacheTest, KeepsNothingTooLargeOrWithoutABudget) {
  ResponseCache cache(64 << 20);
  cache.Insert(0, 1, "big", Bytes(std::string(ResponseCache::kMaxEntryBytes, 'x')));
  EXPECT_EQ(cache.Find(0, 1, "big"), nullptr);
  cache.Insert(0, 1, "null", nullptr);
  EXPECT_EQ(cache.entries(), 0u);
  ResponseCache none(0);
  none.Insert(0, 1, "q", Bytes("a"));
  EXPECT_EQ(none.Find(0, 1, "q"), nullptr);
  EXPECT_EQ(none.entries(), 0u);
}

TEST(ResponseCacheTest, ConcurrentReadersAndWriters) {
  ResponseCache cache(256 << 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string q = "q" + std::to_string(i % 300);
        const uint64_t generation = static_cast<uint64_t>(i / 500);
        if (auto hit = cache.Find(t % 4, generation, q)) {
          ASSERT_EQ(*hit, q + "/" + std::to_string(generation));
        } else {
          cache.Insert(t % 4, generation, q, Bytes(q + "/" + std::to_string(generation)));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(cache.bytes(), size_t{256} << 10);
}

}  // namespace
}  // namespace schemagate::rpc
