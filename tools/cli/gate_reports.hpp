// The reports of `protmc gate`: counts, the JUnit XML file, the Markdown
// summary and the JSON output, from the gate's results (each result's trace
// file, if one was written, by index).
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "tools/cli/result_table.hpp"
#include "tools/cli/scenario_batch.hpp"

namespace protmc::cli {

// The trace file written for each result (by index into the results); ""
// for none.
using TracePaths = std::vector<std::string>;

struct GateCounts {
  size_t pass = 0;
  size_t violation = 0;
  size_t incomplete = 0;
};
GateCounts gate_counts(const std::vector<BatchResult>& results);

// "SCENARIO[PROPOSAL]", the name of a test case.
std::string gate_case_name(const BatchResult& r);
// The shown finding's property and message ("" without one).
std::string shown_property(const BatchResult& r);
std::string shown_message(const BatchResult& r);
// The `protmc run` command that shows the result's counterexample.
std::string reproduce_command(const BatchResult& r);

// JUnit XML: one <testsuite>, one <testcase name="SCENARIO[PROPOSAL]"> per
// result, a <failure> (with the trace path) for a violation, <skipped> for an
// incomplete exploration.
void write_junit(std::ostream& out, const std::vector<BatchResult>& results,
                 const TracePaths& traces, double elapsed);

// The Markdown summary: outcome, counts, the table and the violations.
void write_markdown(std::ostream& out, const ResultTable& table,
                    const std::vector<BatchResult>& results, const TracePaths& traces,
                    const std::string& dir, double elapsed);

// --format json: {"proposals", "results", "summary"}.
void print_gate_json(std::ostream& out, const std::vector<std::string>& proposals,
                     const std::vector<BatchResult>& results, const TracePaths& traces,
                     double elapsed);

}  // namespace protmc::cli
