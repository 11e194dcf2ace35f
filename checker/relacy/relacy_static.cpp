// The static-thread suites (StaticProgramSuite<2> .. <kMaxRelacyThreads - 1>)
// under each Relacy scheduler, in their own translation unit so that the
// build compiles them alongside the dynamic ones in relacy_backend.cpp.
#include <algorithm>
#include <utility>

#include "checker/relacy/relacy_env.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker::relacy::detail {
namespace {

template <uint32_t kSpawned>
rl::test_result_e run_with(rl::test_params& params, std::ostream& out, bool replay) {
  using Suite = StaticProgramSuite<kSpawned>;
  switch (params.search_type) {
    case rl::sched_random:
      return rl::run_test<Suite, rl::random_scheduler<kSpawned>>(params, out, replay);
    case rl::sched_bound:
      return rl::run_test<Suite, rl::context_bound_scheduler<kSpawned>>(params, out, replay);
    case rl::sched_full:
      return rl::run_test<Suite, rl::full_search_scheduler<kSpawned>>(params, out, replay);
    default:
      break;
  }
  CHECK_MSG(false, "unknown Relacy scheduler");
}

template <uint32_t... kCounts>
rl::test_result_e dispatch(uint32_t spawned, rl::test_params& params, std::ostream& out,
                           bool replay, std::integer_sequence<uint32_t, kCounts...> /*counts*/) {
  rl::test_result_e result = rl::test_result_success;
  const bool found =
      ((spawned == kCounts + 2 ? (result = run_with<kCounts + 2>(params, out, replay), true)
                               : false) ||
       ...);
  CHECK(found);
  return result;
}

}  // namespace

rl::test_result_e run_static_suite(uint32_t spawned, rl::test_params& params, std::ostream& out,
                                   bool replay) {
  // Relacy's one-thread instantiation does not compile cleanly (GCC's
  // array-bounds warnings inside Relacy): one spawned thread runs with an
  // idle second one.
  return dispatch(std::max<uint32_t>(spawned, 2), params, out, replay,
                  std::make_integer_sequence<uint32_t, kMaxRelacyThreads - 2>{});
}

}  // namespace protmc::checker::relacy::detail
