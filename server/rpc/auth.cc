#include "server/rpc/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/util/log.h"

namespace schemagate::rpc {
namespace {

// SHA-256 of both sides, compared in constant time: neither the token's
// length nor its prefix leaks through timing.
bool SameSecret(absl::string_view a, absl::string_view b) {
  unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
  unsigned int la = 0, lb = 0;
  EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr);
  EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr);
  return la == lb && CRYPTO_memcmp(da, db, la) == 0;
}

}  // namespace

TokenVerifier::TokenVerifier(std::string token_file, bool insecure)
    : file_(std::move(token_file)), insecure_(insecure) {}

absl::Status TokenVerifier::ReloadIfChanged() {
  // A stat per admin call (cheap): a revoked token stops working at once.
  struct stat st;
  if (stat(file_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Revoke(absl::StrCat("cannot read --admin-token-file ", file_));
  }
  int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == mtime_ns_ && st.st_size == size_ && st.st_ino == inode_ && !token_.empty()) {
    return absl::OkStatus();
  }
  std::ifstream in(file_);
  std::stringstream s;
  s << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(s.str()));
  if (!in || token.empty()) {
    return Revoke(absl::StrCat("--admin-token-file ", file_, " is unreadable or empty"));
  }
  log::AddSecret(token);
  if (!token_.empty() && token != token_) log::Info("admin token reloaded");
  token_ = std::move(token);
  mtime_ns_ = mtime;
  size_ = st.st_size;
  inode_ = st.st_ino;
  return absl::OkStatus();
}

absl::Status TokenVerifier::Revoke(const std::string& why) {
  // Fail closed: the last token read is forgotten, so deleting, emptying or
  // making the file unreadable revokes it.
  if (!token_.empty()) log::Warning("admin token revoked", {{"reason", why}});
  token_.clear();
  mtime_ns_ = -1;
  size_ = -1;
  inode_ = 0;
  return absl::InvalidArgumentError(why);
}

absl::Status TokenVerifier::Init() {
  if (file_.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  return ReloadIfChanged();
}

absl::Status TokenVerifier::Check(absl::string_view authorization) {
  if (file_.empty()) {
    if (insecure_) return absl::OkStatus();
    return absl::PermissionDeniedError(
        "admin RPCs are disabled: the server has no --admin-token-file");
  }
  absl::string_view value = absl::StripAsciiWhitespace(authorization);
  if (value.empty()) {
    return absl::UnauthenticatedError("admin RPC needs metadata \"authorization: Bearer <token>\"");
  }
  if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
    return absl::UnauthenticatedError("authorization must be \"Bearer <token>\"");
  }
  std::string token;
  {
    absl::MutexLock lock(&mu_);
    if (!ReloadIfChanged().ok()) {
      return absl::PermissionDeniedError(
          "admin RPCs are refused: the admin token file cannot be read or is "
          "empty (revoked?)");
    }
    token = token_;
  }
  if (!SameSecret(absl::StripAsciiWhitespace(value), token)) {
    return absl::UnauthenticatedError("wrong admin token");
  }
  return absl::OkStatus();
}

}  // namespace schemagate::rpc
