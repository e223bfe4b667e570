#include "server/rpc/response_cache.h"

#include "absl/hash/hash.h"

namespace schemagate::rpc {

std::string ResponseCache::Key(int method, absl::string_view request) {
  std::string key;
  key.reserve(request.size() + 1);
  key.push_back(static_cast<char>(method));
  key.append(request.data(), request.size());
  return key;
}

ResponseCache::Shard& ResponseCache::ShardOf(absl::string_view key) const {
  return shards_[absl::HashOf(key) % kShards];
}

std::shared_ptr<const std::string> ResponseCache::Find(int method, uint64_t generation,
                                                       absl::string_view request) const {
  if (shard_budget_ == 0 || request.size() >= kMaxEntryBytes) return nullptr;
  const std::string key = Key(method, request);
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.map.find(key);
  if (it == shard.map.end() || it->second.generation != generation) return nullptr;
  return it->second.response;
}

void ResponseCache::Insert(int method, uint64_t generation, absl::string_view request,
                           std::shared_ptr<const std::string> value) {
  if (value == nullptr) return;
  const size_t size = request.size() + 1 + value->size();
  if (shard_budget_ == 0 || size > kMaxEntryBytes || size > shard_budget_) return;
  std::string key = Key(method, request);
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.map.find(key);
  if (it != shard.map.end()) {
    // A newer answer for the same request (a new snapshot): replace it.
    shard.bytes -= it->first.size() + it->second.response->size();
    it->second = {generation, std::move(value)};
    shard.bytes += size;
    return;
  }
  while (shard.bytes + size > shard_budget_ && !shard.order.empty()) {
    auto old = shard.map.find(shard.order.front());
    if (old != shard.map.end()) {
      shard.bytes -= old->first.size() + old->second.response->size();
      shard.map.erase(old);
    }
    shard.order.pop_front();
  }
  shard.order.push_back(key);
  shard.map.emplace(std::move(key), Entry{generation, std::move(value)});
  shard.bytes += size;
}

size_t ResponseCache::bytes() const {
  size_t total = 0;
  for (const Shard& s : shards_) {
    absl::MutexLock lock(&s.mu);
    total += s.bytes;
  }
  return total;
}

size_t ResponseCache::entries() const {
  size_t total = 0;
  for (const Shard& s : shards_) {
    absl::MutexLock lock(&s.mu);
    total += s.map.size();
  }
  return total;
}

}  // namespace schemagate::rpc
