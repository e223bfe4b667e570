// Reading a whole file into memory: the one helper for it.
//
//   absl::StatusOr<std::string> text = util::ReadWholeFile("migrations/x/up.sql");
//   if (!text.ok()) return text.status();  // UNAVAILABLE "cannot read ..."
//
// Thread-safe (no shared state).
#ifndef SCHEMAGATE_SERVER_UTIL_READ_FILE_H_
#define SCHEMAGATE_SERVER_UTIL_READ_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace schemagate::util {

// The bytes of the file at `path`, unchanged (binary mode). UNAVAILABLE
// "cannot read <path>" when it cannot be opened or read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// The same for a file a flag or field names (`what`: "--tls-cert"), which
// must not be empty: INVALID_ARGUMENT "<what> <path> cannot be read" or
// "<what> <path> is empty".
absl::StatusOr<std::string> ReadRequiredFile(const std::string& path, const std::string& what);

}  // namespace schemagate::util

#endif  // SCHEMAGATE_SERVER_UTIL_READ_FILE_H_
