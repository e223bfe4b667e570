// A small, fast, read-only JSON document for libpg_query's parse trees on
// the request path (query checks). nlohmann::json builds a std::map and a
// std::string per node, which costs ~4x the parse itself; this parses into
// one vector of nodes with keys and unescaped strings as views into the
// document's own buffer.
//
//   absl::StatusOr<JsonDoc> doc = JsonDoc::Parse(std::move(text));
//   const JsonNode* stmts = doc->root().Get("stmts");
//   for (const JsonNode& s : stmts->elements()) ...
//
// Thread-compatible; a JsonDoc is immutable after Parse and movable
// (nodes point into it: keep the JsonDoc alive while using them).
#ifndef SCHEMAGATE_SERVER_SQL_JSON_DOM_H_
#define SCHEMAGATE_SERVER_SQL_JSON_DOM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schemagate::sql {

class JsonDoc;
class JsonParser;

class JsonNode {
 public:
  enum Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_object() const { return type_ == kObject; }
  bool is_array() const { return type_ == kArray; }
  bool is_string() const { return type_ == kString; }

  // Scalars (defaults when of another type).
  absl::string_view str() const { return type_ == kString ? text_ : absl::string_view(); }
  bool boolean() const { return type_ == kBool && number_ != 0; }
  int64_t number() const { return type_ == kNumber ? number_ : 0; }

  // Containers: children are contiguous; an object's children are its
  // members' values, each with key().
  size_t size() const { return count_; }
  const JsonNode* begin() const { return first_; }
  const JsonNode* end() const { return first_ + count_; }
  // The member key of this node inside its object ("" otherwise).
  absl::string_view key() const { return key_; }
  // Object member by key, or null.
  const JsonNode* Get(absl::string_view key) const;

 private:
  friend class JsonDoc;
  friend class JsonParser;
  Type type_ = kNull;
  int64_t number_ = 0;
  absl::string_view text_;
  absl::string_view key_;
  const JsonNode* first_ = nullptr;
  uint32_t count_ = 0;
};

class JsonDoc {
 public:
  // INVALID_ARGUMENT on malformed JSON or nesting deeper than max_depth.
  static absl::StatusOr<JsonDoc> Parse(std::string text, int max_depth = 10000);

  const JsonNode& root() const { return nodes_[root_]; }

 private:
  JsonDoc() = default;
  std::unique_ptr<std::string> text_;  // the (unescaped in place) input
  std::vector<JsonNode> nodes_;
  size_t root_ = 0;
  friend class JsonParser;
};

}  // namespace schemagate::sql

#endif  // SCHEMAGATE_SERVER_SQL_JSON_DOM_H_
