// lastzero(n): a scanner looks for the last zero of an array that n writers
// fill from the left.
//
//   scanner:   i := n; while (array[i] != 0) i := i - 1      (one read per test)
//   writer j:  t := array[j-1]; array[j] := t + 1             (j = 1..n)
//
// array[0] is never written, so the scan stops at the latest there. A standard
// benchmark of Abdulla et al. (POPL 2014); no closed form for its trace count
// is given here (dfs counts them for small n in the tests).
#include <array>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

ProgramInfo lastzero_program() {
  ProgramInfo info;
  info.name = "lastzero";
  info.description = "a scanner looks for the last zero of an array filled by n writers";
  info.params = {{"n", 3, 1, 30, "number of writer threads (the array has n+1 cells)"}};
  info.expected_traces = [](const ParamValues&) -> std::optional<uint64_t> { return std::nullopt; };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    Names cells = indexed_names("array", n + 1);
    Names writers = numbered_names("writer", n, 1);
    return Program{program_title("lastzero", values), [n, cells, writers](Env& env) {
                     std::array<VarId, kMaxThreads> array;
                     for (int64_t i = 0; i <= n; ++i) array[i] = env.make_var((*cells)[i], 0);
                     std::array<ThreadId, kMaxThreads> threads;
                     threads[0] = env.spawn("scanner", [n, array](Env& e) {
                       FunctionScope scope(e, "scan");
                       int64_t i = n;
                       while (e.load(array[i], Access::kMarked) != 0) --i;
                     });
                     for (int64_t j = 1; j <= n; ++j) {
                       threads[j] = env.spawn((*writers)[j - 1], [j, array](Env& e) {
                         FunctionScope scope(e, "fill");
                         const uint64_t t = e.load(array[j - 1], Access::kMarked);
                         e.store(array[j], t + 1, Access::kMarked);
                       });
                     }
                     for (int64_t j = 0; j <= n; ++j) env.join(threads[j]);
                   }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
