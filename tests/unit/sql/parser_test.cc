#include "server/sql/parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/sql/pg_proto.h"

namespace schemagate::sql {
namespace {

using ::testing::HasSubstr;

TEST(ParseTest, StatementsWithOffsets) {
  std::string text = "SELECT 1;\n  CREATE TABLE t (a int);";
  absl::StatusOr<ProtoTree> tree = ParseProto(text);
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_EQ(tree->statements.size(), 2u);
  EXPECT_TRUE(tree->statements[0].node->has_select_stmt());
  EXPECT_TRUE(tree->statements[1].node->has_create_stmt());
  EXPECT_EQ(tree->statements[1].offset, 9u);
  EXPECT_EQ(text.substr(tree->statements[1].offset, tree->statements[1].length),
            "\n  CREATE TABLE t (a int)");
}

TEST(ParseTest, ErrorHasLineAndColumn) {
  absl::StatusOr<ProtoTree> tree = ParseProto("SELECT 1;\nSELEC 2;");
  EXPECT_EQ(tree.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.status().message(), "2:1: syntax error at or near \"SELEC\"");
}

TEST(ParseTest, NulByteIsRejected) {
  absl::StatusOr<ProtoTree> tree = ParseProto(std::string("SELECT 1;\0DROP", 14));
  EXPECT_EQ(tree.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(tree.status().message()), HasSubstr("NUL byte"));
}

TEST(ParseTest, EmptyAndCommentOnly) {
  ASSERT_TRUE(ParseProto("").ok());
  EXPECT_TRUE(ParseProto("").value().statements.empty());
  EXPECT_TRUE(ParseProto("-- nothing\n").value().statements.empty());
}

TEST(ParseTest, InvalidUtf8IsRejectedWithItsPosition) {
  absl::StatusOr<ProtoTree> tree = ParseProto("SELECT 1;\nSELECT '\xff';");
  EXPECT_EQ(tree.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.status().message(), "2:9: SQL is not valid UTF-8 (offset 18)");
}

// Every entry point shares one input check and one error form.
TEST(ParserInputTest, OneCheckForEveryEntryPoint) {
  const std::string nul("SELECT 1;\0DROP", 14);
  EXPECT_EQ(CheckParserInput(nul, false).message(), "1:10: SQL contains a NUL byte (offset 9)");
  EXPECT_EQ(Split(nul).status().message(), "1:10: SQL contains a NUL byte (offset 9)");
  EXPECT_EQ(ParseProto(nul).status().message(), "1:10: SQL contains a NUL byte (offset 9)");
  EXPECT_EQ(Scan(nul).status().message(), "1:10: SQL contains a NUL byte (offset 9)");
  EXPECT_EQ(SplitWithScanner(nul).status().message(), "1:10: SQL contains a NUL byte (offset 9)");
  EXPECT_EQ(PlpgsqlStatements(nul).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckParserInput("SELECT '\xff'", false).ok());
  EXPECT_EQ(CheckParserInput("SELECT '\xff'", true).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParserError("a\nbc", 4, "boom").message(), "2:2: boom");
  EXPECT_EQ(ParserError("abc", 0, nullptr).message(), "1:1: parse error");
  EXPECT_EQ(Split("SELEC 1").status().message(), ParseProto("SELEC 1").status().message());
}

TEST(PlpgsqlStatementsTest, EmbeddedStatementsAndConstantExecute) {
  absl::StatusOr<std::vector<std::string>> statements = PlpgsqlStatements(
      "BEGIN IF true THEN CREATE TABLE a (id int); END IF; "
      "EXECUTE 'DROP TABLE b'; EXECUTE format('DROP TABLE %I', 'c'); END");
  ASSERT_TRUE(statements.ok()) << statements.status();
  EXPECT_THAT(*statements, ::testing::ElementsAre("CREATE TABLE a (id int)", "DROP TABLE b"));
}

TEST(SplitTest, RespectsQuotesAndDollarQuotes) {
  std::string text =
      "SELECT ';';\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ "
      "LANGUAGE sql;\nCREATE INDEX CONCURRENTLY i ON t (a);";
  absl::StatusOr<std::vector<StatementRange>> ranges = Split(text);
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  ASSERT_EQ(ranges->size(), 3u);
  EXPECT_THAT(text.substr((*ranges)[2].offset, (*ranges)[2].length),
              HasSubstr("CREATE INDEX CONCURRENTLY"));
}

TEST(PositionOfTest, LinesAndColumns) {
  EXPECT_EQ(PositionOf("ab\ncd", 0).line, 1);
  EXPECT_EQ(PositionOf("ab\ncd", 4).line, 2);
  EXPECT_EQ(PositionOf("ab\ncd", 4).column, 2);
  EXPECT_EQ(PositionOf("ab", 99).column, 3);
}

}  // namespace
}  // namespace schemagate::sql
