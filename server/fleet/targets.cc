#include "server/fleet/targets.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "nlohmann/json.hpp"
#include "schemagate/v1/fleet.pb.h"
#include "server/catalog/features.h"
#include "server/migrate/conninfo.h"
#include "server/util/errors.h"
#include "server/util/read_file.h"

namespace schemagate::fleet {
namespace {

constexpr size_t kMaxIdBytes = 128;

absl::Status Usage(std::string message) {
  return errors::WithKind(absl::InvalidArgumentError(std::move(message)),
                          errors::ErrorKind::kUsage);
}

class Errors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

// The file's text; an error naming `what` (the field or flag) and the path.
absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  absl::StatusOr<std::string> text = util::ReadWholeFile(path);
  if (!text.ok()) return Usage(absl::StrCat("cannot read ", what, " ", path));
  return text;
}

// A target as defined, before it is checked.
struct Definition {
  Target target;
  std::string url_given;  // database_url as given
};

// Fills url/database/host/catalog or the problem of `d.target`.
void Check(Definition& d, FeatureCatalogs& catalogs) {
  Target& t = d.target;
  auto problem = [&](std::string p) {
    if (t.problem.empty()) t.problem = std::move(p);
  };
  if (std::string id = IdProblem(t.id); !id.empty()) problem(id);
  if (!d.url_given.empty() && !t.url_file.empty()) {
    problem("both database_url and database_url_file are set; keep one");
  } else if (d.url_given.empty() && t.url_file.empty()) {
    problem("no database_url or database_url_file");
  } else if (!t.url_file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(t.url_file, "database_url_file");
    if (!text.ok()) {
      problem(std::string(text.status().message()));
    } else {
      t.url = std::string(absl::StripAsciiWhitespace(*text));
      if (t.url.empty()) problem(absl::StrCat("database_url_file ", t.url_file, " is empty"));
    }
  } else {
    t.url = d.url_given;
  }
  if (!t.url.empty()) {
    // Registers the password (every form of it) as a secret first.
    absl::StatusOr<migrate::ConnInfo> info = migrate::ConnInfo::Parse(t.url);
    if (!info.ok()) {
      problem(std::string(info.status().message()));
    } else {
      std::string host = info->Get("host");
      if (host.empty()) host = info->Get("hostaddr");
      std::string port = info->Get("port");
      t.host = absl::StrCat(host.empty() ? "localhost" : host, ":", port.empty() ? "5432" : port);
      // Always host:port/dbname (the port explicit), whatever the URL spelled.
      t.database = absl::StrCat(t.host, "/", info->Get("dbname"));
    }
  }
  for (const std::string& f : t.features) {
    if (f.empty()) problem("an empty feature name");
  }
  if (t.problem.empty()) {
    absl::StatusOr<std::shared_ptr<const catalog::Catalog>> c = catalogs.For(t.features);
    if (!c.ok()) {
      problem(std::string(c.status().message()));
    } else {
      t.catalog = *std::move(c);
    }
  }
}

// Checks each definition, marks duplicate ids on every definition of the
// id (which one was meant cannot be known), sorts by id.
std::vector<Target> Finish(std::vector<Definition> defs, FeatureCatalogs& catalogs) {
  std::map<std::string, std::vector<std::string>> origins;
  for (const Definition& d : defs) origins[d.target.id].push_back(d.target.origin);
  std::vector<Target> out;
  out.reserve(defs.size());
  for (Definition& d : defs) {
    const std::vector<std::string>& same = origins[d.target.id];
    if (same.size() > 1 && !d.target.id.empty()) {
      d.target.problem =
          absl::StrCat("duplicate id \"", d.target.id, "\" (defined ", same.size(),
                       " times: ", absl::StrJoin(same, ", "), "); none of them is used");
    }
    Check(d, catalogs);
    if (!d.target.ok()) d.target.catalog = nullptr;
    out.push_back(std::move(d.target));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Target& a, const Target& b) { return a.id < b.id; });
  return out;
}

