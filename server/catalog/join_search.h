// Internal to the join graph (join.cc, join_tree.cc): per-thread scratch
// arrays for graph searches and small helpers both halves use. Not part of
// the catalog's interface.
#ifndef SCHEMAGATE_SERVER_CATALOG_JOIN_SEARCH_H_
#define SCHEMAGATE_SERVER_CATALOG_JOIN_SEARCH_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace schemagate::catalog::join_search {

constexpr int kUnvisited = -2;
constexpr int kRoot = -1;

// Per-thread arrays indexed by node, cleared in O(1) by bumping an epoch,
// so a search costs what it visits, not the size of the graph.
class Scratch {
 public:
  void Reset(size_t n) {
    if (stamp_.size() < n) {
      stamp_.assign(n, 0);
      value_.resize(n);
    }
    if (++epoch_ == 0) {
      std::fill(stamp_.begin(), stamp_.end(), 0);
      epoch_ = 1;
    }
  }
  bool Has(uint32_t v) const { return stamp_[v] == epoch_; }
  int Get(uint32_t v) const { return stamp_[v] == epoch_ ? value_[v] : kUnvisited; }
  void Set(uint32_t v, int x) {
    stamp_[v] = epoch_;
    value_[v] = x;
  }

 private:
  std::vector<uint32_t> stamp_;
  std::vector<int> value_;
  uint32_t epoch_ = 0;
};

// The i-th scratch array of this thread (one pool per thread, shared by
// every translation unit: an inline function's static).
inline Scratch& ScratchFor(size_t i, size_t n) {
  thread_local std::vector<std::unique_ptr<Scratch>> pool;
  while (pool.size() <= i) pool.push_back(std::make_unique<Scratch>());
  pool[i]->Reset(n);
  return *pool[i];
}

inline void AddUnique(std::vector<std::string>* out, const std::string& value) {
  if (std::find(out->begin(), out->end(), value) == out->end()) {
    out->push_back(value);
  }
}

}  // namespace schemagate::catalog::join_search

#endif  // SCHEMAGATE_SERVER_CATALOG_JOIN_SEARCH_H_
