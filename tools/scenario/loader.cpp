#include "tools/scenario/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "tools/scenario/jsonc.hpp"
#include "tools/scenario/sha256.hpp"

namespace protmc::scenario {

std::string Diagnostic::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {

using Json = nlohmann::json;
using Names = std::span<const std::string_view>;

std::string join(Names names) {
  std::string text;
  for (const std::string_view name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

// "a string", "a whole number", ... for "X must be ..., not ..." messages.
std::string describe_type(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "a whole number";
    case Json::value_t::number_float:
      return "a number with a fraction";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "a list";
    default:
      return "an unexpected value";
  }
}

// "/threads/0/ops/1/page" -> "threads[0].ops[1].page"; "" -> "the scenario".
std::string describe_pointer(const std::string& pointer) {
  if (pointer.empty()) return "the scenario";
  std::string text;
  size_t i = 1;
  while (i <= pointer.size()) {
    size_t end = pointer.find('/', i);
    if (end == std::string::npos) end = pointer.size();
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

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

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

  std::optional<Scenario> run() {
    const Node root{document_.value, ""};
    Scenario scenario;
    if (!root.value.is_object()) {
      type_error(root, "an object");
      return std::nullopt;
    }
    // Every field is checked with has() below, so a missing one is only reported.
    object(root,
           {"name", "description", "kernel", "platform", "proposal", "mapping", "bo", "initial",
            "threads", "properties", "explore", "tags", "expect"},
           {"name", "kernel", "mapping", "threads"});
    if (root.has("name")) name(root.member("name"), scenario.name);
    if (root.has("description")) {
      if (auto text = string(root.member("description"))) scenario.description = *text;
    }
    if (root.has("kernel")) kernel(root.member("kernel"), scenario.kernel);
    if (root.has("platform")) platform(root.member("platform"), scenario.platform);
    if (root.has("proposal")) {
      scenario.proposal =
          enumerated<Proposal>(root.member("proposal"), "proposal", proposal_names());
    }
    const bool mapping_ok =
        root.has("mapping") && mapping(root.member("mapping"), scenario.mapping);
    if (mapping_ok) {
      const bool ttm = scenario.mapping.driver == Driver::kTtm;
      if (root.has("bo")) {
        if (ttm) {
          scenario.bo = bo(root.member("bo"));
        } else {
          key_error(root.member("bo"),
                    "\"bo\" (the buffer object) is for ttm mappings only; this mapping's driver "
                    "is vvar");
        }
      } else if (ttm) {
        scenario.bo = Bo{};
      }
      if (root.has("initial")) initial(root.member("initial"), scenario);
      if (root.has("threads")) threads(root.member("threads"), scenario);
    }
    scenario.properties = all_properties();
    if (root.has("properties")) {
      properties(root.member("properties"), scenario.properties);
    }
    if (root.has("explore")) explore(root.member("explore"), scenario.explore);
    if (root.has("tags")) tags(root.member("tags"), scenario.tags);
    if (root.has("expect")) expect(root.member("expect"), scenario);
    if (!diagnostics_.empty()) return std::nullopt;
    return scenario;
  }

 private:
  // --- Reporting. ---

  void error_at(SourcePos pos, std::string message) {
    diagnostics_.push_back(Diagnostic{path_, pos.line, pos.column, std::move(message)});
  }
  SourcePos value_pos(const Node& node) const {
    const auto it = document_.value_pos.find(node.pointer);
    return it == document_.value_pos.end() ? SourcePos{} : it->second;
  }
  SourcePos key_pos(const Node& node) const {
    const auto it = document_.key_pos.find(node.pointer);
    return it == document_.key_pos.end() ? value_pos(node) : it->second;
  }
  void error(const Node& node, std::string message) {
    error_at(value_pos(node), std::move(message));
  }
  void key_error(const Node& node, std::string message) {
    error_at(key_pos(node), std::move(message));
  }
  void type_error(const Node& node, std::string_view expected) {
    error(node,
          node.name() + " must be " + std::string(expected) + ", not " + describe_type(node.value));
  }

  // --- Shapes. ---

  // An object with only `allowed` fields and all `required` ones.
  bool object(const Node& node, std::initializer_list<std::string_view> allowed,
              std::initializer_list<std::string_view> required) {
    if (!node.value.is_object()) {
      type_error(node, "an object");
      return false;
    }
    // Unknown fields are reported but do not stop the checks of the known
    // ones; a missing required field does.
    bool ok = true;
    for (const auto& [key, value] : node.value.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        const std::vector<std::string_view> names(allowed);
        key_error(node.member(key), "unknown field " + in_quotes(key) + " in " + node.name() +
                                        "; expected one of " + join(names));
      }
    }
    for (const std::string_view key : required) {
      if (!node.has(key)) {
        error(node, "missing required field " + in_quotes(key) + " in " + node.name());
        ok = false;
      }
    }
    return ok;
  }

  std::optional<std::string> string(const Node& node) {
    if (!node.value.is_string()) {
      type_error(node, "a string");
      return std::nullopt;
    }
    return node.value.get<std::string>();
  }

  std::optional<bool> boolean(const Node& node) {
    if (!node.value.is_boolean()) {
      type_error(node, "true or false");
      return std::nullopt;
    }
    return node.value.get<bool>();
  }

  // A whole number in [min, max].
  std::optional<uint64_t> whole(const Node& node, uint64_t min, uint64_t max) {
    if (!node.value.is_number_integer()) {
      type_error(node, "a whole number");
      return std::nullopt;
    }
    if (node.value.is_number_integer() && !node.value.is_number_unsigned() &&
        node.value.get<int64_t>() < 0) {
      error(node, node.name() + " must not be negative");
      return std::nullopt;
    }
    const uint64_t value = node.value.get<uint64_t>();
    if (value < min || value > max) {
      error(node, node.name() + " is " + std::to_string(value) + "; it must be in " +
                      std::to_string(min) + ".." + std::to_string(max));
      return std::nullopt;
    }
    return value;
  }

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
  bool list(const Node& node, bool non_empty, const std::function<void(const Node&)>& each) {
    if (!node.value.is_array()) {
      type_error(node, "a list");
      return false;
    }
    if (non_empty && node.value.empty()) {
      error(node, node.name() + " must not be empty");
      return false;
    }
    for (size_t i = 0; i < node.value.size(); ++i) each(node.element(i));
    return true;
  }

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

  // --- Fields. ---

  void name(const Node& node, std::string& out) {
    const auto text = string(node);
    if (!text) return;
    const bool ok = !text->empty() && std::all_of(text->begin(), text->end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_' || c == '.';
    });
    if (!ok) {
      error(node, "bad scenario name " + in_quotes(*text) +
                      "; use letters, digits, '-', '_' and '.' only, at least one");
      return;
    }
    out = *text;
  }

  void kernel(const Node& node, KernelSpec& out) {
    const auto preset_of = [&](const Node& preset_node) -> std::optional<model::KernelPreset> {
      const auto text = string(preset_node);
      if (!text) return std::nullopt;
      const auto preset = model::parse_preset(*text);
      if (!preset) {
        std::vector<std::string_view> names;
        for (const auto p : model::all_presets()) names.push_back(model::to_string(p));
        error(preset_node,
              "unknown kernel preset " + in_quotes(*text) + "; expected one of " + join(names));
      }
      return preset;
    };
    if (node.value.is_string()) {
      if (const auto preset = preset_of(node)) {
        out.preset = *preset;
        out.knobs = model::preset_knobs(*preset);
      }
      return;
    }
    if (!node.value.is_object()) {
      type_error(node, "a preset name or an object {\"preset\": ..., KNOB: VALUE, ...}");
      return;
    }
    if (!node.has("preset")) {
      error(node, "missing required field \"preset\" in kernel");
    } else if (const auto preset = preset_of(node.member("preset"))) {
      out.preset = *preset;
      out.knobs = model::preset_knobs(*preset);
    }
    std::vector<std::string_view> known = {"preset"};
    for (const model::KnobInfo& info : model::kernel_knob_table()) known.push_back(info.name);
    for (const auto& [key, value] : node.value.items()) {
      if (key == "preset") continue;
      const Node knob = node.member(key);
      const model::KnobInfo* info = nullptr;
      for (const model::KnobInfo& candidate : model::kernel_knob_table()) {
        if (candidate.name == key) info = &candidate;
      }
      if (info == nullptr) {
        key_error(knob,
                  "unknown kernel knob " + in_quotes(key) + "; expected one of " + join(known));
        continue;
      }
      const bool is_bool = info->values == "true|false";
      std::string text;
      if (is_bool) {
        const auto b = boolean(knob);
        if (!b) continue;
        text = *b ? "true" : "false";
      } else {
        if (!knob.value.is_string()) {
          type_error(knob, "a string");
          continue;
        }
        text = knob.value.get<std::string>();
      }
      const std::string message = model::set_knob(out.knobs, key, text);
      if (!message.empty()) {
        std::string values(info->values);
        std::replace(values.begin(), values.end(), '|', ',');
        for (size_t at = values.find(','); at != std::string::npos; at = values.find(',', at + 2)) {
          values.insert(at + 1, " ");
        }
        error(knob, "bad value " + in_quotes(text) + " for kernel knob " + std::string(key) +
                        "; expected one of " + values);
        continue;
      }
      out.overrides.emplace_back(key, text);
    }
  }

  void platform(const Node& node, Platform& out) {
    if (!object(node, {"sev"}, {})) return;
    if (node.has("sev")) {
      if (const auto sev = boolean(node.member("sev"))) out.sev = *sev;
    }
  }

  // Returns whether the mapping is usable for checking pages against it.
  bool mapping(const Node& node, Mapping& out) {
    if (!object(node, {"driver", "pages", "layout", "huge", "pmd_pages", "flags"}, {"driver"})) {
      return false;
    }
    const auto driver = enumerated<Driver>(node.member("driver"), "driver", driver_names());
    if (!driver) return false;
    out.driver = *driver;
    bool ok = true;
    if (*driver == Driver::kTtm) {
      if (node.has("layout")) {
        key_error(node.member("layout"),
                  "\"layout\" is for vvar mappings only; a ttm mapping gives \"pages\"");
        ok = false;
      }
      if (!node.has("pages")) {
        error(node, "missing required field \"pages\" in mapping (a ttm mapping's page count)");
        ok = false;
      } else if (const auto pages = whole(node.member("pages"), 1, kMaxPages)) {
        out.pages = static_cast<uint32_t>(*pages);
      } else {
        ok = false;
      }
    } else {
      if (node.has("pages")) {
        key_error(node.member("pages"),
                  "a vvar mapping gives its pages by kind in \"layout\", not a \"pages\" count");
        ok = false;
      }
      if (!node.has("layout")) {
        error(node, "a vvar mapping needs \"layout\": its pages by kind, each one of " +
                        join(vvar_page_names()));
        ok = false;
      } else {
        const Node layout = node.member("layout");
        const size_t before = diagnostics_.size();
        list(layout, true, [&](const Node& element) {
          if (const auto page =
                  enumerated<VvarPage>(element, "vvar page kind", vvar_page_names())) {
            out.layout.push_back(*page);
          }
        });
        if (diagnostics_.size() != before) {
          ok = false;
        } else if (out.layout.size() > kMaxPages) {
          error(layout, "mapping.layout has " + std::to_string(out.layout.size()) +
                            " pages; at most " + std::to_string(kMaxPages) + " are allowed");
          ok = false;
        }
        out.pages = static_cast<uint32_t>(out.layout.size());
      }
    }
    if (node.has("huge")) {
      if (const auto huge = boolean(node.member("huge"))) out.huge = *huge;
    }
    if (node.has("pmd_pages")) {
      if (const auto pmd = whole(node.member("pmd_pages"), 1, kMaxPmdPages)) {
        out.pmd_pages = static_cast<uint32_t>(*pmd);
      }
    }
    // Default flags: what the driver's mmap gives.
    if (*driver == Driver::kTtm) {
      out.prot = Prot{true, true, false};
      out.shared = true;
    } else {
      out.prot = Prot{true, false, false};
      out.shared = false;
    }
    if (node.has("flags")) {
      static constexpr std::array<std::string_view, 4> kFlags = {"read", "write", "exec", "shared"};
      const auto flags =
          enum_list<size_t>(node.member("flags"), "mapping flag", kFlags, /*non_empty=*/false);
      out.prot = Prot{};
      out.shared = false;
      for (const size_t flag : flags) {
        if (flag == 0) out.prot.read = true;
        if (flag == 1) out.prot.write = true;
        if (flag == 2) out.prot.exec = true;
        if (flag == 3) out.shared = true;
      }
    }
    return ok;
  }

  std::optional<Bo> bo(const Node& node) {
    if (!object(node, {"placement"}, {"placement"})) return std::nullopt;
    const auto placement =
        enumerated<Placement>(node.member("placement"), "placement", placement_names());
    if (!placement) return std::nullopt;
    return Bo{*placement};
  }

  // A page index of the mapping.
  std::optional<uint32_t> page(const Node& node, const Mapping& mapping) {
    const auto value = whole(node, 0, UINT32_MAX);
    if (!value) return std::nullopt;
    if (*value >= mapping.pages) {
      error(node, "page " + std::to_string(*value) + " is out of range: the mapping has " +
                      std::to_string(mapping.pages) + " page" + (mapping.pages == 1 ? "" : "s") +
                      " (0.." + std::to_string(mapping.pages - 1) + ")");
      return std::nullopt;
    }
    return static_cast<uint32_t>(*value);
  }

  // "first" and "count" of a page range inside the mapping.
  bool range(const Node& op, const Mapping& mapping, uint32_t& first, uint32_t& count) {
    const auto f = page(op.member("first"), mapping);
    const auto c = whole(op.member("count"), 1, kMaxPages);
    if (!f || !c) return false;
    if (*f + *c > mapping.pages) {
      error(op.member("count"), "pages " + std::to_string(*f) + ".." + std::to_string(*f + *c - 1) +
                                    " are out of range: the mapping has " +
                                    std::to_string(mapping.pages) + " pages (0.." +
                                    std::to_string(mapping.pages - 1) + ")");
      return false;
    }
    first = *f;
    count = static_cast<uint32_t>(*c);
    return true;
  }

  void initial(const Node& node, Scenario& scenario) {
    if (!object(node, {"faulted"}, {})) return;
    if (!node.has("faulted")) return;
    const Node faulted = node.member("faulted");
    list(faulted, false, [&](const Node& element) {
      const auto p = page(element, scenario.mapping);
      if (!p) return;
      const auto& pages = scenario.initial_faulted;
      if (std::find(pages.begin(), pages.end(), *p) != pages.end()) {
        error(element, "page " + std::to_string(*p) + " is listed twice in initial.faulted");
        return;
      }
      scenario.initial_faulted.push_back(*p);
    });
  }

  void threads(const Node& node, Scenario& scenario) {
    std::map<std::string, SourcePos> seen;
    list(node, true, [&](const Node& element) {
      if (!object(element, {"name", "ops"}, {"name", "ops"})) return;
      Thread thread;
      const Node name_node = element.member("name");
      if (const auto name = string(name_node)) {
        if (name->empty()) {
          error(name_node, "a thread name must not be empty");
        } else if (const auto it = seen.find(*name); it != seen.end()) {
          error(name_node, "duplicate thread name " + in_quotes(*name) + " (first at line " +
                               std::to_string(it->second.line) + ")");
        } else {
          seen.emplace(*name, value_pos(name_node));
        }
        thread.name = *name;
      }
      list(element.member("ops"), true, [&](const Node& op) {
        if (auto operation = this->operation(op, scenario)) thread.ops.push_back(*operation);
      });
      scenario.threads.push_back(std::move(thread));
    });
  }

  std::optional<Operation> operation(const Node& node, const Scenario& scenario) {
    if (!node.value.is_object()) {
      type_error(node, "an object");
      return std::nullopt;
    }
    if (!node.has("op")) {
      error(node, "missing required field \"op\" in " + node.name() + "; expected one of " +
                      join(operation_names()));
      return std::nullopt;
    }
    const Node op_node = node.member("op");
    const auto text = string(op_node);
    if (!text) return std::nullopt;
    const Mapping& mapping = scenario.mapping;
    const bool ttm = mapping.driver == Driver::kTtm;
    const auto needs_ttm = [&]() {
      if (ttm) return true;
      error(op_node, "operation " + in_quotes(*text) +
                         " needs a ttm mapping: a vvar mapping has no buffer object");
      return false;
    };
    if (*text == "fault") {
      if (!object(node, {"op", "page", "write"}, {"page"})) return std::nullopt;
      Fault fault;
      const auto p = page(node.member("page"), mapping);
      if (node.has("write")) {
        const auto write = boolean(node.member("write"));
        if (!write) return std::nullopt;
        fault.write = *write;
      }
      if (!p) return std::nullopt;
      fault.page = *p;
      return fault;
    }
    if (*text == "bo_move") {
      if (!object(node, {"op", "to"}, {"to"}) || !needs_ttm()) return std::nullopt;
      const auto to = enumerated<Placement>(node.member("to"), "placement", placement_names());
      if (!to) return std::nullopt;
      return BoMove{*to};
    }
    if (*text == "bo_swapout") {
      if (!object(node, {"op"}, {}) || !needs_ttm()) return std::nullopt;
      return BoSwapout{};
    }
    if (*text == "mprotect") {
      if (!object(node, {"op", "first", "count", "prot"}, {"first", "count", "prot"})) {
        return std::nullopt;
      }
      Mprotect mprotect;
      const bool ok = range(node, mapping, mprotect.first, mprotect.count);
      static constexpr std::array<std::string_view, 3> kProt = {"read", "write", "exec"};
      const size_t before = diagnostics_.size();
      for (const size_t bit : enum_list<size_t>(node.member("prot"), "protection", kProt, false)) {
        if (bit == 0) mprotect.prot.read = true;
        if (bit == 1) mprotect.prot.write = true;
        if (bit == 2) mprotect.prot.exec = true;
      }
      if (!ok || diagnostics_.size() != before) return std::nullopt;
      return mprotect;
    }
    if (*text == "split_huge_pmd") {
      if (!object(node, {"op", "page", "via"}, {"page", "via"})) return std::nullopt;
      const auto p = page(node.member("page"), mapping);
      const auto via = enumerated<SplitVia>(node.member("via"), "split caller", split_via_names());
      if (!p || !via) return std::nullopt;
      if (!mapping.huge) {
        error(op_node, "split_huge_pmd needs a huge mapping (\"huge\": true in mapping)");
        return std::nullopt;
      }
      return SplitHugePmd{*p, *via};
    }
    if (*text == "madvise_dontneed") {
      if (!object(node, {"op", "first", "count"}, {"first", "count"})) return std::nullopt;
      MadviseDontneed madvise;
      if (!range(node, mapping, madvise.first, madvise.count)) return std::nullopt;
      return madvise;
    }
    error(op_node,
          "unknown operation " + in_quotes(*text) + "; expected one of " + join(operation_names()));
    return std::nullopt;
  }

  void properties(const Node& node, std::vector<Property>& out) {
    out = enum_list<Property>(node, "property", property_names(), /*non_empty=*/true);
  }

  void explore(const Node& node, Explore& out) {
    if (!object(
            node,
            {"strategy", "max_executions", "time_limit_s", "seed", "max_steps", "preemption_bound"},
            {})) {
      return;
    }
    if (node.has("strategy")) {
      if (const auto strategy =
              enumerated<Strategy>(node.member("strategy"), "strategy", strategy_names())) {
        out.strategy = *strategy;
      }
    }
    if (node.has("max_executions")) {
      out.max_executions = whole(node.member("max_executions"), 1, UINT64_MAX);
    }
    if (node.has("time_limit_s")) {
      const Node limit = node.member("time_limit_s");
      if (!limit.value.is_number()) {
        type_error(limit, "a number of seconds");
      } else if (limit.value.get<double>() <= 0) {
        error(limit, limit.name() + " must be more than 0");
      } else {
        out.time_limit_s = limit.value.get<double>();
      }
    }
    if (node.has("seed")) {
      if (const auto seed = whole(node.member("seed"), 0, UINT64_MAX)) out.seed = *seed;
    }
    if (node.has("max_steps")) out.max_steps = whole(node.member("max_steps"), 1, UINT64_MAX);
    if (node.has("preemption_bound")) {
      out.preemption_bound = whole(node.member("preemption_bound"), 0, UINT64_MAX);
    }
  }

  void tags(const Node& node, std::vector<std::string>& out) {
    list(node, false, [&](const Node& element) {
      const auto tag = string(element);
      if (!tag) return;
      if (tag->empty()) {
        error(element, "a tag must not be empty");
      } else if (std::find(out.begin(), out.end(), *tag) != out.end()) {
        error(element, "tag " + in_quotes(*tag) + " is listed twice");
      } else {
        out.push_back(*tag);
      }
    });
  }

  std::optional<Expectation> expectation(const Node& node, const Scenario& scenario) {
    if (!object(node, {"verdict", "property"}, {"verdict"})) return std::nullopt;
    const auto verdict = enumerated<Verdict>(node.member("verdict"), "verdict", verdict_names());
    if (!verdict) return std::nullopt;
    Expectation out{*verdict, std::nullopt};
    if (*verdict == Verdict::kViolation) {
      if (!node.has("property")) {
        error(node, "an expected violation needs \"property\": one of " + join(property_names()));
        return std::nullopt;
      }
      const Node property_node = node.member("property");
      out.property = enumerated<Property>(property_node, "property", property_names());
      if (!out.property) return std::nullopt;
      const auto& checked = scenario.properties;
      if (std::find(checked.begin(), checked.end(), *out.property) == checked.end()) {
        error(property_node, "expected property " + in_quotes(to_string(*out.property)) +
                                 " is not among the scenario's properties");
        return std::nullopt;
      }
    } else if (node.has("property")) {
      key_error(node.member("property"),
                "\"property\" goes with verdict \"violation\" only; this verdict is " +
                    in_quotes(to_string(*verdict)));
      return std::nullopt;
    }
    return out;
  }

  void expect(const Node& node, Scenario& scenario) {
    if (!node.value.is_object()) {
      type_error(node, "an object: {\"verdict\", \"property\"} or one of those per proposal");
      return;
    }
    if (node.has("verdict") || node.has("property")) {
      scenario.expect.all = expectation(node, scenario);
      return;
    }
    if (node.value.empty()) {
      error(node,
            "expect states nothing; give {\"verdict\": ..., \"property\": ...} or one per "
            "proposal");
      return;
    }
    for (const auto& [key, value] : node.value.items()) {
      const Node member = node.member(key);
      const auto proposal = parse_proposal(key);
      if (!proposal) {
        key_error(member, "unknown proposal " + in_quotes(key) + " in expect; expected one of " +
                              join(proposal_names()) +
                              " (or \"verdict\" and \"property\" for every proposal)");
        continue;
      }
      if (scenario.proposal && *scenario.proposal != *proposal) {
        key_error(member, "expect names proposal " + in_quotes(key) +
                              ", but this scenario runs only " +
                              in_quotes(to_string(*scenario.proposal)));
        continue;
      }
      if (const auto e = expectation(member, scenario)) {
        scenario.expect.by_proposal.emplace(*proposal, *e);
      }
    }
  }

  const JsoncDocument& document_;
  const std::string& path_;
  std::vector<Diagnostic>& diagnostics_;
};

void sort_by_position(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
}

std::optional<std::string> read_whole_file(const std::string& path, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "is a directory, not a scenario file";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot read: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "cannot read: I/O error";
    return std::nullopt;
  }
  return text.str();
}

}  // namespace