// A features cell: text[] ("{a,b}"), or "a,b" / "a b".
std::vector<std::string> SplitFeaturesCell(std::string cell) {
  absl::string_view v = absl::StripAsciiWhitespace(cell);
  if (absl::ConsumePrefix(&v, "{")) absl::ConsumeSuffix(&v, "}");
  std::vector<std::string> out;
  for (absl::string_view f : absl::StrSplit(v, absl::ByAnyChar(", ;"), absl::SkipEmpty())) {
    std::string name(absl::StripAsciiWhitespace(f));
    if (!name.empty() && name.front() == '"' && name.back() == '"' && name.size() >= 2) {
      name = name.substr(1, name.size() - 2);
    }
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

// A labels cell: a JSON object, or "key=value,key=value".
std::string ParseLabelsCell(const std::string& cell, std::map<std::string, std::string>* out) {
  absl::string_view v = absl::StripAsciiWhitespace(cell);
  if (v.empty()) return "";
  if (v.front() == '{') {
    nlohmann::json j = nlohmann::json::parse(v.begin(), v.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return "labels is not a JSON object";
    for (auto& [k, value] : j.items()) {
      (*out)[k] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    return "";
  }
  std::vector<std::string> items = absl::StrSplit(v, ',', absl::SkipEmpty());
  absl::StatusOr<std::map<std::string, std::string>> parsed = ParseLabels(items);
  if (!parsed.ok()) return std::string(parsed.status().message());
  *out = *std::move(parsed);
  return "";
}

}  // namespace

bool Target::SameDefinition(const Target& o) const {
  return id == o.id && url == o.url && url_file == o.url_file && features == o.features &&
         labels == o.labels && wave == o.wave && problem == o.problem;
}

std::string TargetSource::Describe() const {
  std::vector<std::string> parts;
  if (!file.empty()) parts.push_back(file);
  if (!query.empty()) {
    absl::StatusOr<migrate::ConnInfo> info = migrate::ConnInfo::Parse(control.url);
    parts.push_back(
        absl::StrCat("--targets-query on ", info.ok() ? info->Describe() : "the control database"));
  }
  return absl::StrJoin(parts, " and ");
}

std::string IdProblem(const std::string& id) {
  if (id.empty()) return "no id";
  if (id.size() > kMaxIdBytes) {
    return absl::StrCat("id is longer than ", kMaxIdBytes, " characters");
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return absl::StrCat("id \"", absl::CHexEscape(id),
                          "\" has characters other than A-Z a-z 0-9 _ -");
    }
  }
  return "";
}

bool MatchesLabels(const Target& target, const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : labels) {
    auto it = target.labels.find(k);
    if (it == target.labels.end() || it->second != v) return false;
  }
  return true;
}

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(
    const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    std::string key(absl::StripAsciiWhitespace(kv.first));
    if (key.empty() || item.find('=') == std::string::npos) {
      return Usage(absl::StrCat("label \"", item, "\" is not key=value"));
    }
    out[key] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  return out;
}

namespace {

absl::StatusOr<std::vector<Definition>> ParseDefinitions(const std::string& name,
                                                         const std::string& text) {
  v1::TargetSet set;
  google::protobuf::TextFormat::Parser parser;
  Errors errors;
  parser.RecordErrorsTo(&errors);
  google::protobuf::TextFormat::ParseInfoTree info;
  parser.WriteLocationsTo(&info);
  if (!parser.ParseFromString(text, &set)) {
    return Usage(absl::StrCat(name, ":",
                              errors.first().empty() ? " does not parse" : errors.first(),
                              " (a schemagate.v1.TargetSet in text format: "
                              "target { id: \"...\" database_url_file: \"...\" })"));
  }
  const google::protobuf::FieldDescriptor* field =
      v1::TargetSet::descriptor()->FindFieldByName("target");
  std::vector<Definition> defs;
  for (int i = 0; i < set.target_size(); ++i) {
    const v1::Target& p = set.target(i);
    Definition d;
    d.target.id = p.id();
    d.url_given = p.database_url();
    d.target.url_file = p.database_url_file();
    d.target.features.assign(p.features().begin(), p.features().end());
    d.target.labels.insert(p.labels().begin(), p.labels().end());
    d.target.wave = p.wave();
    google::protobuf::TextFormat::ParseLocation at = info.GetLocation(field, i);
    d.target.origin = absl::StrCat(name, ":", at.line + 1);
    defs.push_back(std::move(d));
  }
  return defs;
}

absl::StatusOr<std::vector<Definition>> RowDefinitions(const migrate::Rows& rows,
                                                       const std::string& name) {
  static const std::set<std::string> kColumns = {"id",       "database_url", "database_url_file",
                                                 "features", "labels",       "wave"};
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < rows.columns.size(); ++i) {
    if (!kColumns.count(rows.columns[i])) {
      return Usage(absl::StrCat(name, ": unknown column \"", rows.columns[i],
                                "\" (the columns are id, database_url, database_url_file, "
                                "features, labels, wave)"));
    }
    col[rows.columns[i]] = i;
  }
  if (!col.count("id") || (!col.count("database_url") && !col.count("database_url_file"))) {
    return Usage(absl::StrCat(name,
                              ": the query must return the columns id and "
                              "database_url or database_url_file"));
  }
  auto cell = [&](size_t r, const char* c) {
    auto it = col.find(c);
    return it == col.end() ? std::string() : rows.Text(r, it->second);
  };
  std::vector<Definition> defs;
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    Definition d;
    d.target.id = cell(r, "id");
    d.url_given = cell(r, "database_url");
    d.target.url_file = cell(r, "database_url_file");
    d.target.features = SplitFeaturesCell(cell(r, "features"));
    d.target.wave = cell(r, "wave");
    d.target.origin = absl::StrCat(name, " row ", r + 1);
    std::string labels = ParseLabelsCell(cell(r, "labels"), &d.target.labels);
    if (!labels.empty()) d.target.problem = labels;
    defs.push_back(std::move(d));
  }
  return defs;
}

}  // namespace

