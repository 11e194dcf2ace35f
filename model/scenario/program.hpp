// Building an engine Program from a ScenarioConfig (model/scenario/config.hpp).
//
// The Program's main thread builds the initial state single-threaded — the
// mm state and the BO (make_ttm_state), mmap(2) of the BO with the proposal's
// ->mmap (ttm_mmap_region), the selected properties as invariants, and a read
// fault on every page of initial_faulted — then spawns one thread per scenario
// thread, each running its operations in order through the kernel entry
// points, and joins them.
#pragma once

#include <string>

#include "checker/runtime/env.hpp"
#include "model/scenario/config.hpp"

namespace protmc::model {

// Empty when the model can run `config`; otherwise a user-facing message
// saying which feature is not modelled (yet), e.g. "the vvar driver is not
// modelled yet". Callers report it as bad input; nothing is explored.
std::string scenario_unsupported(const ScenarioConfig& config);

// The Program for `config`. Precondition: scenario_unsupported(config) is
// empty (CHECKed: a refusal must be reported before getting here).
checker::Program make_scenario_program(const ScenarioConfig& config);

}  // namespace protmc::model
