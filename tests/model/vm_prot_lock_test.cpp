// The vm-prot-lock proposal (model/proposals/vm_prot_lock.cpp): its lock
// order against the core mm paths (no lock-order finding with faults, a BO
// move's unmap_mapping_range, mprotect and a huge-PMD split), that it keeps
// pte-attributes wherever write-once does, and that lockdep catches a
// deliberately wrong placement of the new lock (before i_mmap_rwsem).
#include <gtest/gtest.h>

#include <variant>

#include "model/mm/page_table.hpp"
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

constexpr const char* kName = "vm-prot-lock";

bool has_lock_order_between(const TtmRun& run, const std::string& a, const std::string& b) {
  for (const auto& f : run.result.findings) {
    if (f.finding.property != checker::kLockOrder) continue;
    const auto* inv = std::get_if<checker::LockOrderInversion>(&f.finding.detail);
    if (inv == nullptr) continue;
    if ((inv->class_a == a && inv->class_b == b) || (inv->class_a == b && inv->class_b == a)) {
      return true;
    }
  }
  return false;
}

// The huge entry a v5.7 TTM huge fault would build for BO pages 0-1 in VRAM
// (vmf_insert_pfn_pmd_prot with the fault path's prot: WC, decrypted;
// devmap), inserted in the setup under mmap_sem read, with the proposal's
// lock held as its fault path would hold it.
void insert_vram_huge_entry(Env& env, const TtmState& ttm) {
  const MmState& mm = *ttm.mm;
  env.lock(mm.mmap_sem, LockMode::kShared);
  if (mm.vma(0).vm_prot_lock) env.lock(*mm.vma(0).vm_prot_lock);
  const vm_flags_t flags = env.load(mm.vma(0).vm_flags, Access::kPlain);
  x86::pgprot_t prot = x86::vm_get_page_prot(flags, mm.sev_active);
  prot = x86::pgprot_decrypted(ttm_io_prot(ttm, TtmPlacement::kVram, prot));
  EXPECT_EQ(
      vmf_insert_pfn_pmd_prot(env, mm, peek_vma_view(env, mm), 0, ttm.pfn(TtmPlacement::kVram, 0),
                              /*devmap=*/true, prot, /*write=*/false),
      VM_FAULT_NOPAGE);
  if (mm.vma(0).vm_prot_lock) env.unlock(*mm.vma(0).vm_prot_lock);
  env.unlock(mm.mmap_sem, LockMode::kShared);
}

// The same thread mix as the write-once exploration tests (two faults, a
// move VRAM -> system that zaps through unmap_mapping_range, mprotect), v5.7,
// SEV: write-once holds there, and so does vm-prot-lock — no finding at all,
// so also no lock-order inversion, deadlock or data race on vm_page_prot.
TEST(VmProtLock, HoldsWhereWriteOnceDoesWithFaultsMoveAndMprotect) {
  const TtmRun run = run_ttm(
      ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram),
      [](Env& env, const TtmPtr& ttm, Snapshot&) {
        ttm_mmap_region(env, *ttm, proposal(kName));
        auto f1 = env.spawn("fault", [ttm](Env& e) {
          ttm_user_fault(e, *ttm, proposal(kName), 0, /*write=*/false);
        });
        auto f2 = env.spawn("fault2", [ttm](Env& e) {
          ttm_user_fault(e, *ttm, proposal(kName), 1, /*write=*/true);
        });
        auto mv = env.spawn("move", [ttm](Env& e) { ttm_bo_move(e, *ttm, TtmPlacement::kSystem); });
        auto mp = env.spawn("mprotect",
                            [ttm](Env& e) { do_mprotect_pkey(e, *ttm->mm, 0, 2, PROT_READ); });
        for (auto t : {f1, f2, mv, mp}) env.join(t);
      });
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.result.verdict, checker::Verdict::kPass);
  EXPECT_TRUE(run.result.stats.complete);
  EXPECT_GT(run.result.stats.executions, 1u);
}

// Every place the new lock is taken, in one exploration: a fault (resv ->
// io_reserve_mutex -> vm_prot_lock -> ptl), a move (resv -> io_reserve_mutex
// -> i_mmap_rwsem -> ptl), mprotect (mmap_sem -> vm_prot_lock in
// vma_set_page_prot) and a split of a huge entry by a partial
// unmap_mapping_range (i_mmap_rwsem -> vm_prot_lock -> ptl), on a 4-page BO
// whose pages 0-1 are one huge entry. v5.7 (split = clear), SEV. The order
// mmap_sem -> resv -> io_reserve_mutex -> i_mmap_rwsem -> vm_prot_lock -> ptl
// has no cycle: no finding.
TEST(VmProtLock, LockOrderHasNoInversionWithFaultMoveMprotectAndSplit) {
  const TtmRun run = run_ttm(
      ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram, /*num_pages=*/4),
      [](Env& env, const TtmPtr& ttm, Snapshot&) {
        ttm_mmap_region(env, *ttm, proposal(kName));
        insert_vram_huge_entry(env, *ttm);
        auto f = env.spawn("fault", [ttm](Env& e) {
          ttm_user_fault(e, *ttm, proposal(kName), 2, /*write=*/false);
        });
        auto mv = env.spawn("move", [ttm](Env& e) { ttm_bo_move(e, *ttm, TtmPlacement::kSystem); });
        auto mp = env.spawn("mprotect",
                            [ttm](Env& e) { do_mprotect_pkey(e, *ttm->mm, 0, 4, PROT_READ); });
        auto sp = env.spawn("split", [ttm](Env& e) {
          split_huge_pmd_via(e, *ttm->mm, 1, SplitCaller::kUnmapMappingRange);
        });
        for (auto t : {f, mv, mp, sp}) env.join(t);
      });
  EXPECT_FALSE(run.has(checker::kLockOrder)) << run.all();
  EXPECT_FALSE(run.has(checker::kDeadlock)) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_TRUE(run.result.stats.complete);
  EXPECT_GT(run.result.stats.executions, 100u);
}