namespace {

// Loads one file's text; `name_pos` receives where the scenario's name is.
LoadResult load_text(std::string_view text, const std::string& path, SourcePos* name_pos) {
  LoadResult result;
  const JsoncResult parsed = parse_jsonc(text);
  for (const JsoncError& error : parsed.errors) {
    result.diagnostics.push_back(Diagnostic{path, error.pos.line, error.pos.column, error.message});
  }
  if (!result.diagnostics.empty()) return result;
  Validator validator(parsed.document, path, result.diagnostics);
  std::optional<Scenario> scenario = validator.run();
  sort_by_position(result.diagnostics);
  if (scenario && result.diagnostics.empty()) {
    scenario->path = path;
    scenario->sha256 = sha256_hex(text);
    result.scenarios.push_back(std::move(*scenario));
    if (name_pos != nullptr) {
      const auto it = parsed.document.value_pos.find("/name");
      if (it != parsed.document.value_pos.end()) *name_pos = it->second;
    }
  }
  return result;
}

LoadResult load_file(const std::string& path, SourcePos* name_pos) {
  std::string error;
  const std::optional<std::string> text = read_whole_file(path, error);
  if (!text) {
    LoadResult result;
    result.diagnostics.push_back(Diagnostic{path, 0, 0, error});
    return result;
  }
  return load_text(*text, path, name_pos);
}

void append(LoadResult& to, LoadResult&& from) {
  for (Scenario& s : from.scenarios) to.scenarios.push_back(std::move(s));
  for (Diagnostic& d : from.diagnostics) to.diagnostics.push_back(std::move(d));
}

}  // namespace

