// protmc show TRACE.json: prints a saved trace the way `protmc run` prints a
// finding.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "tools/cli/commands.hpp"
#include "tools/cli/run_scenarios.hpp"
#include "tools/cli/trace_text.hpp"
#include "tools/scenario/to_config.hpp"
#include "tools/trace/trace_file.hpp"

namespace protmc::cli {
namespace {

ExitStatus show_trace(const std::string& path) {
  const trace::TraceLoadResult loaded = trace::load_trace_file(path);
  for (const scenario::Diagnostic& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
  if (!loaded.ok()) return ExitStatus::kBadInput;
  const trace::TraceFile& t = *loaded.trace;

  // The scenario's name and whether it checks the finding's property come
  // from the embedded scenario; a trace whose scenario no longer loads is
  // still shown, named after its file.
  std::string name = std::filesystem::path(t.scenario_file).stem().string();
  std::string kernel = trace::kernel_label(t);
  bool counts = true;
  const scenario::LoadResult embedded = trace::load_embedded_scenario(t);
  if (embedded.ok() && embedded.scenarios.size() == 1) {
    const scenario::Scenario& s = embedded.scenarios.front();
    name = s.name;
    kernel = trace::kernel_label(t, s);
    counts = scenario::finding_counts(s, t.finding);
  }
  std::ostream& out = std::cout;
  print_result_header(out, name, t.scenario_file, t.proposal, kernel, t.sev);
  out << "  recorded finding: " << t.finding.property << (t.finding.location.empty() ? "" : " in ")
      << t.finding.location << "\n";
  out << "  executions " << t.statistics.executions << ", blocked " << t.statistics.blocked << ", "
      << std::fixed << std::setprecision(3) << t.statistics.elapsed_s << " s, "
      << (t.statistics.complete ? "complete" : "incomplete") << "; schedule of "
      << t.schedule.choices.size() << " choices\n";
  FindingText how;
  how.counts = counts;
  print_finding(out, t.finding, t.trace, how);
  out << "\n";
  return ExitStatus::kAsExpected;
}

}  // namespace

Command add_show_command(CLI::App& parent) {
  auto path = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand(
      "show", "Print a trace file's finding and events the way `protmc run` prints a violation");
  app->add_option("trace", *path, "Trace file (traces/README.md)")->required();
  return Command{app, [path]() -> ExitStatus { return show_trace(*path); }};
}

}  // namespace protmc::cli
