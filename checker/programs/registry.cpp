// The registry of validation programs: the table, lookup, parameter checks.
#include "checker/programs/registry.hpp"

#include <algorithm>
#include <string>

#include "checker/programs/catalog.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker::programs {

namespace detail {

Names indexed_names(std::string_view prefix, int64_t count) {
  auto names = std::make_shared<std::vector<std::string>>();
  names->reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    names->push_back(std::string(prefix) + "[" + std::to_string(i) + "]");
  }
  return names;
}

Names numbered_names(std::string_view prefix, int64_t count, int64_t first) {
  auto names = std::make_shared<std::vector<std::string>>();
  names->reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    names->push_back(std::string(prefix) + std::to_string(first + i));
  }
  return names;
}

int64_t param(const ParamValues& values, std::string_view name) {
  auto it = values.find(name);
  CHECK_MSG(it != values.end(), name);
  return it->second;
}

std::string program_title(std::string_view name, const ParamValues& values) {
  std::string title(name);
  title += '(';
  bool first = true;
  for (const auto& [key, value] : values) {
    if (!first) title += ", ";
    first = false;
    title += key + "=" + std::to_string(value);
  }
  title += ')';
  return title;
}

std::optional<uint64_t> checked_mul(std::optional<uint64_t> a, uint64_t b) {
  uint64_t product = 0;
  if (!a || __builtin_mul_overflow(*a, b, &product)) return std::nullopt;
  return product;
}

}  // namespace detail

const std::vector<ProgramInfo>& all_programs() {
  static const std::vector<ProgramInfo> programs = [] {
    std::vector<ProgramInfo> list = {
        detail::account_program(),    detail::airline_program(),      detail::co_2plus2w_program(),
        detail::filesystem_program(), detail::indexer_program(),      detail::lastzero_program(),
        detail::opt_lock_program(),   detail::philosophers_program(), detail::readers_program(),
    };
    std::sort(list.begin(), list.end(),
              [](const ProgramInfo& a, const ProgramInfo& b) { return a.name < b.name; });
    return list;
  }();
  return programs;
}

const ProgramInfo* find_program(std::string_view name) {
  for (const ProgramInfo& info : all_programs()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

ResolvedParams resolve_params(const ProgramInfo& info, const ParamValues& given) {
  ResolvedParams resolved;
  for (const auto& [key, value] : given) {
    auto known = std::find_if(info.params.begin(), info.params.end(),
                              [&key](const ProgramParam& p) { return p.name == key; });
    if (known == info.params.end()) {
      std::string names;
      for (const ProgramParam& p : info.params) names += (names.empty() ? "" : ", ") + p.name;
      resolved.error = "program '" + info.name + "' has no parameter '" + key +
                       "' (parameters: " + (names.empty() ? "none" : names) + ")";
      return resolved;
    }
  }
  for (const ProgramParam& p : info.params) {
    auto it = given.find(p.name);
    int64_t value = it == given.end() ? p.default_value : it->second;
    if (value < p.min || value > p.max) {
      resolved.error = "parameter '" + p.name + "' of program '" + info.name + "' must be in [" +
                       std::to_string(p.min) + ", " + std::to_string(p.max) + "], got " +
                       std::to_string(value);
      return resolved;
    }
    resolved.values.emplace(p.name, value);
  }
  return resolved;
}

}  // namespace protmc::checker::programs