LoadResult load_scenario_text(std::string_view text, const std::string& path) {
  return load_text(text, path, nullptr);
}

LoadResult load_scenario_file(const std::string& path) { return load_file(path, nullptr); }

LoadResult load_scenario_dir(const std::string& dir) {
  LoadResult result;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::filesystem::path& file = it->path();
    std::error_code type_ec;
    if (file.extension() == ".json" && file.filename() != "schema.json" &&
        !it->is_directory(type_ec)) {
      files.push_back(file);
    }
  }
  if (ec) {
    result.diagnostics.push_back(Diagnostic{dir, 0, 0, "cannot read directory: " + ec.message()});
    return result;
  }
  std::sort(files.begin(), files.end());
  // The file and position where each name was first seen.
  std::map<std::string, std::pair<std::string, SourcePos>> first_seen;
  for (const std::filesystem::path& file : files) {
    SourcePos name_pos;
    LoadResult one = load_file(file.string(), &name_pos);
    for (Diagnostic& d : one.diagnostics) result.diagnostics.push_back(std::move(d));
    for (Scenario& scenario : one.scenarios) {
      const auto [it, inserted] =
          first_seen.emplace(scenario.name, std::make_pair(scenario.path, name_pos));
      if (!inserted) {
        const auto& [first_file, first_pos] = it->second;
        std::string message = "duplicate scenario name " + in_quotes(scenario.name);
        message += " in " + dir + " (also in " + first_file;
        message += ":" + std::to_string(first_pos.line) + ":" + std::to_string(first_pos.column);
        message += ")";
        result.diagnostics.push_back(
            Diagnostic{scenario.path, name_pos.line, name_pos.column, std::move(message)});
        continue;
      }
      result.scenarios.push_back(std::move(scenario));
    }
  }
  return result;
}

LoadResult load_scenario_paths(std::span<const std::string> paths) {
  LoadResult result;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      append(result, load_scenario_dir(path));
    } else {
      append(result, load_scenario_file(path));
    }
  }
  return result;
}

}  // namespace protmc::scenario
