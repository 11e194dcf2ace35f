// protmc gate [DIR] --proposal NAME...: the CI gate for locking proposals.
// Runs every scenario of DIR tagged "gate" under each named proposal (instead
// of the scenario's own proposal, as `run --proposal` does) and judges by
// verdict alone: a gate scenario is one every acceptable proposal must pass.
// Prints a table, and optionally writes a JUnit XML file and a Markdown
// summary. Status 1 for any violation, else 3 for any incomplete
// exploration, else 0.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "model/proposals/proposal.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/gate_reports.hpp"
#include "tools/cli/interrupt.hpp"
#include "tools/cli/result_table.hpp"
#include "tools/cli/scenario_batch.hpp"
#include "tools/cli/trace_writer.hpp"
#include "tools/scenario/loader.hpp"

namespace protmc::cli {
namespace {

constexpr const char* kGateTag = "gate";

struct GateOptions {
  std::string dir = "scenarios";
  std::vector<std::string> proposals;
  std::string junit;     // "": none
  std::string markdown;  // "": none
  // Where the trace of each violation is written; "": none, unless --junit
  // is given, whose failures name the trace: then protmc-traces/ beside it.
  std::string trace_dir;
  std::string format = "text";
  double stall_timeout_s = kDefaultStallTimeoutS;
};

// --- The command. ---

std::string known_proposals() {
  std::string names;
  for (const model::Proposal& p : model::all_proposals()) {
    names += (names.empty() ? "" : ", ") + std::string(p.name);
  }
  return names;
}

// Opens `path` for writing; on failure reports it and returns false.
bool open_output(const std::string& option, const std::string& path, std::ofstream& out) {
  out.open(path, std::ios::binary | std::ios::trunc);
  if (out) return true;
  std::cerr << "protmc gate: " << option << " " << path << ": cannot write the file\n";
  return false;
}

ExitStatus run_gate(const GateOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> proposals;
  for (const std::string& name : opts.proposals) {
    if (model::find_proposal(name) == nullptr) {
      std::cerr << "protmc gate: unknown proposal '" << name
                << "'; known proposals: " << known_proposals() << "\n";
      return ExitStatus::kBadInput;
    }
    if (std::find(proposals.begin(), proposals.end(), name) == proposals.end()) {
      proposals.push_back(name);
    }
  }

  const std::vector<std::string> paths = {opts.dir};
  const scenario::LoadResult loaded = scenario::load_scenario_paths(paths);
  for (const scenario::Diagnostic& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
  if (!loaded.ok()) return ExitStatus::kBadInput;
  std::vector<scenario::Scenario> gate;
  for (const scenario::Scenario& s : loaded.scenarios) {
    if (s.has_tag(kGateTag)) gate.push_back(s);
  }
  if (gate.empty()) {
    std::cerr << "protmc gate: no scenario in " << opts.dir << " is tagged \"" << kGateTag
              << "\"\n";
    return ExitStatus::kBadInput;
  }
  const BatchPlan plan = plan_batch(
      gate, [&proposals](const scenario::Scenario&) { return proposals; }, false);
  for (const std::string& error : plan.errors) std::cerr << error << "\n";
  if (!plan.ok()) return ExitStatus::kBadInput;

  // Open the output files before exploring, so that a bad path costs nothing.
  std::ofstream junit;
  std::ofstream markdown;
  if (!opts.junit.empty() && !open_output("--junit", opts.junit, junit)) {
    return ExitStatus::kBadInput;
  }
  if (!opts.markdown.empty() && !open_output("--markdown", opts.markdown, markdown)) {
    return ExitStatus::kBadInput;
  }

  std::string trace_dir = opts.trace_dir;
  if (trace_dir.empty() && !opts.junit.empty()) {
    trace_dir = (std::filesystem::path(opts.junit).parent_path() / "protmc-traces").string();
  }
  std::optional<TraceWriter> writer;
  if (!trace_dir.empty()) {
    writer.emplace(trace_dir, "protmc gate");
    if (std::string error = writer->prepare(); !error.empty()) {
      std::cerr << error << "\n";
      return ExitStatus::kBadInput;
    }
  }

  // Everything the gate prints and writes, from the results so far: all of
  // them, or on a stall the finished ones and the stalled one (incomplete).
  const auto report = [&](const std::vector<BatchResult>& results) -> ExitStatus {
    TracePaths traces(results.size());
    bool trace_failed = false;
    for (size_t i = 0; writer && i < results.size(); ++i) {
      const BatchResult& r = results[i];
      const checker::Counterexample* cex = r.shown_finding();
      if (r.verdict != scenario::Verdict::kViolation || cex == nullptr) continue;
      std::string error;
      traces[i] = writer->write(*r.scenario, r.proposal, std::nullopt, *cex, r.result.stats, error);
      if (!error.empty()) {
        std::cerr << error << "\n";
        trace_failed = true;
      }
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    ResultTable table;
    table.columns = proposals;
    std::map<std::pair<const scenario::Scenario*, std::string>, const BatchResult*> index;
    for (const BatchResult& r : results) index[{r.scenario, r.proposal}] = &r;
    for (const scenario::Scenario& s : gate) {
      table.rows.push_back(s.name);
      std::vector<std::optional<TableCell>>& row = table.cells.emplace_back();
      for (const std::string& proposal : proposals) {
        const auto it = index.find({&s, proposal});
        if (it == index.end()) {
          row.emplace_back();
        } else {
          row.push_back(TableCell{std::string(scenario::to_string(it->second->verdict)),
                                  shown_property(*it->second), false});
        }
      }
    }

    const GateCounts c = gate_counts(results);
    if (opts.format == "json") {
      print_gate_json(std::cout, proposals, results, traces, elapsed);
    } else {
      std::cout << render_table(table);
      if (c.violation > 0) {
        std::cout << "\nviolations:\n";
        for (size_t i = 0; i < results.size(); ++i) {
          const BatchResult& r = results[i];
          if (r.verdict != scenario::Verdict::kViolation) continue;
          std::cout << "  " << gate_case_name(r) << ": " << shown_property(r) << ": "
                    << shown_message(r) << "\n    reproduce: " << reproduce_command(r) << "\n";
          if (!traces[i].empty()) std::cout << "    trace: " << traces[i] << "\n";
        }
      }
      if (c.incomplete > 0) {
        std::cout << "\nincomplete:\n";
        for (const BatchResult& r : results) {
          if (r.verdict != scenario::Verdict::kIncomplete) continue;
          std::cout << "  " << gate_case_name(r) << ": " << r.result.stats.incomplete_reason
                    << "\n";
        }
      }
      std::cout << "\ngate "
                << (c.violation > 0    ? "FAILED"
                    : c.incomplete > 0 ? "INCOMPLETE"
                                       : "passed")
                << ": " << results.size() << " test cases, " << c.pass << " pass, " << c.violation
                << " violation, " << c.incomplete << " incomplete, " << std::fixed
                << std::setprecision(2) << elapsed << " s\n";
      std::cout.flush();
    }
    if (junit.is_open()) {
      write_junit(junit, results, traces, elapsed);
      junit.close();
      if (!junit) {
        std::cerr << "protmc gate: --junit " << opts.junit << ": write failed\n";
        return ExitStatus::kBadInput;
      }
    }
    if (markdown.is_open()) {
      write_markdown(markdown, table, results, traces, opts.dir, elapsed);
      markdown.close();
      if (!markdown) {
        std::cerr << "protmc gate: --markdown " << opts.markdown << ": write failed\n";
        return ExitStatus::kBadInput;
      }
    }
    if (c.violation > 0) return ExitStatus::kFinding;
    if (trace_failed) return ExitStatus::kBadInput;
    if (c.incomplete > 0) return ExitStatus::kIncomplete;
    return ExitStatus::kAsExpected;
  };
  return report(run_batch(plan.jobs, "gate", opts.stall_timeout_s, report));
}

}  // namespace

Command add_gate_command(CLI::App& parent) {
  auto opts = std::make_shared<GateOptions>();
  CLI::App* app = parent.add_subcommand(
      "gate",
      "Run every scenario tagged \"gate\" under the named proposals (instead of each scenario's "
      "own) and print a table of verdicts; status 1 for any violation, 3 for an incomplete "
      "exploration");
  app->add_option("dir", opts->dir, "Scenario directory (or one scenario file)")
      ->capture_default_str();
  app->add_option("--proposal", opts->proposals,
                  "Proposal to gate (repeat for several; see: protmc list proposals)")
      ->required()
      ->allow_extra_args(false);
  app->add_option("--junit", opts->junit,
                  "Also write the results as JUnit XML here: one test case per scenario x "
                  "proposal, named SCENARIO[PROPOSAL]");
  app->add_option("--markdown", opts->markdown,
                  "Also write a Markdown summary here, for a review or a CI job summary");
  add_stall_timeout_option(*app, opts->stall_timeout_s);
  app->add_option("--format", opts->format, "Output: text (a table), or json (one object)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app->add_option("--trace-dir", opts->trace_dir,
                  "Write the trace of each violation here (created if missing); with --junit "
                  "and no --trace-dir, protmc-traces/ beside the JUnit file");
  return Command{app, [opts]() { return run_gate(*opts); }};
}

}  // namespace protmc::cli
