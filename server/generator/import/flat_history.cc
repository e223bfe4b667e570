#include "server/generator/import/flat_history.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/util/read_file.h"

namespace schemagate::generator::import {
namespace {

namespace fs = std::filesystem;

std::string Display(const std::string& root, absl::string_view rel) {
  if (root.empty()) return std::string(rel);
  return absl::EndsWith(root, "/") ? absl::StrCat(root, rel) : absl::StrCat(root, "/", rel);
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
}

// Decimal digits without leading zeros ("0" for all zeros).
std::string TrimZeros(absl::string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

// a < b for non-negative decimal strings of any length.
int CompareDecimal(absl::string_view a, absl::string_view b) {
  std::string x = TrimZeros(a), y = TrimZeros(b);
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  return x.compare(y) < 0 ? -1 : x.compare(y) > 0 ? 1 : 0;
}

// Diesel's metadata.toml: `run_in_transaction = true|false`. Diesel 2 reads
// the file into TomlMetadata, whose field defaults to false when the file
// exists without it (serde's default for bool); a file that does not parse
// falls back to the default metadata (true).
bool DieselRunInTransaction(absl::string_view toml) {
  bool found = false, value = false, bad = false;
  for (absl::string_view line : absl::StrSplit(toml, '\n')) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    if (l[0] == '[') break;  // a table: run_in_transaction is top-level
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(l, absl::MaxSplits('=', 1));
    absl::string_view key = absl::StripAsciiWhitespace(kv.first);
    absl::string_view v = absl::StripAsciiWhitespace(kv.second);
    size_t hash = v.find('#');
    if (hash != absl::string_view::npos) v = absl::StripAsciiWhitespace(v.substr(0, hash));
    if (key == "run_in_transaction") {
      found = true;
      if (v == "true") {
        value = true;
      } else if (v == "false") {
        value = false;
      } else {
        bad = true;
      }
    }
  }
  if (bad) return true;
  return found ? value : false;
}

struct Pending {
  std::string sort_key;  // per format
  FlatMigration m;
  std::string up_rel, down_rel;
};

void AddDown(FlatMigration& m, const std::string& root, const std::string& rel,
             const FlatFiles& files) {
  auto it = files.find(rel);
  if (it == files.end()) return;
  m.has_down = true;
  m.down_path = Display(root, rel);
  m.down_sql = it->second;
}

std::vector<FlatMigration> OrderDiesel(const std::string& root, const FlatFiles& files,
                                       Diagnostics* diagnostics) {
  // Folders directly under the root (hidden ones skipped by the reader).
  std::set<std::string> dirs;
  for (const auto& [rel, text] : files) {
    size_t slash = rel.find('/');
    if (slash != std::string::npos) dirs.insert(rel.substr(0, slash));
  }
  std::vector<Pending> list;
  std::map<std::string, std::string> seen;  // version -> folder
  for (const std::string& dir : dirs) {
    auto up = files.find(dir + "/up.sql");
    if (up == files.end()) {
      diagnostics->Add(Display(root, dir), 0, 0,
                       "not a Diesel migration: the folder has no up.sql (Diesel "
                       "refuses such a folder: UnknownMigrationFormat)");
      continue;
    }
    size_t underscore = dir.find('_');
    std::string version = absl::StrReplaceAll(dir.substr(0, underscore), {{"-", ""}});
    if (version.empty()) {
      diagnostics->Add(Display(root, dir), 0, 0, "Diesel migration folder has an empty version");
      continue;
    }
    auto [it, inserted] = seen.emplace(version, dir);
    if (!inserted) {
      diagnostics->Add(
          Display(root, dir), 0, 0,
          absl::StrCat("version ", version, " is also the version of ", Display(root, it->second),
                       ": Diesel would run only one of them"));
      continue;
    }
    Pending p;
    p.sort_key = version;
    p.m.version = version;
    p.m.name = underscore == std::string::npos ? "" : dir.substr(underscore + 1);
    p.m.up_path = Display(root, dir + "/up.sql");
    p.m.up_sql = up->second;
    AddDown(p.m, root, dir + "/down.sql", files);
    if (auto meta = files.find(dir + "/metadata.toml"); meta != files.end()) {
      p.m.run_in_transaction = DieselRunInTransaction(meta->second);
    }
    list.push_back(std::move(p));
  }
  // MigrationVersion is a string: byte order.
  std::sort(list.begin(), list.end(),
            [](const Pending& a, const Pending& b) { return a.sort_key < b.sort_key; });
  std::vector<FlatMigration> out;
  for (Pending& p : list) out.push_back(std::move(p.m));
  return out;
}

// golang-migrate: ^([0-9]+)_(.*)\.(down|up)\.(.*)$ (source/parse.go).
bool ParseGolangName(absl::string_view file, std::string* version, std::string* name, bool* up,
                     std::string* ext) {
  size_t underscore = file.find('_');
  if (underscore == absl::string_view::npos || !AllDigits(file.substr(0, underscore))) {
    return false;
  }
  absl::string_view rest = file.substr(underscore + 1);
  // The direction is the last ".up." / ".down." (the regex's greedy (.*)).
  size_t at_up = rest.rfind(".up."), at_down = rest.rfind(".down.");
  size_t at = absl::string_view::npos;
  bool is_up = false;
  if (at_up != absl::string_view::npos && (at_down == absl::string_view::npos || at_up > at_down)) {
    at = at_up;
    is_up = true;
  } else if (at_down != absl::string_view::npos) {
    at = at_down;
  }
  if (at == absl::string_view::npos) return false;
  *version = std::string(file.substr(0, underscore));
  *name = std::string(rest.substr(0, at));
  *up = is_up;
  *ext = std::string(rest.substr(at + (is_up ? 4 : 6)));
  return true;
}

std::vector<FlatMigration> OrderGolang(const std::string& root, const FlatFiles& files,
                                       Diagnostics* diagnostics) {
  struct Entry {
    std::string version, name, up_rel, down_rel;
  };
  std::map<std::string, Entry> by_version;  // canonical decimal -> entry
  for (const auto& [rel, text] : files) {
    if (rel.find('/') != std::string::npos) continue;
    std::string version, name, ext;
    bool up = false;
    if (!ParseGolangName(rel, &version, &name, &up, &ext)) continue;
    uint64_t v = 0;
    if (!absl::SimpleAtoi(version, &v)) {
      diagnostics->Add(Display(root, rel), 0, 0, "version does not fit golang-migrate's uint64");
      continue;
    }
    if (ext != "sql") {
      diagnostics->Add(
          Display(root, rel), 0, 0,
          absl::StrCat("not an SQL migration (.", ext, "): only .sql files can be imported"));
      continue;
    }
    std::string key = absl::StrCat(v);
    Entry& e = by_version[key];
    std::string& slot = up ? e.up_rel : e.down_rel;
    if (!slot.empty()) {
      diagnostics->Add(Display(root, rel), 0, 0,
                       absl::StrCat("duplicate migration file: version ", key, " ",
                                    up ? "up" : "down", " is also ", Display(root, slot)));
      continue;
    }
    slot = rel;
    e.version = key;
    if (up || e.name.empty()) e.name = name;
  }
  std::vector<std::pair<uint64_t, Entry>> sorted;
  for (auto& [key, e] : by_version) {
    uint64_t v = 0;
    (void)absl::SimpleAtoi(key, &v);
    sorted.emplace_back(v, e);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<FlatMigration> out;
  for (auto& [v, e] : sorted) {
    if (e.up_rel.empty()) {
      diagnostics->Add(
          Display(root, e.down_rel), 0, 0,
          absl::StrCat("down migration of version ", e.version, " has no up migration"));
      continue;
    }
    FlatMigration m;
    m.version = e.version;
    m.name = e.name;
    m.up_path = Display(root, e.up_rel);
    m.up_sql = files.at(e.up_rel);
    if (!e.down_rel.empty()) AddDown(m, root, e.down_rel, files);
    out.push_back(std::move(m));
  }
  return out;
}

// Flyway's versioned (V), undo (U) and repeatable (R) SQL migrations with
// the default prefixes, separator "__" and suffix ".sql".
std::vector<FlatMigration> OrderFlyway(const std::string& root, const FlatFiles& files,
                                       Diagnostics* diagnostics) {
  struct Entry {
    std::string version, description, up_rel, undo_rel;
  };
  std::vector<Entry> versioned;
  std::map<std::string, size_t> index;                          // normalized version -> versioned[]
  std::vector<std::pair<std::string, std::string>> undo;        // version, rel
  std::vector<std::pair<std::string, std::string>> repeatable;  // description, rel
  for (const auto& [rel, text] : files) {
    absl::string_view file = rel;
    size_t slash = rel.rfind('/');
    if (slash != std::string::npos) file = file.substr(slash + 1);
    if (!absl::EndsWith(file, ".sql") || file.size() < 5) continue;
    char prefix = file[0];
    if (prefix != 'V' && prefix != 'U' && prefix != 'R') continue;
    absl::string_view body = file.substr(1, file.size() - 5);
    size_t sep = body.find("__");
    if (sep == absl::string_view::npos) {
      diagnostics->Add(Display(root, rel), 0, 0,
                       "Flyway migration name needs the separator \"__\" "
                       "(V<version>__<description>.sql)");
      continue;
    }
    std::string version = absl::StrReplaceAll(body.substr(0, sep), {{"_", "."}});
    std::string description = absl::StrReplaceAll(body.substr(sep + 2), {{"_", " "}});
    if (prefix == 'R') {
      if (!version.empty()) {
        diagnostics->Add(Display(root, rel), 0, 0, "a repeatable migration (R__) has no version");
        continue;
      }
      repeatable.emplace_back(description, rel);
      continue;
    }
    bool valid = !version.empty();
    for (absl::string_view part : absl::StrSplit(version, '.')) valid = valid && AllDigits(part);
    if (!valid) {
      diagnostics->Add(
          Display(root, rel), 0, 0,
          absl::StrCat("invalid Flyway version \"", version, "\": digits separated by '.' or '_'"));
      continue;
    }
    if (prefix == 'U') {
      undo.emplace_back(version, rel);
      continue;
    }
    bool duplicate = false;
    for (const Entry& e : versioned) {
      if (CompareFlywayVersions(e.version, version) == 0) {
        diagnostics->Add(Display(root, rel), 0, 0,
                         absl::StrCat("found more than one migration with version ", version,
                                      " (also ", Display(root, e.up_rel), ")"));
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    versioned.push_back({version, description, rel, ""});
  }
  for (const auto& [version, rel] : undo) {
    const std::string& undo_version = version;  // a lambda cannot capture a binding (C++17)
    auto it = std::find_if(versioned.begin(), versioned.end(), [&](const Entry& e) {
      return CompareFlywayVersions(e.version, undo_version) == 0;
    });
    if (it == versioned.end()) {
      diagnostics->Add(
          Display(root, rel), 0, 0,
          absl::StrCat("undo migration of version ", version, " has no versioned migration"));
    } else {
      it->undo_rel = rel;
    }
  }
  std::stable_sort(versioned.begin(), versioned.end(), [](const Entry& a, const Entry& b) {
    return CompareFlywayVersions(a.version, b.version) < 0;
  });
  std::vector<FlatMigration> out;
  for (const Entry& e : versioned) {
    FlatMigration m;
    m.version = e.version;
    m.name = e.description;
    m.up_path = Display(root, e.up_rel);
    m.up_sql = files.at(e.up_rel);
    if (!e.undo_rel.empty()) AddDown(m, root, e.undo_rel, files);
    out.push_back(std::move(m));
  }
  std::sort(repeatable.begin(), repeatable.end());
  for (const auto& [description, rel] : repeatable) {
    FlatMigration m;
    m.name = description;
    m.repeatable = true;
    m.up_path = Display(root, rel);
    m.up_sql = files.at(rel);
    out.push_back(std::move(m));
  }
  return out;
}

// psql meta-commands (\restrict, \set, \connect, ...) are psql's, not
// SQL: a file psql applied may hold them. They become comments (the tree's
// migrations run without psql); each is reported.
std::string WithoutMetaCommands(const std::string& path, const std::string& sql,
                                Diagnostics* diagnostics) {
  std::string out;
  int line = 0;
  for (absl::string_view l : absl::StrSplit(sql, '\n')) {
    ++line;
    absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(l);
    if (absl::StartsWith(trimmed, "\\")) {
      diagnostics->Warn(path, line, 0,
                        absl::StrCat("psql meta-command left out: ",
                                     trimmed.substr(0, trimmed.find_first_of(" \t")),
                                     " (the tree's migrations do not run through psql)"));
      absl::StrAppend(&out, "-- (psql meta-command left out)\n");
      continue;
    }
    absl::StrAppend(&out, l, "\n");
  }
  if (!out.empty()) out.pop_back();  // the pieces were joined with '\n'
  return out;
}

// <number>[_-<name>][.up|.down].sql
std::vector<FlatMigration> OrderSql(const std::string& root, const FlatFiles& files,
                                    Diagnostics* diagnostics) {
  struct Entry {
    std::string number, name, up_rel, down_rel;
  };
  std::map<std::string, Entry> by_number;  // trimmed number
  for (const auto& [rel, text] : files) {
    if (rel.find('/') != std::string::npos) continue;
    absl::string_view file = rel;
    if (!absl::ConsumeSuffix(&file, ".sql")) continue;
    bool down = false;
    if (absl::ConsumeSuffix(&file, ".down")) {
      down = true;
    } else {
      absl::ConsumeSuffix(&file, ".up");
    }
    size_t digits = 0;
    while (digits < file.size() && absl::ascii_isdigit(file[digits])) ++digits;
    if (digits == 0 || digits > 18) continue;
    absl::string_view name = file.substr(digits);
    if (!name.empty() && name[0] != '_' && name[0] != '-') continue;
    if (!name.empty()) name.remove_prefix(1);
    std::string key = TrimZeros(file.substr(0, digits));
    Entry& e = by_number[key];
    std::string& slot = down ? e.down_rel : e.up_rel;
    if (!slot.empty()) {
      diagnostics->Add(Display(root, rel), 0, 0,
                       absl::StrCat("migration number ", key, " is used twice (also ",
                                    Display(root, slot), ")"));
      continue;
    }
    slot = rel;
    e.number = key;
    if (!down || e.name.empty()) e.name = std::string(name);
  }
  std::vector<Entry> sorted;
  for (auto& [key, e] : by_number) sorted.push_back(e);
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry& a, const Entry& b) { return CompareDecimal(a.number, b.number) < 0; });
  std::vector<FlatMigration> out;
  for (const Entry& e : sorted) {
    if (e.up_rel.empty()) {
      diagnostics->Add(Display(root, e.down_rel), 0, 0,
                       absl::StrCat("down file of migration ", e.number, " has no up file"));
      continue;
    }
    FlatMigration m;
    m.version = e.number;
    m.name = e.name;
    m.up_path = Display(root, e.up_rel);
    m.up_sql = WithoutMetaCommands(m.up_path, files.at(e.up_rel), diagnostics);
    if (!e.down_rel.empty()) {
      AddDown(m, root, e.down_rel, files);
      m.down_sql = WithoutMetaCommands(m.down_path, m.down_sql, diagnostics);
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

const char* FormatName(FlatFormat format) {
  switch (format) {
    case FlatFormat::kDiesel:
      return "diesel";
    case FlatFormat::kGolangMigrate:
      return "golang-migrate";
    case FlatFormat::kFlyway:
      return "flyway";
    case FlatFormat::kSql:
      return "sql";
  }
  return "sql";
}

absl::StatusOr<FlatFormat> ParseFlatFormat(absl::string_view name) {
  for (FlatFormat f :
       {FlatFormat::kDiesel, FlatFormat::kGolangMigrate, FlatFormat::kFlyway, FlatFormat::kSql}) {
    if (name == FormatName(f)) return f;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown format \"", name, "\"; valid formats: diesel, golang-migrate, flyway, sql"));
}

int CompareFlywayVersions(absl::string_view a, absl::string_view b) {
  std::vector<absl::string_view> x = absl::StrSplit(a, '.');
  std::vector<absl::string_view> y = absl::StrSplit(b, '.');
  size_t n = std::max(x.size(), y.size());
  for (size_t i = 0; i < n; ++i) {
    absl::string_view p = i < x.size() ? x[i] : "0";
    absl::string_view q = i < y.size() ? y[i] : "0";
    if (int c = CompareDecimal(p, q); c != 0) return c;
  }
  return 0;
}

absl::StatusOr<FlatFiles> ReadFlatFiles(const std::string& dir, FlatFormat format) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("source \"", dir, "\" is not a directory"));
  }
  FlatFiles files;
  auto read = [&](const fs::path& path, const std::string& rel) -> absl::Status {
    absl::StatusOr<std::string> text = util::ReadWholeFile(path.string());
    if (!text.ok()) return text.status();
    files.emplace(rel, *std::move(text));
    return absl::OkStatus();
  };
  auto hidden = [](const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; };
  if (format == FlatFormat::kDiesel) {
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
      if (hidden(e.path()) || !e.is_directory(ec)) continue;
      std::string name = e.path().filename().string();
      bool any = false;
      for (const char* file : {"up.sql", "down.sql", "metadata.toml"}) {
        fs::path p = e.path() / file;
        std::error_code missing;
        if (!fs::is_regular_file(p, missing)) continue;
        any = true;
        if (absl::Status s = read(p, name + "/" + file); !s.ok()) return s;
      }
      // A folder without up.sql is still reported (as Diesel refuses it).
      if (!any) files.emplace(name + "/", "");
    }
  } else {
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const fs::directory_entry& e = *it;
      if (hidden(e.path())) {
        if (e.is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!e.is_regular_file(ec)) continue;
      std::string rel = fs::relative(e.path(), dir, ec).generic_string();
      // Only Flyway searches sub-folders.
      if (format != FlatFormat::kFlyway && rel.find('/') != std::string::npos) continue;
      if (!absl::EndsWith(rel, ".sql")) {
        if (format != FlatFormat::kGolangMigrate) continue;
      }
      if (absl::Status s = read(e.path(), rel); !s.ok()) return s;
    }
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  return files;
}

std::vector<FlatMigration> OrderFlat(FlatFormat format, const std::string& root,
                                     const FlatFiles& files, Diagnostics* diagnostics) {
  switch (format) {
    case FlatFormat::kDiesel: {
      // Empty-folder markers from ReadFlatFiles.
      FlatFiles real;
      for (const auto& [rel, text] : files) {
        if (absl::EndsWith(rel, "/")) {
          diagnostics->Add(Display(root, rel.substr(0, rel.size() - 1)), 0, 0,
                           "not a Diesel migration: the folder has no up.sql "
                           "(Diesel refuses such a folder: UnknownMigrationFormat)");
        } else {
          real.emplace(rel, text);
        }
      }
      return OrderDiesel(root, real, diagnostics);
    }
    case FlatFormat::kGolangMigrate:
      return OrderGolang(root, files, diagnostics);
    case FlatFormat::kFlyway:
      return OrderFlyway(root, files, diagnostics);
    case FlatFormat::kSql:
      return OrderSql(root, files, diagnostics);
  }
  return {};
}

}  // namespace schemagate::generator::import
