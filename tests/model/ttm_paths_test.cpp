// Single-threaded runs of the TTM model: the fault paths of the proposals,
// the move path (zap first), swap-out, and the proposal registry.
#include <gtest/gtest.h>

#include "tests/model/ttm_test_util.hpp"

namespace protmc::model {
namespace {

using ttmtest::proposal;
using ttmtest::run_ttm;
using ttmtest::Snapshot;
using ttmtest::ttm_config;
using ttmtest::TtmRun;
using x86::pte_t;

using TtmPtr = std::shared_ptr<const TtmState>;

TEST(TtmProposals, RegistryListsAndFindsByName) {
  std::vector<std::string> names;
  for (const Proposal& p : all_proposals()) {
    names.emplace_back(p.name);
    EXPECT_NE(p.ttm_fault, nullptr);
    EXPECT_FALSE(p.description.empty());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"fake-vma", "per-page-prot", "write-once",
                                             "dma-mmap-prepare", "vm-prot-lock"}));
  ASSERT_NE(find_proposal("write-once"), nullptr);
  EXPECT_EQ(find_proposal("write-once")->name, "write-once");
  EXPECT_EQ(find_proposal("no-such-proposal"), nullptr);
}

TEST(TtmHelpers, IoProtAndIsPci) {
  TtmConfig config = ttm_config(KernelPreset::kV5_3, true, TtmPlacement::kVram);
  TtmState ttm;
  auto mm = std::make_shared<MmState>();
  mm->knobs = config.knobs;
  ttm.mm = mm;
  const x86::pgprot_t base = x86::vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true);
  EXPECT_EQ(ttm_io_prot(ttm, TtmPlacement::kSystem, base), base);
  EXPECT_EQ(x86::cachemode_of(ttm_io_prot(ttm, TtmPlacement::kVram, base)),
            x86::PageCacheMode::kWc);
  EXPECT_EQ(x86::cachemode_of(ttm_io_prot(ttm, TtmPlacement::kSystemUc, base)),
            x86::PageCacheMode::kUcMinus);
  // Without the 2024 fix a DMA-pool page keeps the C-bit; with it, not.
  EXPECT_TRUE(x86::is_encrypted(ttm_io_prot(ttm, TtmPlacement::kSystemDma, base)));
  mm->knobs.ttm_decrypts_dma_pages = true;
  EXPECT_FALSE(x86::is_encrypted(ttm_io_prot(ttm, TtmPlacement::kSystemDma, base)));

  EXPECT_TRUE(ttm_mem_reg_is_pci(ttm_mem_reg_of(TtmPlacement::kVram)));
  EXPECT_FALSE(ttm_mem_reg_is_pci(ttm_mem_reg_of(TtmPlacement::kSystemWc)));
  EXPECT_FALSE(ttm_mem_reg_is_pci(ttm_mem_reg_of(TtmPlacement::kTt)));
  EXPECT_TRUE(ttm_move_problem(TtmPlacement::kSystem, TtmPlacement::kTt).empty());
  EXPECT_TRUE(ttm_move_problem(TtmPlacement::kVram, TtmPlacement::kSystemDma).empty());
  EXPECT_FALSE(ttm_move_problem(TtmPlacement::kSystem, TtmPlacement::kSystemDma).empty());
  for (TtmPlacement p : kAllTtmPlacements) EXPECT_EQ(parse_placement(to_string(p)), p);
}

// (a) A fake-vma (v5.3) fault on a VRAM BO under SEV populates WC, decrypted
// special PTEs; v5.3's prefault loop stops after the second page.
TEST(TtmFault, FakeVmaOnVramPopulatesWcDecryptedPtes) {
  const TtmConfig config = ttm_config(KernelPreset::kV5_3, true, TtmPlacement::kVram, 4);
  auto run = run_ttm(config, [](Env& env, const TtmPtr& ttm, Snapshot& out) {
    out.results.push_back(ttm_user_fault(env, *ttm, proposal("fake-vma"), 0, /*write=*/true));
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->results.at(0), VM_FAULT_NOPAGE);
  for (uint64_t page = 0; page < 2; ++page) {
    const pte_t pte = run.snapshot->pte[page];
    ASSERT_TRUE(x86::pte_present(pte)) << page;
    EXPECT_TRUE(x86::pte_special(pte));
    EXPECT_TRUE(x86::pte_write(pte));
    EXPECT_EQ(x86::pte_pfn(pte), 0x100u + 4 * 4 + page);  // the vram range
    EXPECT_EQ(x86::cachemode_of(x86::pte_pgprot(pte)), x86::PageCacheMode::kWc);
    EXPECT_FALSE(x86::is_encrypted(x86::pte_pgprot(pte)));
  }
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[2]));
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[3]));
  // The fake VMA leaves vm_page_prot at its mmap-time default.
  EXPECT_TRUE(x86::is_encrypted(run.snapshot->vm_page_prot));
  EXPECT_EQ(x86::cachemode_of(run.snapshot->vm_page_prot), x86::PageCacheMode::kWb);
}

