#include "tools/trace/trace_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/proposals/proposal.hpp"
#include "tools/scenario/jsonc.hpp"
#include "tools/scenario/sha256.hpp"
#include "tools/scenario/to_config.hpp"

namespace protmc::trace {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
using scenario::Diagnostic;
using scenario::pointer_append;
using scenario::SourcePos;

bool read_whole_file(const std::string& path, std::string& text, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot read: ") + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

bool is_bool_text(const std::string& value) { return value == "true" || value == "false"; }

std::string describe_pointer(std::string_view pointer) {
  return scenario::describe_pointer(pointer, "the trace");
}

// Walks a parsed trace document into a TraceFile, collecting diagnostics.
class Reader {
 public:
  Reader(const scenario::JsoncDocument& document, const std::string& path,
         std::vector<Diagnostic>& diagnostics)
      : document_(document), path_(path), diagnostics_(diagnostics) {}

  std::optional<TraceFile> run() {
    const Json& root = document_.value;
    if (!object(root, "",
                {"format", "version", "scenario", "proposal", "kernel", "platform", "schedule",
                 "finding", "events", "statistics"},
                true)) {
      return std::nullopt;
    }
    // The format and version first: a file that is not a v1 trace gets one
    // message, not one per field.
    if (const auto format = string(root["format"], "/format"); format && *format != kFormatName) {
      error("/format", "not a protmc trace: \"format\" must be \"" + std::string(kFormatName) +
                           "\", not \"" + *format + "\"");
      return std::nullopt;
    }
    if (const auto version = unsigned_int(root["version"], "/version");
        version && *version != static_cast<uint64_t>(kFormatVersion)) {
      error("/version",
            "unsupported trace format version " + std::to_string(*version) +
                "; this protmc reads version " + std::to_string(kFormatVersion) +
                (*version == 1 ? " (version-1 schedules also chose spawns and joins, which are "
                                 "no longer steps: run the scenario again for a new trace)"
                               : ""));
      return std::nullopt;
    }
    if (!diagnostics_.empty()) return std::nullopt;

    TraceFile trace;
    read_scenario(root["scenario"], trace);
    if (auto proposal = string(root["proposal"], "/proposal")) {
      if (model::find_proposal(*proposal) == nullptr) {
        error("/proposal", "unknown proposal \"" + *proposal +
                               "\" (protmc list proposals shows the registered ones)");
      }
      trace.proposal = *proposal;
    }
    read_kernel(root["kernel"], trace);
    if (object(root["platform"], "/platform", {"sev"}, true)) {
      if (auto sev = boolean(root["platform"]["sev"], "/platform/sev")) trace.sev = *sev;
    }
    read_schedule(root["schedule"], trace);
    read_events(root["events"], trace);
    read_finding(root["finding"], trace);
    read_statistics(root["statistics"], trace);
    if (!diagnostics_.empty()) return std::nullopt;
    return trace;
  }

 private:
  // --- Reporting. ---
  SourcePos value_pos(const std::string& pointer) const {
    const auto it = document_.value_pos.find(pointer);
    return it == document_.value_pos.end() ? SourcePos{} : it->second;
  }
  SourcePos key_pos(const std::string& pointer) const {
    const auto it = document_.key_pos.find(pointer);
    return it == document_.key_pos.end() ? value_pos(pointer) : it->second;
  }
  void error(const std::string& pointer, std::string message) {
    const SourcePos pos = value_pos(pointer);
    diagnostics_.push_back(Diagnostic{path_, pos.line, pos.column, std::move(message)});
  }
  void key_error(const std::string& pointer, std::string message) {
    const SourcePos pos = key_pos(pointer);
    diagnostics_.push_back(Diagnostic{path_, pos.line, pos.column, std::move(message)});
  }
  void type_error(const std::string& pointer, std::string_view expected) {
    error(pointer, describe_pointer(pointer) + " must be " + std::string(expected));
  }

  // --- Shapes. ---

  // An object whose fields are all in `fields`; with `all_required`, every
  // one of them must be present.
  bool object(const Json& value, const std::string& pointer,
              std::initializer_list<std::string_view> fields, bool all_required) {
    if (!value.is_object()) {
      type_error(pointer, "an object");
      return false;
    }
    bool ok = true;
    for (const auto& [key, member] : value.items()) {
      bool known = false;
      for (const std::string_view field : fields) known = known || key == field;
      if (!known) {
        key_error(pointer_append(pointer, key),
                  "unknown field \"" + key + "\" in " + describe_pointer(pointer));
        ok = false;
      }
    }
    if (all_required) {
      for (const std::string_view field : fields) {
        if (!value.contains(std::string(field))) {
          error(pointer, "missing required field \"" + std::string(field) + "\" in " +
                             describe_pointer(pointer));
          ok = false;
        }
      }
    }
    return ok;
  }

  std::optional<std::string> string(const Json& value, const std::string& pointer) {
    if (!value.is_string()) {
      type_error(pointer, "a string");
      return std::nullopt;
    }
    return value.get<std::string>();
  }
  std::optional<bool> boolean(const Json& value, const std::string& pointer) {
    if (!value.is_boolean()) {
      type_error(pointer, "true or false");
      return std::nullopt;
    }
    return value.get<bool>();
  }
  std::optional<uint64_t> unsigned_int(const Json& value, const std::string& pointer,
                                       uint64_t max = std::numeric_limits<uint64_t>::max()) {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0)) {
      type_error(pointer, "a whole number >= 0");
      return std::nullopt;
    }
    const uint64_t number = value.get<uint64_t>();
    if (number > max) {
      error(pointer, describe_pointer(pointer) + " must be at most " + std::to_string(max));
      return std::nullopt;
    }
    return number;
  }
  std::optional<uint32_t> u32(const Json& value, const std::string& pointer) {
    const auto number = unsigned_int(value, pointer, std::numeric_limits<uint32_t>::max());
    if (!number) return std::nullopt;
    return static_cast<uint32_t>(*number);
  }
  std::vector<std::string> strings(const Json& value, const std::string& pointer) {
    std::vector<std::string> out;
    if (!value.is_array()) {
      type_error(pointer, "a list of strings");
      return out;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto text = string(value[i], pointer_append(pointer, i))) out.push_back(*text);
    }
    return out;
  }

  // --- Sections. ---

  void read_scenario(const Json& value, TraceFile& trace) {
    if (!object(value, "/scenario", {"file", "sha256", "text"}, true)) return;
    const auto file = string(value["file"], "/scenario/file");
    const auto sha = string(value["sha256"], "/scenario/sha256");
    const auto text = string(value["text"], "/scenario/text");
    if (file) trace.scenario_file = *file;
    if (text) trace.scenario_text = *text;
    if (!sha) return;
    trace.scenario_sha256 = *sha;
    if (sha->size() != 64 || sha->find_first_not_of("0123456789abcdef") != std::string::npos) {
      error("/scenario/sha256", "scenario.sha256 must be 64 lower-case hex digits");
      return;
    }
    if (text) {
      const std::string actual = scenario::sha256_hex(*text);
      if (actual != *sha) {
        error("/scenario/sha256",
              "the embedded scenario text does not match its SHA-256 (recorded " + *sha +
                  ", text has " + actual + "): the scenario was edited after the trace was made");
      }
    }
  }

  void read_kernel(const Json& value, TraceFile& trace) {
    if (!value.is_object()) {
      type_error("/kernel", "an object {\"preset\": ..., KNOB: VALUE, ...}");
      return;
    }
    model::KernelKnobs knobs;
    if (!value.contains("preset")) {
      error("/kernel", "missing required field \"preset\" in kernel");
    } else if (auto preset = string(value["preset"], "/kernel/preset")) {
      const auto parsed = model::parse_preset(*preset);
      if (!parsed) {
        error("/kernel/preset", "unknown kernel preset \"" + *preset + "\"");
      } else {
        trace.kernel_preset = *preset;
        knobs = model::preset_knobs(*parsed);
      }
    }
    for (const auto& [key, member] : value.items()) {
      if (key == "preset") continue;
      const std::string pointer = pointer_append("/kernel", key);
      std::string text;
      if (member.is_boolean()) {
        text = member.get<bool>() ? "true" : "false";
      } else if (member.is_string()) {
        text = member.get<std::string>();
      } else {
        type_error(pointer, "true, false or a string");
        continue;
      }
      if (!model::get_knob(knobs, key)) {
        key_error(pointer, "unknown kernel knob \"" + key + "\"");
        continue;
      }
      if (std::string message = model::set_knob(knobs, key, text); !message.empty()) {
        error(pointer, message);
        continue;
      }
      trace.knobs.emplace_back(key, text);
    }
    // Table order, whatever the file's order (the parsed object is sorted).
    std::vector<std::pair<std::string, std::string>> ordered;
    for (const model::KnobInfo& info : model::kernel_knob_table()) {
      for (const auto& knob : trace.knobs) {
        if (knob.first == info.name) ordered.push_back(knob);
      }
    }
    trace.knobs = std::move(ordered);
  }

  void read_schedule(const Json& value, TraceFile& trace) {
    if (!value.is_array()) {
      type_error("/schedule", "a list of [thread, value] pairs");
      return;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string pointer = pointer_append("/schedule", i);
      const Json& pair = value[i];
      if (!pair.is_array() || pair.size() != 2) {
        type_error(pointer, "a [thread, value] pair");
        continue;
      }
      const auto thread = u32(pair[0], pointer_append(pointer, size_t{0}));
      const auto choice = u32(pair[1], pointer_append(pointer, size_t{1}));
      if (thread && choice) trace.schedule.choices.push_back(checker::Choice{*thread, *choice});
    }
  }

  void read_events(const Json& value, TraceFile& trace) {
    if (!value.is_array()) {
      type_error("/events", "a list of events");
      return;
    }
    std::optional<uint32_t> previous;
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string pointer = pointer_append("/events", i);
      const Json& e = value[i];
      if (!object(e, pointer,
                  {"step", "thread", "thread_name", "operation", "object", "value", "functions",
                   "locks_held", "notes"},
                  true)) {
        continue;
      }
      checker::TraceEvent event;
      const auto step = u32(e["step"], pointer + "/step");
      const auto thread = u32(e["thread"], pointer + "/thread");
      if (step) {
        if (previous && *step <= *previous) {
          error(pointer + "/step", "events must be in increasing step order: step " +
                                       std::to_string(*step) + " after step " +
                                       std::to_string(*previous));
        }
        previous = step;
        event.step = *step;
      }
      if (thread) event.thread = *thread;
      if (auto name = string(e["thread_name"], pointer + "/thread_name")) event.thread_name = *name;
      if (auto op = string(e["operation"], pointer + "/operation")) event.operation = *op;
      if (auto object_name = string(e["object"], pointer + "/object")) event.object = *object_name;
      if (!e["value"].is_null()) event.value = unsigned_int(e["value"], pointer + "/value");
      event.functions = strings(e["functions"], pointer + "/functions");
      event.locks_held = strings(e["locks_held"], pointer + "/locks_held");
      event.notes = strings(e["notes"], pointer + "/notes");
      if (thread) {
        std::vector<std::string>& names = trace.trace.thread_names;
        if (names.size() <= *thread && *thread < 4096) names.resize(*thread + 1);
        if (*thread < names.size() && names[*thread].empty()) names[*thread] = event.thread_name;
      }
      trace.trace.events.push_back(std::move(event));
    }
  }

  void read_finding(const Json& value, TraceFile& trace) {
    if (!object(value, "/finding", {"property", "message", "steps", "location"}, true)) return;
    if (auto property = string(value["property"], "/finding/property")) {
      trace.finding.property = *property;
    }
    if (auto message = string(value["message"], "/finding/message")) {
      trace.finding.message = *message;
    }
    if (auto location = string(value["location"], "/finding/location")) {
      trace.finding.location = *location;
    }
    const Json& steps = value["steps"];
    if (!steps.is_array()) {
      type_error("/finding/steps", "a list of event steps");
      return;
    }
    for (size_t i = 0; i < steps.size(); ++i) {
      const std::string pointer = pointer_append("/finding/steps", i);
      const auto step = u32(steps[i], pointer);
      if (!step) continue;
      bool found = false;
      for (const checker::TraceEvent& event : trace.trace.events) found |= event.step == *step;
      if (!found) error(pointer, "finding step " + std::to_string(*step) + " is not an event");
      trace.finding.steps.push_back(*step);
    }
  }

  void read_statistics(const Json& value, TraceFile& trace) {
    if (!object(value, "/statistics", {"executions", "blocked", "complete", "elapsed_s"}, true)) {
      return;
    }
    if (auto n = unsigned_int(value["executions"], "/statistics/executions")) {
      trace.statistics.executions = *n;
    }
    if (auto n = unsigned_int(value["blocked"], "/statistics/blocked")) {
      trace.statistics.blocked = *n;
    }
    if (auto b = boolean(value["complete"], "/statistics/complete")) {
      trace.statistics.complete = *b;
    }
    if (!value["elapsed_s"].is_number() || value["elapsed_s"].get<double>() < 0) {
      type_error("/statistics/elapsed_s", "a number >= 0");
    } else {
      trace.statistics.elapsed_s = value["elapsed_s"].get<double>();
    }
  }

  const scenario::JsoncDocument& document_;
  const std::string& path_;
  std::vector<Diagnostic>& diagnostics_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> knob_values(const model::KernelKnobs& knobs) {
  std::vector<std::pair<std::string, std::string>> values;
  for (const model::KnobInfo& info : model::kernel_knob_table()) {
    values.emplace_back(std::string(info.name), model::get_knob(knobs, info.name).value_or(""));
  }
  return values;
}

