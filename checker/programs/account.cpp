// account(n): n depositors and one withdrawer update a balance without a lock.
//
//   amount := 1000 initially
//   depositor:   t := amount; amount := t + 100
//   withdrawer:  t := amount; amount := t - 10
//
// Reads commute with reads, so a trace is fixed by the order of the n+1
// writes ((n+1)! ways) and, for each thread, by how many writes precede its
// read: the thread whose write comes k-th (k = 1..n+1) has k choices. Hence
// exactly ((n+1)!)^2 traces (4 for n = 1, 36 for 2, 576 for 3). Lost updates
// are the point of the program; amount uses READ_ONCE/WRITE_ONCE so that they
// are not reported as data races.
#include <array>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

ProgramInfo account_program() {
  ProgramInfo info;
  info.name = "account";
  info.description = "n depositors and a withdrawer update a balance unlocked; ((n+1)!)^2 traces";
  info.params = {{"n", 3, 1, 30, "number of depositors"}};
  info.expected_traces = [](const ParamValues& values) -> std::optional<uint64_t> {
    std::optional<uint64_t> factorial = 1;
    for (uint64_t k = 2; k <= static_cast<uint64_t>(param(values, "n")) + 1; ++k) {
      factorial = checked_mul(factorial, k);
    }
    return factorial ? checked_mul(factorial, *factorial) : std::nullopt;
  };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    Names names = numbered_names("depositor", n, 1);
    return Program{program_title("account", values), [n, names](Env& env) {
                     const VarId amount = env.make_var("amount", 1000);
                     std::array<ThreadId, kMaxThreads> threads;
                     for (int64_t i = 0; i < n; ++i) {
                       threads[i] = env.spawn((*names)[i], [amount](Env& e) {
                         FunctionScope scope(e, "deposit");
                         const uint64_t t = e.load(amount, Access::kMarked);
                         e.store(amount, t + 100, Access::kMarked);
                       });
                     }
                     threads[n] = env.spawn("withdrawer", [amount](Env& e) {
                       FunctionScope scope(e, "withdraw");
                       const uint64_t t = e.load(amount, Access::kMarked);
                       e.store(amount, t - 10, Access::kMarked);
                     });
                     for (int64_t i = 0; i <= n; ++i) env.join(threads[i]);
                   }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
