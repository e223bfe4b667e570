#include "server/generator/diagnostic.h"

#include "absl/strings/str_cat.h"

namespace schemagate::generator {

std::string Format(const Diagnostic& d) {
  std::string out = d.file;
  if (d.line > 0) {
    absl::StrAppend(&out, ":", d.line);
    if (d.column > 0) absl::StrAppend(&out, ":", d.column);
  }
  absl::StrAppend(&out, d.warning ? ": warning: " : ": error: ", d.message);
  return out;
}

void Diagnostics::Add(Diagnostic d) {
  if (d.warning) {
    ++warning_count_;
    if (warnings_.size() < kMaxDiagnostics) warnings_.push_back(std::move(d));
    return;
  }
  ++count_;
  if (list_.size() < kMaxDiagnostics) list_.push_back(std::move(d));
}

namespace {

std::string Lines(const std::vector<Diagnostic>& list, size_t count, const char* what) {
  std::string message;
  for (const Diagnostic& d : list) {
    if (!message.empty()) message += "\n";
    message += Format(d);
  }
  if (count > list.size()) {
    absl::StrAppend(&message, "\n... and ", count - list.size(), " more ", what);
  }
  return message;
}

}  // namespace

absl::Status Diagnostics::ToStatus() const {
  if (count_ == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(Lines(list_, count_, "errors"));
}

std::string Diagnostics::WarningText() const {
  return Lines(warnings_, warning_count_, "warnings");
}

}  // namespace schemagate::generator
