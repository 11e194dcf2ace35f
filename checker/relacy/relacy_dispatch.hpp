// Internal to checker/relacy: running a Relacy test suite whose thread count
// is a template parameter from a count known at run time. Relacy's scheduler
// and suite are instantiated for every count in [2, kLast] (its one-thread
// instantiation does not compile cleanly with GCC 12: array-bounds warnings
// inside Relacy), so each includer pays those instantiations once; the
// dynamic suites (relacy_backend.cpp) and the static ones
// (relacy_static.cpp) live in separate translation units to build in
// parallel.
#pragma once

#include <cstdint>
#include <ostream>
#include <utility>

#include "checker/relacy/relacy_env.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker::relacy::detail {

// Suite<kThreads> under the scheduler params.search_type names.
template <template <uint32_t> class Suite, uint32_t kThreads>
rl::test_result_e run_suite(rl::test_params& params, std::ostream& out, bool replay) {
  using Test = Suite<kThreads>;
  switch (params.search_type) {
    case rl::sched_random:
      return rl::run_test<Test, rl::random_scheduler<kThreads>>(params, out, replay);
    case rl::sched_bound:
      return rl::run_test<Test, rl::context_bound_scheduler<kThreads>>(params, out, replay);
    case rl::sched_full:
      return rl::run_test<Test, rl::full_search_scheduler<kThreads>>(params, out, replay);
    default:
      break;
  }
  CHECK_MSG(false, "unknown Relacy scheduler");
}

template <template <uint32_t> class Suite, uint32_t... kOffsets>
rl::test_result_e dispatch_suite_in(uint32_t threads, rl::test_params& params, std::ostream& out,
                                    bool replay,
                                    std::integer_sequence<uint32_t, kOffsets...> /*offsets*/) {
  rl::test_result_e result = rl::test_result_success;
  const bool found = ((threads == kOffsets + 2
                           ? (result = run_suite<Suite, kOffsets + 2>(params, out, replay), true)
                           : false) ||
                      ...);
  CHECK_MSG(found, "no Relacy instantiation for this thread count");
  return result;
}

// Suite<threads> for `threads` in [2, kLast] (CHECKed).
template <template <uint32_t> class Suite, uint32_t kLast>
rl::test_result_e dispatch_suite(uint32_t threads, rl::test_params& params, std::ostream& out,
                                 bool replay) {
  static_assert(kLast >= 2);
  return dispatch_suite_in<Suite>(threads, params, out, replay,
                                  std::make_integer_sequence<uint32_t, kLast - 1>{});
}

}  // namespace protmc::checker::relacy::detail
