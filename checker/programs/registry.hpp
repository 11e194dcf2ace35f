// The engine's validation programs (../shared/reference/DPOR_BENCHMARKS.md),
// registered by name with integer parameters so that tests, benchmarks and
// the CLI (`protmc run --program readers --param n=8`) can run them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checker/runtime/env.hpp"

namespace protmc::checker::programs {

struct ProgramParam {
  std::string name;  // e.g. "n"
  int64_t default_value = 0;
  int64_t min = 0;
  int64_t max = 0;
  std::string help;
};

using ParamValues = std::map<std::string, int64_t, std::less<>>;

struct ProgramInfo {
  std::string name;
  std::string description;
  std::vector<ProgramParam> params;
  // Expected number of Mazurkiewicz traces for the given parameters when it is
  // known in closed form (for example 2^n for readers); nullopt otherwise.
  std::function<std::optional<uint64_t>(const ParamValues&)> expected_traces;
  // Builds the program; parameters are already validated and defaulted.
  std::function<Program(const ParamValues&)> make;
};

// Every registered program, sorted by name.
const std::vector<ProgramInfo>& all_programs();
const ProgramInfo* find_program(std::string_view name);

// Fills defaults and validates ranges; on error returns a message naming the
// parameter and its allowed range.
struct ResolvedParams {
  ParamValues values;
  std::string error;  // empty on success
};
ResolvedParams resolve_params(const ProgramInfo& info, const ParamValues& given);

}  // namespace protmc::checker::programs
