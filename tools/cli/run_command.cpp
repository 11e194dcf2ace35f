// protmc run: parses the options of both forms and runs
//   protmc run SCENARIO|DIR... (run_scenarios.cpp), or
//   protmc run --program NAME --param K=V ...: explores one of the engine's
//   registered programs and prints the verdict, statistics and counterexamples.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "checker/programs/registry.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/interrupt.hpp"
#include "tools/cli/relacy_run.hpp"
#include "tools/cli/run_scenarios.hpp"
#include "tools/cli/trace_text.hpp"

namespace protmc::cli {
namespace {

namespace checker = protmc::checker;
namespace programs = protmc::checker::programs;

struct RunOptions {
  std::string program;
  std::vector<std::string> params;
  std::string strategy = "dpor";
  uint64_t seed = 1;
  uint64_t max_executions = 0;  // 0: not given, unlimited
  double time_limit_s = 0;      // 0: none
  uint64_t max_memory_mb = 0;   // 0: none
  uint64_t max_steps = checker::Bounds{}.max_steps;
  uint32_t preemption_bound = 0;
  bool preemption_bound_given = false;
  bool keep_going = false;
  double stall_timeout_s = kDefaultStallTimeoutS;  // 0: off
  std::string format = "text";
  std::string engine = "native";
  std::string relacy_search = "full";
};

// One run's inputs after validation.
struct RunRequest {
  const programs::ProgramInfo* info = nullptr;
  programs::ParamValues params;
  checker::ExploreOptions options;
};

bool parse_int64(std::string_view text, int64_t& value) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(first, last, value);
  return error == std::errc{} && end == last;
}

// Parses "K=V" arguments into names and integers. Returns an error message,
// empty on success.
std::string parse_params(const std::vector<std::string>& args, programs::ParamValues& values) {
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return "--param expects NAME=VALUE, got '" + arg + "'";
    }
    const std::string name = arg.substr(0, eq);
    int64_t value = 0;
    if (!parse_int64(std::string_view(arg).substr(eq + 1), value)) {
      return "--param " + name + ": '" + arg.substr(eq + 1) + "' is not an integer";
    }
    if (!values.emplace(name, value).second) return "--param " + name + " given twice";
  }
  return {};
}

// Validates the options against the registry. Returns an error message,
// empty on success.
std::string make_request(const RunOptions& opts, RunRequest& request) {
  request.info = programs::find_program(opts.program);
  if (request.info == nullptr) {
    return "unknown program '" + opts.program + "' (protmc list programs shows them)";
  }
  programs::ParamValues given;
  if (std::string error = parse_params(opts.params, given); !error.empty()) return error;
  programs::ResolvedParams resolved = programs::resolve_params(*request.info, given);
  if (!resolved.error.empty()) return resolved.error;
  request.params = std::move(resolved.values);

  const std::optional<checker::Strategy> strategy = checker::parse_strategy(opts.strategy);
  if (!strategy) return "unknown strategy '" + opts.strategy + "'";
  checker::ExploreOptions& options = request.options;
  options.strategy = *strategy;
  options.seed = opts.seed;
  options.keep_going = opts.keep_going;
  if (opts.max_executions != 0) options.bounds.max_executions = opts.max_executions;
  options.bounds.time_limit_s = opts.time_limit_s;
  options.bounds.max_memory_mb = opts.max_memory_mb;
  options.bounds.max_steps = opts.max_steps;
  if (opts.preemption_bound_given) {
    if (options.strategy != checker::Strategy::kDfs) {
      return "--preemption-bound applies to --strategy dfs only";
    }
    options.bounds.preemption_bound = opts.preemption_bound;
  }
  return {};
}

std::string describe_params(const programs::ParamValues& params) {
  std::string text;
  for (const auto& [name, value] : params) {
    text += (text.empty() ? "" : ", ") + name + "=" + std::to_string(value);
  }
  return text;
}

std::string describe_site(const checker::AccessSite& site) {
  std::string text = "step " + std::to_string(site.step) + " " + site.thread_name + ": " +
                     site.operation + " in " + site.function;
  if (!site.locks_held.empty()) text += " holding " + join_strings(site.locks_held, ", ");
  return text;
}

