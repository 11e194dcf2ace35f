// The static-thread suites (StaticProgramSuite<2> .. <kMaxRelacyThreads - 1>),
// in their own translation unit so that the build compiles them alongside the
// dynamic ones in relacy_backend.cpp.
#include <algorithm>

#include "checker/relacy/relacy_dispatch.hpp"

namespace protmc::checker::relacy::detail {

rl::test_result_e run_static_suite(uint32_t spawned, rl::test_params& params, std::ostream& out,
                                   bool replay) {
  // One spawned thread runs with an idle second one (relacy_dispatch.hpp: no
  // one-thread instantiation).
  return dispatch_suite<StaticProgramSuite, kMaxRelacyThreads - 1>(std::max<uint32_t>(spawned, 2),
                                                                   params, out, replay);
}

}  // namespace protmc::checker::relacy::detail
