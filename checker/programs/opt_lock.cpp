// opt_lock(n): two threads try an optimistic lock for up to n rounds.
//
//   thread id (0 and 1), up to n rounds:  x := id; y := 1; if (read x) == id { read y; stop }
//
// A round succeeds when nobody overwrote x between the thread's write and its
// read. x and y are accessed with READ_ONCE/WRITE_ONCE. No closed form for the
// trace count is given here (dfs counts them for small n in the tests).
#include <array>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

ProgramInfo opt_lock_program() {
  ProgramInfo info;
  info.name = "opt_lock";
  info.description = "two threads try an optimistic lock for up to n rounds";
  info.params = {{"n", 3, 1, 20, "rounds per thread"}};
  info.expected_traces = [](const ParamValues&) -> std::optional<uint64_t> { return std::nullopt; };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    return Program{program_title("opt_lock", values), [n](Env& env) {
                     const VarId x = env.make_var("x", 0);
                     const VarId y = env.make_var("y", 0);
                     std::array<ThreadId, 2> threads;
                     for (uint64_t id = 0; id < 2; ++id) {
                       threads[id] = env.spawn(id == 0 ? "opt0" : "opt1", [=](Env& e) {
                         FunctionScope scope(e, "try_lock");
                         for (int64_t round = 0; round < n; ++round) {
                           e.store(x, id, Access::kMarked);
                           e.store(y, 1, Access::kMarked);
                           if (e.load(x, Access::kMarked) == id) {
                             e.load(y, Access::kMarked);
                             return;
                           }
                         }
                       });
                     }
                     env.join(threads[0]);
                     env.join(threads[1]);
                   }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
