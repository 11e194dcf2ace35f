// airline(n): n sellers sell seats without a lock until a cap is reached.
//
//   cap := n - max(1, n / 10)
//   seller:  if (read stop) == 0 { s := sold; if s >= cap { stop := 1 } else { sold := s + 1 } }
//
// sold and stop use READ_ONCE/WRITE_ONCE. A seller writes sold only after
// reading a value below cap, so sold never exceeds cap; the main thread checks
// that by peek after the joins. No closed form for the trace count is given
// here (dfs counts them for small n in the tests).
#include <algorithm>
#include <array>
#include <string>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

ProgramInfo airline_program() {
  ProgramInfo info;
  info.name = "airline";
  info.description = "n sellers sell seats unlocked until a cap is reached";
  info.params = {{"n", 4, 1, 31, "number of sellers"}};
  info.expected_traces = [](const ParamValues&) -> std::optional<uint64_t> { return std::nullopt; };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    const uint64_t cap = static_cast<uint64_t>(n - std::max<int64_t>(1, n / 10));
    Names names = numbered_names("seller", n);
    return Program{program_title("airline", values), [n, cap, names](Env& env) {
                     const VarId sold = env.make_var("sold", 0);
                     const VarId stop = env.make_var("stop", 0);
                     std::array<ThreadId, kMaxThreads> threads;
                     for (int64_t i = 0; i < n; ++i) {
                       threads[i] = env.spawn((*names)[i], [=](Env& e) {
                         FunctionScope scope(e, "sell");
                         if (e.load(stop, Access::kMarked) != 0) return;
                         const uint64_t s = e.load(sold, Access::kMarked);
                         if (s >= cap) {
                           e.store(stop, 1, Access::kMarked);
                         } else {
                           e.store(sold, s + 1, Access::kMarked);
                         }
                       });
                     }
                     for (int64_t i = 0; i < n; ++i) env.join(threads[i]);
                     if (env.peek(sold) > cap) {
                       env.fail("airline-oversold", std::to_string(env.peek(sold)) +
                                                        " seats sold, cap " + std::to_string(cap));
                     }
                   }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
