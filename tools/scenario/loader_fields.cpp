// Scenario validation of the document's top level and its fields other than
// threads: kernel, platform, mapping, bo, properties, explore, tags, expect.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/scenario/loader_internal.hpp"

namespace protmc::scenario::loader_internal {

std::optional<Scenario> Validator::run() {
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
    scenario.proposal = enumerated<Proposal>(root.member("proposal"), "proposal", proposal_names());
  }
  const bool mapping_ok = root.has("mapping") && mapping(root.member("mapping"), scenario.mapping);
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

// --- Fields. ---

void Validator::name(const Node& node, std::string& out) {
  const auto text = string(node);
  if (!text) return;
  const bool ok = !text->empty() && std::all_of(text->begin(), text->end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
  if (!ok) {
    error(node, "bad scenario name " + in_quotes(*text) +
                    "; use letters, digits, '-', '_' and '.' only, at least one");
    return;
  }
  out = *text;
}

void Validator::kernel(const Node& node, KernelSpec& out) {
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
      key_error(knob, "unknown kernel knob " + in_quotes(key) + "; expected one of " + join(known));
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

void Validator::platform(const Node& node, Platform& out) {
  if (!object(node, {"sev"}, {})) return;
  if (node.has("sev")) {
    if (const auto sev = boolean(node.member("sev"))) out.sev = *sev;
  }
}

// Returns whether the mapping is usable for checking pages against it.
bool Validator::mapping(const Node& node, Mapping& out) {
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
        if (const auto page = enumerated<VvarPage>(element, "vvar page kind", vvar_page_names())) {
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

std::optional<Bo> Validator::bo(const Node& node) {
  if (!object(node, {"placement"}, {"placement"})) return std::nullopt;
  const auto placement =
      enumerated<Placement>(node.member("placement"), "placement", placement_names());
  if (!placement) return std::nullopt;
  return Bo{*placement};
}

void Validator::properties(const Node& node, std::vector<Property>& out) {
  out = enum_list<Property>(node, "property", property_names(), /*non_empty=*/true);
}

void Validator::explore(const Node& node, Explore& out) {
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

void Validator::tags(const Node& node, std::vector<std::string>& out) {
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

std::optional<Expectation> Validator::expectation(const Node& node, const Scenario& scenario) {
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

void Validator::expect(const Node& node, Scenario& scenario) {
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

}  // namespace protmc::scenario::loader_internal