// The finding's structured detail, beyond its message.
void print_detail(std::ostream& out, const checker::FindingDetail& detail) {
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, checker::DataRace>) {
          out << "  race on " << d.object << ":\n"
              << "    " << describe_site(d.first) << "\n"
              << "    " << describe_site(d.second) << "\n";
        } else if constexpr (std::is_same_v<T, checker::Deadlock>) {
          out << "  wait cycle:\n";
          for (const checker::WaitEdge& edge : d.cycle) {
            out << "    " << edge.thread_name << " waits for " << edge.waits_for << "\n";
          }
        } else if constexpr (std::is_same_v<T, checker::LockOrderInversion>) {
          out << "  " << d.class_a << " then " << d.class_b << ": "
              << join_strings(d.a_then_b, " <- ") << "\n"
              << "  " << d.class_b << " then " << d.class_a << ": "
              << join_strings(d.b_then_a, " <- ") << "\n";
        }
      },
      detail);
}

// The trace, one event per line, in aligned columns. Steps that form the
// finding are marked with '>'.
void print_trace(std::ostream& out, const checker::Trace& trace,
                 const std::vector<uint32_t>& finding_steps) {
  const std::vector<std::string> headers = {"step",  "thread",   "operation", "object",
                                            "value", "function", "locks held"};
  std::vector<std::vector<std::string>> rows;
  rows.reserve(trace.events.size());
  for (const checker::TraceEvent& event : trace.events) {
    rows.push_back({std::to_string(event.step), event.thread_name, event.operation, event.object,
                    event.value ? std::to_string(*event.value) : "-",
                    event.functions.empty() ? "-" : event.functions.back(),
                    event.locks_held.empty() ? "-" : join_strings(event.locks_held, ",")});
  }
  std::vector<size_t> widths(headers.size());
  for (size_t c = 0; c < headers.size(); ++c) {
    widths[c] = headers[c].size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](std::string_view marker, const std::vector<std::string>& cells) {
    std::string line = "  " + std::string(marker) + " ";
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string cell = cells[c];
      if (c + 1 < cells.size()) cell.resize(widths[c] + 2, ' ');
      line += cell;
    }
    out << line << "\n";
  };
  print_row(" ", headers);
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint32_t step = trace.events[i].step;
    const bool marked =
        std::find(finding_steps.begin(), finding_steps.end(), step) != finding_steps.end();
    print_row(marked ? ">" : " ", rows[i]);
    for (const std::string& note : trace.events[i].notes) out << "        | " << note << "\n";
  }
}

void print_text(std::ostream& out, const RunRequest& request,
                const checker::ExploreResult& result) {
  const checker::Stats& stats = result.stats;
  out << "program " << request.info->name << "(" << describe_params(request.params)
      << "), strategy " << checker::to_string(request.options.strategy) << "\n";
  out << "verdict: " << checker::to_string(result.verdict) << "\n";
  out << "executions " << stats.executions << ", blocked " << stats.blocked << ", deadlocked "
      << stats.deadlocked << ", steps " << stats.steps << ", elapsed " << std::fixed
      << std::setprecision(3) << stats.elapsed_s << " s, "
      << (stats.complete ? std::string("complete") : "incomplete: " + stats.incomplete_reason)
      << "\n";
  for (size_t i = 0; i < result.findings.size(); ++i) {
    const checker::Counterexample& cex = result.findings[i];
    out << "\nfinding " << (i + 1) << " of " << result.findings.size() << ": "
        << cex.finding.property << ": " << cex.finding.message << "\n";
    if (request.options.keep_going) {
      out << "  violating executions in this group: " << cex.occurrences << "\n";
    }
    if (!cex.reproduced) out << "  warning: the recorded re-run did not reproduce this finding\n";
    print_detail(out, cex.finding.detail);
    print_trace(out, cex.trace, cex.finding.steps);
  }
}

void print_json(std::ostream& out, const RunRequest& request,
                const checker::ExploreResult& result) {
  using Json = nlohmann::ordered_json;
  const checker::Stats& stats = result.stats;
  Json params = Json::object();
  for (const auto& [name, value] : request.params) params[name] = value;
  Json findings = Json::array();
  for (const checker::Counterexample& cex : result.findings) {
    Json schedule = Json::array();
    for (const checker::Choice& choice : cex.schedule.choices) {
      schedule.push_back(Json::array({choice.thread, choice.value}));
    }
    findings.push_back(Json{{"property", cex.finding.property},
                            {"message", cex.finding.message},
                            {"schedule", std::move(schedule)}});
  }
  Json run = {
      {"program", request.info->name},
      {"params", std::move(params)},
      {"strategy", checker::to_string(request.options.strategy)},
      {"verdict", checker::to_string(result.verdict)},
      {"findings", std::move(findings)},
      {"executions", stats.executions},
      {"blocked", stats.blocked},
      {"deadlocked", stats.deadlocked},
      {"steps", stats.steps},
      {"complete", stats.complete},
      {"incomplete_reason", stats.complete ? Json(nullptr) : Json(stats.incomplete_reason)},
      {"elapsed_s", stats.elapsed_s},
  };
  out << Json{{"results", Json::array({std::move(run)})}}.dump() << "\n";
}

