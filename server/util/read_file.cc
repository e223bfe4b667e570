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

absl::StatusOr<std::string> ReadRequiredFile(const std::string& path, const std::string& what) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return absl::InvalidArgumentError(what + " " + path + " cannot be read");
  if (text->empty()) return absl::InvalidArgumentError(what + " " + path + " is empty");
  return text;
}

}  // namespace schemagate::util
