// A batch of scenario x proposal explorations for the commands that summarise
// many results in one table (`protmc matrix`, `protmc gate`): every job is
// planned first (a feature the model cannot run refuses the whole batch, and
// nothing is explored), then each is explored in turn, with a progress line on
// stderr when stderr is a terminal and an exploration takes over a second.
//
// Built on the scenario library's public functions (tools/scenario/to_config.hpp),
// as `protmc run` is; `run` prints each result itself, this returns them.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "model/scenario/config.hpp"
#include "tools/cli/exit_status.hpp"
#include "tools/scenario/scenario.hpp"

namespace protmc::cli {

// One scenario under one proposal, ready to explore.
struct BatchJob {
  const scenario::Scenario* scenario = nullptr;
  std::string proposal;
  std::string kernel;  // scenario::kernel_label()
  model::ScenarioConfig config;
  // The expectation checked, which also decides where the search stops;
  // nullopt: none (the search stops at the first finding that counts).
  std::optional<scenario::Expectation> expectation;
};

struct BatchResult {
  const scenario::Scenario* scenario = nullptr;
  std::string proposal;
  std::string kernel;
  std::optional<scenario::Expectation> expectation;
  checker::ExploreResult result;
  scenario::Verdict verdict = scenario::Verdict::kIncomplete;
  std::optional<bool> as_expected;  // nullopt: no expectation

  // For a violation, the finding a summary shows: one of the expected property
  // if there is one, else the first finding that counts; nullptr otherwise.
  const checker::Counterexample* shown_finding() const;
  // The result differs from what was expected: the expectation was not met,
  // or, without one, the verdict is not pass.
  bool differs() const;
};

// Which proposals a scenario runs against.
using ProposalSelector = std::function<std::vector<std::string>(const scenario::Scenario&)>;

// Every registered proposal for a scenario that names none, else the one it
// names: what `protmc run` does without --proposal.
std::vector<std::string> scenario_proposals(const scenario::Scenario& scenario);

// Converts every scenario x selected proposal. With `check_expectations`, each
// job carries the scenario's applicable expectation. Conversion errors are
// returned as "FILE: message (proposal P)"; the jobs are then not to be run.
struct BatchPlan {
  std::vector<BatchJob> jobs;
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};
BatchPlan plan_batch(const std::vector<scenario::Scenario>& scenarios,
                     const ProposalSelector& proposals, bool check_expectations);

// What a command prints when a job's model stalls (interrupt.hpp): called on
// the watchdog's thread with the results so far, every finished job and then
// the stalled one (incomplete, its reason the stall, its counts zero); returns
// the process's exit status. The process then ends: the stalled model thread
// cannot be unwound.
using BatchStallReport = std::function<ExitStatus(const std::vector<BatchResult>& results)>;

// Explores every job in order with the scenario's "explore" settings. `command`
// names the progress line ("matrix", "gate"). SIGINT stops the current
// exploration between executions and leaves the rest incomplete. A model
// stalled for `stall_timeout_s` (0: never) is reported on stderr with where it
// is, then `on_stall` prints the partial results and the process ends with
// its status (3 without `on_stall`).
std::vector<BatchResult> run_batch(const std::vector<BatchJob>& jobs, const std::string& command,
                                   double stall_timeout_s, const BatchStallReport& on_stall = {});

// One result as `matrix --format json` and `gate --format json` print it:
// {"scenario", "file", "proposal", "kernel", "verdict", "property",
// "message", "executions", "blocked", "complete", "incomplete_reason",
// "elapsed_s", "expected", "as_expected", "differs"}; property and message
// are the shown finding's (null without one).
nlohmann::ordered_json batch_result_json(const BatchResult& r);
// The events of a trace as `run --format json` prints them: [{"step",
// "thread", "functions", "operation", "object", "value", "locks_held",
// "notes"}].
nlohmann::ordered_json trace_events_json(const checker::Trace& trace);
// {"verdict", "property"} of an expectation (property null when none is
// named); null without one.
nlohmann::ordered_json expectation_json(const std::optional<scenario::Expectation>& expectation);

}  // namespace protmc::cli
