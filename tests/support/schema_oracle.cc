#include "tests/support/schema_oracle.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/test_db.h"

namespace schemagate::test {

namespace fs = std::filesystem;

std::map<std::string, fs::path> UpSqlFiles(const std::string& tree_dir) {
  std::map<std::string, fs::path> out;
  for (const fs::directory_entry& cluster : fs::directory_iterator(tree_dir)) {
    if (!cluster.is_directory()) continue;
    for (const fs::directory_entry& m : fs::directory_iterator(cluster.path())) {
      std::string dir = m.path().filename().string();
      uint64_t version = 0;
      if (!m.is_directory() || !absl::SimpleAtoi(dir.substr(0, dir.find('_')), &version)) {
        continue;
      }
      out[absl::StrCat(cluster.path().filename().string(), "/", version)] = m.path() / "up.sql";
    }
  }
  return out;
}

std::string ReadTextFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<std::vector<std::string>> ReplayedSchema(const std::string& tree_dir,
                                                        const std::vector<std::string>& history,
                                                        const std::string& hint) {
  const std::map<std::string, fs::path> files = UpSqlFiles(tree_dir);
  std::string script = "\\set ON_ERROR_STOP 1\n";
  for (const std::string& m : history) {
    auto it = files.find(m);
    if (it == files.end()) {
      return absl::NotFoundError(absl::StrCat(m, " is recorded but not in the tree ", tree_dir));
    }
    absl::StrAppend(&script, ReadTextFile(it->second), "\n;\n");
  }
  absl::StatusOr<std::unique_ptr<TestDatabase>> ref = TestDatabase::Create(hint);
  if (!ref.ok()) return ref.status();
  if (absl::StatusOr<std::string> applied = RunPsql((*ref)->url(), script); !applied.ok()) {
    return applied.status();
  }
  return (*ref)->Schema();
}

std::vector<std::string> Minus(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::multiset<std::string> bs(b.begin(), b.end());
  std::vector<std::string> out;
  for (const std::string& x : a) {
    auto it = bs.find(x);
    if (it == bs.end()) {
      out.push_back(x);
    } else {
      bs.erase(it);
    }
  }
  return out;
}

}  // namespace schemagate::test
