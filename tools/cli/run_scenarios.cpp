// protmc run SCENARIO|DIR...: explores every scenario under every proposal it
// runs against and prints one summary per result (text or JSON).
#include "tools/cli/run_scenarios.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "model/proposals/proposal.hpp"
#include "model/scenario/program.hpp"
#include "tools/cli/interrupt.hpp"
#include "tools/cli/scenario_batch.hpp"
#include "tools/cli/trace_text.hpp"
#include "tools/cli/trace_writer.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/scenario/to_config.hpp"
#include "tools/trace/trace_file.hpp"

namespace protmc::cli {
namespace {

namespace checker = protmc::checker;
using scenario::Expectation;
using scenario::Scenario;
using scenario::Verdict;

// One scenario under one proposal, ready to explore.
struct Job {
  const Scenario* scenario = nullptr;
  std::string proposal;
  std::string kernel;  // kernel_label()
  model::ScenarioConfig config;
  std::optional<Expectation> expectation;
};

struct Outcome {
  checker::ExploreResult result;
  Verdict verdict = Verdict::kIncomplete;
  std::optional<bool> as_expected;  // nullopt: no expectation
  // --trace-dir: the trace file of each finding, in findings order.
  std::vector<std::string> trace_paths;
};

std::string describe(const Expectation& e) {
  std::string text(scenario::to_string(e.verdict));
  if (e.property) text += " (" + std::string(scenario::to_string(*e.property)) + ")";
  return text;
}

}  // namespace

void print_result_header(std::ostream& out, std::string_view scenario, std::string_view file,
                         std::string_view proposal, std::string_view kernel, bool sev) {
  out << "scenario " << scenario << " (" << file << ")\n";
  out << "  proposal " << proposal << ", kernel " << kernel << (sev ? ", SEV" : "") << "\n";
}

void print_finding(std::ostream& out, const checker::Finding& finding, const checker::Trace& trace,
                   const FindingText& how) {
  out << "\n";
  print_wrapped(
      out, "  finding " + std::to_string(how.index) + " of " + std::to_string(how.count) + ": ",
      finding.property + (how.counts ? "" : " (not checked by this scenario)") + ": " +
          finding.message);
  if (how.occurrences) {
    out << "    violating executions in this group: " << *how.occurrences << "\n";
  }
  if (!how.reproduced) {
    out << "    warning: the recorded re-run did not reproduce this finding\n";
  }
  if (!how.trace_path.empty()) out << "    trace saved to " << how.trace_path << "\n";
  print_trace(out, trace, finding.steps);
}

namespace {

void print_text(std::ostream& out, const Job& job, const Outcome& outcome, bool keep_going) {
  const checker::Stats& stats = outcome.result.stats;
  print_result_header(out, job.scenario->name, job.scenario->path, job.proposal, job.kernel,
                      job.scenario->platform.sev);
  std::string verdict(scenario::to_string(outcome.verdict));
  if (outcome.verdict == Verdict::kViolation) {
    std::vector<std::string> properties;
    for (const checker::Counterexample& cex : outcome.result.findings) {
      if (scenario::finding_counts(*job.scenario, cex.finding) &&
          std::find(properties.begin(), properties.end(), cex.finding.property) ==
              properties.end()) {
        properties.push_back(cex.finding.property);
      }
    }
    verdict += " (" + join_strings(properties, ", ") + ")";
  }
  out << "  verdict: " << verdict
      << "; expected: " << (job.expectation ? describe(*job.expectation) : "nothing stated")
      << (outcome.as_expected ? (*outcome.as_expected ? ", as expected" : ", NOT as expected") : "")
      << "\n";
  std::ostringstream line;
  line << "  executions " << stats.executions << ", blocked " << stats.blocked << ", steps "
       << stats.steps << ", " << std::fixed << std::setprecision(3) << stats.elapsed_s << " s, "
       << (stats.complete ? std::string("complete") : "incomplete: " + stats.incomplete_reason);
  out << line.str() << "\n";
  for (size_t i = 0; i < outcome.result.findings.size(); ++i) {
    const checker::Counterexample& cex = outcome.result.findings[i];
    FindingText how;
    how.index = i + 1;
    how.count = outcome.result.findings.size();
    how.counts = scenario::finding_counts(*job.scenario, cex.finding);
    if (keep_going) how.occurrences = cex.occurrences;
    how.reproduced = cex.reproduced;
    if (i < outcome.trace_paths.size()) how.trace_path = outcome.trace_paths[i];
    print_finding(out, cex.finding, cex.trace, how);
  }
  out << "\n";
}

nlohmann::ordered_json to_json(const Job& job, const Outcome& outcome) {
  using Json = nlohmann::ordered_json;
  const checker::Stats& stats = outcome.result.stats;
  Json findings = Json::array();
  for (const checker::Counterexample& cex : outcome.result.findings) {
    Json trace = trace_events_json(cex.trace);
    Json schedule = Json::array();
    for (const checker::Choice& choice : cex.schedule.choices) {
      schedule.push_back(Json::array({choice.thread, choice.value}));
    }
    const size_t index = findings.size();
    findings.push_back(
        Json{{"property", cex.finding.property},
             {"message", cex.finding.message},
             {"counts", scenario::finding_counts(*job.scenario, cex.finding)},
             {"steps", cex.finding.steps},
             {"schedule", std::move(schedule)},
             {"trace", index < outcome.trace_paths.size() && !outcome.trace_paths[index].empty()
                           ? Json(outcome.trace_paths[index])
                           : std::move(trace)}});
  }
  return Json{
      {"scenario", job.scenario->name},
      {"file", job.scenario->path},
      {"proposal", job.proposal},
      {"kernel", job.kernel},
      {"verdict", scenario::to_string(outcome.verdict)},
      {"findings", std::move(findings)},
      {"executions", stats.executions},
      {"blocked", stats.blocked},
      {"complete", stats.complete},
      {"incomplete_reason", stats.complete ? Json(nullptr) : Json(stats.incomplete_reason)},
      {"elapsed_s", stats.elapsed_s},
      {"expected", expectation_json(job.expectation)},
      {"as_expected", outcome.as_expected ? Json(*outcome.as_expected) : Json(nullptr)},
  };
}

ExitStatus status_of(const Outcome& outcome) {
  if (outcome.as_expected) {
    if (*outcome.as_expected) return ExitStatus::kAsExpected;
    return outcome.verdict == Verdict::kIncomplete ? ExitStatus::kIncomplete : ExitStatus::kFinding;
  }
  switch (outcome.verdict) {
    case Verdict::kPass:
      return ExitStatus::kAsExpected;
    case Verdict::kViolation:
      return ExitStatus::kFinding;
    case Verdict::kIncomplete:
      return ExitStatus::kIncomplete;
  }
  return ExitStatus::kIncomplete;
}

// The proposals a scenario runs against: --proposal, else its own, else
// every registered one.
std::vector<std::string> proposals_for(const Scenario& s, const ScenarioRunOptions& opts) {
  if (!opts.proposals.empty()) return opts.proposals;
  if (s.proposal) return {std::string(scenario::to_string(*s.proposal))};
  std::vector<std::string> names;
  for (const model::Proposal& p : model::all_proposals()) names.emplace_back(p.name);
  return names;
}

// Validates the command-line overrides; returns an error message or "".
std::string apply_overrides(const ScenarioRunOptions& opts, checker::ExploreOptions& options) {
  if (opts.strategy) {
    const std::optional<checker::Strategy> strategy = checker::parse_strategy(*opts.strategy);
    if (!strategy) return "unknown strategy '" + *opts.strategy + "'";
    options.strategy = *strategy;
  }
  if (opts.seed) options.seed = *opts.seed;
  if (opts.max_executions) options.bounds.max_executions = *opts.max_executions;
  if (opts.time_limit_s) options.bounds.time_limit_s = *opts.time_limit_s;
  if (opts.max_memory_mb) options.bounds.max_memory_mb = *opts.max_memory_mb;
  if (opts.max_steps) options.bounds.max_steps = *opts.max_steps;
  if (opts.preemption_bound) {
    if (options.strategy != checker::Strategy::kDfs) {
      return "--preemption-bound applies to --strategy dfs only";
    }
    options.bounds.preemption_bound = *opts.preemption_bound;
  }
  options.keep_going = opts.keep_going;
  return "";
}

}  // namespace

ExitStatus run_scenarios(const ScenarioRunOptions& opts) {
  std::optional<model::KernelPreset> preset;
  if (opts.kernel) {
    preset = model::parse_preset(*opts.kernel);
    if (!preset) {
      std::cerr << "protmc run: unknown kernel preset '" << *opts.kernel
                << "' (protmc list presets shows them)\n";
      return ExitStatus::kBadInput;
    }
  }
  for (const std::string& name : opts.proposals) {
    if (model::find_proposal(name) != nullptr) continue;
    std::cerr << "protmc run: "
              << (scenario::parse_proposal(name) ? "the proposal '" + name + "' is not modelled yet"
                                                 : "unknown proposal '" + name + "'")
              << " (protmc list proposals shows them)\n";
    return ExitStatus::kBadInput;
  }

  const scenario::LoadResult loaded = scenario::load_scenario_paths(opts.paths);
  for (const scenario::Diagnostic& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
  if (!loaded.ok()) return ExitStatus::kBadInput;
  if (loaded.scenarios.empty()) {
    std::cerr << "protmc run: no scenario files found\n";
    return ExitStatus::kBadInput;
  }

  // Every scenario x proposal is converted before anything runs, so that a
  // feature the model lacks refuses the whole command.
  std::vector<Job> jobs;
  bool refused = false;
  for (const Scenario& s : loaded.scenarios) {
    for (const std::string& proposal : proposals_for(s, opts)) {
      scenario::ConfigResult converted = scenario::to_config(s, proposal, preset);
      if (!converted.ok()) {
        std::cerr << converted.error << " (proposal " << proposal << ")\n";
        refused = true;
        continue;
      }
      jobs.push_back(Job{&s, proposal, scenario::kernel_label(s, preset),
                         std::move(converted.config),
                         scenario::applicable_expectation(s, proposal, preset)});
    }
  }
  if (refused) return ExitStatus::kBadInput;

  std::vector<checker::ExploreOptions> all_options;
  for (const Job& job : jobs) {
    checker::ExploreOptions options = scenario::explore_options(*job.scenario, job.expectation);
    if (std::string error = apply_overrides(opts, options); !error.empty()) {
      std::cerr << "protmc run: " << error << "\n";
      return ExitStatus::kBadInput;
    }
    all_options.push_back(std::move(options));
  }

  std::optional<TraceWriter> traces;
  if (opts.trace_dir) {
    traces.emplace(*opts.trace_dir, "protmc run");
    if (std::string error = traces->prepare(); !error.empty()) {
      std::cerr << error << "\n";
      return ExitStatus::kBadInput;
    }
  }
  bool trace_failed = false;

  const InterruptScope interrupt_scope;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  bool any_finding = false;
  bool any_incomplete = false;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const Job& job = jobs[i];
    // A stalled model ends the process: report this result as incomplete,
    // after those already printed (or with them, in JSON).
    watch_exploration(
        all_options[i], "run", job.scenario->name + "[" + job.proposal + "]", opts.stall_timeout_s,
        [&](const checker::StallReport& report, const std::string& reason) {
          Outcome stalled;
          // The executions before the stalled one (finished or blocked).
          stalled.result.stats.executions = report.execution - 1;
          stalled.result.stats.incomplete_reason = reason;
          if (opts.format == "json") {
            results.push_back(to_json(job, stalled));
            std::cout << nlohmann::ordered_json{{"results", std::move(results)}}.dump() << "\n";
          } else {
            print_text(std::cout, job, stalled, opts.keep_going);
          }
          return any_finding ? ExitStatus::kFinding : ExitStatus::kIncomplete;
        });
    Outcome outcome;
    outcome.result = checker::explore(model::make_scenario_program(job.config), all_options[i]);
    outcome.verdict = scenario::scenario_verdict(*job.scenario, outcome.result);
    if (job.expectation) {
      outcome.as_expected =
          scenario::as_expected(*job.expectation, outcome.verdict, outcome.result);
    }
    if (traces) {
      for (const checker::Counterexample& cex : outcome.result.findings) {
        std::string error;
        outcome.trace_paths.push_back(
            traces->write(*job.scenario, job.proposal, preset, cex, outcome.result.stats, error));
        if (!error.empty()) {
          std::cerr << error << "\n";
          trace_failed = true;
        }
      }
    }
    const ExitStatus status = status_of(outcome);
    any_finding = any_finding || status == ExitStatus::kFinding;
    any_incomplete = any_incomplete || status == ExitStatus::kIncomplete;
    if (opts.format == "json") {
      results.push_back(to_json(job, outcome));
    } else {
      print_text(std::cout, job, outcome, opts.keep_going);
      std::cout.flush();
    }
  }
  if (opts.format == "json") {
    std::cout << nlohmann::ordered_json{{"results", std::move(results)}}.dump() << "\n";
  }
  std::cout.flush();
  if (trace_failed) return ExitStatus::kBadInput;
  if (any_finding) return ExitStatus::kFinding;
  if (any_incomplete) return ExitStatus::kIncomplete;
  return ExitStatus::kAsExpected;
}

}  // namespace protmc::cli
