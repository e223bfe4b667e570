#include "server/util/url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schemagate::url {
namespace {

bool IsUri(absl::string_view s) {
  return absl::StartsWith(s, "postgresql://") || absl::StartsWith(s, "postgres://");
}

std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
        absl::ascii_isxdigit(s[i + 2])) {
      auto hex = [](char c) {
        return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
      };
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// [begin, end) of the userinfo's password in a URI, or npos.
std::pair<size_t, size_t> UriPasswordRange(absl::string_view uri) {
  size_t start = uri.find("://");
  if (start == absl::string_view::npos) return {absl::string_view::npos, 0};
  start += 3;
  size_t end_authority = uri.find_first_of("/?", start);
  if (end_authority == absl::string_view::npos) end_authority = uri.size();
  size_t at = uri.rfind('@', end_authority);
  if (at == absl::string_view::npos || at < start) {
    return {absl::string_view::npos, 0};
  }
  size_t colon = uri.find(':', start);
  if (colon == absl::string_view::npos || colon > at) {
    return {absl::string_view::npos, 0};
  }
  return {colon + 1, at};
}

// The value range of keyword `key` in a key=value string (or URI query).
std::pair<size_t, size_t> KeywordRange(absl::string_view s, absl::string_view key) {
  size_t pos = 0;
  while ((pos = s.find(key, pos)) != absl::string_view::npos) {
    bool boundary = pos == 0 || s[pos - 1] == ' ' || s[pos - 1] == '?' ||
                    s[pos - 1] == '&';
    size_t eq = pos + key.size();
    while (eq < s.size() && s[eq] == ' ') ++eq;
    if (boundary && eq < s.size() && s[eq] == '=') {
      size_t v = eq + 1;
      while (v < s.size() && s[v] == ' ') ++v;
      size_t end = v;
      if (v < s.size() && s[v] == '\'') {
        end = v + 1;
        while (end < s.size() && s[end] != '\'') {
          if (s[end] == '\\') ++end;
          ++end;
        }
        if (end < s.size()) ++end;
      } else {
        while (end < s.size() && s[end] != ' ' && s[end] != '&') ++end;
      }
      return {v, end};
    }
    pos += key.size();
  }
  return {absl::string_view::npos, 0};
}

}  // namespace

std::string Password(absl::string_view conninfo) {
  if (IsUri(conninfo)) {
    auto [b, e] = UriPasswordRange(conninfo);
    if (b != absl::string_view::npos) return PercentDecode(conninfo.substr(b, e - b));
  }
  auto [b, e] = KeywordRange(conninfo, "password");
  if (b == absl::string_view::npos) return "";
  absl::string_view v = conninfo.substr(b, e - b);
  if (absl::StartsWith(v, "'") && absl::EndsWith(v, "'") && v.size() >= 2) {
    v = v.substr(1, v.size() - 2);
  }
  return IsUri(conninfo) ? PercentDecode(v) : std::string(v);
}

std::string Redact(absl::string_view conninfo) {
  std::string out(conninfo);
  if (IsUri(out)) {
    auto [b, e] = UriPasswordRange(out);
    if (b != absl::string_view::npos) out.replace(b, e - b, "****");
  }
  auto [b, e] = KeywordRange(out, "password");
  if (b != absl::string_view::npos) out.replace(b, e - b, "****");
  return out;
}

std::string Describe(absl::string_view conninfo) {
  if (!IsUri(conninfo)) {
    auto get = [&](absl::string_view key) {
      auto [b, e] = KeywordRange(conninfo, key);
      return b == absl::string_view::npos ? std::string()
                                           : std::string(conninfo.substr(b, e - b));
    };
    std::string host = get("host"), port = get("port"), db = get("dbname");
    return absl::StrCat(host.empty() ? "localhost" : host,
                        port.empty() ? "" : ":", port, "/", db);
  }
  size_t start = conninfo.find("://") + 3;
  size_t end = conninfo.find('?', start);
  std::string rest(conninfo.substr(start, end == absl::string_view::npos
                                              ? absl::string_view::npos
                                              : end - start));
  size_t at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  return rest.empty() ? "localhost" : rest;
}

std::string WithDefaultParam(absl::string_view conninfo, absl::string_view key,
                             absl::string_view value) {
  if (KeywordRange(conninfo, key).first != absl::string_view::npos) {
    return std::string(conninfo);
  }
  if (IsUri(conninfo)) {
    bool has_query = conninfo.find('?') != absl::string_view::npos;
    return absl::StrCat(conninfo, has_query ? "&" : "?", key, "=", value);
  }
  return absl::StrCat(conninfo, conninfo.empty() ? "" : " ", key, "=", value);
}

}  // namespace schemagate::url
