#include "server/migrate/conninfo.h"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/util/log.h"

namespace schemagate::migrate {
namespace {

constexpr char kHint[] =
    "the database URL is not a valid libpq connection string; in a "
    "postgresql:// URI percent-encode '@' (%40), '/' (%2F), '%' (%25), ':' "
    "(%3A) and spaces (%20) in the user name and password; in a key=value "
    "string quote values with spaces: password='a b' (the URL is not shown: "
    "it holds a password)";

bool IsUri(absl::string_view s) {
  return absl::StartsWith(s, "postgresql://") || absl::StartsWith(s, "postgres://");
}

int Hex(char c) {
  if (absl::ascii_isdigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding as far as it goes (a bad escape is kept as written).
std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The URI's authority as the user most likely meant it: up to the first
// '/' after the last '@' that precedes a '/' or the end ("u:p@ss/w@host/db"
// means user u, password p@ss/w). libpq instead ends the user info at the
// first '@' or '/'.
struct UriParts {
  absl::string_view libpq_password;  // raw, as libpq splits it
  absl::string_view meant_password;  // raw, as the user meant it
  bool ambiguous = false;            // the two differ
};

UriParts SplitUri(absl::string_view uri) {
  UriParts out;
  size_t start = uri.find("://") + 3;
  absl::string_view rest = uri.substr(start);
  // libpq: the user info ends at the first '@', unless a '/' comes first.
  size_t end = rest.find_first_of("@/");
  if (end != absl::string_view::npos && rest[end] == '@') {
    absl::string_view info = rest.substr(0, end);
    size_t colon = info.find(':');
    if (colon != absl::string_view::npos) out.libpq_password = info.substr(colon + 1);
  }
  // Meant: the last '@' before the query or, failing that, anywhere.
  size_t at = rest.rfind('@', rest.find('?'));
  if (at == absl::string_view::npos) at = rest.rfind('@');
  if (at != absl::string_view::npos) {
    absl::string_view info = rest.substr(0, at);
    size_t colon = info.find(':');
    if (colon != absl::string_view::npos) out.meant_password = info.substr(colon + 1);
    out.ambiguous = at != end;
  }
  return out;
}

// Raw `password=` values of a key=value string or a URI query, as written
// (quotes and escapes included) and with outer quotes removed.
std::vector<std::string> RawKeywordValues(absl::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = s.find("password", pos)) != absl::string_view::npos) {
    size_t v = pos + 8;
    pos = v;
    while (v < s.size() && s[v] == ' ') ++v;
    if (v >= s.size() || s[v] != '=') continue;
    ++v;
    while (v < s.size() && s[v] == ' ') ++v;
    size_t end = v;
    if (v < s.size() && s[v] == '\'') {
      for (end = v + 1; end < s.size() && s[end] != '\''; ++end) {
        if (s[end] == '\\') ++end;
      }
      out.emplace_back(s.substr(v + 1, std::min(end, s.size()) - v - 1));
      if (end < s.size()) ++end;
    } else {
      while (end < s.size() && s[end] != ' ' && s[end] != '&') ++end;
    }
    out.emplace_back(s.substr(v, end - v));
    // Everything up to the next space: what an unquoted value with a space
    // would be split into by libpq's error messages.
    size_t rest_end = s.find('&', end);
    out.emplace_back(s.substr(v, (rest_end == absl::string_view::npos ? s.size() : rest_end) - v));
  }
  return out;
}

struct OptionsDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

std::string Quote(absl::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::vector<std::string> ConnInfo::SecretsOf(absl::string_view conninfo) {
  std::vector<std::string> raw;
  if (IsUri(conninfo)) {
    UriParts parts = SplitUri(conninfo);
    raw.emplace_back(parts.libpq_password);
    raw.emplace_back(parts.meant_password);
  }
  for (std::string& v : RawKeywordValues(conninfo)) raw.push_back(std::move(v));
  std::vector<std::string> out;
  for (const std::string& r : raw) {
    if (r.empty()) continue;
    out.push_back(r);
    out.push_back(PercentDecode(r));
  }
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, OptionsDeleter> parsed(
      PQconninfoParse(std::string(conninfo).c_str(), &error));
  PQfreemem(error);
  if (parsed != nullptr) {
    for (PQconninfoOption* o = parsed.get(); o->keyword != nullptr; ++o) {
      // "password" and anything else libpq marks as secret ("*").
      if (o->val != nullptr && o->val[0] != '\0' &&
          (std::string(o->keyword) == "password" ||
           (o->dispchar != nullptr && o->dispchar[0] == '*'))) {
        out.emplace_back(o->val);
      }
    }
  }
  return out;
}

absl::StatusOr<ConnInfo> ConnInfo::Parse(absl::string_view conninfo) {
  for (const std::string& s : SecretsOf(conninfo)) log::AddSecret(s);
  if (IsUri(conninfo) && SplitUri(conninfo).ambiguous) {
    return absl::InvalidArgumentError(kHint);
  }
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, OptionsDeleter> parsed(
      PQconninfoParse(std::string(conninfo).c_str(), &error));
  PQfreemem(error);  // it may quote the raw string
  if (parsed == nullptr) return absl::InvalidArgumentError(kHint);
  ConnInfo info;
  for (PQconninfoOption* o = parsed.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr) info.options_.emplace_back(o->keyword, o->val);
  }
  return info;
}

std::string ConnInfo::Get(absl::string_view keyword) const {
  for (const auto& [k, v] : options_) {
    if (k == keyword) return v;
  }
  return "";
}

std::string ConnInfo::Describe() const {
  std::string host = Get("host");
  if (host.empty()) host = Get("hostaddr");
  if (host.empty()) host = "localhost";
  const std::vector<std::string> hosts = absl::StrSplit(host, ',');
  const std::vector<std::string> ports = absl::StrSplit(Get("port"), ',');
  std::vector<std::string> parts;
  for (size_t i = 0; i < hosts.size(); ++i) {
    // libpq: one port for every host, or one per host.
    const std::string& port = ports.size() == hosts.size() ? ports[i] : ports[0];
    parts.push_back(
        absl::StrCat(hosts[i].empty() ? "localhost" : hosts[i], port.empty() ? "" : ":", port));
  }
  return absl::StrCat(absl::StrJoin(parts, ","), "/", Get("dbname"));
}

bool ConnInfo::RequestsStandby() const {
  const std::string attrs = Get("target_session_attrs");
  return attrs == "read-only" || attrs == "standby" || attrs == "prefer-standby";
}

std::string ConnInfo::WithDefaults(
    const std::vector<std::pair<std::string, std::string>>& defaults) const {
  std::vector<std::pair<std::string, std::string>> all = options_;
  for (const std::pair<std::string, std::string>& d : defaults) {
    auto it =
        std::find_if(all.begin(), all.end(), [&](const auto& o) { return o.first == d.first; });
    if (it == all.end()) {
      all.push_back(d);
    } else if (d.first == "options" && !d.second.empty()) {
      it->second = absl::StrCat(it->second, it->second.empty() ? "" : " ", d.second);
    }
  }
  std::vector<std::string> parts;
  for (const auto& [key, value] : all) parts.push_back(absl::StrCat(key, "=", Quote(value)));
  return absl::StrJoin(parts, " ");
}

}  // namespace schemagate::migrate
