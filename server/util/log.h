// Logging for schemagate's processes: one line per event on stderr, as
// human-readable text or as JSON objects (--log-format=json), with secrets
// scrubbed from every line.
//
//   log::Configure({.format = log::Format::kJson, .level = log::Level::kInfo});
//   log::AddSecret(password);            // never printed, whatever the caller
//   log::Info("migration applied", {{"cluster", "tasks"}, {"ms", "12"}});
//
// Thread-safe: lines are written whole under a mutex.
#ifndef SCHEMAGATE_SERVER_UTIL_LOG_H_
#define SCHEMAGATE_SERVER_UTIL_LOG_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace schemagate::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class Format { kText, kJson };

struct Options {
  Format format = Format::kText;
  Level level = Level::kInfo;
  std::string program = "schemagate";  // the text prefix and JSON "program"
};

using Fields = std::vector<std::pair<std::string, std::string>>;

void Configure(const Options& options);

// Parses "text"/"json" and "debug"/"info"/"warning"/"error".
bool ParseFormat(absl::string_view text, Format* out);
bool ParseLevel(absl::string_view text, Level* out);

// Registers a value that must never appear in a log line (a password, a
// token); occurrences are replaced by "****". Values shorter than 4
// characters are ignored (they would mask ordinary text).
void AddSecret(absl::string_view secret);
// Replaces registered secrets in `text`.
std::string Scrub(absl::string_view text);

void Log(Level level, absl::string_view message, const Fields& fields = {});
inline void Debug(absl::string_view m, const Fields& f = {}) { Log(Level::kDebug, m, f); }
inline void Info(absl::string_view m, const Fields& f = {}) { Log(Level::kInfo, m, f); }
inline void Warning(absl::string_view m, const Fields& f = {}) { Log(Level::kWarning, m, f); }
inline void Error(absl::string_view m, const Fields& f = {}) { Log(Level::kError, m, f); }

bool Enabled(Level level);

// Tests: capture lines instead of writing them to stderr (nullptr restores).
void SetSinkForTesting(std::function<void(const std::string&)> sink);

}  // namespace schemagate::log

#endif  // SCHEMAGATE_SERVER_UTIL_LOG_H_
