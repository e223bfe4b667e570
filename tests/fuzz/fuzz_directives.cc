// Fuzz target: the up.sql directive reader, generator::ParseDirectives()
// (server/generator/tree.h). The input is an up.sql file.
//
// Checks besides "no crash": every `requires` has its line, every line and
// every diagnostic points into the file, every required cluster name is
// valid, and no-transaction is never set without the words in the text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "server/generator/diagnostic.h"
#include "server/generator/tree.h"

namespace {

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_directives: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace schemagate::generator;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string path = "m/core/0001_init/up.sql";
  Diagnostics diagnostics;
  Directives d = ParseDirectives(text, path, &diagnostics);

  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  Check(d.requires_.size() == d.requires_lines.size(), "requires_ and requires_lines differ");
  for (size_t i = 0; i < d.requires_.size(); ++i) {
    Check(d.requires_lines[i] >= 1 && d.requires_lines[i] <= lines,
          "a requires line is outside the file");
    Check(IsValidClusterName(d.requires_[i].cluster), "requires names an invalid cluster");
    if (i > 0) Check(d.requires_lines[i] >= d.requires_lines[i - 1], "requires out of order");
  }
  for (const Diagnostic& diag : diagnostics.list()) {
    Check(diag.file == path, "a diagnostic names another file");
    Check(diag.line >= 1 && diag.line <= lines, "a diagnostic line is outside the file");
    Check(!diag.message.empty(), "a diagnostic without a message");
  }
  Check(!d.no_transaction || absl::StrContains(text, "no-transaction"),
        "no_transaction set without the directive");
  return 0;
}
