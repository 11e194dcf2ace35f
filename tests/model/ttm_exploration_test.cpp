// Explorations of the TTM fault paths of the proposals racing with BO moves
// and mprotect, pinning the thread's claims as expected verdicts. Each
// exploration is DPOR over 2-3 threads on a 2-page BO.
#include <gtest/gtest.h>

#include "tests/model/ttm_test_util.hpp"

namespace protmc::model {
namespace {

using ttmtest::proposal;
using ttmtest::run_ttm;
using ttmtest::Snapshot;
using ttmtest::ttm_config;
using ttmtest::TtmRun;

using TtmPtr = std::shared_ptr<const TtmState>;

// Threads: a user read fault on page 0 under `name`, plus the given others.
struct Ops {
  bool second_fault = false;  // a write fault on page 1 as well
  bool move = false;
  TtmPlacement move_to = TtmPlacement::kSystem;
  bool mprotect = false;
  bool mmap = false;  // mmap_region() with the proposal's ->mmap first (main thread)
};

TtmRun explore_ops(const TtmConfig& config, const char* name, Ops ops) {
  return run_ttm(config, [name, ops](Env& env, const TtmPtr& ttm, Snapshot&) {
    if (ops.mmap) ttm_mmap_region(env, *ttm, proposal(name));
    std::vector<checker::ThreadId> threads;
    threads.push_back(env.spawn("fault", [ttm, name](Env& e) {
      ttm_user_fault(e, *ttm, proposal(name), 0, /*write=*/false);
    }));
    if (ops.second_fault) {
      threads.push_back(env.spawn("fault2", [ttm, name](Env& e) {
        ttm_user_fault(e, *ttm, proposal(name), 1, /*write=*/true);
      }));
    }
    if (ops.move) {
      threads.push_back(
          env.spawn("move", [ttm, ops](Env& e) { ttm_bo_move(e, *ttm, ops.move_to); }));
    }
    if (ops.mprotect) {
      threads.push_back(
          env.spawn("mprotect", [ttm](Env& e) { do_mprotect_pkey(e, *ttm->mm, 0, 2, PROT_READ); }));
    }
    for (checker::ThreadId t : threads) env.join(t);
  });
}

bool has_race_on(const TtmRun& run, const std::string& var) {
  for (const auto& f : run.result.findings) {
    if (f.finding.property == checker::kDataRace &&
        f.finding.message.find("data race on " + var) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// (b) v5.3: mprotect's pte_modify() takes the C-bit from the new prot, so a
// decrypted VRAM PTE inserted by the fault becomes encrypted.
TEST(TtmExploration, MprotectLosesTheCBitOfAVramPteOnV53) {
  const TtmRun run = explore_ops(ttm_config(KernelPreset::kV5_3, true, TtmPlacement::kVram),
                                 "fake-vma", Ops{.mprotect = true});
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 0 (pfn 0x108, iomem-wc) is WC, encrypted but the memory requires WC, "
            "decrypted");
}

// (b) v5.7: pte_modify() keeps the C-bit: every interleaving passes.
TEST(TtmExploration, MprotectKeepsTheCBitOnV57) {
  const TtmRun run = explore_ops(ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram),
                                 "fake-vma", Ops{.mprotect = true});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.result.verdict, checker::Verdict::kPass);
  EXPECT_TRUE(run.result.stats.complete);
}

// (c) v5.3 reads bo->mem (to pick the memory manager) before it holds the
// reservation: a plain read unordered with the move's plain write.
TEST(TtmExploration, UnlockedBoMemReadInV53FaultRacesWithMove) {
  const TtmRun run = explore_ops(ttm_config(KernelPreset::kV5_3, false, TtmPlacement::kVram),
                                 "fake-vma", Ops{.move = true, .move_to = TtmPlacement::kSystem});
  EXPECT_TRUE(has_race_on(run, "bo->mem")) << run.all();
  // The race has no attribute consequence without SEV: it only picks the
  // io_reserve_mutex of the wrong manager.
  EXPECT_FALSE(run.has(kPteAttributes)) << run.all();
}

TEST(TtmExploration, PerPageProtReadsBoMemUnderTheReservation) {
  const TtmRun run = explore_ops(ttm_config(KernelPreset::kV5_6, false, TtmPlacement::kVram),
                                 "per-page-prot", Ops{.move = true});
  EXPECT_FALSE(has_race_on(run, "bo->mem")) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
}

// (d) A fault racing a move VRAM -> system under per-page-prot (v5.6, SEV):
// every interleaving keeps pte-attributes.
TEST(TtmExploration, PerPageProtFaultRacingMoveFromVramPasses) {
  const TtmRun run = explore_ops(ttm_config(KernelPreset::kV5_6, true, TtmPlacement::kVram),
                                 "per-page-prot", Ops{.move = true});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.result.verdict, checker::Verdict::kPass);
  EXPECT_TRUE(run.result.stats.complete);
  EXPECT_GT(run.result.stats.executions, 1u);
}

// (d) The same race under fake-vma on v5.3 with SEV, moving to DMA-pool pages:
// the fault that runs after the move maps them encrypted.
TEST(TtmExploration, FakeVmaFaultRacingMoveToDmaPagesFailsOnV53) {
  const TtmRun run =
      explore_ops(ttm_config(KernelPreset::kV5_3, true, TtmPlacement::kVram), "fake-vma",
                  Ops{.move = true, .move_to = TtmPlacement::kSystemDma});
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_NE(run.message(kPteAttributes).find("dma-coherent-cached) is WB, encrypted"),
            std::string::npos)
      << run.message(kPteAttributes);
}

TEST(TtmExploration, PerPageProtWithTheDecryptFixPassesForDmaPages) {
  TtmConfig config = ttm_config(KernelPreset::kV5_6, true, TtmPlacement::kVram);
  config.knobs.ttm_decrypts_dma_pages = true;
  const TtmRun run =
      explore_ops(config, "per-page-prot", Ops{.move = true, .move_to = TtmPlacement::kSystemDma});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_TRUE(run.result.stats.complete);
}

// (e) write-once holds for a single-BO TTM mapping with a fault, a move and
// an mprotect (v5.7, SEV): no attribute violation and no data race on
// vm_page_prot, in every interleaving.
TEST(TtmExploration, WriteOnceHoldsForASingleBoWithFaultMoveAndMprotect) {
  const TtmRun run =
      explore_ops(ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram), "write-once",
                  Ops{.move = true, .move_to = TtmPlacement::kSystem, .mprotect = true});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.result.verdict, checker::Verdict::kPass);
  EXPECT_TRUE(run.result.stats.complete);
}

