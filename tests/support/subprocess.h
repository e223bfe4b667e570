// Runs a child process and captures its output (tests only).
#ifndef SCHEMAGATE_TESTS_SUPPORT_SUBPROCESS_H_
#define SCHEMAGATE_TESTS_SUPPORT_SUBPROCESS_H_

#include <string>
#include <vector>

namespace schemagate::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that ended it, or 0
  std::string out;
  std::string err;
};

// Everything a child process prints is also appended to the suite log when
// the environment variable SCHEMAGATE_TEST_LOG_DIR names a directory (one
// file per test process), so that tests/security/scan_secrets.py can check
// that no secret ever appears in any output of the whole suite.
//
// Records a secret (a password, a token) the suite uses, for that scan.
void RegisterSecret(const std::string& secret);

// A new directory under /tmp, readable by the postgres user.
std::string TempDir();

// Writes `token` to `dir`/`name` (for --admin-token-file / --token-file),
// registers it as a secret no output may contain, and returns the path.
std::string TokenFile(const std::string& dir, const std::string& token,
                      const std::string& name = "token");

// Runs argv[0] (searched in PATH) with `argv`, feeding `input` on stdin.
// `env` entries "NAME=value" are added to (or replace in) the environment.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         const std::vector<std::string>& env = {});

// A child process running in the background; its output goes to temporary
// files read by Wait(). Killed (SIGKILL) and reaped on destruction if still
// running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~Child();
  Child(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  int pid() const { return pid_; }
  bool Running();
  void Kill(int signal);
  // Waits for the exit and returns the status and output.
  ProcessResult Wait();

 private:
  void Collect();  // reads the output files once, appends them to the suite log

  std::vector<std::string> argv_;
  int pid_ = -1;
  bool reaped_ = false;
  bool collected_ = false;
  ProcessResult result_;
  std::string out_path_, err_path_;
};

}  // namespace schemagate::test

#endif  // SCHEMAGATE_TESTS_SUPPORT_SUBPROCESS_H_
