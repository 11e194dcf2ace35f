// From a loaded Scenario (tools/scenario/scenario.hpp) to what the model and
// the engine run: the model's ScenarioConfig for one proposal, the engine's
// ExploreOptions, and the verdict and expectation of a result. The model never
// sees scenario files; this is the one place that translates.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "checker/explore/explorer.hpp"
#include "model/kernel/knobs.hpp"
#include "model/scenario/config.hpp"
#include "tools/scenario/scenario.hpp"

namespace protmc::scenario {

// The scenario's kernel, or `preset_override` with the scenario's own knob
// overrides applied on top of it.
model::KernelKnobs resolve_knobs(const Scenario& scenario,
                                 std::optional<model::KernelPreset> preset_override);
// How a run names its kernel: "v5.3", or "v5.3 (pte_modify_keeps_cbit=false)".
std::string kernel_label(const Scenario& scenario,
                         std::optional<model::KernelPreset> preset_override);

// The model's view of `scenario` under the registered proposal `proposal`.
// A feature the model cannot run (yet) is a user error: `error` is then
// "FILE: message" and `config` is not to be used.
struct ConfigResult {
  model::ScenarioConfig config;
  std::string error;
  bool ok() const { return error.empty(); }
};
ConfigResult to_config(const Scenario& scenario, std::string_view proposal,
                       std::optional<model::KernelPreset> preset_override);

// Whether a finding counts for `scenario`: its property is one of the
// scenario's properties. The engine's own internal-error and livelock
// findings always count.
bool finding_counts(const Scenario& scenario, const checker::Finding& finding);

// The expectation that applies to a run of `scenario` under `proposal`: the
// scenario's, unless the run changed what the scenario is about (a proposal
// other than the one it names, or another kernel preset).
std::optional<Expectation> applicable_expectation(
    const Scenario& scenario, std::string_view proposal,
    std::optional<model::KernelPreset> preset_override);

// The scenario's "explore" settings as engine options (command-line options
// are applied on top by the caller), with its data-race, deadlock and
// lock-order properties as the detectors, and the stop condition: with an
// expected violation, only a finding of the expected property stops the
// search (it explores past others); otherwise any finding that counts does.
checker::ExploreOptions explore_options(const Scenario& scenario,
                                        const std::optional<Expectation>& expectation);

// The verdict of a run: violation when a finding that counts was found; else
// incomplete when the exploration did not cover everything; else pass.
Verdict scenario_verdict(const Scenario& scenario, const checker::ExploreResult& result);

// As expected: the verdict matches and, for a violation, a finding of the
// expected property is among the findings.
bool as_expected(const Expectation& expectation, Verdict verdict,
                 const checker::ExploreResult& result);

}  // namespace protmc::scenario
