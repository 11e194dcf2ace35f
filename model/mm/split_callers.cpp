// The callers of a huge-PMD split, each with the locks its kernel entry point
// takes (../shared/reference/KERNEL_MODEL.md section 5.6): split_huge_pmd_via().
// The split itself is huge_pmd.cpp's __split_huge_pmd(); the zapping callers
// go through zap.cpp.
#include "checker/support/check.hpp"
#include "model/mm/page_table.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

using checker::FunctionScope;

const char* to_string(SplitCaller caller) {
  switch (caller) {
    case SplitCaller::kMprotect:
      return "mprotect";
    case SplitCaller::kMadvise:
      return "madvise";
    case SplitCaller::kWriteFault:
      return "write-fault";
    case SplitCaller::kUnmapMappingRange:
      return "unmap_mapping_range";
    case SplitCaller::kReclaim:
      return "reclaim";
  }
  return "?";
}

// The callers of a huge-PMD split (reference section 5.6). Locks held on
// entry: none; each takes what its kernel entry point takes.
//
// kMprotect: mprotect(2) of a range that ends inside the huge page:
//   do_mprotect_pkey(): down_write(mmap_sem) -> mprotect_fixup() -> split_vma()
//   -> __vma_adjust() -> vma_adjust_trans_huge() -> split_huge_pmd_address()
//   (mm/mprotect.c, mm/mmap.c, mm/huge_memory.c, v5.3): this is the split
//   alone, of find_vma(page)'s VMA, under mmap_sem write, leaving the VMAs
//   and protections as they are (the mprotect operation is the whole path).
// kMadvise: do_madvise(page, 1 page, MADV_DONTNEED): down_read(mmap_sem) ->
//   zap_page_range() -> zap_pmd_range() -> __split_huge_pmd() of the partially
//   covered huge PMD, then zap_pte_range() of the page (model/mm/zap.cpp).
// kWriteFault: a write fault on a present huge PMD (mm/memory.c
//   __handle_mm_fault() -> wp_huge_pmd(), with mmap_sem read): for a
//   non-anonymous VMA whose ->huge_fault returns VM_FAULT_FALLBACK (COW or
//   write-notify), "split pmd" with __split_huge_pmd() and retry at PTE
//   level: wp_huge_pmd() as read for fault.cpp (v5.7-era mm/memory.c); the
//   PTE-level retry is a separate fault operation.
// kUnmapMappingRange: unmap_mapping_range(mapping, vm_pgoff + page, 1, 1):
//   i_mmap_rwsem (read or write per the knob unmap_i_mmap_lock), no mmap_sem
//   -> zap_pmd_range() splits, then zaps the page.
// kReclaim: shrink_page_list() -> try_to_unmap(page, TTU_SPLIT_HUGE_PMD) ->
//   rmap_walk_file(): i_mmap_lock_read(mapping) -> vma_interval_tree_foreach
//   (the VMAs mapping the page) -> try_to_unmap_one():
//   split_huge_pmd_address(vma, address, flags & TTU_SPLIT_FREEZE, page)
//   (mm/rmap.c, v5.3: read from a v5.3-v5.7-era try_to_unmap_one() and
//   rmap_walk_file() "if (!locked) i_mmap_lock_read(mapping);"), no mmap_sem. Reclaim only reaches
//   rmap-tracked pages, so for a PFN-mapped huge entry this caller is hypothetical: it stands for
//   "a split under i_mmap_rwsem read and nothing else". The page lock is not modelled.
void split_huge_pmd_via(Env& env, const MmState& mm, uint64_t page, SplitCaller caller) {
  CHECK_MSG(page < mm.nr_pages, "split_huge_pmd_via: page inside the mapping");
  switch (caller) {
    case SplitCaller::kMprotect: {
      FunctionScope scope(env, "mprotect_fixup");
      env.lock(mm.mmap_sem, checker::LockMode::kExclusive);
      if (const std::optional<VmaView> vma = find_vma(env, mm, page)) {
        FunctionScope adjust(env, "vma_adjust_trans_huge");
        split_huge_pmd_address(env, mm, vma->vma(), page);
      }
      env.unlock(mm.mmap_sem, checker::LockMode::kExclusive);
      return;
    }
    case SplitCaller::kMadvise:
      do_madvise_dontneed(env, mm, page, page + 1);
      return;
    case SplitCaller::kWriteFault: {
      FunctionScope scope(env, "do_user_addr_fault");
      env.lock(mm.mmap_sem, checker::LockMode::kShared);
      if (const std::optional<VmaView> vma = find_vma(env, mm, page)) {
        FunctionScope wp(env, "wp_huge_pmd");
        const uint32_t slot = mm.pmd_index(page);
        if (pmd_is_huge(pmdp_get(env, mm, slot))) __split_huge_pmd(env, mm, vma->vma(), slot, page);
      }
      env.unlock(mm.mmap_sem, checker::LockMode::kShared);
      return;
    }
    case SplitCaller::kUnmapMappingRange:
      unmap_mapping_range(env, mm, mm.mmap_pgoff + page, 1, /*even_cows=*/true);
      return;
    case SplitCaller::kReclaim: {
      FunctionScope scope(env, "try_to_unmap");
      env.lock(mm.i_mmap_rwsem, checker::LockMode::kShared);
      const uint64_t pgoff = mm.mmap_pgoff + page;
      vma_interval_tree_foreach(env, mm, pgoff, pgoff, [&](const VmaView& vma, uint64_t vm_pgoff) {
        FunctionScope one(env, "try_to_unmap_one");
        // vma_address(page, vma): vm_start + (pgoff - vm_pgoff).
        split_huge_pmd_address(env, mm, vma.vma(), vma.vm_start + (pgoff - vm_pgoff));
      });
      env.unlock(mm.i_mmap_rwsem, checker::LockMode::kShared);
      return;
    }
  }
}

}  // namespace protmc::model
