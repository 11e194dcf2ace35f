// protmc run SCENARIO|DIR...: the scenario half of `protmc run` (the
// --program half is in run_command.cpp, which parses the options of both).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/cli/exit_status.hpp"

namespace protmc::cli {

struct ScenarioRunOptions {
  std::vector<std::string> paths;      // scenario files and directories
  std::vector<std::string> proposals;  // --proposal, repeated; empty: the scenario's or all
  std::optional<std::string> kernel;   // --kernel PRESET
  // Command-line overrides of each scenario's "explore"; nullopt: not given.
  std::optional<std::string> strategy;
  std::optional<uint64_t> seed;
  std::optional<uint64_t> max_executions;
  std::optional<double> time_limit_s;
  std::optional<uint64_t> max_steps;
  std::optional<uint32_t> preemption_bound;
  bool keep_going = false;
  std::string format = "text";
};

// Loads every scenario (a bad file or a feature the model cannot run yet is
// bad input: reported on stderr, status 2, nothing explored), explores each
// scenario x proposal, prints the results, and returns 0 when all are as
// expected, 1 for a finding or an unmet expectation, 3 when an exploration
// that had to be complete was not.
ExitStatus run_scenarios(const ScenarioRunOptions& opts);

}  // namespace protmc::cli