std::string recorded_knobs(const TraceFile& trace, model::KernelKnobs& knobs) {
  const auto preset = model::parse_preset(trace.kernel_preset);
  if (!preset) return "unknown kernel preset \"" + trace.kernel_preset + "\"";
  knobs = model::preset_knobs(*preset);
  for (const auto& [name, value] : trace.knobs) {
    if (std::string error = model::set_knob(knobs, name, value); !error.empty()) return error;
  }
  return "";
}

std::string kernel_label(const TraceFile& trace) {
  const auto preset = model::parse_preset(trace.kernel_preset);
  if (!preset) return trace.kernel_preset;
  const model::KernelKnobs base = model::preset_knobs(*preset);
  std::string changed;
  for (const auto& [name, value] : trace.knobs) {
    if (model::get_knob(base, name) == value) continue;
    if (!changed.empty()) changed += ", ";
    changed += name;
    changed += "=";
    changed += value;
  }
  return changed.empty() ? trace.kernel_preset : trace.kernel_preset + " (" + changed + ")";
}

std::optional<model::KernelPreset> preset_override(const TraceFile& trace,
                                                   const scenario::Scenario& scenario) {
  const std::optional<model::KernelPreset> preset = model::parse_preset(trace.kernel_preset);
  if (preset && *preset != scenario.kernel.preset) return preset;
  return std::nullopt;
}

