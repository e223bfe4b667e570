#include "server/generator/diagnostic.h"

#include "absl/strings/str_cat.h"

namespace schemagate::generator {

std::string Format(const Diagnostic& d) {
  std::string out = d.file;
  if (d.line > 0) {
    absl::StrAppend(&out, ":", d.line);
    if (d.column > 0) absl::StrAppend(&out, ":", d.column);
  }
  absl::StrAppend(&out, ": error: ", d.message);
  return out;
}

void Diagnostics::Add(Diagnostic d) {
  ++count_;
  if (list_.size() < kMaxDiagnostics) list_.push_back(std::move(d));
}

absl::Status Diagnostics::ToStatus() const {
  if (count_ == 0) return absl::OkStatus();
  std::string message;
  for (const Diagnostic& d : list_) {
    if (!message.empty()) message += "\n";
    message += Format(d);
  }
  if (count_ > list_.size()) {
    absl::StrAppend(&message, "\n... and ", count_ - list_.size(),
                    " more errors");
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace schemagate::generator
