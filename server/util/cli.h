// Command-line parsing for schemagate's tools: one FlagSet per subcommand,
// GNU-style flags (--name=value, --name value, --flag, --no-flag), values
// from the environment as a fallback, and --help generated from the
// definitions. Unknown flags and malformed values are errors that name the
// flag. Not thread-safe; use from main().
//
//   std::string url; bool json = false;
//   cli::FlagSet flags("schemagate status", "Show migration state.");
//   flags.String("database-url", &url, "libpq URI", "DATABASE_URL");
//   flags.Bool("json", &json, "machine-readable output");
//   cli::ParseResult r = flags.Parse(args);
//   if (r.help) { std::cout << flags.Help(); return 0; }
//   if (!r.status.ok()) { std::cerr << r.status.message(); return 2; }
#ifndef SCHEMAGATE_SERVER_UTIL_CLI_H_
#define SCHEMAGATE_SERVER_UTIL_CLI_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace schemagate::cli {

struct ParseResult {
  absl::Status status;                  // INVALID_ARGUMENT naming the flag
  bool help = false;                    // --help or -h was given
  std::vector<std::string> positional;  // arguments that are not flags
};

class FlagSet {
 public:
  // `command` as typed ("schemagate migrate"); `summary` one line.
  FlagSet(std::string command, std::string summary);

  // Free text appended to --help (exit codes, examples).
  void SetEpilog(std::string epilog) { epilog_ = std::move(epilog); }
  // "[table...]" etc., shown after the flags in the usage line.
  void SetPositionalUsage(std::string usage) { positional_ = std::move(usage); }

  // Each definition stores the default shown by --help from *target.
  // `env`, when set, is read if the flag is not given.
  void String(std::string name, std::string* target, std::string help, std::string env = "");
  void Bool(std::string name, bool* target, std::string help);
  void Int(std::string name, int64_t* target, std::string help, std::string env = "");
  // Accepts absl durations ("30s", "1m30s", "250ms") and plain seconds.
  void Duration(std::string name, absl::Duration* target, std::string help, std::string env = "");
  // A repeatable flag; values may also be comma-separated.
  void List(std::string name, std::vector<std::string>* target, std::string help,
            std::string env = "");

  ParseResult Parse(const std::vector<std::string>& args);
  std::string Help() const;

  // The long names of every defined flag (for tests that check manifests
  // and docs against the binaries).
  std::vector<std::string> Names() const;

  // Was the flag given on the command line or through its env variable?
  bool IsSet(absl::string_view name) const;

  // After Parse(): prints --help to stdout or the error (prefixed with the
  // command) to stderr and returns the exit code to end with (0 for help,
  // `usage_code` for errors, including more than `max_positional`
  // positional arguments); returns -1 when the command should go on.
  int Finish(const ParseResult& result, size_t max_positional, int usage_code) const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string env;
    std::string default_text;
    bool is_bool = false;
    bool set = false;
    std::function<absl::Status(absl::string_view)> assign;
  };
  Flag* Find(absl::string_view name);

  std::string command_;
  std::string summary_;
  std::string epilog_;
  std::string positional_;
  std::vector<Flag> flags_;
};

}  // namespace schemagate::cli

#endif  // SCHEMAGATE_SERVER_UTIL_CLI_H_
