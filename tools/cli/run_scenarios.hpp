// protmc run SCENARIO|DIR...: the scenario half of `protmc run` (the
// --program half is in run_command.cpp, which parses the options of both).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "checker/trace/finding.hpp"
#include "checker/trace/trace.hpp"
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
  std::optional<uint64_t> max_memory_mb;
  std::optional<uint64_t> max_steps;
  std::optional<uint32_t> preemption_bound;
  bool keep_going = false;
  double stall_timeout_s = 30;  // --stall-timeout (interrupt.hpp); 0: off
  std::string format = "text";
  // --trace-dir: write a trace file (traces/README.md) for every finding
  // there, created if missing; nullopt: none written.
  std::optional<std::string> trace_dir;
};

// Loads every scenario (a bad file or a feature the model cannot run yet is
// bad input: reported on stderr, status 2, nothing explored), explores each
// scenario x proposal, prints the results, and returns 0 when all are as
// expected, 1 for a finding or an unmet expectation, 3 when an exploration
// that had to be complete was not.
ExitStatus run_scenarios(const ScenarioRunOptions& opts);

// --- The text rendering of a result, shared with `protmc show`. ---

// "scenario NAME (FILE)" and "  proposal P, kernel K[, SEV]".
void print_result_header(std::ostream& out, std::string_view scenario, std::string_view file,
                         std::string_view proposal, std::string_view kernel, bool sev);

// How print_finding() introduces a finding.
struct FindingText {
  size_t index = 1;  // "finding INDEX of COUNT"
  size_t count = 1;
  bool counts = true;                   // false: "(not checked by this scenario)"
  std::optional<uint64_t> occurrences;  // --keep-going: violating executions in its group
  bool reproduced = true;               // false: a warning that the re-run did not reproduce it
  std::string trace_path;               // where its trace file was written; "": none
};

// One finding as `run` prints it: a blank line, "  finding I of N: PROPERTY:
// MESSAGE" wrapped at 100 columns, then the trace, one event per line (step,
// thread, kernel function stack, operation, object, value, locks held, notes),
// '>' marking the finding's steps.
void print_finding(std::ostream& out, const checker::Finding& finding, const checker::Trace& trace,
                   const FindingText& how);

}  // namespace protmc::cli
