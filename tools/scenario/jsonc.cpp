#include "tools/scenario/jsonc.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace protmc::scenario {

LineIndex::LineIndex(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourcePos LineIndex::position(size_t offset) const {
  offset = std::min(offset, text_.size());
  const auto next = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const size_t line = static_cast<size_t>(next - line_starts_.begin());  // 1-based
  const size_t start = line_starts_[line - 1];
  uint32_t column = 1;
  for (size_t i = start; i < offset; ++i) {
    // Count every byte except UTF-8 continuation bytes (10xxxxxx).
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
  }
  return SourcePos{static_cast<uint32_t>(line), column};
}

std::string strip_comments(std::string_view text, JsoncError* error) {
  std::string out(text);
  size_t i = 0;
  while (i < out.size()) {
    const char c = out[i];
    if (c == '"') {
      // A string: skip to its closing quote, honouring escapes. An
      // unterminated string is left for the JSON parser to report.
      ++i;
      while (i < out.size() && out[i] != '"' && out[i] != '\n') i += out[i] == '\\' ? 2 : 1;
      ++i;
    } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '/') {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
    } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '*') {
      const size_t end = out.find("*/", i + 2);
      if (end == std::string::npos) {
        if (error != nullptr) {
          *error = JsoncError{LineIndex(text).position(i),
                              "unterminated comment: \"/*\" without a closing \"*/\""};
        }
        return {};
      }
      for (; i < end + 2; ++i) {
        if (out[i] != '\n') out[i] = ' ';
      }
    } else {
      ++i;
    }
  }
  return out;
}

std::string pointer_append(std::string_view parent, std::string_view key) {
  std::string pointer(parent);
  pointer += '/';
  for (const char c : key) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
  return pointer;
}

std::string pointer_append(std::string_view parent, size_t index) {
  return std::string(parent) + "/" + std::to_string(index);
}

namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct TokenRange {
  size_t begin;
  size_t end;  // exclusive
};

// The tokens that raise SAX events: braces, brackets, strings and scalars, in
// order (":" and "," raise none). Exact for text that parses; on other text
// it is still a fair guess of where each token starts, which is what error
// positions need.
std::vector<TokenRange> tokenize(std::string_view text) {
  std::vector<TokenRange> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const size_t begin = i;
    const char c = text[i];
    if (is_json_space(c) || c == ':' || c == ',') {
      ++i;
      continue;
    }
    if (c == '{' || c == '}' || c == '[' || c == ']') {
      ++i;
    } else if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, text.size());
    } else {
      while (i < text.size() && !is_json_space(text[i]) &&
             std::string_view(",:{}[]\"").find(text[i]) == std::string_view::npos) {
        ++i;
      }
    }
    tokens.push_back(TokenRange{begin, i});
  }
  return tokens;
}

using Json = nlohmann::json;

// Builds the DOM from SAX events and records the position of every value and
// key. Duplicate keys are errors (nlohmann would silently keep the last).
class PositionSax final : public nlohmann::json_sax<Json> {
 public:
  PositionSax(const LineIndex& lines, std::vector<TokenRange> tokens, JsoncResult& result)
      : lines_(lines), tokens_(std::move(tokens)), result_(result) {}

  bool null() override { return add_value(Json(nullptr)); }
  bool boolean(bool val) override { return add_value(Json(val)); }
  bool number_integer(number_integer_t val) override { return add_value(Json(val)); }
  bool number_unsigned(number_unsigned_t val) override { return add_value(Json(val)); }
  bool number_float(number_float_t val, const string_t& /*s*/) override {
    return add_value(Json(val));
  }
  bool string(string_t& val) override { return add_value(Json(std::move(val))); }
  bool binary(binary_t& val) override { return add_value(Json::binary(std::move(val))); }

  bool start_object(std::size_t /*elements*/) override {
    Json* added = insert(Json::object());
    stack_.push_back(Frame{added, pending_pointer_, 0, {}});
    return true;
  }
  bool end_object() override {
    next_token();
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*elements*/) override {
    Json* added = insert(Json::array());
    stack_.push_back(Frame{added, pending_pointer_, 0, {}});
    return true;
  }
  bool end_array() override {
    next_token();
    stack_.pop_back();
    return true;
  }

