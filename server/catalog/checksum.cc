#include "server/catalog/checksum.h"

#include <openssl/evp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "server/catalog/catalog.h"

namespace schemagate::catalog {
namespace {
constexpr absl::string_view kBom = "\xEF\xBB\xBF";
}  // namespace

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string NormalizeMigrationText(absl::string_view text) {
  absl::ConsumePrefix(&text, kBom);
  return absl::StrReplaceAll(text, {{"\r\n", "\n"}});
}

bool SameMigrationText(absl::string_view recorded, absl::string_view normalized) {
  if (recorded == Sha256Hex(normalized)) return true;
  const std::string crlf = absl::StrReplaceAll(normalized, {{"\n", "\r\n"}});
  for (const std::string& variant :
       {crlf, std::string(kBom) + std::string(normalized), std::string(kBom) + crlf}) {
    if (recorded == Sha256Hex(variant)) return true;
  }
  return false;
}

}  // namespace schemagate::catalog
