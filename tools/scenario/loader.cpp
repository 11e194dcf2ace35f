// Scenario loading: the shared reading helpers and diagnostics of the
// Validator (loader_internal.hpp), and the public entry points of loader.hpp.
// Field validation is in loader_fields.cpp; threads and operations in
// loader_threads.cpp.
#include "tools/scenario/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include "tools/scenario/jsonc.hpp"
#include "tools/scenario/loader_internal.hpp"
#include "tools/scenario/sha256.hpp"

namespace protmc::scenario {

std::string Diagnostic::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

}  // namespace protmc::scenario

namespace protmc::scenario::loader_internal {

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

std::string describe_pointer(const std::string& pointer) {
  return scenario::describe_pointer(pointer, "the scenario");
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// --- Reporting. ---

void Validator::error_at(SourcePos pos, std::string message) {
  diagnostics_.push_back(Diagnostic{path_, pos.line, pos.column, std::move(message)});
}

SourcePos Validator::value_pos(const Node& node) const {
  const auto it = document_.value_pos.find(node.pointer);
  return it == document_.value_pos.end() ? SourcePos{} : it->second;
}

SourcePos Validator::key_pos(const Node& node) const {
  const auto it = document_.key_pos.find(node.pointer);
  return it == document_.key_pos.end() ? value_pos(node) : it->second;
}

void Validator::error(const Node& node, std::string message) {
  error_at(value_pos(node), std::move(message));
}

void Validator::key_error(const Node& node, std::string message) {
  error_at(key_pos(node), std::move(message));
}

void Validator::type_error(const Node& node, std::string_view expected) {
  error(node,
        node.name() + " must be " + std::string(expected) + ", not " + describe_type(node.value));
}

// --- Shapes. ---

// An object with only `allowed` fields and all `required` ones.
bool Validator::object(const Node& node, std::initializer_list<std::string_view> allowed,
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

std::optional<std::string> Validator::string(const Node& node) {
  if (!node.value.is_string()) {
    type_error(node, "a string");
    return std::nullopt;
  }
  return node.value.get<std::string>();
}

std::optional<bool> Validator::boolean(const Node& node) {
  if (!node.value.is_boolean()) {
    type_error(node, "true or false");
    return std::nullopt;
  }
  return node.value.get<bool>();
}

// A whole number in [min, max].
std::optional<uint64_t> Validator::whole(const Node& node, uint64_t min, uint64_t max) {
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

// A list whose elements `each` reads; false if it is not a list (or is
// empty when `non_empty`).
bool Validator::list(const Node& node, bool non_empty,
                     const std::function<void(const Node&)>& each) {
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

}  // namespace protmc::scenario::loader_internal

namespace protmc::scenario {

using loader_internal::in_quotes;
using loader_internal::Validator;

namespace {

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
