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

}  // namespace schemagate::util

#endif  // SCHEMAGATE_SERVER_UTIL_READ_FILE_H_
