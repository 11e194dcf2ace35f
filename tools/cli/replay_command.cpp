// protmc replay TRACE.json: re-creates the recorded scenario from the text the
// trace embeds, applies the recorded proposal, kernel knobs and platform,
// re-runs the recorded schedule, and says whether the recorded finding
// reproduces.
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
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

// What a replay found, for either output format.
struct ReplayReport {
  std::string path;
  std::string scenario;
  std::string scenario_file;
  std::string proposal;
  std::string kernel;
  bool sev = false;
  checker::Finding recorded;
  size_t recorded_choices = 0;
  size_t replayed_steps = 0;
  bool diverged = false;
  std::string divergence;
  std::string first_difference;  // "": the replayed events match the recorded ones
  std::vector<checker::Finding> findings;
  const checker::Finding* match = nullptr;  // into findings
  bool reproduced = false;
};

void print_text(std::ostream& out, const ReplayReport& r) {
  out << "replay of " << r.path << "\n";
  print_wrapped(out, "  ",
                "scenario " + r.scenario + " (" + r.scenario_file + "), proposal " + r.proposal +
                    ", kernel " + r.kernel + (r.sev ? ", SEV" : ""));
  print_wrapped(out, "  recorded finding: ", r.recorded.property + ": " + r.recorded.message);
  out << "  schedule: " << r.recorded_choices << " recorded choices; the replay ran "
      << r.replayed_steps << " steps\n";
  if (r.recorded_choices < r.replayed_steps) {
    print_wrapped(out, "  ",
                  "the recorded schedule ended at step " + std::to_string(r.recorded_choices) +
                      "; the lowest-numbered enabled thread took every later step");
  }
  if (r.diverged) print_wrapped(out, "  the schedule diverged: ", r.divergence);
  if (!r.first_difference.empty()) print_wrapped(out, "  ", r.first_difference);
  for (const checker::Finding& finding : r.findings) {
    print_wrapped(out, "  replay finding: ", finding.property + ": " + finding.message);
  }
  if (r.findings.empty()) out << "  the replay found nothing\n";
  if (r.reproduced) {
    out << "reproduced: " << r.recorded.property;
    if (r.match->location == r.recorded.location) {
      out << (r.match->location.empty() ? "" : " in " + r.match->location) << "\n";
    } else {
      out << " in " << r.match->location << " (recorded in " << r.recorded.location << ")\n";
    }
    return;
  }
  print_wrapped(out, "NOT reproduced: ",
                r.diverged ? "the recorded schedule could not be followed (" + r.divergence + ")"
                           : "no " + r.recorded.property + " finding on this schedule");
}

void print_json(std::ostream& out, const ReplayReport& r) {
  using Json = nlohmann::ordered_json;
  auto finding_json = [](const checker::Finding& f) {
    return Json{{"property", f.property}, {"message", f.message}, {"location", f.location}};
  };
  Json findings = Json::array();
  for (const checker::Finding& f : r.findings) findings.push_back(finding_json(f));
  auto text_or_null = [](const std::string& text) { return text.empty() ? Json() : Json(text); };
  out << Json{{"trace", r.path},
              {"scenario", r.scenario},
              {"scenario_file", r.scenario_file},
              {"proposal", r.proposal},
              {"kernel", r.kernel},
              {"sev", r.sev},
              {"recorded", finding_json(r.recorded)},
              {"recorded_choices", r.recorded_choices},
              {"replayed_steps", r.replayed_steps},
              {"diverged", r.diverged},
              {"divergence", text_or_null(r.divergence)},
              {"first_difference", text_or_null(r.first_difference)},
              {"findings", std::move(findings)},
              {"reproduced", r.reproduced},
              {"location", r.reproduced ? Json(r.match->location) : Json()}}
             .dump()
      << "\n";
}

ExitStatus replay_trace(const std::string& path, const std::string& format) {
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

  ReplayReport report;
  report.path = path;
  report.scenario = s.name;
  report.scenario_file = recorded.scenario_file;
  report.proposal = recorded.proposal;
  report.kernel = trace::kernel_label(recorded, s);
  report.sev = recorded.sev;
  report.recorded = recorded.finding;
  report.recorded_choices = recorded.schedule.choices.size();
  report.replayed_steps = result.trace.events.size();
  report.diverged = result.schedule_diverged;
  report.divergence = result.divergence;
  // Where the replayed events first differ from the recorded ones.
  const std::vector<checker::TraceEvent>& was = recorded.trace.events;
  const std::vector<checker::TraceEvent>& now = result.trace.events;
  for (size_t i = 0; i < std::max(was.size(), now.size()); ++i) {
    if (i < was.size() && i < now.size() && same_event(was[i], now[i])) continue;
    report.first_difference = "the replayed events differ from the recorded ones from event " +
                              std::to_string(i) + ": recorded " +
                              (i < was.size() ? describe_event(was[i]) : "nothing") +
                              "; replayed " + (i < now.size() ? describe_event(now[i]) : "nothing");
    break;
  }
  // The recorded finding reproduces when the replay finds its property;
  // one at the recorded location is preferred.
  report.findings = result.findings;
  for (const checker::Finding& finding : report.findings) {
    if (finding.property != recorded.finding.property) continue;
    if (report.match == nullptr || (report.match->location != recorded.finding.location &&
                                    finding.location == recorded.finding.location)) {
      report.match = &finding;
    }
  }
  report.reproduced = report.match != nullptr && !report.diverged;
  if (format == "json") {
    print_json(std::cout, report);
  } else {
    print_text(std::cout, report);
  }
  return report.reproduced ? ExitStatus::kAsExpected : ExitStatus::kFinding;
}

}  // namespace

Command add_replay_command(CLI::App& parent) {
  struct Options {
    std::string path;
    std::string format = "text";
  };
  auto opts = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "replay",
      "Re-run a trace file's schedule on its embedded scenario, proposal and kernel knobs, and "
      "say whether its finding reproduces (status 0) or not (status 1)");
  app->add_option("trace", opts->path, "Trace file (traces/README.md)")->required();
  app->add_option("--format", opts->format, "Output: text, or json (one object)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return Command{app, [opts]() -> ExitStatus { return replay_trace(opts->path, opts->format); }};
}

}  // namespace protmc::cli