std::string kernel_label(const TraceFile& trace, const scenario::Scenario& scenario) {
  const std::optional<model::KernelPreset> override_preset = preset_override(trace, scenario);
  model::KernelKnobs recorded;
  if (recorded_knobs(trace, recorded).empty() &&
      scenario::resolve_knobs(scenario, override_preset) == recorded) {
    return scenario::kernel_label(scenario, override_preset);
  }
  return kernel_label(trace);
}

MakeTraceResult make_trace(const scenario::Scenario& scenario, std::string_view proposal,
                           std::optional<model::KernelPreset> preset_override,
                           const checker::Counterexample& cex, const checker::Stats& stats) {
  MakeTraceResult result;
  TraceFile& trace = result.trace;
  std::string error;
  if (!read_whole_file(scenario.path, trace.scenario_text, error)) {
    result.error = scenario.path + ": " + error;
    return result;
  }
  trace.scenario_file = scenario.path;
  trace.scenario_sha256 = scenario::sha256_hex(trace.scenario_text);
  if (trace.scenario_sha256 != scenario.sha256) {
    result.error = scenario.path + ": changed while protmc was running; no trace written";
    return result;
  }
  trace.proposal = std::string(proposal);
  trace.kernel_preset =
      std::string(model::to_string(preset_override.value_or(scenario.kernel.preset)));
  trace.knobs = knob_values(scenario::resolve_knobs(scenario, preset_override));
  trace.sev = scenario.platform.sev;
  trace.schedule = cex.schedule;
  trace.finding = cex.finding;
  trace.trace = cex.trace;
  trace.statistics =
      TraceStatistics{stats.executions, stats.blocked, stats.complete, stats.elapsed_s};
  return result;
}

