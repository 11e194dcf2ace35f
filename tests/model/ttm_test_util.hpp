// Helpers for the TTM and proposal tests: build a TtmState in a Program's
// main thread with the mm properties installed, run a body (single-threaded,
// or spawning threads), snapshot the page table, and explore.
#pragma once

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "model/mm/properties.hpp"
#include "model/proposals/proposal.hpp"
#include "model/ttm/ttm_bo.hpp"
#include "tests/model/exploration_run.hpp"

namespace protmc::model::ttmtest {

using checker::Env;
using checker::ExploreOptions;
using checker::ExploreResult;

inline TtmConfig ttm_config(KernelPreset preset, bool sev, TtmPlacement initial,
                            uint32_t num_pages = 2) {
  TtmConfig config;
  config.num_pages = num_pages;
  config.pmd_pages = 2;
  config.initial = initial;
  config.sev_active = sev;
  config.knobs = preset_knobs(preset);
  return config;
}

struct Snapshot {
  bool taken = false;
  std::vector<x86::pte_t> pte;
  x86::pgprot_t vm_page_prot;
  TtmPlacement mem = TtmPlacement::kSystem;
  std::vector<int64_t> results;  // whatever the body records
};

using TtmRun = modeltest::ExplorationRun<Snapshot>;

using Body = std::function<void(Env&, const std::shared_ptr<const TtmState>&, Snapshot&)>;

// Explores `body` (which may spawn and must join its threads). The snapshot
// is the final state of the last execution that got to the end.
inline TtmRun run_ttm(const TtmConfig& config, Body body, bool keep_going = true) {
  auto snapshot = std::make_shared<Snapshot>();
  checker::Program program{"ttm-test", [config, body, snapshot](Env& env) {
                             auto ttm = make_ttm_state(env, config);
                             install_mm_properties(env, ttm->mm);
                             Snapshot local;
                             body(env, ttm, local);
                             local.taken = true;
                             for (uint64_t p = 0; p < ttm->mm->nr_pages; ++p)
                               local.pte.push_back(peek_pte(env, *ttm->mm, p));
                             local.vm_page_prot = peek_vm_page_prot(env, *ttm->mm);
                             local.mem = static_cast<TtmPlacement>(env.peek(ttm->mem));
                             *snapshot = local;
                           }};
  ExploreOptions options;
  options.keep_going = keep_going;
  TtmRun run;
  run.result = checker::explore(program, options);
  run.snapshot = snapshot;
  return run;
}

inline const Proposal& proposal(const char* name) {
  const Proposal* p = find_proposal(name);
  if (p == nullptr) std::abort();
  return *p;
}

}  // namespace protmc::model::ttmtest
