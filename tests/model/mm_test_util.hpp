// Helpers for the core-mm tests: run a body single-threaded (or with spawned
// threads) on a fresh MmState through explore(), with the properties
// installed, and snapshot the page table at the end.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "model/mm/mm_state.hpp"
#include "model/mm/properties.hpp"
#include "tests/model/exploration_run.hpp"

namespace protmc::model::mmtest {

using checker::Env;
using checker::ExploreOptions;
using checker::ExploreResult;

// pfns 0x100..0x103: system-cached RAM of owner 1; 0x104..0x107: VRAM
// (iomem-wc) of owner 2.
inline MmConfig test_config(KernelPreset preset, bool sev, VmaKind kind = VmaKind::kMixedMap) {
  MmConfig config;
  config.nr_pages = 4;
  config.pmd_pages = 2;
  config.vma_kind = kind;
  config.sev_active = sev;
  config.knobs = preset_knobs(preset);
  config.first_pfn = 0x100;
  for (int i = 0; i < 4; ++i) config.memory.push_back({MemoryKind::kSystemCached, 1});
  for (int i = 0; i < 4; ++i) config.memory.push_back({MemoryKind::kIomemWc, 2});
  return config;
}

struct Snapshot {
  bool taken = false;
  std::vector<x86::pte_t> pte;
  std::vector<x86::pmd_t> pmd;
  x86::pgprot_t vm_page_prot;
  vm_flags_t vm_flags = 0;
  std::vector<int64_t> results;  // whatever the body records
};

using MmRun = modeltest::ExplorationRun<Snapshot>;

using Body = std::function<void(Env&, const MmState&, Snapshot&)>;

inline MmRun run_mm(const MmConfig& config, Body body, bool keep_going = true) {
  auto snapshot = std::make_shared<Snapshot>();
  checker::Program program{"mm-test", [config, body, snapshot](Env& env) {
                             auto mm = make_mm_state(env, config);
                             install_mm_properties(env, mm);
                             Snapshot local;
                             body(env, *mm, local);
                             local.taken = true;
                             for (uint64_t p = 0; p < mm->nr_pages; ++p)
                               local.pte.push_back(peek_pte(env, *mm, p));
                             for (uint32_t s = 0; s < mm->nr_pmds; ++s)
                               local.pmd.push_back(peek_pmd(env, *mm, s));
                             local.vm_page_prot = peek_vm_page_prot(env, *mm);
                             local.vm_flags = env.peek(mm->vma(0).vm_flags);
                             *snapshot = local;
                           }};
  ExploreOptions options;
  options.keep_going = keep_going;
  MmRun run;
  run.result = checker::explore(program, options);
  run.snapshot = snapshot;
  return run;
}

}  // namespace protmc::model::mmtest
