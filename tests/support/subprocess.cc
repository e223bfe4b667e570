#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

extern char** environ;

namespace schemagate::test {
namespace {

std::string SuiteLogDir() {
  const char* dir = std::getenv("SCHEMAGATE_TEST_LOG_DIR");
  return dir != nullptr ? dir : "";
}

void AppendLine(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += n;
  }
  close(fd);
}

void AppendToSuiteLog(const std::vector<std::string>& argv, const ProcessResult& r) {
  const std::string dir = SuiteLogDir();
  if (dir.empty() || argv.empty()) return;
  std::string text = "=== " + argv[0] + " (exit " + std::to_string(r.exit_code) + ", signal " +
                     std::to_string(r.signal) + ")\n" + r.out;
  if (!r.out.empty() && r.out.back() != '\n') text += '\n';
  text += r.err;
  if (!r.err.empty() && r.err.back() != '\n') text += '\n';
  AppendLine(dir + "/output-" + std::to_string(getpid()) + ".log", text);
}

// The process environment with `env` ("NAME=value") set over it.
std::vector<std::string> MergedEnv(const std::vector<std::string>& env) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    vars[kv.substr(0, kv.find('='))] = kv;
  }
  for (const std::string& kv : env) vars[kv.substr(0, kv.find('='))] = kv;
  std::vector<std::string> out;
  for (auto& [k, kv] : vars) out.push_back(kv);
  return out;
}

}  // namespace

std::string TokenFile(const std::string& dir, const std::string& token, const std::string& name) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << token << "\n";
  RegisterSecret(token);
  return path;
}

std::string TempDir() {
  std::string t = "/tmp/sgtestXXXXXX";
  std::string dir = mkdtemp(t.data());
  chmod(dir.c_str(), 0755);  // the postgres user must reach a data dir inside
  return dir;
}

void RegisterSecret(const std::string& secret) {
  const std::string dir = SuiteLogDir();
  if (dir.empty() || secret.empty()) return;
  AppendLine(dir + "/secrets.txt", secret + "\n");
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input,
                         const std::vector<std::string>& env) {
  ProcessResult result;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    result.err = "pipe failed";
    return result;
  }
  std::vector<std::string> env_strings = MergedEnv(env);

  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    std::vector<char*> args, envp;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    execvpe(args[0], args.data(), envp.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  if (input.empty()) {
    close(in[1]);
    in[1] = -1;
  } else {
    fcntl(in[1], F_SETFL, O_NONBLOCK);
  }
  bool out_open = true, err_open = true;
  char buffer[65536];
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out[0], POLLIN, 0});
    if (err_open) fds.push_back({err[0], POLLIN, 0});
    if (in[1] >= 0) fds.push_back({in[1], POLLOUT, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in[1]) {
        ssize_t n = write(in[1], input.data() + written, input.size() - written);
        if (n > 0) written += n;
        if (n < 0 && errno != EAGAIN) written = input.size();
        if (written >= input.size()) {
          close(in[1]);
          in[1] = -1;
        }
        continue;
      }
      ssize_t n = read(p.fd, buffer, sizeof buffer);
      if (n <= 0) {
        if (p.fd == out[0]) out_open = false;
        if (p.fd == err[0]) err_open = false;
        continue;
      }
      (p.fd == out[0] ? result.out : result.err).append(buffer, n);
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  AppendToSuiteLog(argv, result);
  return result;
}

namespace {

std::string TempPath(const char* tag) {
  std::string path = std::string("/tmp/sgchild_") + tag + "_XXXXXX";
  int fd = mkstemp(path.data());
  if (fd >= 0) close(fd);
  return path;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Child::Child(const std::vector<std::string>& argv, const std::vector<std::string>& env)
    : argv_(argv) {
  out_path_ = TempPath("out");
  err_path_ = TempPath("err");
  std::vector<std::string> env_strings = MergedEnv(env);
  pid_ = fork();
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    int out = open(out_path_.c_str(), O_WRONLY | O_TRUNC);
    int err = open(err_path_.c_str(), O_WRONLY | O_TRUNC);
    dup2(devnull, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args, envp;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    execvpe(args[0], args.data(), envp.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
}

Child::Child(Child&& other) noexcept
    : argv_(std::move(other.argv_)),
      pid_(other.pid_),
      reaped_(other.reaped_),
      collected_(other.collected_),
      result_(std::move(other.result_)),
      out_path_(std::move(other.out_path_)),
      err_path_(std::move(other.err_path_)) {
  other.pid_ = -1;
}

Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    Wait();
  }
  if (pid_ > 0) Collect();
  if (!out_path_.empty()) unlink(out_path_.c_str());
  if (!err_path_.empty()) unlink(err_path_.c_str());
}

bool Child::Running() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  reaped_ = true;
  if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
  return false;
}

void Child::Kill(int signal) {
  if (pid_ > 0 && !reaped_) kill(pid_, signal);
}

ProcessResult Child::Wait() {
  if (pid_ > 0 && !reaped_) {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
  }
  Collect();
  return result_;
}

void Child::Collect() {
  if (collected_ || out_path_.empty()) return;
  collected_ = true;
  result_.out = Slurp(out_path_);
  result_.err = Slurp(err_path_);
  AppendToSuiteLog(argv_, result_);
}

}  // namespace schemagate::test
