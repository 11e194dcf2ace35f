// Huge-PMD splits through each of their kernel callers (reference section
// 5.6: mprotect with mmap_sem write, madvise with mmap_sem read, a write
// fault with mmap_sem read, unmap_mapping_range with i_mmap_rwsem, reclaim
// with the rmap lock and no mmap_sem), each racing a per-page-prot fault on a
// 2-page TTM BO in VRAM (one huge entry of 2 small pages), under SEV.
//
// The huge entry is built in the setup with vmf_insert_pfn_pmd_prot() and
// the v5.6/v5.7 fault path's prot (vm_page_prot -> ttm_io_prot -> decrypted
// for iomem), as TTM's v5.7 huge fault would: the model's TTM fault paths do
// not insert huge entries (the knob ttm_huge_faults is not implemented).
#include <gtest/gtest.h>

#include "model/mm/paths.hpp"
#include "tests/model/ttm_test_util.hpp"

namespace protmc::model {
namespace {

using checker::Access;
using checker::LockMode;
using ttmtest::proposal;
using ttmtest::run_ttm;
using ttmtest::Snapshot;
using ttmtest::ttm_config;
using ttmtest::TtmRun;

using TtmPtr = std::shared_ptr<const TtmState>;

// v5.7 TTM huge fault for BO pages 0-1 in VRAM: ttm_bo_vm_fault_reserved()
// with prot = vma->vm_page_prot, ttm_io_prot(), pgprot_decrypted(),
// vmf_insert_pfn_pmd_prot(devmap), read fault. Under mmap_sem read and resv.
void ttm_huge_fault_in_setup(Env& env, const TtmState& ttm) {
  const MmState& mm = *ttm.mm;
  env.lock(mm.mmap_sem, LockMode::kShared);
  env.lock(ttm.resv);
  x86::pgprot_t prot{env.load(mm.vma(0).vm_page_prot, Access::kPlain)};
  prot = x86::pgprot_decrypted(ttm_io_prot(ttm, TtmPlacement::kVram, prot));
  EXPECT_EQ(
      vmf_insert_pfn_pmd_prot(env, mm, peek_vma_view(env, mm), 0, ttm.pfn(TtmPlacement::kVram, 0),
                              /*devmap=*/true, prot, /*write=*/false),
      VM_FAULT_NOPAGE);
  env.unlock(ttm.resv);
  env.unlock(mm.mmap_sem, LockMode::kShared);
}

// Threads: a per-page-prot read fault on page 1 and a split of the huge entry
// through `caller` (at page 1: the part that makes it a partial split).
TtmRun split_racing_fault(const TtmConfig& config, SplitCaller caller) {
  return run_ttm(config, [caller](Env& env, const TtmPtr& ttm, Snapshot&) {
    ttm_huge_fault_in_setup(env, *ttm);
    auto f = env.spawn("fault", [ttm](Env& e) {
      ttm_user_fault(e, *ttm, proposal("per-page-prot"), 1, /*write=*/false);
    });
    auto s = env.spawn(to_string(caller),
                       [ttm, caller](Env& e) { split_huge_pmd_via(e, *ttm->mm, 1, caller); });
    env.join(f);
    env.join(s);
  });
}

class SplitCallers : public ::testing::TestWithParam<SplitCaller> {};

// v5.7 (special_huge_split = clear): the split clears the special huge PMD,
// the range faults again through the driver: per-page-prot holds for every
// caller and every interleaving.
TEST_P(SplitCallers, PerPageProtHoldsOnV57) {
  const TtmRun run =
      split_racing_fault(ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram), GetParam());
  EXPECT_TRUE(run.result.findings.empty()) << to_string(GetParam()) << "\n" << run.all();
  EXPECT_EQ(run.result.verdict, checker::Verdict::kPass);
  EXPECT_TRUE(run.result.stats.complete);
  EXPECT_GT(run.result.stats.executions, 1u);
}

// Hypothetical special_huge_split = rebuild: the split rebuilds one PTE per
// small page from READ_ONCE(vma->vm_page_prot) (WB, encrypted: per-page-prot
// never writes the VMA), losing the WC/decrypted state held only in the
// huge PMD: per-page-prot fails pte-attributes through every caller. The v5.6
// contract ("core mm never builds PTEs from vm_page_prot for PFN/MIXED
// maps") is exactly what this knob breaks.
TEST_P(SplitCallers, RebuildFromVmPageProtBreaksPerPageProt) {
  TtmConfig config = ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram);
  config.knobs.special_huge_split = SpecialHugeSplit::kRebuild;
  const TtmRun run = split_racing_fault(config, GetParam());
  ASSERT_TRUE(run.has(kPteAttributes)) << to_string(GetParam()) << "\n" << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 0 (pfn 0x108, iomem-wc) is WB, encrypted but the memory requires WC, "
            "decrypted")
      << to_string(GetParam());
}

