#include "server/util/human.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace schemagate::human {

std::string Rows(int64_t rows) {
  if (rows < 1000) return absl::StrCat(rows, rows == 1 ? " row" : " rows");
  const double r = static_cast<double>(rows);
  if (rows < 1000000) return absl::StrFormat("%.1fk rows", r / 1e3);
  if (rows < 1000000000) return absl::StrFormat("%.1fM rows", r / 1e6);
  return absl::StrFormat("%.1fB rows", r / 1e9);
}

std::string Bytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (unit < 5 && v >= 10 * 1024) {
    v /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.0f %s", v, kUnits[unit]);
}

}  // namespace schemagate::human
