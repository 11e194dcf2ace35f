// protmc run --engine relacy; see relacy_run.hpp.
#include "tools/cli/relacy_run.hpp"

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "model/proposals/proposal.hpp"
#include "model/scenario/program.hpp"
#include "tools/cli/scenario_batch.hpp"
#include "tools/cli/trace_text.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/scenario/to_config.hpp"

namespace protmc::cli {
namespace {

namespace relacy = checker::relacy;

ExitStatus status_of(const relacy::RelacyResult& result) {
  switch (result.verdict) {
    case relacy::RelacyVerdict::kPass:
      return ExitStatus::kAsExpected;
    case relacy::RelacyVerdict::kViolation:
      return ExitStatus::kFinding;
    case relacy::RelacyVerdict::kIncomplete:
      return ExitStatus::kIncomplete;
  }
  return ExitStatus::kIncomplete;
}

ExitStatus print_result(std::ostream& out, const relacy::RelacyResult& result) {
  out << "  engine relacy, " << result.threads << " threads"
      << (result.static_threads ? " (main's own steps in before()/after())"
                                : " (dynamic: " + result.dynamic_reason + ")")
      << "\n";
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
  if (scenarios.trace_dir) {
    std::cerr << "protmc run: --trace-dir is not available with --engine relacy: Relacy's "
                 "history is not a schedule the native replay can follow (run the scenario "
                 "with the native engine to get a trace file)\n";
    return ExitStatus::kBadInput;
  }
  std::optional<model::KernelPreset> preset;
  if (scenarios.kernel) {
    preset = model::parse_preset(*scenarios.kernel);
    if (!preset) {
      std::cerr << "protmc run: unknown kernel preset '" << *scenarios.kernel
                << "' (v5.3, v5.6 or v5.7)\n";
      return ExitStatus::kBadInput;
    }
  }
  const scenario::LoadResult loaded = scenario::load_scenario_paths(scenarios.paths);
  for (const scenario::Diagnostic& diagnostic : loaded.diagnostics) {
    std::cerr << diagnostic.to_string() << "\n";
  }
  if (!loaded.ok()) return ExitStatus::kBadInput;
  for (const std::string& proposal : scenarios.proposals) {
    if (model::find_proposal(proposal) == nullptr) {
      std::cerr << "protmc run: unknown proposal '" << proposal << "'\n";
      return ExitStatus::kBadInput;
    }
  }
  struct Job {
    const scenario::Scenario* scenario;
    std::string proposal;
    model::ScenarioConfig config;
  };
  std::vector<Job> jobs;
  for (const scenario::Scenario& s : loaded.scenarios) {
    const std::vector<std::string> proposals =
        scenarios.proposals.empty() ? scenario_proposals(s) : scenarios.proposals;
    for (const std::string& proposal : proposals) {
      scenario::ConfigResult converted = scenario::to_config(s, proposal, preset);
      if (!converted.ok()) {
        std::cerr << converted.error << " (proposal " << proposal << ")\n";
        return ExitStatus::kBadInput;
      }
      jobs.push_back(Job{&s, proposal, std::move(converted.config)});
    }
  }
  using Json = nlohmann::ordered_json;
  Json results = Json::array();
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
    const std::string kernel = scenario::kernel_label(*job.scenario, preset);
    if (scenarios.format == "json") {
      const bool violation = result.verdict == relacy::RelacyVerdict::kViolation;
      results.push_back(
          Json{{"scenario", job.scenario->name},
               {"file", job.scenario->path},
               {"proposal", job.proposal},
               {"kernel", kernel},
               {"engine", "relacy"},
               {"search", relacy::to_string(job_options.search)},
               {"threads", result.threads},
               {"static_threads", result.static_threads},
               {"verdict", relacy::to_string(result.verdict)},
               {"property", violation ? Json(result.property) : Json()},
               {"message", violation ? Json(result.message) : Json()},
               {"executions", result.executions},
               {"incomplete_reason", result.verdict == relacy::RelacyVerdict::kIncomplete
                                         ? Json(result.incomplete_reason)
                                         : Json()},
               {"elapsed_s", result.elapsed_s},
               {"trace", violation ? trace_events_json(result.trace) : Json()}});
      status = worst(status, status_of(result));
    } else {
      print_result_header(std::cout, job.scenario->name, job.scenario->path, job.proposal, kernel,
                          job.scenario->platform.sev);
      status = worst(status, print_result(std::cout, result));
    }
  }
  if (scenarios.format == "json") std::cout << Json{{"results", std::move(results)}}.dump() << "\n";
  return status;
}

}  // namespace protmc::cli
