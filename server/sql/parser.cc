#include "server/sql/parser.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/sql/pg_call.h"
#include "server/sql/pg_proto.h"

namespace schemagate::sql {
LineIndex::LineIndex(absl::string_view text) : text_(text) {
  starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') starts_.push_back(i + 1);
  }
}

LineCol LineIndex::PositionOf(size_t offset) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  size_t line = static_cast<size_t>(it - starts_.begin());  // 1-based
  LineCol at;
  at.line = static_cast<int>(line);
  at.column = static_cast<int>(offset - starts_[line - 1]) + 1;
  return at;
}

size_t SkipSpaceAndComments(absl::string_view text, size_t offset) {
  size_t i = offset;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
    } else if (text.substr(i, 2) == "--") {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (text.substr(i, 2) == "/*") {
      size_t close = text.find("*/", i + 2);
      i = close == absl::string_view::npos ? text.size() : close + 2;
    } else {
      break;
    }
  }
  return i < text.size() ? i : offset;
}

bool FindInvalidUtf8(absl::string_view text, size_t* offset) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    }
    if (ok && len == 2) ok = c >= 0xC2;
    if (ok && len == 3) {
      unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    }
    if (ok && len == 4) {
      unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
      ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (!ok) {
      *offset = i;
      return true;
    }
    i += len;
  }
  return false;
}

LineCol PositionOf(absl::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  LineCol at;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++at.line;
      line_start = i + 1;
    }
  }
  at.column = static_cast<int>(offset - line_start) + 1;
  return at;
}

absl::Status CheckParserInput(absl::string_view sql, bool check_utf8) {
  // libpg_query wants a NUL-terminated string; it reports the first NUL as
  // the end of input, which would silently drop the rest. Refuse instead.
  if (size_t nul = sql.find('\0'); nul != absl::string_view::npos) {
    LineCol at = PositionOf(sql, nul);
    return absl::InvalidArgumentError(
        absl::StrCat(at.line, ":", at.column, ": SQL contains a NUL byte (offset ", nul, ")"));
  }
  if (size_t bad = 0; check_utf8 && FindInvalidUtf8(sql, &bad)) {
    LineCol at = PositionOf(sql, bad);
    return absl::InvalidArgumentError(
        absl::StrCat(at.line, ":", at.column, ": SQL is not valid UTF-8 (offset ", bad, ")"));
  }
  return absl::OkStatus();
}

absl::Status ParserError(absl::string_view sql, int cursorpos, const char* message) {
  size_t offset = cursorpos > 0 ? static_cast<size_t>(cursorpos - 1) : 0;
  LineCol at = PositionOf(sql, offset);
  return absl::InvalidArgumentError(
      absl::StrCat(at.line, ":", at.column, ": ", message != nullptr ? message : "parse error"));
}

absl::StatusOr<std::vector<StatementRange>> Split(absl::string_view sql) {
  return internal::CallPgQuery(
      sql, /*check_utf8=*/false, &pg_query_split_with_parser, &pg_query_free_split_result,
      [&](const PgQuerySplitResult& result) -> absl::StatusOr<std::vector<StatementRange>> {
        return internal::Ranges(result, sql);
      });
}

namespace {

// PL/pgSQL bodies are the one parse tree read as JSON: libpg_query 15 has
// no protobuf form for them (pg_query_parse_plpgsql returns JSON only).
void CollectPlpgsql(const nlohmann::json& node, std::vector<std::string>* out) {
  if (node.is_array()) {
    for (const nlohmann::json& item : node) CollectPlpgsql(item, out);
    return;
  }
  if (!node.is_object()) return;
  auto query_of = [](const nlohmann::json& holder) -> std::string {
    if (!holder.is_object()) return "";
    auto expr = holder.find("PLpgSQL_expr");
    if (expr == holder.end() || !expr->is_object()) return "";
    auto q = expr->find("query");
    return q != expr->end() && q->is_string() ? q->get<std::string>() : "";
  };
  if (auto exec = node.find("PLpgSQL_stmt_execsql"); exec != node.end() && exec->is_object()) {
    if (auto sqlstmt = exec->find("sqlstmt"); sqlstmt != exec->end()) {
      std::string q = query_of(*sqlstmt);
      if (!q.empty()) out->push_back(q);
    }
  }
  if (auto dyn = node.find("PLpgSQL_stmt_dynexecute"); dyn != node.end() && dyn->is_object()) {
    if (auto query = dyn->find("query"); query != dyn->end()) {
      // EXECUTE '...': the expression is one string constant.
      std::string expr = query_of(*query);
      absl::StatusOr<ProtoTree> tree = ParseProto(absl::StrCat("SELECT ", expr));
      if (tree.ok() && tree->statements.size() == 1) {
        const pg_query::Node& stmt = *tree->statements[0].node;
        if (stmt.select_stmt().target_list_size() == 1) {
          const pg_query::Node& val = stmt.select_stmt().target_list(0).res_target().val();
          // A non-empty string constant ('' runs nothing).
          if (val.a_const().has_sval() && !val.a_const().sval().sval().empty()) {
            out->push_back(val.a_const().sval().sval());
          }
        }
      }
    }
  }
  for (const auto& [key, value] : node.items()) {
    if (value.is_object() || value.is_array()) CollectPlpgsql(value, out);
  }
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PlpgsqlStatements(absl::string_view body) {
  if (absl::Status s = CheckParserInput(body, false); !s.ok()) return s;
  std::string tag = "$sgbody$";
  for (int i = 0; absl::StrContains(body, tag); ++i) tag = absl::StrCat("$sgbody", i, "$");
  std::string text = absl::StrCat(
      "CREATE FUNCTION schemagate_body() RETURNS void LANGUAGE plpgsql AS ", tag, body, tag);
  PgQueryPlpgsqlParseResult result = pg_query_parse_plpgsql(text.c_str());
  if (result.error != nullptr) {
    std::string message = result.error->message != nullptr ? result.error->message : "error";
    pg_query_free_plpgsql_parse_result(result);
    return absl::InvalidArgumentError(absl::StrCat("PL/pgSQL does not parse: ", message));
  }
  nlohmann::json funcs = nlohmann::json::parse(
      result.plpgsql_funcs != nullptr ? result.plpgsql_funcs : "[]", nullptr, false);
  pg_query_free_plpgsql_parse_result(result);
  std::vector<std::string> out;
  if (!funcs.is_discarded()) CollectPlpgsql(funcs, &out);
  return out;
}

}  // namespace schemagate::sql