ExitStatus exit_status(checker::Verdict verdict) {
  switch (verdict) {
    case checker::Verdict::kPass:
      return ExitStatus::kAsExpected;
    case checker::Verdict::kViolation:
      return ExitStatus::kFinding;
    case checker::Verdict::kIncomplete:
      return ExitStatus::kIncomplete;
  }
  return ExitStatus::kIncomplete;
}

// --engine relacy: Relacy's options from the command line; the search's
// default time cap is 10 s.
std::string relacy_options(const RunOptions& opts, checker::relacy::RelacyOptions& options) {
  const RelacySearchChoice choice = parse_relacy_search_option(opts.relacy_search);
  if (!choice.error.empty()) return choice.error;
  options.search = choice.search;
  if (opts.max_executions != 0) options.max_iterations = opts.max_executions;
  if (opts.time_limit_s > 0) options.time_limit_s = opts.time_limit_s;
  return {};
}

ExitStatus run(const RunOptions& opts) {
  RunRequest request;
  const std::string error = make_request(opts, request);
  if (!error.empty()) {
    std::cerr << "protmc run: " << error << "\n";
    return ExitStatus::kBadInput;
  }
  if (opts.engine == "relacy") {
    checker::relacy::RelacyOptions options;
    if (std::string relacy_error = relacy_options(opts, options); !relacy_error.empty()) {
      std::cerr << "protmc run: " << relacy_error << "\n";
      return ExitStatus::kBadInput;
    }
    return run_program_with_relacy(request.info->make(request.params), options);
  }

  // SIGINT ends the search between executions; the result is then incomplete.
  const InterruptScope interrupt_scope;
  watch_exploration(request.options, "run", request.info->name, opts.stall_timeout_s,
                    [](const checker::StallReport& /*report*/, const std::string& /*reason*/) {
                      return ExitStatus::kIncomplete;
                    });
  const checker::Program program = request.info->make(request.params);
  const checker::ExploreResult result = checker::explore(program, request.options);

  if (opts.format == "json") {
    print_json(std::cout, request, result);
  } else {
    print_text(std::cout, request, result);
  }
  std::cout.flush();
  return exit_status(result.verdict);
}

}  // namespace

