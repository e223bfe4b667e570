#include "server/catalog/directives.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace schemagate::catalog {

std::vector<DirectiveLine> ScanDirectives(absl::string_view sql) {
  std::vector<DirectiveLine> out;
  bool in_header = true;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(sql, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    bool comment = absl::ConsumePrefix(&line, "--");
    line = absl::StripAsciiWhitespace(line);
    if (in_header && !comment && !line.empty()) in_header = false;
    if (!comment || !absl::ConsumePrefix(&line, "schemagate:")) continue;
    size_t space = line.find_first_of(" \t");
    DirectiveLine d;
    d.line = line_no;
    d.verb = std::string(line.substr(0, space));
    if (space != absl::string_view::npos) {
      d.args = std::string(absl::StripAsciiWhitespace(line.substr(space)));
    }
    d.in_header = in_header;
    out.push_back(std::move(d));
  }
  return out;
}

std::string IrreversibleReason(absl::string_view down_sql) {
  for (const DirectiveLine& d : ScanDirectives(down_sql)) {
    if (d.in_header && d.verb == "irreversible") {
      return d.args.empty() ? "marked irreversible" : d.args;
    }
  }
  return "";
}

}  // namespace schemagate::catalog