TEST(TtmFault, PerPageProtPrefaultsTheWholeBoAndLeavesTheVma) {
  const TtmConfig config = ttm_config(KernelPreset::kV5_6, true, TtmPlacement::kVram, 4);
  auto run = run_ttm(config, [](Env& env, const TtmPtr& ttm, Snapshot&) {
    ttm_user_fault(env, *ttm, proposal("per-page-prot"), 1, false);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[0]));  // prefault goes forward only
  for (uint64_t page = 1; page < 4; ++page) EXPECT_TRUE(x86::pte_present(run.snapshot->pte[page]));
  EXPECT_TRUE(x86::is_encrypted(run.snapshot->vm_page_prot));
}

TEST(TtmFault, WriteOnceWritesTheVmaProt) {
  const TtmConfig config = ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram);
  auto run = run_ttm(config, [](Env& env, const TtmPtr& ttm, Snapshot&) {
    ttm_user_fault(env, *ttm, proposal("write-once"), 0, false);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_TRUE(x86::pte_present(run.snapshot->pte[1]));
  EXPECT_FALSE(x86::is_encrypted(run.snapshot->vm_page_prot));
  EXPECT_EQ(x86::cachemode_of(run.snapshot->vm_page_prot), x86::PageCacheMode::kWc);
}

TEST(TtmFault, DmaMmapPrepareMapsVramWithTheMmapTimeProt) {
  auto run = run_ttm(ttm_config(KernelPreset::kV5_7, true, TtmPlacement::kVram),
                     [](Env& env, const TtmPtr& ttm, Snapshot&) {
                       ttm_mmap_region(env, *ttm, proposal("dma-mmap-prepare"));
                       ttm_user_fault(env, *ttm, proposal("dma-mmap-prepare"), 0, false);
                     });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_FALSE(x86::is_encrypted(run.snapshot->vm_page_prot));
  EXPECT_TRUE(x86::pte_present(run.snapshot->pte[0]));
}

// On v5.3, mmap_region()'s vma_set_page_prot() after ->mmap re-adds the C-bit
// (pgprot_modify() takes it from vm_get_page_prot()): the mmap-time decrypted
// prot does not survive mmap itself.
TEST(TtmFault, DmaMmapPreparesDecryptedProtIsReEncryptedByMmapRegionOnV53) {
  auto run = run_ttm(ttm_config(KernelPreset::kV5_3, true, TtmPlacement::kVram),
                     [](Env& env, const TtmPtr& ttm, Snapshot&) {
                       ttm_mmap_region(env, *ttm, proposal("dma-mmap-prepare"));
                       ttm_user_fault(env, *ttm, proposal("dma-mmap-prepare"), 0, false);
                     });
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_NE(
      run.message(kPteAttributes).find("is WC, encrypted but the memory requires WC, decrypted"),
      std::string::npos)
      << run.all();
}

// The bug that started the thread: v5.3 maps DMA-pool pages encrypted under SEV.
TEST(TtmFault, FakeVmaMapsDecryptedDmaPagesEncryptedUnderSev) {
  auto run = run_ttm(ttm_config(KernelPreset::kV5_3, true, TtmPlacement::kSystemDma),
                     [](Env& env, const TtmPtr& ttm, Snapshot&) {
                       ttm_user_fault(env, *ttm, proposal("fake-vma"), 0, false);
                     });
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 0 (pfn 0x106, dma-coherent-cached) is WB, encrypted but the memory "
            "requires WB, decrypted");
}

