#include "server/util/cli.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace schemagate::cli {

FlagSet::FlagSet(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

namespace {
// Two flags with one name would make the second unreachable: a bug in the
// program, caught at its first run (every --help test runs it).
void CheckUnique(const std::vector<std::string>& names, const std::string& name) {
  for (const std::string& n : names) {
    if (n == name) {
      std::cerr << "internal error: flag --" << name << " defined twice\n";
      std::abort();
    }
  }
}
}  // namespace

FlagSet::Flag* FlagSet::Find(absl::string_view name) {
  for (Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

void FlagSet::String(std::string name, std::string* target, std::string help, std::string env) {
  CheckUnique(Names(), name);
  Flag f{std::move(name), std::move(help), std::move(env),
         target->empty() ? "" : "\"" + *target + "\""};
  f.assign = [target](absl::string_view v) {
    *target = std::string(v);
    return absl::OkStatus();
  };
  flags_.push_back(std::move(f));
}

void FlagSet::Bool(std::string name, bool* target, std::string help) {
  CheckUnique(Names(), name);
  Flag f{std::move(name), std::move(help), "", *target ? "true" : ""};
  f.is_bool = true;
  std::string flag = f.name;
  f.assign = [target, flag](absl::string_view v) {
    std::string lower = absl::AsciiStrToLower(v);
    if (lower == "true" || lower == "1" || lower == "yes") {
      *target = true;
    } else if (lower == "false" || lower == "0" || lower == "no") {
      *target = false;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": expected true or false, got \"", v, "\""));
    }
    return absl::OkStatus();
  };
  flags_.push_back(std::move(f));
}

void FlagSet::Int(std::string name, int64_t* target, std::string help, std::string env) {
  CheckUnique(Names(), name);
  Flag f{std::move(name), std::move(help), std::move(env), absl::StrCat(*target)};
  std::string flag = f.name;
  f.assign = [target, flag](absl::string_view v) {
    if (!absl::SimpleAtoi(v, target)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": expected an integer, got \"", v, "\""));
    }
    return absl::OkStatus();
  };
  flags_.push_back(std::move(f));
}

void FlagSet::Duration(std::string name, absl::Duration* target, std::string help,
                       std::string env) {
  CheckUnique(Names(), name);
  Flag f{std::move(name), std::move(help), std::move(env), absl::FormatDuration(*target)};
  std::string flag = f.name;
  f.assign = [target, flag](absl::string_view v) {
    double seconds = 0;
    absl::Duration d;
    if (absl::SimpleAtod(v, &seconds) && seconds >= 0) {
      *target = absl::Seconds(seconds);
    } else if (absl::ParseDuration(v, &d) && d >= absl::ZeroDuration()) {
      *target = d;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", flag,
                                                     ": expected a duration such as 30s, 2m or "
                                                     "500ms, got \"",
                                                     v, "\""));
    }
    return absl::OkStatus();
  };
  flags_.push_back(std::move(f));
}

void FlagSet::List(std::string name, std::vector<std::string>* target, std::string help,
                   std::string env) {
  CheckUnique(Names(), name);
  Flag f{std::move(name), std::move(help), std::move(env), absl::StrJoin(*target, ",")};
  auto cleared = std::make_shared<bool>(false);  // first use replaces the default
  f.assign = [target, cleared](absl::string_view v) {
    if (!*cleared) {
      target->clear();
      *cleared = true;
    }
    for (absl::string_view item : absl::StrSplit(v, absl::ByAnyChar(", "), absl::SkipEmpty())) {
      target->emplace_back(item);
    }
    return absl::OkStatus();
  };
  flags_.push_back(std::move(f));
}

ParseResult FlagSet::Parse(const std::vector<std::string>& args) {
  ParseResult result;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg == "-" || !absl::StartsWith(arg, "-")) {
      result.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      result.help = true;
      continue;
    }
    absl::string_view body = arg;
    body.remove_prefix(absl::StartsWith(body, "--") ? 2 : 1);
    absl::string_view name = body, value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    Flag* flag = Find(name);
    bool negated = false;
    if (flag == nullptr && absl::StartsWith(name, "no-")) {
      flag = Find(name.substr(3));
      negated = flag != nullptr && flag->is_bool && !has_value;
      if (!negated) flag = nullptr;
    }
    if (flag == nullptr) {
      result.status = absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for ", command_, " (see --help)"));
      return result;
    }
    absl::Status s;
    if (flag->is_bool) {
      s = flag->assign(negated ? "false" : has_value ? value : "true");
    } else if (has_value) {
      s = flag->assign(value);
    } else if (i + 1 < args.size()) {
      s = flag->assign(args[++i]);
    } else {
      s = absl::InvalidArgumentError(absl::StrCat("flag --", flag->name, " needs a value"));
    }
    if (!s.ok()) {
      result.status = s;
      return result;
    }
    flag->set = true;
  }
  for (Flag& flag : flags_) {
    if (flag.set || flag.env.empty()) continue;
    const char* env = std::getenv(flag.env.c_str());
    if (env == nullptr || *env == '\0') continue;
    absl::Status s = flag.assign(env);
    if (!s.ok()) {
      result.status = absl::InvalidArgumentError(
          absl::StrCat(s.message(), " (from environment variable ", flag.env, ")"));
      return result;
    }
    flag.set = true;
  }
  return result;
}

std::string FlagSet::Help() const {
  std::string out =
      absl::StrCat("Usage: ", command_, flags_.empty() ? "" : " [flags]",
                   positional_.empty() ? "" : " ", positional_, "\n\n", summary_, "\n");
  if (!flags_.empty()) out += "\nFlags:\n";
  for (const Flag& f : flags_) {
    std::string head = absl::StrCat("  --", f.name, f.is_bool ? "" : "=VALUE");
    if (head.size() < 30) head.resize(30, ' ');
    absl::StrAppend(&out, head, " ", f.help);
    if (!f.default_text.empty()) absl::StrAppend(&out, " (default ", f.default_text, ")");
    if (!f.env.empty()) absl::StrAppend(&out, " [env ", f.env, "]");
    out += "\n";
  }
  absl::StrAppend(&out, "  --help                         show this help\n");
  if (!epilog_.empty()) absl::StrAppend(&out, "\n", epilog_);
  if (!out.empty() && out.back() != '\n') out += "\n";
  return out;
}

std::vector<std::string> FlagSet::Names() const {
  std::vector<std::string> out;
  for (const Flag& f : flags_) out.push_back(f.name);
  return out;
}

int FlagSet::Finish(const ParseResult& result, size_t max_positional, int usage_code) const {
  if (result.help) {
    std::cout << Help();
    return 0;
  }
  if (!result.status.ok()) {
    std::cerr << command_ << ": " << result.status.message() << "\n";
    return usage_code;
  }
  if (result.positional.size() > max_positional) {
    std::cerr << command_ << ": unexpected argument \"" << result.positional[max_positional]
              << "\" (see --help)\n";
    return usage_code;
  }
  return -1;
}

bool FlagSet::IsSet(absl::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return f.set;
  }
  return false;
}

}  // namespace schemagate::cli
