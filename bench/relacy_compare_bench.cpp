// Native dpor against Relacy's fair full search, side by side: for each
// validation program and each small battery scenario, executions and wall time
// of both engines and their ratios (Relacy / native). Relacy's search is
// capped at --cap seconds (default 10); a capped row says so, and its ratios
// are then lower bounds. A plain program (one run per row is the measurement;
// Google Benchmark's repetition would multiply minutes of Relacy search).
//
//   relacy_compare_bench [--cap SECONDS] [SCENARIO_DIR]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "checker/programs/registry.hpp"
#include "checker/relacy/relacy_backend.hpp"
#include "model/scenario/program.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/scenario/to_config.hpp"

namespace {

using namespace protmc;

void row(const std::string& name, const checker::Program& program, bool data_races, double cap) {
  checker::ExploreOptions options;
  options.detectors.lock_order = false;
  options.detectors.data_races = data_races;
  const checker::ExploreResult native = checker::explore(program, options);
  checker::relacy::RelacyOptions relacy_options;
  relacy_options.time_limit_s = cap;
  relacy_options.max_iterations = UINT64_MAX;
  relacy_options.data_races = data_races;
  const checker::relacy::RelacyResult relacy =
      checker::relacy::explore_with_relacy(program, relacy_options);
  const double native_s = native.stats.elapsed_s > 0 ? native.stats.elapsed_s : 1e-9;
  const double native_execs = native.stats.executions > 0 ? native.stats.executions : 1;
  std::printf(
      "| %-48s | %-9s | %10llu | %9.4f | %-10s | %-7s | %12llu | %9.3f | %9.0fx | %9.0fx | %6.2f "
      "| %6.2f |\n",
      name.c_str(), checker::to_string(native.verdict),
      static_cast<unsigned long long>(native.stats.executions), native.stats.elapsed_s,
      relacy.verdict == checker::relacy::RelacyVerdict::kIncomplete
          ? "capped"
          : checker::relacy::to_string(relacy.verdict),
      relacy.static_threads ? "static" : "dynamic",
      static_cast<unsigned long long>(relacy.executions), relacy.elapsed_s,
      static_cast<double>(relacy.executions) / native_execs, relacy.elapsed_s / native_s,
      1e6 * native_s / native_execs,
      relacy.executions ? 1e6 * relacy.elapsed_s / static_cast<double>(relacy.executions) : 0.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  double cap = 10;
  std::string scenario_dir = "scenarios";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--cap" && i + 1 < argc) {
      cap = std::atof(argv[++i]);
    } else {
      scenario_dir = arg;
    }
  }
  std::printf(
      "| %-48s | %-9s | %10s | %9s | %-10s | %-7s | %12s | %9s | %10s | %10s | %6s | %6s |\n",
      "program / scenario[proposal]", "native", "dpor execs", "dpor s", "relacy", "threads",
      "relacy execs", "relacy s", "execs x", "time x", "us/ex", "us/ex R");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  const std::vector<std::pair<std::string, int64_t>> programs = {
      {"readers", 3},    {"readers", 4}, {"readers", 5},     {"lastzero", 3},   {"lastzero", 5},
      {"account", 2},    {"account", 3}, {"indexer", 2},     {"filesystem", 2}, {"opt_lock", 1},
      {"co_2plus2w", 2}, {"airline", 2}, {"philosophers", 3}};
  for (const auto& [name, n] : programs) {
    const checker::programs::ProgramInfo* info = checker::programs::find_program(name);
    const checker::programs::ResolvedParams params =
        checker::programs::resolve_params(*info, {{"n", n}});
    const checker::Program program = info->make(params.values);
    row(program.name, program, true, cap);
  }
  const scenario::LoadResult loaded = scenario::load_scenario_dir(scenario_dir);
  for (const scenario::Scenario& s : loaded.scenarios) {
    const std::string proposal =
        s.proposal ? std::string(scenario::to_string(*s.proposal)) : "write-once";
    const scenario::ConfigResult converted = scenario::to_config(s, proposal, std::nullopt);
    if (!converted.ok()) continue;
    const bool races = scenario::explore_options(s, std::nullopt).detectors.data_races;
    row(s.name + "[" + proposal + "]", model::make_scenario_program(converted.config), races, cap);
  }
  return 0;
}