TEST(TtmFault, DecryptKnobFixesDmaPagesForPerPageProt) {
  TtmConfig config = ttm_config(KernelPreset::kV5_6, true, TtmPlacement::kSystemDma);
  auto broken = run_ttm(config, [](Env& env, const TtmPtr& ttm, Snapshot&) {
    ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
  });
  EXPECT_TRUE(broken.has(kPteAttributes)) << broken.all();
  config.knobs.ttm_decrypts_dma_pages = true;
  auto fixed = run_ttm(config, [](Env& env, const TtmPtr& ttm, Snapshot&) {
    ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
  });
  ASSERT_TRUE(fixed.snapshot->taken) << fixed.all();
  EXPECT_TRUE(fixed.result.findings.empty()) << fixed.all();
}

TEST(TtmFault, WriteFaultAfterMprotectReadOnlyIsSigsegv) {
  auto run = run_ttm(
      ttm_config(KernelPreset::kV5_7, false, TtmPlacement::kSystem),
      [](Env& env, const TtmPtr& ttm, Snapshot& out) {
        do_mprotect_pkey(env, *ttm->mm, 0, 2, PROT_READ);
        out.results.push_back(ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, true));
      });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_EQ(run.snapshot->results.at(0), VM_FAULT_SIGSEGV);
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[0]));
}

// (a) A move from VRAM zaps the user mapping before bo->mem and the memory
// change (otherwise pte-attributes would report a stale PTE), and the next
// fault maps the new pages.
TEST(TtmMove, MoveFromVramZapsFirst) {
  const TtmConfig config = ttm_config(KernelPreset::kV5_3, true, TtmPlacement::kVram);
  auto run = run_ttm(config, [](Env& env, const TtmPtr& ttm, Snapshot& out) {
    ttm_user_fault(env, *ttm, proposal("fake-vma"), 0, false);
    out.results.push_back(x86::pte_present(peek_pte(env, *ttm->mm, 0)));
    ttm_bo_move(env, *ttm, TtmPlacement::kSystem);
    out.results.push_back(x86::pte_present(peek_pte(env, *ttm->mm, 0)) ||
                          x86::pte_present(peek_pte(env, *ttm->mm, 1)));
    ttm_user_fault(env, *ttm, proposal("fake-vma"), 1, false);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->results, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(run.snapshot->mem, TtmPlacement::kSystem);
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[0]));
  const pte_t pte = run.snapshot->pte[1];
  ASSERT_TRUE(x86::pte_present(pte));
  EXPECT_EQ(x86::pte_pfn(pte), 0x101u);  // system page 1
  EXPECT_EQ(x86::cachemode_of(x86::pte_pgprot(pte)), x86::PageCacheMode::kWb);
  EXPECT_TRUE(x86::is_encrypted(x86::pte_pgprot(pte)));
}

TEST(TtmMove, CachedToCachedMoveDoesNotZap) {
  auto run = run_ttm(ttm_config(KernelPreset::kV5_6, true, TtmPlacement::kSystem),
                     [](Env& env, const TtmPtr& ttm, Snapshot&) {
                       ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
                       ttm_bo_move(env, *ttm, TtmPlacement::kTt);
                     });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->mem, TtmPlacement::kTt);
  EXPECT_TRUE(x86::pte_present(run.snapshot->pte[0]));
  EXPECT_TRUE(x86::pte_present(run.snapshot->pte[1]));
}

TEST(TtmMove, CachingChangeZaps) {
  auto run = run_ttm(ttm_config(KernelPreset::kV5_6, false, TtmPlacement::kSystem),
                     [](Env& env, const TtmPtr& ttm, Snapshot&) {
                       ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
                       ttm_bo_move(env, *ttm, TtmPlacement::kSystemWc);
                       ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
                     });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(x86::cachemode_of(x86::pte_pgprot(run.snapshot->pte[0])), x86::PageCacheMode::kWc);
}

TEST(TtmMove, SwapoutUnmapsAndMovesToSystem) {
  auto run = run_ttm(ttm_config(KernelPreset::kV5_6, true, TtmPlacement::kVram),
                     [](Env& env, const TtmPtr& ttm, Snapshot& out) {
                       ttm_user_fault(env, *ttm, proposal("per-page-prot"), 0, false);
                       out.results.push_back(ttm_bo_swapout(env, *ttm));
                     });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->results.at(0), 0);
  EXPECT_EQ(run.snapshot->mem, TtmPlacement::kSystem);
  for (const pte_t& pte : run.snapshot->pte) EXPECT_TRUE(x86::pte_none(pte));
}

}  // namespace
}  // namespace protmc::model
