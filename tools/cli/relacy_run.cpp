// protmc run --engine relacy; see relacy_run.hpp.
#include "tools/cli/relacy_run.hpp"

#include <iomanip>
#include <iostream>
#include <vector>

#include "model/proposals/proposal.hpp"
#include "model/scenario/program.hpp"
#include "tools/cli/trace_text.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/scenario/to_config.hpp"

namespace protmc::cli {
namespace {

namespace relacy = checker::relacy;

ExitStatus print_result(std::ostream& out, const relacy::RelacyResult& result) {
  out << "  engine relacy, " << result.threads << " threads\n";
  out << "  verdict: " << relacy::to_string(result.verdict);
  if (result.verdict == relacy::RelacyVerdict::kIncomplete)
    out << " (" << result.incomplete_reason << ")";
  out << "\n  executions " << result.executions << ", elapsed " << std::fixed
      << std::setprecision(3) << result.elapsed_s << " s\n";
  if (result.verdict != relacy::RelacyVerdict::kViolation) {
    return result.verdict == relacy::RelacyVerdict::kPass ? ExitStatus::kAsExpected
                                                          : ExitStatus::kIncomplete;
  }
  print_wrapped(out, "  finding: ", result.property + ": " + result.message);
  // Relacy's failing execution, recorded while Relacy replays it, rendered
  // as `run` renders a native counterexample (one column per thread).
  out << "  Relacy's failing execution:\n";
  print_trace(out, result.trace, {});
  return ExitStatus::kFinding;
}

ExitStatus worst(ExitStatus a, ExitStatus b) {
  auto rank = [](ExitStatus s) {
    return s == ExitStatus::kFinding ? 2 : s == ExitStatus::kIncomplete ? 1 : 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace

RelacySearchChoice parse_relacy_search_option(const std::string& text) {
  RelacySearchChoice choice;
  if (const std::optional<relacy::RelacySearch> search = relacy::parse_relacy_search(text)) {
    choice.search = *search;
  } else {
    choice.error = "unknown Relacy search '" + text + "' (random, context or full)";
  }
  return choice;
}

ExitStatus run_program_with_relacy(const checker::Program& program,
                                   const relacy::RelacyOptions& options) {
  const relacy::RelacyResult result = relacy::explore_with_relacy(program, options);
  if (!result.error.empty()) {
    std::cerr << "protmc run: " << program.name << ": " << result.error << "\n";
    return ExitStatus::kBadInput;
  }
  std::cout << "program " << program.name << ", Relacy " << relacy::to_string(options.search)
            << " search\n";
  return print_result(std::cout, result);
}

ExitStatus run_scenarios_with_relacy(const ScenarioRunOptions& scenarios,
                                     const relacy::RelacyOptions& options) {
  const scenario::LoadResult loaded = scenario::load_scenario_paths(scenarios.paths);
  for (const scenario::Diagnostic& diagnostic : loaded.diagnostics) {
    std::cerr << diagnostic.to_string() << "\n";
  }
  if (!loaded.ok()) return ExitStatus::kBadInput;
  struct Job {
    const scenario::Scenario* scenario;
    std::string proposal;
    model::ScenarioConfig config;
  };
  std::vector<Job> jobs;
  for (const scenario::Scenario& s : loaded.scenarios) {
    std::vector<std::string> proposals = scenarios.proposals;
    if (proposals.empty() && s.proposal)
      proposals = {std::string(scenario::to_string(*s.proposal))};
    if (proposals.empty()) {
      for (const model::Proposal& p : model::all_proposals()) proposals.emplace_back(p.name);
    }
    for (const std::string& proposal : proposals) {
      if (model::find_proposal(proposal) == nullptr) {
        std::cerr << "protmc run: unknown proposal '" << proposal << "'\n";
        return ExitStatus::kBadInput;
      }
      scenario::ConfigResult converted = scenario::to_config(s, proposal, std::nullopt);
      if (!converted.ok()) {
        std::cerr << converted.error << " (proposal " << proposal << ")\n";
        return ExitStatus::kBadInput;
      }
      jobs.push_back(Job{&s, proposal, std::move(converted.config)});
    }
  }
  ExitStatus status = ExitStatus::kAsExpected;
  for (const Job& job : jobs) {
    relacy::RelacyOptions job_options = options;
    job_options.data_races =
        scenario::explore_options(*job.scenario, std::nullopt).detectors.data_races;
    const relacy::RelacyResult result =
        relacy::explore_with_relacy(model::make_scenario_program(job.config), job_options);
    if (!result.error.empty()) {
      std::cerr << "protmc run: " << job.scenario->name << ": " << result.error << "\n";
      return ExitStatus::kBadInput;
    }
    print_result_header(std::cout, job.scenario->name, job.scenario->path, job.proposal,
                        scenario::kernel_label(*job.scenario, std::nullopt),
                        job.scenario->platform.sev);
    status = worst(status, print_result(std::cout, result));
  }
  return status;
}

}  // namespace protmc::cli
