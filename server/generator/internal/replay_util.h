// What the files of the DDL replay (schema_model.cc, gating.cc, renames.cc,
// constraints.cc, partitions.cc, unmodelled.cc) share: the replay
// context of one migration file and small helpers over parse-tree nodes and
// catalog tables. Internal to server/generator/internal.
#ifndef SCHEMAGATE_SERVER_GENERATOR_INTERNAL_REPLAY_UTIL_H_
#define SCHEMAGATE_SERVER_GENERATOR_INTERNAL_REPLAY_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/generator/internal/schema_model.h"
#include "server/sql/pg_names.h"

namespace schemagate::generator::internal {

// The file being replayed (or checked) and the statement in it.
struct SchemaModel::Context {
  std::string cluster;
  const std::set<std::string>* closure = nullptr;
  std::string path;
  absl::string_view text;
  uint64_t version = 0;
  size_t statement_offset = 0;
  pg_query::Node::NodeCase statement_type = pg_query::Node::NODE_NOT_SET;
  // (relation, verb) pairs already reported for the current statement.
  std::set<std::string> reported;
  bool lint = true;

  // A node's byte offset, or the statement's when the node has none (-1).
  int Location(int location) const {
    return location >= 0 ? location : static_cast<int>(statement_offset);
  }
};

inline std::string Quote(absl::string_view name) { return absl::StrCat("\"", name, "\""); }

// A name from a list of String nodes, "schema.name" unless the schema is
// public ("pg_catalog.now" stays qualified, unlike sql::QualifiedName).
inline std::string QualifiedName(const std::vector<std::string>& parts) {
  if (parts.empty()) return "";
  if (parts.size() >= 2 && parts[parts.size() - 2] != "public") {
    return parts[parts.size() - 2] + "." + parts.back();
  }
  return parts.back();
}
inline std::string QualifiedName(const sql::NodeList& names) {
  return QualifiedName(sql::StringList(names));
}

// The name "schema.name" would have after a rename to `name` in `schema`.
inline std::string InSchema(const std::string& schema, const std::string& name) {
  return !schema.empty() && schema != "public" ? schema + "." + name : name;
}

inline v1::Column* FindColumn(v1::Table& t, const std::string& name) {
  for (v1::Column& c : *t.mutable_columns()) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

inline bool HasColumn(const v1::Table& t, const std::string& name) {
  for (const v1::Column& c : t.columns()) {
    if (c.name() == name) return true;
  }
  return false;
}

template <typename T, typename Pred>
void EraseIf(google::protobuf::RepeatedPtrField<T>* items, Pred pred) {
  google::protobuf::RepeatedPtrField<T> kept;
  for (T& item : *items) {
    if (!pred(item)) *kept.Add() = std::move(item);
  }
  items->Swap(&kept);
}

inline bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list,
                     const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace schemagate::generator::internal

#endif  // SCHEMAGATE_SERVER_GENERATOR_INTERNAL_REPLAY_UTIL_H_
