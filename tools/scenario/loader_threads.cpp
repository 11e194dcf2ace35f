// Scenario validation of pages, initial state, threads and their operations.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "tools/scenario/loader_internal.hpp"

namespace protmc::scenario::loader_internal {

// A page index of the mapping.
std::optional<uint32_t> Validator::page(const Node& node, const Mapping& mapping) {
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
bool Validator::range(const Node& op, const Mapping& mapping, uint32_t& first, uint32_t& count) {
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

void Validator::initial(const Node& node, Scenario& scenario) {
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

void Validator::threads(const Node& node, Scenario& scenario) {
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

std::optional<Operation> Validator::operation(const Node& node, const Scenario& scenario) {
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
    if (!object(node, {"op", "to", "pipelined"}, {"to"}) || !needs_ttm()) return std::nullopt;
    const auto to = enumerated<Placement>(node.member("to"), "placement", placement_names());
    if (!to) return std::nullopt;
    BoMove move{*to};
    if (node.has("pipelined")) {
      const auto pipelined = boolean(node.member("pipelined"));
      if (!pipelined) return std::nullopt;
      move.pipelined = *pipelined;
    }
    return move;
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

}  // namespace protmc::scenario::loader_internal
