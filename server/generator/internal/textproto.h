// Protobuf text format files of a tree or an import (cluster manifests,
// import maps), parsed with file:line:col diagnostics.
#ifndef SCHEMAGATE_SERVER_GENERATOR_INTERNAL_TEXTPROTO_H_
#define SCHEMAGATE_SERVER_GENERATOR_INTERNAL_TEXTPROTO_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "server/generator/diagnostic.h"

namespace schemagate::generator::internal {

// Checks `text` is UTF-8 without NUL bytes (else a diagnostic at the first
// bad byte, "file is not valid UTF-8" / "file contains a NUL byte").
bool CheckText(const std::string& path, absl::string_view text, Diagnostics* diagnostics);

// Parses `text` into `message`, recording field locations in `info`. Each
// syntax error is a diagnostic "<what> does not parse: <message>" at its
// line and column. False on any error.
bool ParseTextproto(const std::string& path, const std::string& text, const char* what,
                    google::protobuf::Message* message,
                    google::protobuf::TextFormat::ParseInfoTree* info, Diagnostics* diagnostics);

// The 1-based line of element `index` (-1 for a singular field) of `field`
// in a parse recorded by ParseTextproto(); 0 when unknown.
int LineOf(const google::protobuf::TextFormat::ParseInfoTree& info,
           const google::protobuf::Message& message, absl::string_view field, int index);

}  // namespace schemagate::generator::internal

#endif  // SCHEMAGATE_SERVER_GENERATOR_INTERNAL_TEXTPROTO_H_
