// Exploration speed on the validation programs (checker/programs): each
// benchmark explores one program exhaustively with dpor per iteration.
//
// A dfs run of readers(5) measures the engine without DPOR's analysis.
//
// Counters: executions and steps are rates (per second); per_execution is the
// wall time of one complete execution; traces is executions per exploration.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "checker/programs/registry.hpp"

namespace protmc::checker {
namespace {

using programs::ParamValues;

struct Size {
  const char* program;
  ParamValues params;
};

// Medium sizes: each exploration takes milliseconds to about a second; readers(5)
// (32 executions) measures the fixed cost per execution of a small program.
const std::vector<Size>& sizes() {
  static const std::vector<Size> list = {
      {"readers", {{"n", 5}}},    {"readers", {{"n", 8}}},     {"readers", {{"n", 13}}},
      {"lastzero", {{"n", 5}}},   {"account", {{"n", 5}}},     {"indexer", {{"n", 13}}},
      {"indexer", {{"n", 15}}},   {"filesystem", {{"n", 16}}}, {"opt_lock", {{"n", 4}}},
      {"co_2plus2w", {{"n", 4}}}, {"airline", {{"n", 5}}},     {"philosophers", {{"n", 5}}},
  };
  return list;
}

void explore_program(benchmark::State& state, const Program& program, Strategy strategy) {
  ExploreOptions options;
  options.strategy = strategy;
  options.keep_going = true;  // philosophers deadlock; explore everything anyway
  uint64_t executions = 0;
  uint64_t steps = 0;
  uint64_t per_exploration = 0;
  for (auto _ : state) {
    const ExploreResult result = explore(program, options);
    if (!result.stats.complete || result.stats.blocked != 0) {
      state.SkipWithError(
          ("incomplete or sleep-set blocked: " + result.stats.incomplete_reason).c_str());
      break;
    }
    executions += result.stats.executions;
    steps += result.stats.steps;
    per_exploration = result.stats.executions;
  }
  using benchmark::Counter;
  state.counters["executions"] = Counter(static_cast<double>(executions), Counter::kIsRate);
  state.counters["steps"] = Counter(static_cast<double>(steps), Counter::kIsRate);
  state.counters["per_execution"] =
      Counter(static_cast<double>(executions), Counter::kIsRate | Counter::kInvert);
  state.counters["traces"] = static_cast<double>(per_exploration);
}

}  // namespace
}  // namespace protmc::checker

int main(int argc, char** argv) {
  using namespace protmc::checker;
  for (const auto& size : sizes()) {
    const programs::ProgramInfo* info = programs::find_program(size.program);
    if (info == nullptr) return 2;
    const programs::ResolvedParams resolved = programs::resolve_params(*info, size.params);
    if (!resolved.error.empty()) return 2;
    Program program = info->make(resolved.values);
    benchmark::RegisterBenchmark(("dpor/" + program.name).c_str(), [program](
                                                                       benchmark::State& state) {
      explore_program(state, program, Strategy::kDpor);
    })->Unit(benchmark::kMillisecond);
  }
  // The engine's cost per execution without DPOR's analysis: dfs explores
  // all (n+1)! orders of readers(5), 720 executions of the same 6 steps.
  const programs::ProgramInfo* readers = programs::find_program("readers");
  const Program readers5 = readers->make(programs::resolve_params(*readers, {{"n", 5}}).values);
  benchmark::RegisterBenchmark(("dfs/" + readers5.name).c_str(), [readers5](
                                                                     benchmark::State& state) {
    explore_program(state, readers5, Strategy::kDfs);
  })->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
