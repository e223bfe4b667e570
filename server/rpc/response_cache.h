// Answers of the memory RPCs (ListClusters, CheckTables, ValidateJoin,
// ValidateQuery), kept by request bytes for the migration snapshot they were
// computed from. Those answers are a function of the request, the catalog of
// the state the request names (the server's own, or a fleet target's by its
// target_id, part of the request bytes) and that state's snapshot alone, so
// a request seen before under the same snapshot is answered with the same
// bytes, without looking up tables, parsing SQL or encoding again (a client
// that checks the same tables or queries over and over — an application at
// each start or request, an ORM's statements — costs about an empty RPC).
// The generation passed is the snapshot's, unique in the process
// (ServiceState::Publish): a new snapshot of that state makes every older
// entry stale, and no other state's snapshot can match it.
//
// Bounded: entries up to kMaxEntryBytes (request + response), at most
// max_bytes in all over kShards shards; a shard that would grow past its
// share drops its oldest entries first. Only OK answers are kept.
//
// Thread safety: every method may be called from any thread.
#ifndef SCHEMAGATE_SERVER_RPC_RESPONSE_CACHE_H_
#define SCHEMAGATE_SERVER_RPC_RESPONSE_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace schemagate::rpc {

class ResponseCache {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxEntryBytes = 64 << 10;

  // max_bytes 0: nothing is kept.
  explicit ResponseCache(size_t max_bytes) : shard_budget_(max_bytes / kShards) {}

  // The answer to `request` of RPC `method` computed under snapshot
  // `generation`, or null.
  std::shared_ptr<const std::string> Find(int method, uint64_t generation,
                                          absl::string_view request) const;
  // Keeps `response` (skipped when too large).
  void Insert(int method, uint64_t generation, absl::string_view request,
              std::shared_ptr<const std::string> response);

  // Bytes and entries held (for tests).
  size_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    uint64_t generation = 0;
    std::shared_ptr<const std::string> response;
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Entry> map ABSL_GUARDED_BY(mu);
    std::deque<std::string> order ABSL_GUARDED_BY(mu);  // keys, oldest first
    size_t bytes ABSL_GUARDED_BY(mu) = 0;
  };
  static std::string Key(int method, absl::string_view request);
  Shard& ShardOf(absl::string_view key) const;

  const size_t shard_budget_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_RESPONSE_CACHE_H_
