#include "server/generator/internal/textproto.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "server/sql/parser.h"

namespace schemagate::generator::internal {
namespace {

class Errors : public google::protobuf::io::ErrorCollector {
 public:
  Errors(std::string path, const char* what, Diagnostics* diagnostics)
      : path_(std::move(path)), what_(what), diagnostics_(diagnostics) {}
  void AddError(int line, int column, const std::string& message) override {
    ++errors_;
    diagnostics_->Add(path_, line + 1, column + 1,
                      absl::StrCat(what_, " does not parse: ", message));
  }
  void AddWarning(int, int, const std::string&) override {}
  int errors() const { return errors_; }

 private:
  std::string path_;
  const char* what_;
  Diagnostics* diagnostics_;
  int errors_ = 0;
};

}  // namespace

bool CheckText(const std::string& path, absl::string_view text, Diagnostics* diagnostics) {
  if (size_t bad = 0; sql::FindInvalidUtf8(text, &bad)) {
    sql::LineCol at = sql::PositionOf(text, bad);
    diagnostics->Add(path, at.line, at.column, "file is not valid UTF-8");
    return false;
  }
  if (size_t nul = text.find('\0'); nul != absl::string_view::npos) {
    int l = 1 + static_cast<int>(std::count(text.begin(), text.begin() + nul, '\n'));
    diagnostics->Add(path, l, 0, "file contains a NUL byte");
    return false;
  }
  return true;
}

bool ParseTextproto(const std::string& path, const std::string& text, const char* what,
                    google::protobuf::Message* message,
                    google::protobuf::TextFormat::ParseInfoTree* info, Diagnostics* diagnostics) {
  if (!CheckText(path, text, diagnostics)) return false;
  Errors errors(path, what, diagnostics);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(info);
  if (!parser.ParseFromString(text, message)) {
    if (errors.errors() == 0) diagnostics->Add(path, 0, 0, absl::StrCat(what, " does not parse"));
    return false;
  }
  return true;
}

int LineOf(const google::protobuf::TextFormat::ParseInfoTree& info,
           const google::protobuf::Message& message, absl::string_view field, int index) {
  const google::protobuf::FieldDescriptor* f =
      message.GetDescriptor()->FindFieldByName(std::string(field));
  if (f == nullptr) return 0;
  google::protobuf::TextFormat::ParseLocation loc = info.GetLocation(f, index);
  return loc.line >= 0 ? loc.line + 1 : 0;
}

}  // namespace schemagate::generator::internal
