// protmc matrix [DIR]: every scenario x every proposal it applies to, against
// the scenarios' recorded expectations, as one table (rows scenarios, columns
// proposals) with the results that differ marked, then a summary line.
#include <algorithm>
#include <chrono>
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
#include "tools/cli/interrupt.hpp"
#include "tools/cli/result_table.hpp"
#include "tools/cli/scenario_batch.hpp"
#include "tools/scenario/loader.hpp"

namespace protmc::cli {
namespace {

using Json = nlohmann::ordered_json;

struct MatrixOptions {
  std::string dir = "scenarios";
  std::string format = "text";
  double stall_timeout_s = kDefaultStallTimeoutS;
};

std::string describe(scenario::Verdict verdict, const std::string& property) {
  std::string text(scenario::to_string(verdict));
  if (!property.empty()) text += " (" + property + ")";
  return text;
}

std::string describe(const scenario::Expectation& e) {
  return describe(e.verdict, e.property ? std::string(scenario::to_string(*e.property)) : "");
}

std::string shown_property(const BatchResult& r) {
  const checker::Counterexample* cex = r.shown_finding();
  return cex == nullptr ? "" : cex->finding.property;
}

// The table's columns: every registered proposal, in registration order, and
// after them any other proposal a result names.
std::vector<std::string> matrix_columns(const std::vector<BatchResult>& results) {
  std::vector<std::string> columns;
  for (const model::Proposal& p : model::all_proposals()) columns.emplace_back(p.name);
  for (const BatchResult& r : results) {
    if (std::find(columns.begin(), columns.end(), r.proposal) == columns.end()) {
      columns.push_back(r.proposal);
    }
  }
  return columns;
}

ResultTable make_table(const std::vector<scenario::Scenario>& scenarios,
                       const std::vector<BatchResult>& results) {
  ResultTable table;
  table.columns = matrix_columns(results);
  table.mark_meaning = "differs from the expectation (listed below)";
  std::map<std::pair<const scenario::Scenario*, std::string>, const BatchResult*> index;
  for (const BatchResult& r : results) index[{r.scenario, r.proposal}] = &r;
  for (const scenario::Scenario& s : scenarios) {
    table.rows.push_back(s.name);
    std::vector<std::optional<TableCell>>& row = table.cells.emplace_back();
    for (const std::string& proposal : table.columns) {
      const auto it = index.find({&s, proposal});
      if (it == index.end()) {
        row.emplace_back();
        continue;
      }
      const BatchResult& r = *it->second;
      row.push_back(
          TableCell{std::string(scenario::to_string(r.verdict)), shown_property(r), r.differs()});
    }
  }
  return table;
}

ExitStatus run_matrix(const MatrixOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> paths = {opts.dir};
  const scenario::LoadResult loaded = scenario::load_scenario_paths(paths);
  for (const scenario::Diagnostic& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
  if (!loaded.ok()) return ExitStatus::kBadInput;
  if (loaded.scenarios.empty()) {
    std::cerr << "protmc matrix: no scenario files in " << opts.dir << "\n";
    return ExitStatus::kBadInput;
  }
  const BatchPlan plan = plan_batch(loaded.scenarios, scenario_proposals, true);
  for (const std::string& error : plan.errors) std::cerr << error << "\n";
  if (!plan.ok()) return ExitStatus::kBadInput;

  // The table and summary of the results so far: all of them, or on a
  // stall the finished ones and the stalled one (incomplete).
  const auto report = [&](const std::vector<BatchResult>& results) -> ExitStatus {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t differ = 0;
    size_t without_expectation = 0;
    for (const BatchResult& r : results) {
      differ += r.differs() ? 1 : 0;
      without_expectation += r.expectation ? 0 : 1;
    }
    const size_t as_expected = results.size() - differ;

    if (opts.format == "json") {
      Json proposals = Json::array();
      for (const std::string& column : matrix_columns(results)) proposals.push_back(column);
      Json items = Json::array();
      for (const BatchResult& r : results) items.push_back(batch_result_json(r));
      std::cout << Json{{"proposals", std::move(proposals)},
                        {"results", std::move(items)},
                        {"summary",
                         {{"results", results.size()},
                          {"as_expected", as_expected},
                          {"differ", differ},
                          {"elapsed_s", elapsed}}}}
                       .dump()
                << "\n";
    } else {
      std::cout << render_table(make_table(loaded.scenarios, results));
      if (differ > 0) {
        std::cout << "\ndiffering from the expectation:\n";
        for (const BatchResult& r : results) {
          if (!r.differs()) continue;
          std::cout << "  " << r.scenario->name << "[" << r.proposal << "]: expected "
                    << (r.expectation ? describe(*r.expectation) : "nothing stated (a pass)")
                    << ", got " << describe(r.verdict, shown_property(r));
          if (r.verdict == scenario::Verdict::kIncomplete) {
            std::cout << " (" << r.result.stats.incomplete_reason << ")";
          }
          std::cout << "\n    see: protmc run " << r.scenario->path << " --proposal " << r.proposal
                    << "\n";
        }
      }
      std::ostringstream summary;
      summary << "\n"
              << results.size() << " results, " << as_expected << " as expected, " << differ
              << " differ";
      if (without_expectation > 0) {
        summary << " (" << without_expectation << " without an expectation, judged by pass)";
      }
      summary << ", " << std::fixed << std::setprecision(2) << elapsed << " s\n";
      std::cout << summary.str();
    }
    std::cout.flush();
    return differ > 0 ? ExitStatus::kFinding : ExitStatus::kAsExpected;
  };
  // On a stall: status 1 if a finished result differs, else 3 (incomplete).
  const auto report_stall = [&](const std::vector<BatchResult>& results) {
    report(results);
    const bool finished_differ = std::any_of(results.begin(), results.end() - 1,
                                             [](const BatchResult& r) { return r.differs(); });
    return finished_differ ? ExitStatus::kFinding : ExitStatus::kIncomplete;
  };
  return report(run_batch(plan.jobs, "matrix", opts.stall_timeout_s, report_stall));
}

}  // namespace

Command add_matrix_command(CLI::App& parent) {
  auto opts = std::make_shared<MatrixOptions>();
  CLI::App* app = parent.add_subcommand(
      "matrix",
      "Explore every scenario of a directory under every proposal it applies to and print one "
      "table of verdicts, marking each result that differs from the scenario's expectation; "
      "status 1 when any differs");
  app->add_option("dir", opts->dir, "Scenario directory (or one scenario file)")
      ->capture_default_str();
  add_stall_timeout_option(*app, opts->stall_timeout_s);
  app->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return Command{app, [opts]() { return run_matrix(*opts); }};
}

}  // namespace protmc::cli
