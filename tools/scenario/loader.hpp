// Loading and validating scenario files (format version 1, docs/scenarios.md).
// Every problem with a file is a Diagnostic pointing at the offending token;
// nothing here throws for bad input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/scenario/scenario.hpp"

namespace protmc::scenario {

struct Diagnostic {
  std::string file;
  uint32_t line = 0;  // 0: the problem is with the file as a whole (e.g. unreadable)
  uint32_t column = 0;
  std::string message;

  // "FILE:LINE:COLUMN: message", or "FILE: message" without a position.
  std::string to_string() const;
};

// The valid scenarios and the diagnostics of the invalid ones. A file with any
// diagnostic contributes no scenario.
struct LoadResult {
  std::vector<Scenario> scenarios;
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return diagnostics.empty(); }
};

// Validates `text` as the contents of the file `path` (used in diagnostics
// and recorded in the scenario with the text's SHA-256).
LoadResult load_scenario_text(std::string_view text, const std::string& path);

LoadResult load_scenario_file(const std::string& path);

// Every *.json file directly in `dir` except schema.json, in name order.
// Scenario names must be unique in the directory: a repeated name is a
// diagnostic on the later file, which contributes no scenario.
LoadResult load_scenario_dir(const std::string& dir);

// Each path is a directory (load_scenario_dir) or a file.
LoadResult load_scenario_paths(std::span<const std::string> paths);

}  // namespace protmc::scenario