std::string to_text(const TraceFile& trace) {
  OrderedJson kernel = OrderedJson::object();
  kernel["preset"] = trace.kernel_preset;
  for (const auto& [name, value] : trace.knobs) {
    kernel[name] = is_bool_text(value) ? OrderedJson(value == "true") : OrderedJson(value);
  }
  OrderedJson schedule = OrderedJson::array();
  for (const checker::Choice& choice : trace.schedule.choices) {
    schedule.push_back(OrderedJson::array({choice.thread, choice.value}));
  }
  OrderedJson events = OrderedJson::array();
  for (const checker::TraceEvent& event : trace.trace.events) {
    events.push_back(OrderedJson{
        {"step", event.step},
        {"thread", event.thread},
        {"thread_name", event.thread_name},
        {"operation", event.operation},
        {"object", event.object},
        {"value", event.value ? OrderedJson(*event.value) : OrderedJson(nullptr)},
        {"functions", event.functions},
        {"locks_held", event.locks_held},
        {"notes", event.notes},
    });
  }
  const OrderedJson document{
      {"format", kFormatName},
      {"version", kFormatVersion},
      {"scenario", OrderedJson{{"file", trace.scenario_file},
                               {"sha256", trace.scenario_sha256},
                               {"text", trace.scenario_text}}},
      {"proposal", trace.proposal},
      {"kernel", std::move(kernel)},
      {"platform", OrderedJson{{"sev", trace.sev}}},
      {"schedule", std::move(schedule)},
      {"finding", OrderedJson{{"property", trace.finding.property},
                              {"message", trace.finding.message},
                              {"steps", trace.finding.steps},
                              {"location", trace.finding.location}}},
      {"events", std::move(events)},
      {"statistics", OrderedJson{{"executions", trace.statistics.executions},
                                 {"blocked", trace.statistics.blocked},
                                 {"complete", trace.statistics.complete},
                                 {"elapsed_s", trace.statistics.elapsed_s}}},
  };
  return document.dump(2) + "\n";
}

