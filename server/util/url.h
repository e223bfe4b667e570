// PostgreSQL connection URLs (libpq URIs): secrets and display.
#ifndef SCHEMAGATE_SERVER_UTIL_URL_H_
#define SCHEMAGATE_SERVER_UTIL_URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace schemagate::url {

// The password of a postgres:// or postgresql:// URI (percent-decoded), or
// of a "password=" keyword in a key=value connection string; "" if none.
std::string Password(absl::string_view conninfo);

// The URI with its password replaced by "****" (and any password= keyword
// value); safe to print.
std::string Redact(absl::string_view conninfo);

// "host:port/dbname" for messages (no user, no password). Best effort.
std::string Describe(absl::string_view conninfo);

// Adds `key=value` as a URI query parameter (or keyword) unless `key` is
// already present.
std::string WithDefaultParam(absl::string_view conninfo, absl::string_view key,
                             absl::string_view value);

}  // namespace schemagate::url

#endif  // SCHEMAGATE_SERVER_UTIL_URL_H_