Command add_run_command(CLI::App& parent) {
  auto opts = std::make_shared<RunOptions>();
  auto scenario_opts = std::make_shared<ScenarioRunOptions>();
  auto kernel = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand(
      "run",
      "Explore scenario files (or every *.json in a directory) under each proposal, or a "
      "registered program (--program), and print verdicts");
  app->add_option("scenarios", scenario_opts->paths, "Scenario files and directories");
  CLI::Option* program =
      app->add_option("--program", opts->program, "Program to explore (see: protmc list programs)");
  CLI::Option* param =
      app->add_option("--param", opts->params, "--program: parameter NAME=VALUE; repeat for each")
          ->allow_extra_args(false);
  CLI::Option* proposal =
      app->add_option("--proposal", scenario_opts->proposals,
                      "Scenarios: run against this proposal (repeat for several) instead of the "
                      "scenario's own or every registered one")
          ->allow_extra_args(false);
  CLI::Option* kernel_opt = app->add_option(
      "--kernel", *kernel,
      "Scenarios: use this kernel preset instead of the scenario's (its knob overrides still "
      "apply; expectations are then not checked)");
  CLI::Option* strategy = app->add_option("--strategy", opts->strategy, "Exploration strategy")
                              ->check(CLI::IsMember({"dpor", "dfs", "random", "pct"}))
                              ->capture_default_str();
  CLI::Option* seed =
      app->add_option("--seed", opts->seed, "Seed for the random and pct strategies")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
  CLI::Option* max_executions =
      app->add_option("--max-executions", opts->max_executions,
                      "Stop after this many executions (default: unlimited)")
          ->check(CLI::PositiveNumber);
  CLI::Option* time_limit = app->add_option("--time-limit", opts->time_limit_s,
                                            "Stop after this many seconds (default: none)")
                                ->check(CLI::NonNegativeNumber);
  CLI::Option* max_memory =
      app->add_option("--max-memory", opts->max_memory_mb,
                      "Stop when the process's resident set exceeds this many MB (default: none)")
          ->check(CLI::PositiveNumber);
  CLI::Option* max_steps =
      app->add_option("--max-steps", opts->max_steps, "Visible steps allowed per execution")
          ->check(CLI::PositiveNumber)
          ->capture_default_str();
  CLI::Option* bound = app->add_option("--preemption-bound", opts->preemption_bound,
                                       "dfs only: skip schedules with more preemptions")
                           ->check(CLI::NonNegativeNumber);
  add_stall_timeout_option(*app, opts->stall_timeout_s);
  app->add_flag("--keep-going", opts->keep_going,
                "Explore everything and count every finding instead of stopping at the first");
  auto trace_dir = std::make_shared<std::string>();
  CLI::Option* trace_dir_opt =
      app->add_option("--trace-dir", *trace_dir,
                      "Scenarios: write a trace file (traces/README.md) for every finding into "
                      "this directory, created if missing");
  app->add_option("--engine", opts->engine, "Engine: native, or relacy (docs/relacy.md)")
      ->capture_default_str();
  CLI::Option* relacy_search =
      app->add_option("--relacy-search", opts->relacy_search,
                      "--engine relacy: random, context or full (only full can pass)")
          ->capture_default_str();
  app->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return Command{app, [=]() -> ExitStatus {
                   const bool scenarios = !scenario_opts->paths.empty();
                   if (opts->engine != "native" && opts->engine != "relacy") {
                     std::cerr << "protmc run: unknown engine '" << opts->engine
                               << "' (native or relacy)\n";
                     return ExitStatus::kBadInput;
                   }
                   if (relacy_search->count() > 0 && opts->engine != "relacy") {
                     std::cerr << "protmc run: --relacy-search applies to --engine relacy\n";
                     return ExitStatus::kBadInput;
                   }
                   if (scenarios == (program->count() > 0)) {
                     std::cerr << "protmc run: give scenario files or directories, or "
                                  "--program NAME (not both)\n";
                     return ExitStatus::kBadInput;
                   }
                   if (!scenarios) {
                     if (proposal->count() > 0 || kernel_opt->count() > 0) {
                       std::cerr << "protmc run: --proposal and --kernel apply to scenarios, "
                                    "not to --program\n";
                       return ExitStatus::kBadInput;
                     }
                     if (trace_dir_opt->count() > 0) {
                       std::cerr << "protmc run: --trace-dir applies to scenarios, not to "
                                    "--program\n";
                       return ExitStatus::kBadInput;
                     }
                     opts->preemption_bound_given = bound->count() > 0;
                     return run(*opts);
                   }
                   if (param->count() > 0) {
                     std::cerr << "protmc run: --param applies to --program only\n";
                     return ExitStatus::kBadInput;
                   }
                   ScenarioRunOptions& s = *scenario_opts;
                   if (kernel_opt->count() > 0) s.kernel = *kernel;
                   if (trace_dir_opt->count() > 0) s.trace_dir = *trace_dir;
                   if (strategy->count() > 0) s.strategy = opts->strategy;
                   if (seed->count() > 0) s.seed = opts->seed;
                   if (max_executions->count() > 0) s.max_executions = opts->max_executions;
                   if (time_limit->count() > 0) s.time_limit_s = opts->time_limit_s;
                   if (max_memory->count() > 0) s.max_memory_mb = opts->max_memory_mb;
                   if (max_steps->count() > 0) s.max_steps = opts->max_steps;
                   if (bound->count() > 0) s.preemption_bound = opts->preemption_bound;
                   s.keep_going = opts->keep_going;
                   s.stall_timeout_s = opts->stall_timeout_s;
                   s.format = opts->format;
                   if (opts->engine == "relacy") {
                     if (strategy->count() > 0 || bound->count() > 0 || seed->count() > 0) {
                       std::cerr << "protmc run: --strategy, --preemption-bound and --seed "
                                    "apply to the native engine (Relacy's: --relacy-search)\n";
                       return ExitStatus::kBadInput;
                     }
                     checker::relacy::RelacyOptions options;
                     if (std::string error = relacy_options(*opts, options); !error.empty()) {
                       std::cerr << "protmc run: " << error << "\n";
                       return ExitStatus::kBadInput;
                     }
                     return run_scenarios_with_relacy(s, options);
                   }
                   return run_scenarios(s);
                 }};
}

}  // namespace protmc::cli