std::string write_trace_file(const TraceFile& trace, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return path + ": cannot write: " + std::strerror(errno);
  out << to_text(trace);
  out.close();
  if (!out) return path + ": cannot write: " + std::strerror(errno);
  return "";
}

std::string trace_file_name(std::string_view scenario, std::string_view proposal,
                            std::string_view property) {
  std::string name =
      std::string(scenario) + "--" + std::string(proposal) + "--" + std::string(property);
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return name + ".json";
}

TraceLoadResult load_trace_text(std::string_view text, const std::string& path) {
  TraceLoadResult result;
  scenario::JsoncResult parsed = scenario::parse_jsonc(text);
  if (!parsed.errors.empty()) {
    for (const scenario::JsoncError& e : parsed.errors) {
      result.diagnostics.push_back(Diagnostic{path, e.pos.line, e.pos.column, e.message});
    }
    return result;
  }
  try {
    result.trace = Reader(parsed.document, path, result.diagnostics).run();
  } catch (const std::exception& e) {  // a bug in the reader; reported, never thrown out
    result.diagnostics.push_back(Diagnostic{path, 0, 0, std::string("cannot read: ") + e.what()});
  }
  if (!result.diagnostics.empty()) result.trace.reset();
  return result;
}

TraceLoadResult load_trace_file(const std::string& path) {
  std::string text;
  std::string error;
  if (!read_whole_file(path, text, error)) {
    TraceLoadResult result;
    result.diagnostics.push_back(Diagnostic{path, 0, 0, error});
    return result;
  }
  return load_trace_text(text, path);
}

scenario::LoadResult load_embedded_scenario(const TraceFile& trace) {
  return scenario::load_scenario_text(trace.scenario_text, trace.scenario_file);
}

}  // namespace protmc::trace