absl::StatusOr<std::vector<Target>> ParseTargetSet(const std::string& name, const std::string& text,
                                                   FeatureCatalogs& catalogs) {
  absl::StatusOr<std::vector<Definition>> defs = ParseDefinitions(name, text);
  if (!defs.ok()) return defs.status();
  return Finish(*std::move(defs), catalogs);
}

absl::StatusOr<std::vector<Target>> TargetsFromRows(const migrate::Rows& rows,
                                                    const std::string& name,
                                                    FeatureCatalogs& catalogs) {
  absl::StatusOr<std::vector<Definition>> defs = RowDefinitions(rows, name);
  if (!defs.ok()) return defs.status();
  return Finish(*std::move(defs), catalogs);
}

absl::StatusOr<std::vector<Target>> LoadTargets(const TargetSource& source,
                                                FeatureCatalogs& catalogs) {
  if (source.empty()) return Usage("no target set: give --targets FILE or --targets-query");
  // Both sources' definitions are checked together: an id in both is a
  // duplicate of each.
  std::vector<Definition> defs;
  if (!source.file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(source.file, "--targets");
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<Definition>> parsed = ParseDefinitions(source.file, *text);
    if (!parsed.ok()) return parsed.status();
    defs = *std::move(parsed);
  }
  if (!source.query.empty()) {
    migrate::ConnectOptions control = source.control;
    absl::StatusOr<std::unique_ptr<migrate::Connection>> conn = migrate::Connection::Open(control);
    if (!conn.ok()) {
      return errors::WithKind(
          absl::Status(conn.status().code(),
                       absl::StrCat("control database: ", conn.status().message())),
          conn.status().code() == absl::StatusCode::kInvalidArgument ? errors::ErrorKind::kUsage
                                                                     : errors::ErrorKind::kConnect);
    }
    absl::Status begun = (*conn)->BeginRead(source.statement_timeout);
    if (!begun.ok()) return errors::WithKind(begun, errors::ErrorKind::kConnect);
    absl::StatusOr<migrate::Rows> rows = (*conn)->Query(source.query);
    (void)(*conn)->Rollback();
    if (!rows.ok()) {
      return errors::WithKind(
          absl::Status(rows.status().code(),
                       absl::StrCat("--targets-query: ", rows.status().message())),
          rows.status().code() == absl::StatusCode::kUnavailable ? errors::ErrorKind::kConnect
                                                                 : errors::ErrorKind::kUsage);
    }
    absl::StatusOr<std::vector<Definition>> queried = RowDefinitions(*rows, "--targets-query");
    if (!queried.ok()) return queried.status();
    for (Definition& d : *queried) defs.push_back(std::move(d));
  }
  return Finish(std::move(defs), catalogs);
}

}  // namespace schemagate::fleet