// (e) with two faults (one writing) serialised only by the reservation.
TEST(TtmExploration, WriteOnceHoldsWithTwoFaultsMoveAndMprotect) {
  const TtmRun run = explore_ops(
      ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram), "write-once",
      Ops{.second_fault = true, .move = true, .move_to = TtmPlacement::kSystem, .mprotect = true});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.result.verdict, checker::Verdict::kPass);
  EXPECT_TRUE(run.result.stats.complete);
}

// write-once is no defence against v5.3's mprotect dropping the C-bit.
TEST(TtmExploration, WriteOnceStillLosesTheCBitToMprotectOnV53) {
  const TtmRun run = explore_ops(ttm_config(KernelPreset::kV5_3, true, TtmPlacement::kVram),
                                 "write-once", Ops{.mprotect = true});
  EXPECT_TRUE(run.has(kPteAttributes)) << run.all();
}

// dma-mmap-prepare fails when the BO moves to a placement with other
// attributes: the VMA's mmap-time prot (WC, decrypted for VRAM) is used for
// system pages (PAT corrects the caching; the C-bit stays clear).
TEST(TtmExploration, DmaMmapPrepareFailsWhenTheBoMovesFromVram) {
  const TtmRun run =
      explore_ops(ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram), "dma-mmap-prepare",
                  Ops{.move = true, .move_to = TtmPlacement::kSystem, .mmap = true});
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 0 (pfn 0x100, system-cached) is WB, decrypted but the memory requires "
            "WB, encrypted");
}

TEST(TtmExploration, DmaMmapPreparePassesWhileTheBoStays) {
  const TtmRun run = explore_ops(ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram),
                                 "dma-mmap-prepare", Ops{.mprotect = true, .mmap = true});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_TRUE(run.result.stats.complete);
}

}  // namespace
}  // namespace protmc::model
