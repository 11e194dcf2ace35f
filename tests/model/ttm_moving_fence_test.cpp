// The moving fence of a pipelined BO move (ttm_bo_move_accel_cleanup() sets
// bo->moving; the fault path's ttm_bo_vm_fault_idle() waits for it, dropping
// mmap_sem and the reservation when it may retry).
#include <gtest/gtest.h>

#include <set>

#include "model/ttm/ttm_bo_vm.hpp"
#include "tests/model/ttm_test_util.hpp"

namespace protmc::model {
namespace {

using checker::LockMode;
using ttmtest::proposal;
using ttmtest::run_ttm;
using ttmtest::Snapshot;
using ttmtest::ttm_config;
using ttmtest::TtmRun;

using TtmPtr = std::shared_ptr<const TtmState>;

// The GPU holds the fence of a pipelined move (bo->moving set) and signals it
// while a fault thread, holding mmap_sem and the reservation, calls
// ttm_bo_vm_fault_idle() with `flags`. Returns the set of results over every
// interleaving; each execution checks which locks the fault still holds.
std::set<int64_t> idle_outcomes(uint32_t flags) {
  auto outcomes = std::make_shared<std::set<int64_t>>();
  const TtmRun run =
      run_ttm(ttm_config(KernelPreset::kV5_6, false, TtmPlacement::kVram),
              [flags, outcomes](Env& env, const TtmPtr& ttm, Snapshot&) {
                // ttm_bo_move_accel_cleanup(): the copy is in flight.
                env.lock(ttm->resv);
                env.lock(ttm->moving_fence);
                env.store(ttm->moving, 1, checker::Access::kPlain);
                env.unlock(ttm->resv);
                const checker::ThreadId fault = env.spawn("fault", [ttm, flags, outcomes](Env& e) {
                  e.lock(ttm->mm->mmap_sem, LockMode::kShared);
                  e.lock(ttm->resv);
                  VmFault vmf;
                  vmf.flags = flags;
                  const vm_fault_t ret = ttm_bo_vm_fault_idle(e, *ttm, vmf);
                  outcomes->insert(ret);
                  if (ret == VM_FAULT_RETRY) {
                    // Both dropped: a writer can take mmap_sem, anyone the reservation.
                    EXPECT_TRUE(e.try_lock(ttm->mm->mmap_sem, LockMode::kExclusive));
                    e.unlock(ttm->mm->mmap_sem, LockMode::kExclusive);
                    EXPECT_TRUE(e.try_lock(ttm->resv));
                    e.unlock(ttm->resv);
                    EXPECT_EQ(e.peek(ttm->moving), 1u);  // cleared on the retry
                  } else {
                    EXPECT_EQ(ret, 0u);
                    EXPECT_EQ(e.peek(ttm->moving), 0u);  // out_clear
                    e.unlock(ttm->resv);
                    e.unlock(ttm->mm->mmap_sem, LockMode::kShared);
                  }
                });
                env.unlock(ttm->moving_fence);  // dma_fence_signal()
                env.join(fault);
              });
  EXPECT_TRUE(run.result.stats.complete) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  return *outcomes;
}

TEST(TtmMovingFence, UnsignaledFenceWithRetryDropsBothLocksAndWaits) {
  // Fence still pending: VM_FAULT_RETRY; already signaled: 0.
  EXPECT_EQ(idle_outcomes(FAULT_FLAG_ALLOW_RETRY),
            (std::set<int64_t>{0, static_cast<int64_t>(VM_FAULT_RETRY)}));
}

TEST(TtmMovingFence, WithoutRetryTheFaultWaitsHoldingItsLocks) {
  EXPECT_EQ(idle_outcomes(FAULT_FLAG_TRIED), (std::set<int64_t>{0}));
}

// A fault racing a pipelined move VRAM -> system: whatever the interleaving,
// page 0 ends up unmapped (the fault went first and the move zapped it) or
// mapping the system page (the fault went after the move, waiting for its
// fence or finding it signaled); both outcomes occur.
TEST(TtmMovingFence, FaultRacingAPipelinedMoveMapsTheNewPageOrNothing) {
  for (const char* name : {"fake-vma", "per-page-prot", "write-once", "vm-prot-lock"}) {
    auto outcomes = std::make_shared<std::set<int64_t>>();  // 0: none; else the pfn
    const TtmRun run = run_ttm(
        ttm_config(KernelPreset::kV5_6, true, TtmPlacement::kVram),
        [name, outcomes](Env& env, const TtmPtr& ttm, Snapshot&) {
          ttm_mmap_region(env, *ttm, proposal(name));
          const checker::ThreadId move = env.spawn("move", [ttm](Env& e) {
            ttm_bo_move(e, *ttm, TtmPlacement::kSystem, /*pipelined=*/true);
          });
          const checker::ThreadId fault = env.spawn(
              "fault", [ttm, name](Env& e) { ttm_user_fault(e, *ttm, proposal(name), 0, false); });
          env.join(move);
          env.join(fault);
          const x86::pte_t pte = peek_pte(env, *ttm->mm, 0);
          outcomes->insert(x86::pte_present(pte) ? static_cast<int64_t>(x86::pte_pfn(pte)) : 0);
        },
        /*keep_going=*/true);
    EXPECT_TRUE(run.result.stats.complete) << name << run.all();
    EXPECT_FALSE(run.has(checker::kDeadlock)) << name << run.all();
    // fake-vma's unlocked bo->mem read races with the move; the others hold.
    if (std::string(name) == "fake-vma") {
      EXPECT_TRUE(run.has(checker::kDataRace)) << run.all();
      EXPECT_FALSE(run.has(kPteAttributes)) << run.all();
    } else {
      EXPECT_TRUE(run.result.findings.empty()) << name << run.all();
    }
    const int64_t system_page0 = 0x100;  // the system range of a 2-page BO
    EXPECT_EQ(*outcomes, (std::set<int64_t>{0, system_page0})) << name;
  }
}

TEST(TtmMovingFence, SwapoutWaitsForAPipelinedMoveBeforeUnmapping) {
  // ttm_bo_swapout() calls ttm_bo_wait() ("Make sure BO is idle") before
  // ttm_bo_unmap_virtual(): it cannot finish while the move's fence is
  // pending, whatever the interleaving.
  const TtmRun run =
      run_ttm(ttm_config(KernelPreset::kV5_6, false, TtmPlacement::kVram),
              [](Env& env, const TtmPtr& ttm, Snapshot&) {
                env.lock(ttm->resv);
                ttm_bo_handle_move_mem(env, *ttm, TtmPlacement::kSystem, /*evict=*/false,
                                       /*pipelined=*/true);
                env.unlock(ttm->resv);
                const checker::ThreadId swap = env.spawn("swap", [ttm](Env& e) {
                  EXPECT_EQ(ttm_bo_swapout(e, *ttm), 0);
                  // The fence was signaled before swapout returned.
                  EXPECT_TRUE(e.try_lock(ttm->moving_fence));
                  e.unlock(ttm->moving_fence);
                });
                env.unlock(ttm->moving_fence);  // dma_fence_signal()
                env.join(swap);
              });
  EXPECT_TRUE(run.result.stats.complete) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
}

}  // namespace
}  // namespace protmc::model