// A deliberately wrong placement: a driver that zaps its mapping while
// holding vm_prot_lock (to keep faults from writing vm_page_prot during the
// zap) takes vm_prot_lock BEFORE i_mmap_rwsem, while a split under
// unmap_mapping_range takes i_mmap_rwsem before vm_prot_lock. lockdep reports
// the inversion (and, both rwsem acquisitions being writes in v5.7, DPOR also
// finds the real ABBA deadlock).
void wrong_order_unmap_virtual(Env& env, const TtmState& ttm) {
  checker::FunctionScope scope(env, "wrong_ttm_bo_unmap_virtual");
  env.lock(ttm.resv);
  env.lock(*ttm.mm->vma(0).vm_prot_lock);  // wrong: before i_mmap_rwsem
  ttm_bo_unmap_virtual_locked(env, ttm);
  env.unlock(*ttm.mm->vma(0).vm_prot_lock);
  env.unlock(ttm.resv);
}

TEST(VmProtLock, LockdepReportsVmProtLockTakenBeforeIMmapRwsem) {
  const TtmRun run =
      run_ttm(ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram, /*num_pages=*/4),
              [](Env& env, const TtmPtr& ttm, Snapshot&) {
                ttm_mmap_region(env, *ttm, proposal(kName));
                insert_vram_huge_entry(env, *ttm);
                auto z = env.spawn("zap", [ttm](Env& e) { wrong_order_unmap_virtual(e, *ttm); });
                auto sp = env.spawn("split", [ttm](Env& e) {
                  split_huge_pmd_via(e, *ttm->mm, 1, SplitCaller::kUnmapMappingRange);
                });
                env.join(z);
                env.join(sp);
              });
  ASSERT_TRUE(run.has(checker::kLockOrder)) << run.all();
  EXPECT_TRUE(has_lock_order_between(run, "vm_prot_lock", "i_mmap_rwsem")) << run.all();
  EXPECT_TRUE(run.has(checker::kDeadlock)) << run.all();
  EXPECT_FALSE(run.has(kPteAttributes)) << run.all();
}

// The same two threads with the lock where the proposal puts it (the zap
// takes no vm_prot_lock; the split takes it after i_mmap_rwsem): silent.
TEST(VmProtLock, CorrectOrderIsSilentForTheSameThreads) {
  const TtmRun run =
      run_ttm(ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram, /*num_pages=*/4),
              [](Env& env, const TtmPtr& ttm, Snapshot&) {
                ttm_mmap_region(env, *ttm, proposal(kName));
                insert_vram_huge_entry(env, *ttm);
                auto z = env.spawn("zap", [ttm](Env& e) {
                  e.lock(ttm->resv);
                  ttm_bo_unmap_virtual(e, *ttm);
                  e.unlock(ttm->resv);
                });
                auto sp = env.spawn("split", [ttm](Env& e) {
                  split_huge_pmd_via(e, *ttm->mm, 1, SplitCaller::kUnmapMappingRange);
                });
                env.join(z);
                env.join(sp);
              });
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_TRUE(run.result.stats.complete);
}

// With special_huge_split=rebuild the split's READ_ONCE(vm_page_prot) runs
// under vm_prot_lock, so there is no data race, but the lock does not make
// the rebuilt entries right: vm_page_prot holds the mmap-time prot (WB,
// encrypted) until a fault writes the VRAM prot, and the rebuilt PTEs of the
// VRAM huge entry get it. The lock serialises access; it does not give a
// single VMA-wide prot the per-page truth.
TEST(VmProtLock, RebuildSplitStillUsesTheVmaProt) {
  TtmConfig config = ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram, /*num_pages=*/4);
  config.knobs.special_huge_split = SpecialHugeSplit::kRebuild;
  const TtmRun run = run_ttm(config, [](Env& env, const TtmPtr& ttm, Snapshot&) {
    ttm_mmap_region(env, *ttm, proposal(kName));
    insert_vram_huge_entry(env, *ttm);
    auto sp = env.spawn(
        "split", [ttm](Env& e) { split_huge_pmd_via(e, *ttm->mm, 1, SplitCaller::kReclaim); });
    env.join(sp);
  });
  EXPECT_FALSE(run.has(checker::kDataRace)) << run.all();
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_NE(run.message(kPteAttributes).find("iomem-wc) is WB, encrypted"), std::string::npos)
      << run.all();
}

}  // namespace
}  // namespace protmc::model
