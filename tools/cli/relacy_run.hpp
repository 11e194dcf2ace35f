// protmc run --engine relacy: the Relacy half of `protmc run` (options are
// parsed in run_command.cpp; the search is checker/relacy's). Prints one
// result per program or scenario x proposal and returns the exit status:
// 0 pass, 1 a finding, 2 bad input, 3 incomplete (any Relacy search that is
// not a full one finishing within its caps).
#pragma once

#include <string>

#include "checker/relacy/relacy_backend.hpp"
#include "checker/runtime/env.hpp"
#include "tools/cli/exit_status.hpp"
#include "tools/cli/run_scenarios.hpp"

namespace protmc::cli {

// "random", "context" or "full", else an error message naming them.
struct RelacySearchChoice {
  checker::relacy::RelacySearch search = checker::relacy::RelacySearch::kFull;
  std::string error;
};
RelacySearchChoice parse_relacy_search_option(const std::string& text);

ExitStatus run_program_with_relacy(const checker::Program& program,
                                   const checker::relacy::RelacyOptions& options);

// Scenarios (files or directories) under each proposal, as run_scenarios()
// selects them; the scenario's data-race detector setting applies.
ExitStatus run_scenarios_with_relacy(const ScenarioRunOptions& scenarios,
                                     const checker::relacy::RelacyOptions& options);

}  // namespace protmc::cli
