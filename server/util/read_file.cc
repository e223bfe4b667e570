#include "server/util/read_file.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"

namespace schemagate::util {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError("cannot read " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::UnavailableError("cannot read " + path);
  return buffer.str();
}

}  // namespace schemagate::util
