#include "server/sql/pg_proto.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "google/protobuf/io/coded_stream.h"
#include "server/sql/pg_call.h"

namespace schemagate::sql {

absl::StatusOr<ProtoTree> ParseProto(absl::string_view sql) {
  return internal::CallPgQuery(
      sql, /*check_utf8=*/true, &pg_query_parse_protobuf, &pg_query_free_protobuf_parse_result,
      [&](const PgQueryProtobufParseResult& parsed) -> absl::StatusOr<ProtoTree> {
        ProtoTree tree;
        google::protobuf::ArenaOptions options;
        // Sized so that a short query's tree fits in the first block.
        options.start_block_size = 16 << 10;
        options.max_block_size = 1 << 20;
        tree.arena = std::make_unique<google::protobuf::Arena>(options);
        auto* result =
            google::protobuf::Arena::CreateMessage<pg_query::ParseResult>(tree.arena.get());
        google::protobuf::io::CodedInputStream in(
            reinterpret_cast<const uint8_t*>(parsed.parse_tree.data),
            static_cast<int>(parsed.parse_tree.len));
        in.SetRecursionLimit(kMaxProtoTreeDepth);
        if (!result->ParseFromCodedStream(&in)) {
          return absl::InternalError("libpg_query returned a malformed parse tree");
        }
        tree.result = result;
        tree.statements.reserve(result->stmts_size());
        for (const pg_query::RawStmt& raw : result->stmts()) {
          ProtoStatement s;
          s.node = &raw.stmt();
          s.offset = static_cast<size_t>(raw.stmt_location());
          s.length = static_cast<size_t>(raw.stmt_len());
          if (s.length == 0 && s.offset <= sql.size()) s.length = sql.size() - s.offset;
          tree.statements.push_back(s);
        }
        return tree;
      });
}

absl::StatusOr<pg_query::ScanResult> Scan(absl::string_view sql) {
  return internal::CallPgQuery(
      sql, /*check_utf8=*/true, &pg_query_scan, &pg_query_free_scan_result,
      [](const PgQueryScanResult& scanned) -> absl::StatusOr<pg_query::ScanResult> {
        pg_query::ScanResult out;
        if (!out.ParseFromArray(scanned.pbuf.data, static_cast<int>(scanned.pbuf.len))) {
          return absl::InternalError("libpg_query returned a malformed scan result");
        }
        return out;
      });
}

absl::StatusOr<std::vector<ScannedRange>> SplitWithScanner(absl::string_view sql) {
  return internal::CallPgQuery(
      sql, /*check_utf8=*/true, &pg_query_split_with_scanner, &pg_query_free_split_result,
      [&](const PgQuerySplitResult& result) -> absl::StatusOr<std::vector<ScannedRange>> {
        return internal::Ranges(result, sql);
      });
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
