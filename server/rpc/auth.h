// Admin authentication: `authorization: Bearer <token>` checked in constant
// time against a token file (a mounted Kubernetes Secret), re-read when the
// file changes (Kubernetes updates Secrets by swapping a symlink). Fails
// closed: once the file is deleted, emptied or unreadable, no token is
// accepted (not even the last one read) until it is restored.
//
// Thread-safe.
#ifndef SCHEMAGATE_SERVER_RPC_AUTH_H_
#define SCHEMAGATE_SERVER_RPC_AUTH_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace schemagate::rpc {

class TokenVerifier {
 public:
  // `token_file` empty: no token is configured; with `insecure` every
  // caller is an admin (only allowed on loopback listeners, checked by the
  // server), otherwise every admin call is refused (fail closed).
  TokenVerifier(std::string token_file, bool insecure);

  // Loads the file once; INVALID_ARGUMENT when it cannot be read or is
  // empty (so a misconfiguration fails at start, not at the first call).
  absl::Status Init();

  // OK, UNAUTHENTICATED (no or wrong token) or PERMISSION_DENIED (admin
  // calls disabled, or the token file revoked). `authorization` is the
  // metadata value ("" if absent).
  absl::Status Check(absl::string_view authorization);

  bool configured() const { return !file_.empty(); }

 private:
  absl::Status ReloadIfChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets the token; returns INVALID_ARGUMENT(why).
  absl::Status Revoke(const std::string& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string file_;
  const bool insecure_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  // File identity when last read.
  int64_t mtime_ns_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t size_ ABSL_GUARDED_BY(mu_) = -1;
  uint64_t inode_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace schemagate::rpc

#endif  // SCHEMAGATE_SERVER_RPC_AUTH_H_
