// Huge PMDs: insertion, zap of a fully covered entry, split of a partially
// covered one under each special_huge_split knob, and change_protection.
#include <gtest/gtest.h>

#include "model/mm/paths.hpp"
#include "tests/model/mm_test_util.hpp"

namespace protmc::model {
namespace {

using checker::Access;
using checker::LockMode;
using mmtest::MmRun;
using mmtest::run_mm;
using mmtest::Snapshot;
using mmtest::test_config;
using x86::pgprot_t;
using x86::pmd_t;
using x86::pte_t;

// A huge, devmap (TTM-style special) entry for pages 0-1 mapping pfns
// 0x100-0x101 (system-cached RAM) with the VMA's prot, write fault.
void insert_huge(Env& env, const MmState& mm) {
  env.lock(mm.mmap_sem, LockMode::kShared);
  const pgprot_t prot{env.load(mm.vma(0).vm_page_prot, Access::kPlain)};
  EXPECT_EQ(vmf_insert_pfn_pmd_prot(env, mm, peek_vma_view(env, mm), 0, 0x100, /*devmap=*/true,
                                    prot, /*write=*/true),
            VM_FAULT_NOPAGE);
  env.unlock(mm.mmap_sem, LockMode::kShared);
}

MmConfig config_with(SpecialHugeSplit how, VmaKind kind = VmaKind::kMixedMap) {
  MmConfig config = test_config(KernelPreset::kV5_7, false, kind);
  config.knobs.special_huge_split = how;
  return config;
}

TEST(MmHugePmd, InsertBuildsAHugeDevmapEntry) {
  auto run = run_mm(config_with(SpecialHugeSplit::kClear),
                    [](Env& env, const MmState& mm, Snapshot&) { insert_huge(env, mm); });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  const pmd_t pmd = run.snapshot->pmd[0];
  EXPECT_TRUE(x86::pmd_large(pmd));
  EXPECT_TRUE(x86::pmd_devmap(pmd));
  EXPECT_TRUE(x86::pmd_write(pmd));
  EXPECT_EQ(x86::pmd_pfn(pmd), 0x100u);
}

TEST(MmHugePmd, WriteInsertUpgradesAPresentEntryOfTheSamePfnOnly) {
  auto run = run_mm(config_with(SpecialHugeSplit::kClear), [](Env& env, const MmState& mm,
                                                              Snapshot&) {
    env.lock(mm.mmap_sem, LockMode::kShared);
    const pgprot_t ro{x86::PAGE_PRESENT | x86::PAGE_USER | x86::PAGE_NX};
    vmf_insert_pfn_pmd_prot(env, mm, peek_vma_view(env, mm), 0, 0x100, true, ro, /*write=*/false);
    const pmd_t before = peek_pmd(env, mm, 0);
    EXPECT_FALSE(x86::pmd_write(before));
    // Another pfn: left alone (WARN_ON_ONCE in the kernel).
    vmf_insert_pfn_pmd_prot(env, mm, peek_vma_view(env, mm), 1, 0x102, true, ro, /*write=*/true);
    EXPECT_EQ(peek_pmd(env, mm, 0), before);
    // The same pfn with a write: young, dirty, writable; nothing else changes.
    vmf_insert_pfn_pmd_prot(env, mm, peek_vma_view(env, mm), 1, 0x100, true, ro, /*write=*/true);
    const pmd_t after = peek_pmd(env, mm, 0);
    EXPECT_TRUE(x86::pmd_write(after));
    EXPECT_TRUE(x86::pmd_dirty(after));
    const uint64_t changed =
        x86::PAGE_RW | x86::PAGE_DIRTY | x86::PAGE_SOFT_DIRTY | x86::PAGE_ACCESSED;
    EXPECT_EQ(x86::pmd_val(after) & ~changed, x86::pmd_val(before) & ~changed);
    env.unlock(mm.mmap_sem, LockMode::kShared);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
}

TEST(MmHugePmd, SplitOfASpecialHugePmdReachesPmdPageInV53) {
  MmConfig config = test_config(KernelPreset::kV5_3, false);
  auto run = run_mm(config, [](Env& env, const MmState& mm, Snapshot&) {
    insert_huge(env, mm);
    do_madvise_dontneed(env, mm, 1, 2);  // half of the huge page: split
  });
  ASSERT_TRUE(run.has(kKernelBug)) << run.all();
  EXPECT_NE(run.message(kKernelBug).find("__split_huge_pmd_locked(): pmd_page()"),
            std::string::npos)
      << run.all();
}

TEST(MmHugePmd, SplitUnderClearLeavesTheRangeEmpty) {
  auto run =
      run_mm(config_with(SpecialHugeSplit::kClear), [](Env& env, const MmState& mm, Snapshot&) {
        insert_huge(env, mm);
        env.lock(mm.mmap_sem, LockMode::kExclusive);  // mprotect's split_vma
        split_huge_pmd_address(env, mm, mm.vma(0), 1);
        env.unlock(mm.mmap_sem, LockMode::kExclusive);
      });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->pmd[0], pmd_t{0});
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[0]));
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[1]));
}

