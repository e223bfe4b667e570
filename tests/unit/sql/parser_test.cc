#include "server/sql/parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schemagate::sql {
namespace {

using ::testing::HasSubstr;

TEST(ParseTest, StatementsWithOffsets) {
  std::string text = "SELECT 1;\n  CREATE TABLE t (a int);";
  absl::StatusOr<ParseTree> tree = Parse(text);
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_EQ(tree->statements.size(), 2u);
  EXPECT_TRUE(tree->statements[0].node.contains("SelectStmt"));
  EXPECT_TRUE(tree->statements[1].node.contains("CreateStmt"));
  EXPECT_EQ(tree->statements[1].offset, 9u);
  EXPECT_EQ(text.substr(tree->statements[1].offset, tree->statements[1].length),
            "\n  CREATE TABLE t (a int)");
}

TEST(ParseTest, ErrorHasLineAndColumn) {
  absl::StatusOr<ParseTree> tree = Parse("SELECT 1;\nSELEC 2;");
  EXPECT_EQ(tree.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.status().message(), "2:1: syntax error at or near \"SELEC\"");
}

TEST(ParseTest, NulByteIsRejected) {
  absl::StatusOr<ParseTree> tree = Parse(std::string("SELECT 1;\0DROP", 14));
  EXPECT_EQ(tree.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(tree.status().message()), HasSubstr("NUL byte"));
}

TEST(ParseTest, EmptyAndCommentOnly) {
  ASSERT_TRUE(Parse("").ok());
  EXPECT_TRUE(Parse("").value().statements.empty());
  EXPECT_TRUE(Parse("-- nothing\n").value().statements.empty());
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
