// Connection strings (libpq URIs and key=value strings) read exactly as
// libpq reads them (PQconninfoParse), so that the password found here is
// the one libpq sends, whatever characters it holds (`?`, `@`, `/`, `#`,
// `%`, quotes, backslashes, spaces, non-ASCII).
//
//   absl::StatusOr<ConnInfo> info = ConnInfo::Parse(url);  // registers the secrets
//   if (!info.ok()) return info.status();                  // never quotes the URL
//   std::string conninfo = info->WithDefaults({{"connect_timeout", "5"}});
//   Print(info->Describe());                               // "db:5432/app"
//
// Parse() registers with log::AddSecret, before anything else can print
// them, every form in which the password may appear in a message: libpq's
// (percent-decoded) value and the raw text as written, also when libpq
// rejects the string (its "invalid percent-encoded token" error quotes the
// raw token). A string libpq rejects, or one it accepts only by splitting
// the credentials somewhere else than the user meant (an unencoded `@` or
// `/` in a URI's password), is INVALID_ARGUMENT with a message that quotes
// nothing of it.
//
// Thread-safe (libpq's parser is).
#ifndef SCHEMAGATE_SERVER_MIGRATE_CONNINFO_H_
#define SCHEMAGATE_SERVER_MIGRATE_CONNINFO_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schemagate::migrate {

class ConnInfo {
 public:
  static absl::StatusOr<ConnInfo> Parse(absl::string_view conninfo);

  // Every form of the secrets of `conninfo` that may show up in a message
  // (what Parse registers); also for strings libpq rejects.
  static std::vector<std::string> SecretsOf(absl::string_view conninfo);

  // "host:port/dbname" for messages: never the user or the password. A
  // multi-host string (libpq's "host=a,b port=1,2", or
  // postgresql://a:1,b:2/db) is described with every host paired with its
  // port: "a:1,b:2/db".
  std::string Describe() const;

  // True when target_session_attrs asks libpq for a standby (read-only,
  // standby, prefer-standby): the caller means to read from a hot standby.
  // Otherwise schemagate wants the primary (db.h, ConnectOptions).
  bool RequestsStandby() const;

  // The parsed options (keyword, value), libpq's defaults left out.
  const std::vector<std::pair<std::string, std::string>>& options() const { return options_; }
  // The value of `keyword`, or "" when not set.
  std::string Get(absl::string_view keyword) const;

  // A key=value connection string equivalent to the parsed one, with
  // `defaults` added for keywords it does not set. `options` (the server's
  // -c settings) is appended to instead: {"options", "-c x=1"} adds to
  // what the URL sets.
  std::string WithDefaults(const std::vector<std::pair<std::string, std::string>>& defaults) const;

 private:
  std::vector<std::pair<std::string, std::string>> options_;
};

}  // namespace schemagate::migrate

#endif  // SCHEMAGATE_SERVER_MIGRATE_CONNINFO_H_
