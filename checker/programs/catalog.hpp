// Internal to checker/programs: one factory per validation program, collected
// by registry.cpp, and small helpers the programs share.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checker/programs/registry.hpp"

namespace protmc::checker::programs::detail {

ProgramInfo readers_program();
ProgramInfo lastzero_program();
ProgramInfo indexer_program();
ProgramInfo filesystem_program();
ProgramInfo opt_lock_program();
ProgramInfo co_2plus2w_program();
ProgramInfo account_program();
ProgramInfo airline_program();
ProgramInfo philosophers_program();

// Object and thread names must outlive every execution: a program owns them
// through a shared_ptr captured by its main function.
using Names = std::shared_ptr<const std::vector<std::string>>;
// {"prefix[0]", ..., "prefix[count-1]"}.
Names indexed_names(std::string_view prefix, int64_t count);
// {"prefix0", ..., "prefix<count-1>"} (thread names), starting at `first`.
Names numbered_names(std::string_view prefix, int64_t count, int64_t first = 0);

// The value of a parameter that resolve_params has already filled in.
int64_t param(const ParamValues& values, std::string_view name);

// "name(n=3, m=4)" for Program::name.
std::string program_title(std::string_view name, const ParamValues& values);

// a * b, or nullopt on overflow.
std::optional<uint64_t> checked_mul(std::optional<uint64_t> a, uint64_t b);

}  // namespace protmc::checker::programs::detail
