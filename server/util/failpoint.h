// Failpoints: named places where a test widens a race window that is too
// narrow to hit from outside (a cancel that lands on one exact statement).
// Set in the environment as SCHEMAGATE_FAILPOINTS="name=value,name=value"
// and read once; off unless that variable is set, which production never
// does. Each use documents what its value means.
//
//   if (std::string v = failpoint::Value("unlock-sleep"); !v.empty()) ...
//
// Thread-safe.
#ifndef SCHEMAGATE_SERVER_UTIL_FAILPOINT_H_
#define SCHEMAGATE_SERVER_UTIL_FAILPOINT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace schemagate::failpoint {

// The value of failpoint `name`, or "" when it is not set.
std::string Value(absl::string_view name);

}  // namespace schemagate::failpoint

#endif  // SCHEMAGATE_SERVER_UTIL_FAILPOINT_H_
