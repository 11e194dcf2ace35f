// protmc replay TRACE.json: re-creates the recorded scenario from the text the
// trace embeds, applies the recorded proposal, kernel knobs and platform,
// re-runs the recorded schedule, and says whether the recorded finding
// reproduces.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "model/proposals/proposal.hpp"
#include "model/scenario/program.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/run_scenarios.hpp"
#include "tools/cli/trace_text.hpp"
#include "tools/scenario/to_config.hpp"
#include "tools/trace/trace_file.hpp"

namespace protmc::cli {
namespace {

namespace checker = protmc::checker;

std::string describe_event(const checker::TraceEvent& event) {
  std::string text =
      "step " + std::to_string(event.step) + " " + event.thread_name + ": " + event.operation;
  if (!event.object.empty()) text += " " + event.object;
  if (event.value) text += " = " + std::to_string(*event.value);
  return text;
}

bool same_event(const checker::TraceEvent& a, const checker::TraceEvent& b) {
  return a.step == b.step && a.thread == b.thread && a.operation == b.operation &&
         a.object == b.object && a.value == b.value;
}

ExitStatus replay_trace(const std::string& path) {
  const trace::TraceLoadResult loaded = trace::load_trace_file(path);
  for (const scenario::Diagnostic& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
  if (!loaded.ok()) return ExitStatus::kBadInput;
  const trace::TraceFile& recorded = *loaded.trace;

  const scenario::LoadResult embedded = trace::load_embedded_scenario(recorded);
  if (!embedded.ok() || embedded.scenarios.size() != 1) {
    for (const scenario::Diagnostic& d : embedded.diagnostics) {
      std::cerr << path << ": the embedded scenario: " << d.to_string() << "\n";
    }
    return ExitStatus::kBadInput;
  }
  const scenario::Scenario& s = embedded.scenarios.front();
  if (model::find_proposal(recorded.proposal) == nullptr) {
    std::cerr << path << ": the recorded proposal '" << recorded.proposal
              << "' is not a registered proposal (protmc list proposals shows them)\n";
    return ExitStatus::kBadInput;
  }
  scenario::ConfigResult converted =
      scenario::to_config(s, recorded.proposal, trace::preset_override(recorded, s));
  if (!converted.ok()) {
    std::cerr << path << ": " << converted.error << "\n";
    return ExitStatus::kBadInput;
  }
  if (std::string error = trace::recorded_knobs(recorded, converted.config.knobs); !error.empty()) {
    std::cerr << path << ": " << error << "\n";
    return ExitStatus::kBadInput;
  }
  converted.config.sev_active = recorded.sev;
  const checker::ExploreOptions options = scenario::explore_options(s, std::nullopt);
  const checker::ReplayResult result =
      checker::replay(model::make_scenario_program(converted.config), recorded.schedule, options);

  std::ostream& out = std::cout;
  out << "replay of " << path << "\n";
  print_wrapped(out, "  ",
                "scenario " + s.name + " (" + recorded.scenario_file + "), proposal " +
                    recorded.proposal + ", kernel " + trace::kernel_label(recorded, s) +
                    (recorded.sev ? ", SEV" : ""));
  print_wrapped(
      out, "  recorded finding: ", recorded.finding.property + ": " + recorded.finding.message);
  const size_t steps = result.trace.events.size();
  out << "  schedule: " << recorded.schedule.choices.size() << " recorded choices; the replay ran "
      << steps << " steps\n";
  if (recorded.schedule.choices.size() < steps) {
    print_wrapped(out, "  ",
                  "the recorded schedule ended at step " +
                      std::to_string(recorded.schedule.choices.size()) +
                      "; the lowest-numbered enabled thread took every later step");
  }
  if (result.schedule_diverged) {
    print_wrapped(out, "  the schedule diverged: ", result.divergence);
  }
  // Where the replayed events first differ from the recorded ones.
  const std::vector<checker::TraceEvent>& was = recorded.trace.events;
  const std::vector<checker::TraceEvent>& now = result.trace.events;
  for (size_t i = 0; i < std::max(was.size(), now.size()); ++i) {
    if (i < was.size() && i < now.size() && same_event(was[i], now[i])) continue;
    print_wrapped(out, "  ",
                  "the replayed events differ from the recorded ones from event " +
                      std::to_string(i) + ": recorded " +
                      (i < was.size() ? describe_event(was[i]) : "nothing") + "; replayed " +
                      (i < now.size() ? describe_event(now[i]) : "nothing"));
    break;
  }
  // The recorded finding reproduces when the replay finds its property;
  // one at the recorded location is preferred.
  const checker::Finding* match = nullptr;
  for (const checker::Finding& finding : result.findings) {
    print_wrapped(out, "  replay finding: ", finding.property + ": " + finding.message);
    if (finding.property != recorded.finding.property) continue;
    if (match == nullptr || (match->location != recorded.finding.location &&
                             finding.location == recorded.finding.location)) {
      match = &finding;
    }
  }
  if (result.findings.empty()) out << "  the replay found nothing\n";
  const bool reproduced = match != nullptr && !result.schedule_diverged;
  if (reproduced) {
    out << "reproduced: " << recorded.finding.property;
    if (match->location == recorded.finding.location) {
      out << (match->location.empty() ? "" : " in " + match->location) << "\n";
    } else {
      out << " in " << match->location << " (recorded in " << recorded.finding.location << ")\n";
    }
    return ExitStatus::kAsExpected;
  }
  print_wrapped(out, "NOT reproduced: ",
                result.schedule_diverged
                    ? "the recorded schedule could not be followed (" + result.divergence + ")"
                    : "no " + recorded.finding.property + " finding on this schedule");
  return ExitStatus::kFinding;
}

}  // namespace

Command add_replay_command(CLI::App& parent) {
  auto path = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand(
      "replay",
      "Re-run a trace file's schedule on its embedded scenario, proposal and kernel knobs, and "
      "say whether its finding reproduces (status 0) or not (status 1)");
  app->add_option("trace", *path, "Trace file (traces/README.md)")->required();
  return Command{app, [path]() -> ExitStatus { return replay_trace(*path); }};
}

}  // namespace protmc::cli
