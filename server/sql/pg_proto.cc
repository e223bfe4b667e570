#include "server/sql/pg_proto.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/sql/parser.h"

extern "C" {
#include <pg_query.h>
}

namespace schemagate::sql {
namespace {

void Index(ProtoTree* tree, size_t size) {
  tree->statements.clear();
  tree->statements.reserve(tree->result.stmts_size());
  for (const pg_query::RawStmt& raw : tree->result.stmts()) {
    ProtoStatement s;
    s.node = &raw.stmt();
    s.offset = static_cast<size_t>(raw.stmt_location());
    s.length = static_cast<size_t>(raw.stmt_len());
    if (s.length == 0 && s.offset <= size) s.length = size - s.offset;
    tree->statements.push_back(s);
  }
}

}  // namespace

ProtoTree::ProtoTree(ProtoTree&& other) noexcept
    : result(std::move(other.result)), statements(std::move(other.statements)) {}

ProtoTree& ProtoTree::operator=(ProtoTree&& other) noexcept {
  result = std::move(other.result);
  statements = std::move(other.statements);
  return *this;
}

absl::StatusOr<ProtoTree> ParseProto(absl::string_view sql) {
  if (absl::Status s = CheckParserInput(sql, true); !s.ok()) return s;
  std::string text(sql);
  PgQueryProtobufParseResult result = pg_query_parse_protobuf(text.c_str());
  if (result.error != nullptr) {
    absl::Status status = ParserError(sql, result.error->cursorpos, result.error->message);
    pg_query_free_protobuf_parse_result(result);
    return status;
  }
  ProtoTree tree;
  bool ok =
      tree.result.ParseFromArray(result.parse_tree.data, static_cast<int>(result.parse_tree.len));
  pg_query_free_protobuf_parse_result(result);
  if (!ok) return absl::InternalError("libpg_query returned a malformed parse tree");
  // Statement pointers are taken after the message is in place (a moved
  // ProtoTree keeps them valid: RepeatedPtrField moves its elements).
  Index(&tree, sql.size());
  return tree;
}

absl::StatusOr<pg_query::ScanResult> Scan(absl::string_view sql) {
  if (absl::Status s = CheckParserInput(sql, true); !s.ok()) return s;
  std::string text(sql);
  PgQueryScanResult result = pg_query_scan(text.c_str());
  if (result.error != nullptr) {
    absl::Status status = ParserError(sql, result.error->cursorpos, result.error->message);
    pg_query_free_scan_result(result);
    return status;
  }
  pg_query::ScanResult out;
  bool ok = out.ParseFromArray(result.pbuf.data, static_cast<int>(result.pbuf.len));
  pg_query_free_scan_result(result);
  if (!ok) return absl::InternalError("libpg_query returned a malformed scan result");
  return out;
}

absl::StatusOr<std::vector<ScannedRange>> SplitWithScanner(absl::string_view sql) {
  if (absl::Status s = CheckParserInput(sql, true); !s.ok()) return s;
  std::string text(sql);
  PgQuerySplitResult result = pg_query_split_with_scanner(text.c_str());
  if (result.error != nullptr) {
    absl::Status status = ParserError(sql, result.error->cursorpos, result.error->message);
    pg_query_free_split_result(result);
    return status;
  }
  std::vector<ScannedRange> ranges;
  for (int i = 0; i < result.n_stmts; ++i) {
    ScannedRange r;
    r.offset = static_cast<size_t>(result.stmts[i]->stmt_location);
    r.length = static_cast<size_t>(result.stmts[i]->stmt_len);
    if (r.length == 0 && r.offset < sql.size()) r.length = sql.size() - r.offset;
    ranges.push_back(r);
  }
  pg_query_free_split_result(result);
  return ranges;
}

std::string StringOf(const pg_query::Node& node) {
  return node.has_string() ? node.string().sval() : std::string();
}

std::string QualifiedName(const google::protobuf::RepeatedPtrField<pg_query::Node>& names) {
  if (names.empty()) return "";
  std::string last = StringOf(names[names.size() - 1]);
  if (names.size() >= 2) {
    std::string schema = StringOf(names[names.size() - 2]);
    if (!schema.empty() && schema != "public" && schema != "pg_catalog") {
      return schema + "." + last;
    }
  }
  return last;
}

std::string RelationName(const pg_query::RangeVar& rel) {
  if (!rel.schemaname().empty() && rel.schemaname() != "public") {
    return rel.schemaname() + "." + rel.relname();
  }
  return rel.relname();
}

}  // namespace schemagate::sql
