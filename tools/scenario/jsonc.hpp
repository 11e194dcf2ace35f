// JSON with comments, read with the source position of every value.
//
// `//` line comments and `/* */` block comments are allowed outside strings.
// They are replaced by spaces (newlines kept), so every other character keeps
// its byte offset, line and column, and the result is parsed as strict JSON by
// nlohmann::json's SAX parser. nlohmann-json 3.11 reports no positions to a SAX
// handler, so a small tokenizer lists the start of every token of the stripped
// text; SAX events map one-to-one onto those tokens (braces, brackets, keys and
// scalars; `:` and `,` raise no event), which gives each value and each object
// key its line and column. Values are found by JSON pointer ("/threads/0/ops").
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace protmc::scenario {

// A 1-based line and column; columns count characters (UTF-8 code points), so
// they match what an editor shows. {0, 0} means "no position".
struct SourcePos {
  uint32_t line = 0;
  uint32_t column = 0;
  friend bool operator==(const SourcePos&, const SourcePos&) = default;
};

// Maps byte offsets of a text to lines and columns.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  // The position of the byte at `offset`; an offset at or past the end is the
  // position just after the last character.
  SourcePos position(size_t offset) const;

 private:
  std::string_view text_;
  std::vector<size_t> line_starts_;
};

struct JsoncError {
  SourcePos pos;
  std::string message;
};

struct JsoncDocument {
  nlohmann::json value;
  // Where each value starts, by JSON pointer ("" is the whole document).
  std::unordered_map<std::string, SourcePos> value_pos;
  // Where each object member's key starts, by the member's JSON pointer.
  std::unordered_map<std::string, SourcePos> key_pos;
};

struct JsoncResult {
  JsoncDocument document;          // meaningful only when `errors` is empty
  std::vector<JsoncError> errors;  // malformed JSON, an unterminated comment, a duplicate key
};

// The text with comments replaced by spaces (newlines kept). On an
// unterminated block comment, sets `error` and returns an empty string.
std::string strip_comments(std::string_view text, JsoncError* error);

// Strips comments and parses. Never throws.
JsoncResult parse_jsonc(std::string_view text);

// `parent` + "/" + the escaped key (RFC 6901: "~" -> "~0", "/" -> "~1").
std::string pointer_append(std::string_view parent, std::string_view key);
std::string pointer_append(std::string_view parent, size_t index);
// A JSON pointer as a reader writes it: "/threads/0/ops/1" -> "threads[0].ops[1]";
// the empty pointer (the document itself) -> `root`. RFC 6901 escapes undone.
std::string describe_pointer(std::string_view pointer, std::string_view root);

}  // namespace protmc::scenario
