// mprotect of part of a VMA: split_vma() (model/mm/mmap.c), single-threaded.
// Each test runs the kernel entry points on a fresh 4-page mapping (vm_pgoff
// 10) and checks the VMAs, the page table and the properties afterwards.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/mm/fault.hpp"
#include "model/mm/paths.hpp"
#include "tests/model/mm_test_util.hpp"

namespace protmc::model {
namespace {

using checker::Access;
using checker::LockMode;
using mmtest::run_mm;
using mmtest::Snapshot;
using mmtest::test_config;
using x86::pgprot_t;

constexpr vm_flags_t kRw = VM_READ | VM_WRITE;

// One VMA on the mm->mmap list as the test sees it at the end.
struct VmaState {
  VmaId id = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t pgoff = 0;
  vm_flags_t flags = 0;
  pgprot_t prot;
  bool in_i_mmap = false;
};

struct Layout {
  std::vector<VmaState> vmas;  // in address order
  uint64_t map_count = 0;
};

Layout layout_of(const Env& env, const MmState& mm) {
  Layout out;
  for (VmaId id : peek_vma_list(env, mm)) {
    const VmAreaStruct& vma = mm.vma(id);
    out.vmas.push_back(VmaState{id, env.peek(vma.vm_start), env.peek(vma.vm_end),
                                env.peek(vma.vm_pgoff), env.peek(vma.vm_flags),
                                peek_vm_page_prot(env, mm, id),
                                (env.peek(mm.i_mmap) & (uint64_t{1} << id)) != 0});
  }
  out.map_count = env.peek(mm.map_count);
  return out;
}

MmConfig config_v57(VmaKind kind = VmaKind::kMixedMap) {
  MmConfig config = test_config(KernelPreset::kV5_7, /*sev=*/false, kind);
  config.vm_pgoff = 10;
  return config;
}

// Fills pages [0, 4) with writable PTEs of the VMA's own prot (pfn 0x100 + page).
void fill_all(Env& env, const MmState& mm) {
  env.lock(mm.mmap_sem, LockMode::kShared);
  for (uint64_t page = 0; page < mm.nr_pages; ++page) {
    const VmaView vma = *find_vma(env, mm, page);
    const pgprot_t prot{env.load(vma.vma().vm_page_prot, Access::kPlain)};
    EXPECT_EQ(vmf_insert_pfn_prot(env, mm, vma, page, 0x100 + page, prot), VM_FAULT_NOPAGE);
  }
  env.unlock(mm.mmap_sem, LockMode::kShared);
}

TEST(SplitVma, MprotectOfTheMiddleMakesThreeVmas) {
  const MmConfig config = config_v57();
  Layout layout;
  auto run = run_mm(config, [&](Env& env, const MmState& mm, Snapshot& out) {
    out.results.push_back(do_mprotect_pkey(env, mm, 1, 3, PROT_READ));
    layout = layout_of(env, mm);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->results, std::vector<int64_t>{0});
  ASSERT_EQ(layout.vmas.size(), 3u);
  EXPECT_EQ(layout.map_count, 3u);
  const vm_flags_t base = VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYSHARE | VM_MIXEDMAP;
  // split_vma(vma, 1, new_below = 1) puts the new slot 1 below; split_vma(vma,
  // 3, 0) the new slot 2 above; the original VMA (slot 0) keeps [1, 3).
  const VmaState& below = layout.vmas[0];
  const VmaState& middle = layout.vmas[1];
  const VmaState& above = layout.vmas[2];
  EXPECT_EQ(below.id, 1u);
  EXPECT_EQ(middle.id, 0u);
  EXPECT_EQ(above.id, 2u);
  EXPECT_EQ(below.start, 0u);
  EXPECT_EQ(below.end, 1u);
  EXPECT_EQ(middle.start, 1u);
  EXPECT_EQ(middle.end, 3u);
  EXPECT_EQ(above.start, 3u);
  EXPECT_EQ(above.end, 4u);
  EXPECT_EQ(below.pgoff, 10u);
  EXPECT_EQ(middle.pgoff, 11u);
  EXPECT_EQ(above.pgoff, 13u);
  EXPECT_EQ(below.flags, base | kRw);
  EXPECT_EQ(middle.flags, base | VM_READ);
  EXPECT_EQ(above.flags, base | kRw);
  EXPECT_EQ(below.prot, x86::vm_get_page_prot(base | kRw, false));
  EXPECT_EQ(middle.prot, x86::vm_get_page_prot(base | VM_READ, false));
  EXPECT_EQ(above.prot, x86::vm_get_page_prot(base | kRw, false));
  for (const VmaState& vma : layout.vmas) EXPECT_TRUE(vma.in_i_mmap) << vma.id;
}

TEST(SplitVma, MprotectOfTheStartOrTheEndMakesTwoVmas) {
  for (const bool at_start : {true, false}) {
    SCOPED_TRACE(at_start ? "start" : "end");
    Layout layout;
    auto run = run_mm(config_v57(), [&](Env& env, const MmState& mm, Snapshot& out) {
      out.results.push_back(at_start ? do_mprotect_pkey(env, mm, 0, 2, PROT_READ)
                                     : do_mprotect_pkey(env, mm, 2, 4, PROT_READ));
      layout = layout_of(env, mm);
    });
    ASSERT_TRUE(run.snapshot->taken) << run.all();
    EXPECT_EQ(run.snapshot->results, std::vector<int64_t>{0});
    ASSERT_EQ(layout.vmas.size(), 2u);
    EXPECT_EQ(layout.vmas[0].end, 2u);
    EXPECT_EQ(layout.vmas[1].start, 2u);
    EXPECT_EQ(layout.vmas[1].pgoff, 12u);
    // The mprotected part is the original VMA (slot 0) either way.
    const VmaState& changed = at_start ? layout.vmas[0] : layout.vmas[1];
    const VmaState& kept = at_start ? layout.vmas[1] : layout.vmas[0];
    EXPECT_EQ(changed.id, 0u);
    EXPECT_EQ(kept.id, 1u);
    EXPECT_FALSE(changed.flags & VM_WRITE);
    EXPECT_TRUE(kept.flags & VM_WRITE);
  }
}

TEST(SplitVma, EntriesOutsideTheRangeKeepTheirProtection) {
  auto run = run_mm(config_v57(), [](Env& env, const MmState& mm, Snapshot&) {
    fill_all(env, mm);
    EXPECT_EQ(do_mprotect_pkey(env, mm, 1, 3, PROT_READ), 0);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  const auto& pte = run.snapshot->pte;
  EXPECT_TRUE(x86::pte_write(pte[0])) << x86::describe_pte(pte[0]);
  EXPECT_FALSE(x86::pte_write(pte[1])) << x86::describe_pte(pte[1]);
  EXPECT_FALSE(x86::pte_write(pte[2])) << x86::describe_pte(pte[2]);
  EXPECT_TRUE(x86::pte_write(pte[3])) << x86::describe_pte(pte[3]);
  for (uint64_t page = 0; page < 4; ++page) EXPECT_EQ(x86::pte_pfn(pte[page]), 0x100 + page);
}

TEST(SplitVma, MprotectBackToTheOldFlagsLeavesThePartsSplit) {
  Layout layout;
  auto run = run_mm(config_v57(), [&](Env& env, const MmState& mm, Snapshot&) {
    EXPECT_EQ(do_mprotect_pkey(env, mm, 1, 3, PROT_READ), 0);
    EXPECT_EQ(do_mprotect_pkey(env, mm, 1, 3, PROT_READ | PROT_WRITE), 0);
    layout = layout_of(env, mm);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  // vma_merge() returns NULL for VM_SPECIAL VMAs: three VMAs, all writable.
  ASSERT_EQ(layout.vmas.size(), 3u);
  for (const VmaState& vma : layout.vmas) EXPECT_TRUE(vma.flags & VM_WRITE) << vma.id;
}

TEST(SplitVma, MprotectAcrossSeveralVmasChangesEachWithoutNewSplits) {
  Layout layout;
  auto run = run_mm(config_v57(), [&](Env& env, const MmState& mm, Snapshot&) {
    fill_all(env, mm);
    EXPECT_EQ(do_mprotect_pkey(env, mm, 1, 3, PROT_READ), 0);
    EXPECT_EQ(do_mprotect_pkey(env, mm, 0, 4, PROT_NONE), 0);
    layout = layout_of(env, mm);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  ASSERT_EQ(layout.vmas.size(), 3u);
  EXPECT_EQ(layout.map_count, 3u);
  for (const VmaState& vma : layout.vmas) {
    EXPECT_FALSE(vma.flags & (VM_READ | VM_WRITE)) << vma.id;
  }
  for (uint64_t page = 0; page < 4; ++page) {
    // PROT_NONE: _PAGE_PROTNONE instead of _PAGE_PRESENT, same pfn.
    const x86::pte_t pte = run.snapshot->pte[page];
    EXPECT_EQ(x86::pte_flags(pte) & (x86::PAGE_PRESENT | x86::PAGE_PROTNONE), x86::PAGE_PROTNONE)
        << page << ": " << x86::describe_pte(pte);
    EXPECT_EQ(x86::pte_pfn(pte), 0x100 + page);
  }
}

TEST(SplitVma, NoFreeSlotIsEnomemAndChangesNothing) {
  MmConfig config = config_v57();
  config.max_vmas = 2;  // sysctl_max_map_count: the second split fails
  Layout layout;
  auto run = run_mm(config, [&](Env& env, const MmState& mm, Snapshot& out) {
    fill_all(env, mm);
    out.results.push_back(do_mprotect_pkey(env, mm, 1, 3, PROT_READ));
    layout = layout_of(env, mm);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_EQ(run.snapshot->results, std::vector<int64_t>{-12});
  // The first split stays (as in the kernel); no flags changed.
  ASSERT_EQ(layout.vmas.size(), 2u);
  for (const VmaState& vma : layout.vmas) EXPECT_TRUE(vma.flags & VM_WRITE) << vma.id;
  for (uint64_t page = 0; page < 4; ++page) EXPECT_TRUE(x86::pte_write(run.snapshot->pte[page]));
}

// Two huge PMDs (pages 0-1 and 2-3), then mprotect [1, 4): the new start 1
// cuts PMD 0, which vma_adjust_trans_huge() splits; PMD 1 lies whole inside
// the range and change_huge_pmd() rewrites it.
void two_huge_pmds_then_mprotect(Env& env, const MmState& mm) {
  env.lock(mm.mmap_sem, LockMode::kShared);
  const VmaView vma = peek_vma_view(env, mm);
  const pgprot_t prot{env.load(vma.vma().vm_page_prot, Access::kPlain)};
  vmf_insert_pfn_pmd_prot(env, mm, vma, 0, 0x100, /*devmap=*/true, prot, /*write=*/true);
  vmf_insert_pfn_pmd_prot(env, mm, vma, 2, 0x102, /*devmap=*/true, prot, /*write=*/true);
  env.unlock(mm.mmap_sem, LockMode::kShared);
  do_mprotect_pkey(env, mm, 1, 4, PROT_READ);
}

TEST(SplitVma, AHugePmdAcrossTheNewBoundaryIsSplitByVmaAdjustTransHuge) {
  MmConfig config = config_v57();
  config.transparent_hugepage = true;
  auto run = run_mm(
      config, [](Env& env, const MmState& mm, Snapshot&) { two_huge_pmds_then_mprotect(env, mm); });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  // v5.7: the split of a special huge PMD clears it (vma_is_special_huge()).
  EXPECT_TRUE(x86::pmd_none(run.snapshot->pmd[0])) << x86::describe_pmd(run.snapshot->pmd[0]);
  const x86::pmd_t kept = run.snapshot->pmd[1];
  EXPECT_TRUE(pmd_is_huge(kept)) << x86::describe_pmd(kept);
  EXPECT_FALSE(x86::pmd_write(kept)) << x86::describe_pmd(kept);
  EXPECT_EQ(x86::pmd_pfn(kept), 0x102u);

  // v5.6 reaches pmd_page() of the special huge PMD in that split.
  MmConfig v56 = config;
  v56.knobs = preset_knobs(KernelPreset::kV5_6);
  auto bug = run_mm(
      v56, [](Env& env, const MmState& mm, Snapshot&) { two_huge_pmds_then_mprotect(env, mm); });
  ASSERT_TRUE(bug.has(kKernelBug)) << bug.all();
  EXPECT_NE(bug.message(kKernelBug).find("__split_huge_pmd_locked(): pmd_page()"),
            std::string::npos)
      << bug.all();
}

TEST(SplitVma, AnAlignedBoundaryLeavesTheHugePmdsWhole) {
  MmConfig config = config_v57();
  config.transparent_hugepage = true;
  auto run = run_mm(config, [](Env& env, const MmState& mm, Snapshot&) {
    env.lock(mm.mmap_sem, LockMode::kShared);
    const VmaView vma = peek_vma_view(env, mm);
    const pgprot_t prot{env.load(vma.vma().vm_page_prot, Access::kPlain)};
    vmf_insert_pfn_pmd_prot(env, mm, vma, 0, 0x100, true, prot, true);
    env.unlock(mm.mmap_sem, LockMode::kShared);
    EXPECT_EQ(do_mprotect_pkey(env, mm, 2, 4, PROT_READ), 0);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(pmd_is_huge(run.snapshot->pmd[0])) << x86::describe_pmd(run.snapshot->pmd[0]);
  EXPECT_TRUE(x86::pmd_write(run.snapshot->pmd[0]));
}

// The fault handler: vmf_insert_pfn() with vmf->vma's prot, recording which
// VMA the fault got.
vm_fault_t insert_from_vma(Env& env, const MmState& mm, VmFault& vmf, std::vector<int64_t>& seen) {
  seen.push_back(vmf.vma.vma().id);
  return vmf_insert_pfn(env, mm, vmf.vma, vmf.address, 0x100 + vmf.address);
}

TEST(SplitVma, AFaultInEachPartUsesThatPartsVmPageProt) {
  auto run = run_mm(config_v57(VmaKind::kPfnMap), [](Env& env, const MmState& mm, Snapshot& out) {
    EXPECT_EQ(do_mprotect_pkey(env, mm, 2, 4, PROT_READ), 0);
    auto fault = [&](Env& e, VmFault& vmf) { return insert_from_vma(e, mm, vmf, out.results); };
    EXPECT_EQ(do_user_addr_fault(env, mm, 0, /*write=*/true, fault), VM_FAULT_NOPAGE);
    EXPECT_EQ(do_user_addr_fault(env, mm, 3, /*write=*/false, fault), VM_FAULT_NOPAGE);
    // A write to the read-only part is refused before the driver runs.
    EXPECT_EQ(do_user_addr_fault(env, mm, 2, /*write=*/true, fault), VM_FAULT_SIGSEGV);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->results, (std::vector<int64_t>{1, 0}));  // page 0: slot 1; page 3: slot 0
  EXPECT_TRUE(x86::pte_write(run.snapshot->pte[0])) << x86::describe_pte(run.snapshot->pte[0]);
  EXPECT_TRUE(x86::pte_present(run.snapshot->pte[3]));
  EXPECT_FALSE(x86::pte_write(run.snapshot->pte[3])) << x86::describe_pte(run.snapshot->pte[3]);
  EXPECT_FALSE(x86::pte_present(run.snapshot->pte[2]));
}

TEST(SplitVma, UnmapMappingRangeZapsAcrossAllParts) {
  for (const bool whole : {true, false}) {
    SCOPED_TRACE(whole ? "whole file" : "file pages 11..12");
    auto run = run_mm(config_v57(), [whole](Env& env, const MmState& mm, Snapshot&) {
      fill_all(env, mm);
      EXPECT_EQ(do_mprotect_pkey(env, mm, 1, 3, PROT_READ), 0);
      if (whole) {
        unmap_mapping_range(env, mm, 0, 0, /*even_cows=*/true);
      } else {
        unmap_mapping_range(env, mm, 11, 2, /*even_cows=*/true);  // pages 1 and 2
      }
    });
    ASSERT_TRUE(run.snapshot->taken) << run.all();
    EXPECT_TRUE(run.result.findings.empty()) << run.all();
    const auto& pte = run.snapshot->pte;
    EXPECT_EQ(x86::pte_present(pte[0]), !whole);
    EXPECT_FALSE(x86::pte_present(pte[1]));
    EXPECT_FALSE(x86::pte_present(pte[2]));
    EXPECT_EQ(x86::pte_present(pte[3]), !whole);
  }
}

TEST(SplitVma, MadviseDontneedZapsAcrossParts) {
  auto run = run_mm(config_v57(), [](Env& env, const MmState& mm, Snapshot& out) {
    fill_all(env, mm);
    EXPECT_EQ(do_mprotect_pkey(env, mm, 1, 3, PROT_READ), 0);
    out.results.push_back(do_madvise_dontneed(env, mm, 0, 2));
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_EQ(run.snapshot->results, std::vector<int64_t>{0});
  const auto& pte = run.snapshot->pte;
  EXPECT_FALSE(x86::pte_present(pte[0]));
  EXPECT_FALSE(x86::pte_present(pte[1]));
  EXPECT_TRUE(x86::pte_present(pte[2]));
  EXPECT_TRUE(x86::pte_present(pte[3]));
}

// vmf_insert_pfn_pmd_prot() checks only the huge page's first address
// against the VMA (v5.7): a huge entry inserted through the writable part
// [0, 1) also maps page 1 of the read-only part, writable.
TEST(SplitVma, AHugeInsertThroughOnePartMapsTheNextPartWithItsProt) {
  MmConfig config = config_v57();
  config.transparent_hugepage = true;
  auto run = run_mm(config, [](Env& env, const MmState& mm, Snapshot&) {
    EXPECT_EQ(do_mprotect_pkey(env, mm, 1, 4, PROT_READ), 0);
    env.lock(mm.mmap_sem, LockMode::kShared);
    const VmaView low = *find_vma(env, mm, 0);
    EXPECT_EQ(low.vm_end, 1u);
    const pgprot_t prot{env.load(low.vma().vm_page_prot, Access::kPlain)};
    EXPECT_EQ(vmf_insert_pfn_pmd_prot(env, mm, low, 0, 0x100, true, prot, /*write=*/true),
              VM_FAULT_NOPAGE);
    env.unlock(mm.mmap_sem, LockMode::kShared);
  });
  ASSERT_TRUE(run.has(kPtePermission)) << run.all();
  EXPECT_NE(run.message(kPtePermission).find("huge PMD 0 at page 1 is writable"), std::string::npos)
      << run.all();
}

}  // namespace
}  // namespace protmc::model
