// The engine's fixed costs: one scheduling step (announce -> choose ->
// resume) and the overhead of one execution.
//
// per_step and per_execution are wall times (counters with kIsRate|kInvert);
// steps and executions are rates per second.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "checker/explore/explorer.hpp"

namespace protmc::checker {
namespace {

constexpr uint64_t kLoads = 100'000;

void report(benchmark::State& state, uint64_t steps, uint64_t executions) {
  using benchmark::Counter;
  state.counters["steps"] = Counter(static_cast<double>(steps), Counter::kIsRate);
  state.counters["per_step"] =
      Counter(static_cast<double>(steps), Counter::kIsRate | Counter::kInvert);
  state.counters["executions"] = Counter(static_cast<double>(executions), Counter::kIsRate);
  state.counters["per_execution"] =
      Counter(static_cast<double>(executions), Counter::kIsRate | Counter::kInvert);
}

void run(benchmark::State& state, const Program& program, Strategy strategy) {
  ExploreOptions options;
  options.strategy = strategy;
  options.bounds.max_steps = 4 * kLoads;
  uint64_t steps = 0;
  uint64_t executions = 0;
  for (auto _ : state) {
    const ExploreResult result = explore(program, options);
    if (!result.stats.complete) {
      state.SkipWithError(result.stats.incomplete_reason.c_str());
      break;
    }
    steps += result.stats.steps;
    executions += result.stats.executions;
  }
  report(state, steps, executions);
}

// One thread, kLoads READ_ONCEs of its own variable: one execution whose
// cost is almost all scheduling steps.
void BM_StepOneThreadDfs(benchmark::State& state) {
  const Program program{"loads", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          for (uint64_t i = 0; i < kLoads; ++i) env.load(x, Access::kMarked);
                        }};
  run(state, program, Strategy::kDfs);
}
BENCHMARK(BM_StepOneThreadDfs)->Unit(benchmark::kMillisecond);

void BM_StepOneThreadDpor(benchmark::State& state) {
  const Program program{"loads", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          for (uint64_t i = 0; i < kLoads; ++i) env.load(x, Access::kMarked);
                        }};
  run(state, program, Strategy::kDpor);
}
BENCHMARK(BM_StepOneThreadDpor)->Unit(benchmark::kMillisecond);

// Two threads, each kLoads/2 READ_ONCEs of its own variable: independent, so
// dpor runs one execution, and every step switches between fibers.
void BM_StepTwoThreadsDpor(benchmark::State& state) {
  const Program program{"loads2", [](Env& env) {
                          ThreadId threads[2];
                          for (int t = 0; t < 2; ++t) {
                            const VarId x = env.make_var(t == 0 ? "x0" : "x1", 0);
                            threads[t] = env.spawn(t == 0 ? "t0" : "t1", [x](Env& e) {
                              for (uint64_t i = 0; i < kLoads / 2; ++i) e.load(x, Access::kMarked);
                            });
                          }
                          env.join(threads[0]);
                          env.join(threads[1]);
                        }};
  run(state, program, Strategy::kDpor);
}
BENCHMARK(BM_StepTwoThreadsDpor)->Unit(benchmark::kMillisecond);

// Per-execution overhead: choose(1024) then one load, under dfs: 1024 tiny
// executions per exploration.
void BM_ExecutionChoose1024Dfs(benchmark::State& state) {
  const Program program{"choose", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          env.choose(1024);
                          env.load(x, Access::kMarked);
                        }};
  run(state, program, Strategy::kDfs);
}
BENCHMARK(BM_ExecutionChoose1024Dfs)->Unit(benchmark::kMicrosecond);

// readers(1) written out: a writer and a reader spawned by main, two traces.
void BM_ExecutionReaders1Dpor(benchmark::State& state) {
  const Program program{
      "readers1", [](Env& env) {
        const VarId x = env.make_var("x", 0);
        const ThreadId w = env.spawn("writer", [x](Env& e) { e.store(x, 42, Access::kMarked); });
        const ThreadId r = env.spawn("reader", [x](Env& e) { e.load(x, Access::kMarked); });
        env.join(w);
        env.join(r);
      }};
  run(state, program, Strategy::kDpor);
}
BENCHMARK(BM_ExecutionReaders1Dpor)->Unit(benchmark::kMicrosecond);

// One explore() call on a single-thread single-load program: setup included.
void BM_ExploreCallOneLoad(benchmark::State& state) {
  const Program program{"one_load", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          env.load(x, Access::kMarked);
                        }};
  run(state, program, Strategy::kDpor);
}
BENCHMARK(BM_ExploreCallOneLoad)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace protmc::checker

BENCHMARK_MAIN();
