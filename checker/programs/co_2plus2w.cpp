// co_2plus2w(n) ("CO-2+2W"): n threads each write their id to one variable
// twice; the main thread reads it after the joins.
//
//   thread tid (1..n):  v := tid; v := tid
//
// Every pair of events of different threads writes v, so every interleaving
// is its own trace: (2n)! / 2^n traces (6 for n = 2, 90 for 3, 2520 for 4).
// v is accessed with READ_ONCE/WRITE_ONCE.
#include <array>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

ProgramInfo co_2plus2w_program() {
  ProgramInfo info;
  info.name = "co_2plus2w";
  info.description = "n threads each write one variable twice; (2n)!/2^n traces";
  info.params = {{"n", 3, 1, 31, "number of threads"}};
  info.expected_traces = [](const ParamValues& values) -> std::optional<uint64_t> {
    // (2n)! / 2^n = prod_{k=1..n} k * (2k - 1)
    std::optional<uint64_t> traces = 1;
    for (uint64_t k = 1; k <= static_cast<uint64_t>(param(values, "n")); ++k) {
      traces = checked_mul(checked_mul(traces, k), 2 * k - 1);
    }
    return traces;
  };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    Names names = numbered_names("writer", n, 1);
    return Program{program_title("co_2plus2w", values), [n, names](Env& env) {
                     const VarId v = env.make_var("v", 0);
                     std::array<ThreadId, kMaxThreads> threads;
                     for (int64_t tid = 1; tid <= n; ++tid) {
                       threads[tid - 1] = env.spawn((*names)[tid - 1], [v, tid](Env& e) {
                         FunctionScope scope(e, "write_twice");
                         e.store(v, static_cast<uint64_t>(tid), Access::kMarked);
                         e.store(v, static_cast<uint64_t>(tid), Access::kMarked);
                       });
                     }
                     for (int64_t i = 0; i < n; ++i) env.join(threads[i]);
                     env.load(v, Access::kMarked);
                   }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
