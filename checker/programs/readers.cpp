// readers(n): one writer and n readers of one variable.
//
//   writer:    x := 42
//   reader i:  read x                                  (i = 1..n)
//
// Each read happens either before or after the write, independently of the
// other reads, so there are exactly 2^n Mazurkiewicz traces. The classic
// demonstration that DPOR is exponentially better than dfs ((n+1)! orders).
// x is accessed with READ_ONCE/WRITE_ONCE: racy by design but not a data race.
#include <array>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

ProgramInfo readers_program() {
  ProgramInfo info;
  info.name = "readers";
  info.description = "one writer and n readers of one variable; 2^n traces";
  info.params = {{"n", 3, 1, 30, "number of readers"}};
  info.expected_traces = [](const ParamValues& values) -> std::optional<uint64_t> {
    return uint64_t{1} << param(values, "n");
  };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    Names names = numbered_names("reader", n, 1);
    return Program{program_title("readers", values), [n, names](Env& env) {
                     const VarId x = env.make_var("x", 0);
                     std::array<ThreadId, kMaxThreads> threads;
                     threads[0] = env.spawn("writer", [x](Env& e) {
                       FunctionScope scope(e, "writer");
                       e.store(x, 42, Access::kMarked);
                     });
                     for (int64_t i = 0; i < n; ++i) {
                       threads[i + 1] = env.spawn((*names)[i], [x](Env& e) {
                         FunctionScope scope(e, "reader");
                         e.load(x, Access::kMarked);
                       });
                     }
                     for (int64_t i = 0; i <= n; ++i) env.join(threads[i]);
                   }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
