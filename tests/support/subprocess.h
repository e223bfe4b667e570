// Runs a child process and captures its output (tests only).
#ifndef SCHEMAGATE_TESTS_SUPPORT_SUBPROCESS_H_
#define SCHEMAGATE_TESTS_SUPPORT_SUBPROCESS_H_

#include <string>
#include <vector>

namespace schemagate::testing {

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal
  int signal = 0;       // the signal that ended it, or 0
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) with `argv`, feeding `input` on stdin.
// `env` entries "NAME=value" are added to (or replace in) the environment.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                  const std::string& input = "",
                  const std::vector<std::string>& env = {});

}  // namespace schemagate::testing

#endif  // SCHEMAGATE_TESTS_SUPPORT_SUBPROCESS_H_
