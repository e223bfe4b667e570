// Diagnostics of the build-time generator: "file:line:col: error: message"
// and "file:line:col: warning: message".
#ifndef SCHEMAGATE_SERVER_GENERATOR_DIAGNOSTIC_H_
#define SCHEMAGATE_SERVER_GENERATOR_DIAGNOSTIC_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace schemagate::generator {

struct Diagnostic {
  std::string file;  // as given to the loader (tree path + relative path)
  int line = 0;      // 1-based; 0 when the whole file is meant
  int column = 0;    // 1-based; 0 when unknown
  std::string message;
  bool warning = false;  // a warning never fails a build
};

// "file:line:col: error: message" (line/col omitted when 0; "warning:" for
// warnings).
std::string Format(const Diagnostic& d);

// Collects diagnostics; the first kMaxDiagnostics errors and warnings each
// are kept. Only errors make the collection non-empty.
class Diagnostics {
 public:
  static constexpr size_t kMaxDiagnostics = 50;

  void Add(Diagnostic d);
  void Add(std::string file, int line, int column, std::string message) {
    Add(Diagnostic{std::move(file), line, column, std::move(message), false});
  }
  void Warn(std::string file, int line, int column, std::string message) {
    Add(Diagnostic{std::move(file), line, column, std::move(message), true});
  }
  // No errors (warnings do not count).
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  const std::vector<Diagnostic>& list() const { return list_; }
  size_t warning_count() const { return warning_count_; }
  const std::vector<Diagnostic>& warnings() const { return warnings_; }

  // OK when there is no error; otherwise INVALID_ARGUMENT whose message is
  // every error on its own line.
  absl::Status ToStatus() const;
  // Every warning on its own line ("" when there is none).
  std::string WarningText() const;

 private:
  std::vector<Diagnostic> list_;
  size_t count_ = 0;
  std::vector<Diagnostic> warnings_;
  size_t warning_count_ = 0;
};

}  // namespace schemagate::generator

#endif  // SCHEMAGATE_SERVER_GENERATOR_DIAGNOSTIC_H_
