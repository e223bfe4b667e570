#include "server/util/failpoint.h"

#include <cstdlib>
#include <map>

#include "absl/strings/str_split.h"

namespace schemagate::failpoint {

std::string Value(absl::string_view name) {
  static const auto* points = [] {
    auto* out = new std::map<std::string, std::string, std::less<>>();
    if (const char* env = std::getenv("SCHEMAGATE_FAILPOINTS")) {
      for (absl::string_view item : absl::StrSplit(env, ',', absl::SkipEmpty())) {
        std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
        (*out)[kv.first] = kv.second.empty() ? "1" : kv.second;
      }
    }
    return out;
  }();
  auto it = points->find(name);
  return it == points->end() ? "" : it->second;
}

}  // namespace schemagate::failpoint
