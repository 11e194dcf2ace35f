// JSON with comments: stripping keeps positions; values and keys know their
// line and column; parse errors are placed exactly.
#include "tools/scenario/jsonc.hpp"

#include <gtest/gtest.h>

#include <string>

namespace protmc::scenario {
namespace {

TEST(StripComments, ReplacesCommentsBySpacesAndKeepsNewlines) {
  const std::string text = "{ // one\n  \"a\": /* two\nthree */ 1 }";
  JsoncError error;
  const std::string stripped = strip_comments(text, &error);
  EXPECT_TRUE(error.message.empty());
  EXPECT_EQ(stripped, "{       \n  \"a\":       \n         1 }");
  EXPECT_EQ(stripped.size(), text.size());
}

TEST(StripComments, LeavesCommentMarkersInsideStrings) {
  const std::string text = R"({"url": "http://x/*y*/", "q": "a\"//b"})";
  JsoncError error;
  EXPECT_EQ(strip_comments(text, &error), text);
}

TEST(StripComments, UnterminatedBlockCommentIsAnErrorAtItsStart) {
  JsoncError error;
  strip_comments("{\n  \"a\": 1 /* no end\n}", &error);
  EXPECT_EQ(error.pos, (SourcePos{2, 10}));
  EXPECT_NE(error.message.find("unterminated comment"), std::string::npos);
}

TEST(LineIndex, CountsCharactersNotBytes) {
  const std::string text = "ab\n\xc3\xa9x\n";  // "é" is two bytes
  const LineIndex lines(text);
  EXPECT_EQ(lines.position(0), (SourcePos{1, 1}));
  EXPECT_EQ(lines.position(2), (SourcePos{1, 3}));
  EXPECT_EQ(lines.position(3), (SourcePos{2, 1}));
  EXPECT_EQ(lines.position(5), (SourcePos{2, 2}));
  EXPECT_EQ(lines.position(6), (SourcePos{2, 3}));
}

TEST(ParseJsonc, RecordsValueAndKeyPositions) {
  const std::string text =
      "{\n"
      "  \"a\": [1, {\"b\": true}],  // comment\n"
      "  /* x */ \"c/d\": \"s\"\n"
      "}\n";
  const JsoncResult result = parse_jsonc(text);
  ASSERT_TRUE(result.errors.empty());
  const JsoncDocument& doc = result.document;
  EXPECT_EQ(doc.value["a"][1]["b"], true);
  EXPECT_EQ(doc.value_pos.at(""), (SourcePos{1, 1}));
  EXPECT_EQ(doc.key_pos.at("/a"), (SourcePos{2, 3}));
  EXPECT_EQ(doc.value_pos.at("/a"), (SourcePos{2, 8}));
  EXPECT_EQ(doc.value_pos.at("/a/0"), (SourcePos{2, 9}));
  EXPECT_EQ(doc.value_pos.at("/a/1"), (SourcePos{2, 12}));
  EXPECT_EQ(doc.key_pos.at("/a/1/b"), (SourcePos{2, 13}));
  EXPECT_EQ(doc.value_pos.at("/a/1/b"), (SourcePos{2, 18}));
  EXPECT_EQ(doc.key_pos.at("/c~1d"), (SourcePos{3, 11}));
  EXPECT_EQ(doc.value_pos.at("/c~1d"), (SourcePos{3, 18}));
}

TEST(ParseJsonc, CommentsDoNotShiftPositions) {
  const std::string plain = "{\"a\": 1,\n \"b\": 2}";
  const std::string commented = "{\"a\": 1,/*\n*/\"b\": 2}";
  // Same columns on the second line when the comment spans the newline.
  EXPECT_EQ(parse_jsonc(plain).document.value_pos.at("/b"), (SourcePos{2, 7}));
  EXPECT_EQ(parse_jsonc(commented).document.value_pos.at("/b"), (SourcePos{2, 8}));
}

TEST(ParseJsonc, MalformedJsonIsPlacedAtTheOffendingCharacter) {
  const JsoncResult result = parse_jsonc("{\n  \"a\": 1,\n  // c\n  \"b\": ]\n}");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].pos, (SourcePos{4, 8}));
  EXPECT_NE(result.errors[0].message.find("malformed JSON"), std::string::npos);
  EXPECT_NE(result.errors[0].message.find("unexpected ']'"), std::string::npos);
  EXPECT_EQ(result.errors[0].message.find("json.exception"), std::string::npos);
}

TEST(ParseJsonc, ErrorsPointAtTheStartOfTheOffendingToken) {
  const auto first_error = [](const std::string& text) {
    const JsoncResult result = parse_jsonc(text);
    EXPECT_EQ(result.errors.size(), 1u) << text;
    return result.errors.empty() ? SourcePos{} : result.errors[0].pos;
  };
  EXPECT_EQ(first_error("{\n  \"a\" \"b\"\n}"), (SourcePos{2, 7}));  // missing ':'
  EXPECT_EQ(first_error("{\"n\": 12x}"), (SourcePos{1, 7}));         // bad number
  EXPECT_EQ(first_error("{\"n\": 1,\n \"open"), (SourcePos{2, 2}));  // unterminated string
  EXPECT_EQ(first_error("{\"n\": \"a\tb\"}"), (SourcePos{1, 9}));    // the tab itself
}

TEST(ParseJsonc, EmptyInputIsAnErrorAtTheStart) {
  const JsoncResult result = parse_jsonc("");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].pos, (SourcePos{1, 1}));
}

TEST(ParseJsonc, DuplicateKeyIsAnError) {
  const JsoncResult result = parse_jsonc("{\"a\": 1,\n \"a\": 2}");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].pos, (SourcePos{2, 2}));
  EXPECT_EQ(result.errors[0].message, "duplicate field \"a\"");
}

TEST(ParseJsonc, TrailingTextIsAnError) {
  const JsoncResult result = parse_jsonc("{} x");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].pos, (SourcePos{1, 4}));
}

TEST(PointerAppend, EscapesSlashAndTilde) {
  EXPECT_EQ(pointer_append("", "a/b~c"), "/a~1b~0c");
  EXPECT_EQ(pointer_append("/x", 3), "/x/3");
}

}  // namespace
}  // namespace protmc::scenario
