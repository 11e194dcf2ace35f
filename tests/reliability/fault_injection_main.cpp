// protmc-fault-injection: the protmc command line with three deliberately
// broken proposals registered, so that the end-to-end tests
// (model_fault_cli_test.cpp) can show what the shipped binary does when a
// model breaks, which no shipped model does:
//   test-throws       the fault path throws a C++ exception
//   test-check-fails  the fault path fails a CHECK
//   test-stalls       the fault path loops for ever without calling the engine
// Each breaks only when its choose(2) picks 1, so exploration reaches the
// fault after some healthy executions and the schedule matters; otherwise it
// is per-page-prot's fault path (looked up when it runs: lookups must follow
// registration).
#include <chrono>
#include <stdexcept>
#include <thread>

#include "checker/support/check.hpp"
#include "model/proposals/proposal.hpp"
#include "tools/cli/app.hpp"

namespace {

using protmc::checker::Env;
using protmc::checker::FunctionScope;
using protmc::model::Proposal;
using protmc::model::TtmState;
using protmc::model::vm_fault_t;
using protmc::model::VmFault;

const Proposal& healthy() { return *protmc::model::find_proposal("per-page-prot"); }

void healthy_mmap(Env& env, const TtmState& ttm) {
  if (healthy().ttm_mmap != nullptr) healthy().ttm_mmap(env, ttm);
}

vm_fault_t throwing_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "injected_throw");
  if (env.choose(2) == 1) throw std::runtime_error("injected model bug in the fault path");
  return healthy().ttm_fault(env, ttm, vmf);
}

vm_fault_t check_failing_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "injected_check");
  CHECK_MSG(env.choose(2) == 0, "injected CHECK failure in the fault path");
  return healthy().ttm_fault(env, ttm, vmf);
}

vm_fault_t stalling_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "injected_stall");
  if (env.choose(2) == 1) {
    for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // never calls the engine
  }
  return healthy().ttm_fault(env, ttm, vmf);
}

Proposal broken(std::string_view name, std::string_view description,
                protmc::model::TtmFaultFn fault) {
  Proposal p;
  p.name = name;
  p.description = description;
  p.ttm_fault = fault;
  p.ttm_mmap = &healthy_mmap;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  protmc::model::register_proposal(
      broken("test-throws", "test only: the fault path may throw", &throwing_fault));
  protmc::model::register_proposal(broken(
      "test-check-fails", "test only: the fault path may fail a CHECK", &check_failing_fault));
  protmc::model::register_proposal(broken(
      "test-stalls", "test only: the fault path may loop without engine calls", &stalling_fault));
  return protmc::cli::protmc_main(argc, argv);
}
