#include "server/util/log.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace schemagate::log {
namespace {

struct State {
  std::mutex mu;
  Options options;
  std::vector<std::string> secrets;
  std::function<void(const std::string&)> sink;
};

// The level, readable without the lock (Enabled() is on every RPC's path).
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

State& GetState() {
  static State* state = new State();
  return *state;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// Secrets are kept longest first, so a secret that contains another is
// replaced whole.
std::string ScrubLocked(const State& state, absl::string_view text) {
  std::string out(text);
  for (const std::string& secret : state.secrets) {
    if (out.find(secret) != std::string::npos) {
      out = absl::StrReplaceAll(out, {{secret, "****"}});
    }
  }
  return out;
}

}  // namespace

void Configure(const Options& options) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  s.options = options;
  g_level = static_cast<int>(options.level);
}

bool ParseFormat(absl::string_view text, Format* out) {
  if (text == "text")
    *out = Format::kText;
  else if (text == "json")
    *out = Format::kJson;
  else
    return false;
  return true;
}

bool ParseLevel(absl::string_view text, Level* out) {
  if (text == "debug")
    *out = Level::kDebug;
  else if (text == "info")
    *out = Level::kInfo;
  else if (text == "warning" || text == "warn")
    *out = Level::kWarning;
  else if (text == "error")
    *out = Level::kError;
  else
    return false;
  return true;
}

void AddSecret(absl::string_view secret) {
  if (secret.size() < 4) return;
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  for (const std::string& known : s.secrets) {
    if (known == secret) return;
  }
  auto at = std::find_if(s.secrets.begin(), s.secrets.end(),
                         [&](const std::string& known) { return known.size() < secret.size(); });
  s.secrets.emplace(at, secret);
}

std::string Scrub(absl::string_view text) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  return ScrubLocked(s, text);
}

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void Log(Level level, absl::string_view message, const Fields& fields) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  if (level < s.options.level) return;
  // Secrets are replaced before anything is escaped: a password with a '"'
  // or a '\\' no longer matches once JSON-escaped.
  const std::string scrubbed_message = ScrubLocked(s, message);
  Fields scrubbed = fields;
  for (auto& [key, value] : scrubbed) value = ScrubLocked(s, value);
  message = scrubbed_message;
  std::string line;
  if (s.options.format == Format::kJson) {
    line = "{\"ts\":";
    AppendJsonString(&line,
                     absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
    line += ",\"level\":";
    AppendJsonString(&line, LevelName(level));
    line += ",\"program\":";
    AppendJsonString(&line, s.options.program);
    line += ",\"msg\":";
    AppendJsonString(&line, message);
    for (const auto& [key, value] : scrubbed) {
      line += ",";
      AppendJsonString(&line, key);
      line += ":";
      AppendJsonString(&line, value);
    }
    line += "}";
  } else {
    line = absl::StrCat(s.options.program, ": ");
    if (level >= Level::kWarning) absl::StrAppend(&line, LevelName(level), ": ");
    absl::StrAppend(&line, message);
    for (const auto& [key, value] : scrubbed) {
      bool quote = value.empty() || value.find_first_of(" \t\n\"=") != std::string::npos;
      absl::StrAppend(&line, " ", key, "=");
      if (quote) {
        AppendJsonString(&line, value);
      } else {
        line += value;
      }
    }
  }
  line = ScrubLocked(s, line);
  if (s.sink) {
    s.sink(line);
    return;
  }
  line += "\n";
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

void SetSinkForTesting(std::function<void(const std::string&)> sink) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  s.sink = std::move(sink);
}

}  // namespace schemagate::log
