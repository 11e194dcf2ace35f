// TTM's huge faults (v5.7, "drm/ttm, drm/vmwgfx: Support huge TTM
// pagefaults"): single-threaded runs of ->huge_fault under each proposal
// (one huge PMD with the fault path's prot, fallback to PTEs when the BO part
// is not aligned or the knob is off, the write upgrade of a present huge
// entry), and explorations of huge faults racing with moves, mprotect and
// splits.
#include <gtest/gtest.h>

#include "tests/model/ttm_test_util.hpp"

namespace protmc::model {
namespace {

using ttmtest::proposal;
using ttmtest::run_ttm;
using ttmtest::Snapshot;
using ttmtest::TtmRun;
using x86::pmd_t;

using TtmPtr = std::shared_ptr<const TtmState>;

// A v5.7 (ttm_huge_faults on) mapping that allows huge PMDs of 2 pages.
TtmConfig huge_config(TtmPlacement placement, uint32_t num_pages = 2,
                      KernelPreset preset = KernelPreset::kV5_7) {
  TtmConfig config = ttmtest::ttm_config(preset, /*sev=*/true, placement, num_pages);
  config.transparent_hugepage = true;
  return config;
}

// The PMD slots at the end of a run (the snapshot records PTEs only).
struct PmdRun {
  TtmRun run;
  std::shared_ptr<std::vector<pmd_t>> pmds = std::make_shared<std::vector<pmd_t>>();
};

PmdRun run_with_pmds(const TtmConfig& config,
                     std::function<void(Env&, const TtmPtr&, Snapshot&)> body) {
  PmdRun out;
  auto pmds = out.pmds;
  out.run = run_ttm(config, [body, pmds](Env& env, const TtmPtr& ttm, Snapshot& snap) {
    body(env, ttm, snap);
    pmds->clear();
    for (uint32_t slot = 0; slot < ttm->mm->nr_pmds; ++slot) {
      pmds->push_back(peek_pmd(env, *ttm->mm, slot));
    }
  });
  return out;
}

class EveryHugeProposal : public testing::TestWithParam<const char*> {};

TEST_P(EveryHugeProposal, ReadFaultOnVramInsertsOneWcDecryptedHugePmd) {
  const char* name = GetParam();
  const PmdRun r = run_with_pmds(
      huge_config(TtmPlacement::kVram), [name](Env& env, const TtmPtr& ttm, Snapshot& out) {
        ttm_mmap_region(env, *ttm, proposal(name));
        out.results.push_back(ttm_user_fault(env, *ttm, proposal(name), 1, false));
      });
  ASSERT_TRUE(r.run.snapshot->taken) << r.run.all();
  EXPECT_TRUE(r.run.result.findings.empty()) << r.run.all();
  EXPECT_EQ(r.run.snapshot->results.at(0), VM_FAULT_NOPAGE);
  ASSERT_EQ(r.pmds->size(), 1u);
  const pmd_t pmd = r.pmds->at(0);
  ASSERT_TRUE(pmd_is_huge(pmd)) << x86::describe_pmd(pmd);
  EXPECT_TRUE(x86::pmd_devmap(pmd));
  EXPECT_TRUE(x86::pmd_write(pmd));              // PAGE_SHARED: a shared writable mapping
  EXPECT_EQ(x86::pmd_pfn(pmd), 0x100u + 4 * 2);  // the vram range of a 2-page BO
  EXPECT_EQ(x86::cachemode_of(x86::pmd_pgprot(pmd)), x86::PageCacheMode::kWc);
  EXPECT_FALSE(x86::is_encrypted(x86::pmd_pgprot(pmd)));
  // Never prefaulted, no PTE table.
  EXPECT_TRUE(x86::pte_none(r.run.snapshot->pte[0]));
  EXPECT_TRUE(x86::pte_none(r.run.snapshot->pte[1]));
}

INSTANTIATE_TEST_SUITE_P(Proposals, EveryHugeProposal,
                         testing::Values("per-page-prot", "write-once", "vm-prot-lock",
                                         "dma-mmap-prepare"));

TEST(TtmHugeFault, FakeVmaHasNoHugeFaultAndFallsBackToPtes) {
  const PmdRun r =
      run_with_pmds(huge_config(TtmPlacement::kVram), [](Env& env, const TtmPtr& ttm, Snapshot&) {
        ttm_user_fault(env, *ttm, proposal("fake-vma"), 0, false);
      });
  EXPECT_TRUE(r.run.result.findings.empty()) << r.run.all();
  EXPECT_FALSE(pmd_is_huge(r.pmds->at(0)));
  EXPECT_TRUE(x86::pte_present(r.run.snapshot->pte[0]));
}

TEST(TtmHugeFault, KnobOffMeansPtesOnly) {
  TtmConfig config = huge_config(TtmPlacement::kVram);
  config.knobs.ttm_huge_faults = false;  // v5.6
  const PmdRun r = run_with_pmds(config, [](Env& env, const TtmPtr& ttm, Snapshot&) {
    ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
  });
  EXPECT_FALSE(pmd_is_huge(r.pmds->at(0)));
  EXPECT_TRUE(x86::pte_present(r.run.snapshot->pte[0]));
  EXPECT_TRUE(x86::pte_present(r.run.snapshot->pte[1]));
}

TEST(TtmHugeFault, MisalignedOrTruncatedBoPartFallsBackToPtes) {
  // A 3-page BO in system-wc starts at pfn 0x103: slot 0 is misaligned, and
  // slot 1 would cross the end of the BO. Both fall back to PTE faults.
  const PmdRun r = run_with_pmds(
      huge_config(TtmPlacement::kSystemWc, 3), [](Env& env, const TtmPtr& ttm, Snapshot& out) {
        out.results.push_back(ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false));
      });
  EXPECT_TRUE(r.run.result.findings.empty()) << r.run.all();
  EXPECT_EQ(r.run.snapshot->results.at(0), VM_FAULT_NOPAGE);
  for (const pmd_t pmd : *r.pmds) EXPECT_FALSE(pmd_is_huge(pmd)) << x86::describe_pmd(pmd);
  for (uint64_t page = 0; page < 3; ++page) {
    EXPECT_TRUE(x86::pte_present(r.run.snapshot->pte[page])) << page;
  }
}

TEST(TtmHugeFault, WriteFaultOnTheHugePmdLeavesIt) {
  const PmdRun r = run_with_pmds(
      huge_config(TtmPlacement::kVram), [](Env& env, const TtmPtr& ttm, Snapshot& out) {
        ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
        out.results.push_back(ttm_user_fault(env, *ttm, proposal("per-page-prot"), 1, true));
      });
  EXPECT_TRUE(r.run.result.findings.empty()) << r.run.all();
  EXPECT_EQ(r.run.snapshot->results.at(0), 0u);  // huge_pmd_set_accessed()
  const pmd_t pmd = r.pmds->at(0);
  ASSERT_TRUE(pmd_is_huge(pmd));
  EXPECT_EQ(x86::pmd_pfn(pmd), 0x108u);
  EXPECT_EQ(x86::cachemode_of(x86::pmd_pgprot(pmd)), x86::PageCacheMode::kWc);
  EXPECT_FALSE(x86::is_encrypted(x86::pmd_pgprot(pmd)));
}

TEST(TtmHugeFault, WriteFaultAfterMprotectRoundTripKeepsTheHugePmdWritable) {
  // mprotect(READ) write-protects the huge PMD with pmd_modify(); mprotect
  // back to READ|WRITE makes it writable again (no write-notify on this
  // shared mapping), so the write fault finds it writable.
  const PmdRun r = run_with_pmds(
      huge_config(TtmPlacement::kVram), [](Env& env, const TtmPtr& ttm, Snapshot& out) {
        ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
        do_mprotect_pkey(env, *ttm->mm, 0, 2, PROT_READ);
        out.results.push_back(x86::pmd_write(peek_pmd(env, *ttm->mm, 0)));
        do_mprotect_pkey(env, *ttm->mm, 0, 2, PROT_READ | PROT_WRITE);
        out.results.push_back(ttm_user_fault(env, *ttm, proposal("per-page-prot"), 1, true));
      });
  EXPECT_TRUE(r.run.result.findings.empty()) << r.run.all();
  EXPECT_EQ(r.run.snapshot->results.at(0), 0);
  EXPECT_EQ(r.run.snapshot->results.at(1), 0);
  EXPECT_TRUE(x86::pmd_write(r.pmds->at(0)));
  EXPECT_FALSE(x86::is_encrypted(x86::pmd_pgprot(r.pmds->at(0))));
}

// Threads: a huge read fault on page 0 and one other operation.
TtmRun explore_huge(const TtmConfig& config, const char* name,
                    std::function<void(Env&, const TtmPtr&)> other) {
  return run_ttm(config, [name, other](Env& env, const TtmPtr& ttm, Snapshot&) {
    ttm_mmap_region(env, *ttm, proposal(name));
    const checker::ThreadId fault = env.spawn("fault", [ttm, name](Env& e) {
      ttm_user_fault(e, *ttm, proposal(name), 0, /*write=*/false);
    });
    const checker::ThreadId second = env.spawn("other", [ttm, other](Env& e) { other(e, ttm); });
    env.join(fault);
    env.join(second);
  });
}

TEST(TtmHugeExploration, WriteOnceHoldsWithHugeFaultsAndAMove) {
  const TtmRun run =
      explore_huge(huge_config(TtmPlacement::kVram), "write-once",
                   [](Env& e, const TtmPtr& ttm) { ttm_bo_move(e, *ttm, TtmPlacement::kSystem); });
  EXPECT_TRUE(run.result.stats.complete) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
}

TEST(TtmHugeExploration, PerPageProtHoldsAgainstMprotectOfTheHugePmdOnV57) {
  const TtmRun run = explore_huge(
      huge_config(TtmPlacement::kVram), "per-page-prot",
      [](Env& e, const TtmPtr& ttm) { do_mprotect_pkey(e, *ttm->mm, 0, 2, PROT_READ); });
  EXPECT_TRUE(run.result.stats.complete) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
}

TEST(TtmHugeExploration, MprotectDropsTheCBitOfAHugePmdWithV53Modify) {
  TtmConfig config = huge_config(TtmPlacement::kVram);
  config.knobs.pte_modify_keeps_cbit = false;  // v5.3's pmd_modify()
  const TtmRun run = explore_huge(config, "per-page-prot", [](Env& e, const TtmPtr& ttm) {
    do_mprotect_pkey(e, *ttm->mm, 0, 2, PROT_READ);
  });
  EXPECT_TRUE(run.has(kPteAttributes)) << run.all();
}

TEST(TtmHugeExploration, PerPageProtFailsWhenASplitRebuildsFromVmPageProt) {
  TtmConfig config = huge_config(TtmPlacement::kVram);
  config.knobs.special_huge_split = SpecialHugeSplit::kRebuild;
  const TtmRun run = explore_huge(config, "per-page-prot", [](Env& e, const TtmPtr& ttm) {
    split_huge_pmd_via(e, *ttm->mm, 1, SplitCaller::kMadvise);
  });
  EXPECT_TRUE(run.has(kPteAttributes)) << run.all();
}

TEST(TtmHugeExploration, PmdPageOnATtmHugePmdIsAKernelBug) {
  TtmConfig config = huge_config(TtmPlacement::kVram);
  config.knobs.special_huge_split = SpecialHugeSplit::kPmdPage;  // v5.3/v5.6 split
  const TtmRun run = explore_huge(config, "per-page-prot", [](Env& e, const TtmPtr& ttm) {
    split_huge_pmd_via(e, *ttm->mm, 1, SplitCaller::kUnmapMappingRange);
  });
  EXPECT_TRUE(run.has(kKernelBug)) << run.all();
}

TEST(TtmHugeExploration, ClearingSplitThenRefaultKeepsAttributesOnV57) {
  const TtmRun run = explore_huge(huge_config(TtmPlacement::kVram), "per-page-prot",
                                  [](Env& e, const TtmPtr& ttm) {
                                    split_huge_pmd_via(e, *ttm->mm, 1, SplitCaller::kMprotect);
                                    ttm_user_fault(e, *ttm, proposal("per-page-prot"), 1, false);
                                  });
  EXPECT_TRUE(run.result.stats.complete) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
}

}  // namespace
}  // namespace protmc::model