TEST(MmHugePmd, SplitUnderRebuildBuildsPtesFromVmPageProt) {
  auto run =
      run_mm(config_with(SpecialHugeSplit::kRebuild), [](Env& env, const MmState& mm, Snapshot&) {
        insert_huge(env, mm);
        unmap_mapping_range(env, mm, 1, 1, true);  // zaps page 1 after the split
      });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->pmd[0], kPmdTable);
  // mk_pte(page, vm_page_prot), maybe_mkwrite (VM_WRITE), write and young kept,
  // soft-dirty from pmd_mkdirty(); no _PAGE_SPECIAL.
  const pte_t expected =
      x86::pte_mksoft_dirty(x86::pte_mkwrite(x86::pfn_pte(0x100, run.snapshot->vm_page_prot)));
  EXPECT_EQ(run.snapshot->pte[0], expected) << x86::describe_pte(run.snapshot->pte[0]);
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[1]));
}

TEST(MmHugePmd, RebuildLosesPerPageAttributesHeldOnlyInThePmd) {
  // VRAM under SEV mapped huge with the fault path's WC, decrypted prot; the
  // rebuild takes vm_page_prot (WB, encrypted) instead.
  MmConfig config = test_config(KernelPreset::kV5_7, true);
  config.knobs.special_huge_split = SpecialHugeSplit::kRebuild;
  auto run = run_mm(config, [](Env& env, const MmState& mm, Snapshot&) {
    env.lock(mm.mmap_sem, LockMode::kShared);
    const pgprot_t prot = x86::pgprot_decrypted(
        x86::pgprot_writecombine(pgprot_t{env.load(mm.vma(0).vm_page_prot, Access::kPlain)}));
    vmf_insert_pfn_pmd_prot(env, mm, peek_vma_view(env, mm), 2, 0x106, true, prot, false);
    env.unlock(mm.mmap_sem, LockMode::kShared);
    do_madvise_dontneed(env, mm, 2, 3);
  });
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 2 (pfn 0x106, iomem-wc) is WB, encrypted but the memory requires WC, "
            "decrypted");
}

TEST(MmHugePmd, FullyCoveredHugePmdIsZappedWhole) {
  auto clear =
      run_mm(config_with(SpecialHugeSplit::kClear), [](Env& env, const MmState& mm, Snapshot&) {
        insert_huge(env, mm);
        unmap_mapping_range(env, mm, 0, 0, true);
      });
  ASSERT_TRUE(clear.snapshot->taken) << clear.all();
  EXPECT_EQ(clear.snapshot->pmd[0], pmd_t{0});

  auto v53 =
      run_mm(test_config(KernelPreset::kV5_3, false), [](Env& env, const MmState& mm, Snapshot&) {
        insert_huge(env, mm);
        unmap_mapping_range(env, mm, 0, 0, true);
      });
  ASSERT_TRUE(v53.has(kKernelBug)) << v53.all();
  EXPECT_NE(v53.message(kKernelBug).find("zap_huge_pmd(): pmd_page()"), std::string::npos);
}

TEST(MmHugePmd, MprotectModifiesAFullyCoveredHugePmd) {
  auto run =
      run_mm(config_with(SpecialHugeSplit::kClear), [](Env& env, const MmState& mm, Snapshot&) {
        insert_huge(env, mm);
        EXPECT_EQ(do_mprotect_pkey(env, mm, 0, 4, PROT_READ), 0);
      });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  const pmd_t pmd = run.snapshot->pmd[0];
  EXPECT_TRUE(x86::pmd_large(pmd));
  EXPECT_TRUE(x86::pmd_present(pmd));
  EXPECT_FALSE(x86::pmd_write(pmd));
  EXPECT_EQ(x86::pmd_pfn(pmd), 0x100u);
}

TEST(MmHugePmd, PteFaultOnAHugePmdIsAKernelBug) {
  auto run =
      run_mm(config_with(SpecialHugeSplit::kClear), [](Env& env, const MmState& mm, Snapshot&) {
        insert_huge(env, mm);
        vmf_insert_mixed(env, mm, peek_vma_view(env, mm), 1, 0x101);
      });
  ASSERT_TRUE(run.has(kKernelBug)) << run.all();
  EXPECT_NE(run.message(kKernelBug).find("__get_locked_pte"), std::string::npos);
}

}  // namespace
}  // namespace protmc::model