  bool key(string_t& val) override {
    const SourcePos pos = next_token();
    Frame& frame = stack_.back();
    const std::string pointer = pointer_append(frame.pointer, val);
    if (frame.value->contains(val)) {
      result_.errors.push_back(JsoncError{pos, "duplicate field \"" + val + "\""});
    } else {
      result_.document.key_pos[pointer] = pos;
    }
    frame.key = std::move(val);
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    // nlohmann's position counts the bytes read, the offending one included.
    // Point at the start of the token that byte belongs to, except for a bad
    // character inside a string, which is pointed at itself.
    const std::string what = ex.what();
    size_t offset = position == 0 ? 0 : position - 1;
    const bool inside_string = what.find("invalid string") != std::string::npos &&
                               what.find("missing closing quote") == std::string::npos;
    if (what.find("missing closing quote") != std::string::npos && !tokens_.empty()) {
      offset = std::min(offset, tokens_.back().end - 1);  // the string runs to the end
    }
    if (!inside_string) {
      for (const TokenRange& token : tokens_) {
        if (token.begin <= offset && offset < token.end) {
          offset = token.begin;
          break;
        }
      }
    }
    const SourcePos pos = lines_.position(offset);
    // ex.what() is "[json.exception.parse_error.101] parse error at line L,
    // column C: MESSAGE"; keep MESSAGE, the position is ours.
    // Other errors (a number too large, 406) are "[json.exception.KIND.N] MESSAGE".
    std::string message = what;
    const size_t at = message.find("column ");
    if (at != std::string::npos) {
      const size_t colon = message.find(": ", at);
      if (colon != std::string::npos) message = message.substr(colon + 2);
    } else if (message.rfind("[json.exception.", 0) == 0) {
      const size_t close = message.find("] ");
      if (close != std::string::npos) message = message.substr(close + 2);
    }
    result_.errors.push_back(JsoncError{pos, "malformed JSON: " + message});
    return false;
  }

  Json take_root() { return std::move(root_); }

 private:
  struct Frame {
    Json* value;
    std::string pointer;
    size_t next_index;
    std::string key;
  };

  SourcePos next_token() {
    if (next_token_ >= tokens_.size()) return SourcePos{};
    return lines_.position(tokens_[next_token_++].begin);
  }

  // Places `value` in the document at the current point, records its
  // position and pointer, and returns where it now lives.
  Json* insert(Json value) {
    const SourcePos pos = next_token();
    Json* added = nullptr;
    if (stack_.empty()) {
      pending_pointer_.clear();
      root_ = std::move(value);
      added = &root_;
    } else {
      Frame& frame = stack_.back();
      if (frame.value->is_array()) {
        pending_pointer_ = pointer_append(frame.pointer, frame.next_index++);
        frame.value->push_back(std::move(value));
        added = &frame.value->back();
      } else {
        pending_pointer_ = pointer_append(frame.pointer, frame.key);
        Json& slot = (*frame.value)[frame.key];
        slot = std::move(value);
        added = &slot;
      }
    }
    result_.document.value_pos[pending_pointer_] = pos;
    return added;
  }

  bool add_value(Json value) {
    insert(std::move(value));
    return true;
  }

  const LineIndex& lines_;
  std::vector<TokenRange> tokens_;
  size_t next_token_ = 0;
  JsoncResult& result_;
  Json root_;
  std::vector<Frame> stack_;
  std::string pending_pointer_;
};

}  // namespace

JsoncResult parse_jsonc(std::string_view text) {
  JsoncResult result;
  JsoncError comment_error;
  const std::string stripped = strip_comments(text, &comment_error);
  if (!comment_error.message.empty()) {
    result.errors.push_back(std::move(comment_error));
    return result;
  }
  const LineIndex lines(text);
  PositionSax sax(lines, tokenize(stripped), result);
  try {
    Json::sax_parse(stripped, &sax);
  } catch (const std::exception& e) {
    // The SAX parser reports errors through parse_error(); anything thrown is
    // still a property of the input (e.g. a number out of range), never a bug.
    result.errors.push_back(
        JsoncError{SourcePos{1, 1}, std::string("malformed JSON: ") + e.what()});
  }
  if (result.errors.empty()) result.document.value = sax.take_root();
  return result;
}

std::string describe_pointer(std::string_view pointer, std::string_view root) {
  if (pointer.empty()) return std::string(root);
  std::string text;
  size_t i = 1;
  while (i <= pointer.size()) {
    size_t end = pointer.find('/', i);
    if (end == std::string_view::npos) end = pointer.size();
    // Unescape RFC 6901: "~1" is "/", "~0" is "~".
    std::string token;
    for (size_t j = i; j < end; ++j) {
      if (pointer[j] == '~' && j + 1 < end) {
        token += pointer[j + 1] == '1' ? '/' : '~';
        ++j;
      } else {
        token += pointer[j];
      }
    }
    const bool index = !token.empty() && std::all_of(token.begin(), token.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
    if (index) {
      text += "[" + token + "]";
    } else {
      if (!text.empty()) text += ".";
      text += token;
    }
    i = end + 1;
  }
  return text;
}

}  // namespace protmc::scenario
