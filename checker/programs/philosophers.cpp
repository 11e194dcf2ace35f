// philosophers(n): the dining philosophers, each taking the left fork first.
//
//   philosopher i:  lock(fork[i]); lock(fork[i+1 mod n]);
//                   unlock(fork[i+1 mod n]); unlock(fork[i])
//
// One maximal execution deadlocks (every philosopher holds its left fork);
// DPOR finds it only if a lock request still blocked at the deadlock races
// with the holder's acquisition. The forks are of distinct lock classes, so
// lockdep also reports the cycle fork[0] -> fork[1] -> ... -> fork[0].
//
// Trace count: the lock events on fork[i] are the critical sections of
// philosophers i-1 and i, so a trace is fixed by which of the two takes each
// fork first, and each such choice is a wait-for edge between neighbours. The
// 2^n - 2 orientations without a cycle are complete executions. Of the two
// cyclic ones, "every philosopher takes fork[i] before philosopher i-1 does"
// is the deadlock, and the other cannot happen. So there are 2^n - 1 traces,
// exactly one of them deadlocked (also checked by brute force for n <= 4).
#include <array>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

ProgramInfo philosophers_program() {
  ProgramInfo info;
  info.name = "philosophers";
  info.description = "dining philosophers, left fork first; 2^n-1 traces, one deadlocks";
  info.params = {{"n", 3, 2, 31, "number of philosophers (and forks)"}};
  info.expected_traces = [](const ParamValues& values) -> std::optional<uint64_t> {
    return (uint64_t{1} << param(values, "n")) - 1;
  };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    Names forks = indexed_names("fork", n);
    Names names = numbered_names("philosopher", n);
    return Program{program_title("philosophers", values), [n, forks, names](Env& env) {
                     std::array<LockId, kMaxThreads> fork;
                     for (int64_t i = 0; i < n; ++i) {
                       LockSpec spec;
                       spec.name = (*forks)[i];  // each fork its own lock class
                       fork[i] = env.make_lock(spec);
                     }
                     std::array<ThreadId, kMaxThreads> threads;
                     for (int64_t i = 0; i < n; ++i) {
                       const LockId left = fork[i];
                       const LockId right = fork[(i + 1) % n];
                       threads[i] = env.spawn((*names)[i], [left, right](Env& e) {
                         FunctionScope scope(e, "dine");
                         e.lock(left);
                         e.lock(right);
                         e.unlock(right);
                         e.unlock(left);
                       });
                     }
                     for (int64_t i = 0; i < n; ++i) env.join(threads[i]);
                   }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
