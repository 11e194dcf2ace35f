// Internal to the scenario loader (loader.cpp, loader_fields.cpp,
// loader_threads.cpp); not part of its API, which is loader.hpp.
//
// The Validator walks a parsed JSONC document into a Scenario. Every problem
// becomes a Diagnostic at the offending value (or its key) and the walk goes
// on, so one pass reports as much as it can; nothing here throws for bad
// input. Member functions return std::nullopt / false when the value they read
// is unusable, after reporting why.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/scenario/jsonc.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/scenario/scenario.hpp"

namespace protmc::scenario::loader_internal {

using Json = nlohmann::json;
using Names = std::span<const std::string_view>;

// "a, b, c".
std::string join(Names names);

// "a string", "a whole number", ... for "X must be ..., not ..." messages.
std::string describe_type(const Json& value);

// "/threads/0/ops/1/page" -> "threads[0].ops[1].page"; "" -> "the scenario".
std::string describe_pointer(const std::string& pointer);

// `text` in double quotes.
std::string in_quotes(std::string_view text);

// A value in the document, with its JSON pointer.
struct Node {
  const Json& value;
  std::string pointer;

  Node member(std::string_view key) const {
    return Node{value.at(std::string(key)), pointer_append(pointer, key)};
  }
  Node element(size_t index) const { return Node{value.at(index), pointer_append(pointer, index)}; }
  bool has(std::string_view key) const { return value.contains(std::string(key)); }
  std::string name() const { return describe_pointer(pointer); }
};

// Walks a parsed document into a Scenario, collecting diagnostics.
class Validator {
 public:
  Validator(const JsoncDocument& document, const std::string& path,
            std::vector<Diagnostic>& diagnostics)
      : document_(document), path_(path), diagnostics_(diagnostics) {}

  // The scenario, or std::nullopt if any diagnostic was added (loader_fields.cpp).
  std::optional<Scenario> run();

 private:
  // --- Reporting (loader.cpp). ---

  void error_at(SourcePos pos, std::string message);
  SourcePos value_pos(const Node& node) const;
  // Where the node's key is; its value's position for a list element.
  SourcePos key_pos(const Node& node) const;
  void error(const Node& node, std::string message);
  void key_error(const Node& node, std::string message);
  void type_error(const Node& node, std::string_view expected);

  // --- Shapes (loader.cpp; the templates here). ---

  // An object with only `allowed` fields and all `required` ones.
  bool object(const Node& node, std::initializer_list<std::string_view> allowed,
              std::initializer_list<std::string_view> required);
  std::optional<std::string> string(const Node& node);
  std::optional<bool> boolean(const Node& node);
  // A whole number in [min, max].
  std::optional<uint64_t> whole(const Node& node, uint64_t min, uint64_t max);

  // One of `names`, as the enumerator with that index.
  template <typename Enum>
  std::optional<Enum> enumerated(const Node& node, std::string_view what, Names names) {
    const auto text = string(node);
    if (!text) return std::nullopt;
    const auto it = std::find(names.begin(), names.end(), *text);
    if (it == names.end()) {
      error(node, "unknown " + std::string(what) + " " + in_quotes(*text) + "; expected one of " +
                      join(names));
      return std::nullopt;
    }
    return static_cast<Enum>(it - names.begin());
  }

  // A list whose elements `each` reads; false if it is not a list (or is
  // empty when `non_empty`).
  bool list(const Node& node, bool non_empty, const std::function<void(const Node&)>& each);

  // A list of distinct names from `names`.
  template <typename Enum>
  std::vector<Enum> enum_list(const Node& node, std::string_view what, Names names,
                              bool non_empty) {
    std::vector<Enum> values;
    list(node, non_empty, [&](const Node& element) {
      const auto value = enumerated<Enum>(element, what, names);
      if (!value) return;
      if (std::find(values.begin(), values.end(), *value) != values.end()) {
        error(element, std::string(what) + " " + in_quotes(names[static_cast<size_t>(*value)]) +
                           " is listed twice in " + node.name());
        return;
      }
      values.push_back(*value);
    });
    return values;
  }

  // --- Fields (loader_fields.cpp). ---

  void name(const Node& node, std::string& out);
  void kernel(const Node& node, KernelSpec& out);
  void platform(const Node& node, Platform& out);
  // Returns whether the mapping is usable for checking pages against it.
  bool mapping(const Node& node, Mapping& out);
  std::optional<Bo> bo(const Node& node);
  void properties(const Node& node, std::vector<Property>& out);
  void explore(const Node& node, Explore& out);
  void tags(const Node& node, std::vector<std::string>& out);
  std::optional<Expectation> expectation(const Node& node, const Scenario& scenario);
  void expect(const Node& node, Scenario& scenario);

  // --- Pages, threads and operations (loader_threads.cpp). ---

  // A page index of the mapping.
  std::optional<uint32_t> page(const Node& node, const Mapping& mapping);
  // "first" and "count" of a page range inside the mapping.
  bool range(const Node& op, const Mapping& mapping, uint32_t& first, uint32_t& count);
  void initial(const Node& node, Scenario& scenario);
  void threads(const Node& node, Scenario& scenario);
  std::optional<Operation> operation(const Node& node, const Scenario& scenario);

  const JsoncDocument& document_;
  const std::string& path_;
  std::vector<Diagnostic>& diagnostics_;
};

}  // namespace protmc::scenario::loader_internal