// v5.3 split behaviour (pmd_page: before vma_is_special_huge() only DAX VMAs
// return early), with the v5.6 fault path: every caller reaches pmd_page()
// on the PFN-mapped huge PMD.
TEST_P(SplitCallers, PmdPageOnASpecialHugePmdIsAKernelBug) {
  TtmConfig config = ttm_config(KernelPreset::kV5_6, true, TtmPlacement::kVram);
  ASSERT_EQ(config.knobs.special_huge_split, SpecialHugeSplit::kPmdPage);
  const TtmRun run = split_racing_fault(config, GetParam());
  ASSERT_TRUE(run.has(kKernelBug)) << to_string(GetParam()) << "\n" << run.all();
  EXPECT_NE(run.message(kKernelBug).find("__split_huge_pmd_locked(): pmd_page()"),
            std::string::npos)
      << run.message(kKernelBug);
}

INSTANTIATE_TEST_SUITE_P(EachCaller, SplitCallers, ::testing::ValuesIn(kAllSplitCallers),
                         [](const ::testing::TestParamInfo<SplitCaller>& info) {
                           switch (info.param) {
                             case SplitCaller::kMprotect:
                               return std::string("Mprotect");
                             case SplitCaller::kMadvise:
                               return std::string("Madvise");
                             case SplitCaller::kWriteFault:
                               return std::string("WriteFault");
                             case SplitCaller::kUnmapMappingRange:
                               return std::string("UnmapMappingRange");
                             case SplitCaller::kReclaim:
                               return std::string("Reclaim");
                           }
                           return std::string("Unknown");
                         });

// Single-threaded: each caller clears the special huge PMD (v5.7) and
// releases every lock it took (a second split through the same caller runs).
TEST(SplitCallersSingle, EachCallerClearsTheHugePmdOnV57) {
  for (SplitCaller caller : kAllSplitCallers) {
    const TtmRun run = run_ttm(
        ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram),
        [caller](Env& env, const TtmPtr& ttm, Snapshot& snap) {
          ttm_huge_fault_in_setup(env, *ttm);
          split_huge_pmd_via(env, *ttm->mm, 1, caller);
          split_huge_pmd_via(env, *ttm->mm, 0, caller);
          snap.results.push_back(static_cast<int64_t>(x86::pmd_val(peek_pmd(env, *ttm->mm, 0))));
        });
    EXPECT_TRUE(run.result.findings.empty()) << to_string(caller) << "\n" << run.all();
    ASSERT_TRUE(run.snapshot->taken) << to_string(caller);
    EXPECT_FALSE(x86::pte_present(run.snapshot->pte[0])) << to_string(caller);
    EXPECT_FALSE(x86::pte_present(run.snapshot->pte[1])) << to_string(caller);
    ASSERT_EQ(run.snapshot->results.size(), 1u);
    EXPECT_EQ(run.snapshot->results[0], 0) << to_string(caller);
  }
}

}  // namespace
}  // namespace protmc::model
