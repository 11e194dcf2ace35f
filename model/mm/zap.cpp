// Zapping user mappings: zap_pte_range(), zap_huge_pmd(), zap_pmd_range(),
// unmap_single_vma(), zap_page_range(), unmap_mapping_pages() /
// unmap_mapping_range() and madvise(MADV_DONTNEED).
//
// Kernel sources read: mm/memory.c of a v5.4-based tree for zap_pte_range,
// zap_pmd_range, unmap_single_vma, zap_page_range (unchanged from v5.3 in
// the parts modelled); unmap_mapping_pages()/unmap_mapping_range_tree() of
// v5.3-era patches (i_mmap_lock_write) and of the 2022 change to
// i_mmap_lock_read (the knob unmap_i_mmap_lock); zap_huge_pmd() (mm/huge_memory.c)
// of v5.6/v5.7, read from the v5.7 patch "mm: Add vma_is_special_huge"
// (TTM huge-fault series), whose context is the v5.3-v5.6 function:
//   orig_pmd = pmdp_huge_get_and_clear_full(tlb->mm, addr, pmd, tlb->fullmm);
//   tlb_remove_pmd_tlb_entry(tlb, pmd, addr);
//   -	if (vma_is_dax(vma)) {   +	if (vma_is_special_huge(vma)) {
// madvise (mm/madvise.c, v5.3): madvise_need_mmap_write() (MADV_DONTNEED ->
// 0, down_read), madvise_dontneed_free() and madvise_dontneed_single_vma()
// read from pre-v5.4 madvise.c copies and the MADV_COLD patch (2019), whose
// context has can_madv_dontneed_vma() (mm/internal.h):
//   return !(vma->vm_flags & (VM_LOCKED|VM_HUGETLB|VM_PFNMAP));
//
// With several VMAs (split_vma(), mmap.cpp): unmap_mapping_range_tree() zaps
// every VMA of the i_mmap tree overlapping the range, zap_page_range() walks
// vm_next, and do_madvise() loops over the VMAs of the range as v5.3 does
// (find_vma_prev(), "if (prev) vma = prev->vm_next").
//
// Simplified: no mmu_gather/TLB flushing, no rss counters, no mmu notifiers;
// the pgd/p4d/pud levels are one entry each (unmap_page_range calls
// zap_pmd_range directly); there are no swap or migration entries;
// untrack_pfn() and uprobe_munmap() are omitted.
#include <algorithm>
#include <string>

#include "model/mm/page_table.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;
using checker::LockMode;

// zap_pte_range() (mm/memory.c, v5.3) for pages [addr, end) of one slot:
//   start_pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
//   do { ptent = *pte; if (pte_none(ptent)) continue;
//        if (pte_present(ptent)) { page = vm_normal_page(...);  // NULL: special
//          ptent = ptep_get_and_clear_full(mm, addr, pte, tlb->fullmm); ... continue; }
//   } while (pte++, addr += PAGE_SIZE, addr != end);
//   pte_unmap_unlock(start_pte, ptl);
// Locks held on entry: the caller's; takes the PTE lock.
void zap_pte_range(Env& env, const MmState& mm, uint32_t slot, uint64_t addr, uint64_t end) {
  FunctionScope scope(env, "zap_pte_range");
  const LockId ptl = pte_offset_map_lock(env, mm, slot);
  for (; addr != end; ++addr) {
    const x86::pte_t ptent = ptep_get(env, mm, addr);
    if (x86::pte_none(ptent)) continue;
    if (x86::pte_present(ptent)) ptep_get_and_clear(env, mm, addr);
  }
  spin_unlock(env, ptl);
}

// zap_huge_pmd() (mm/huge_memory.c, v5.3 / v5.7):
//   ptl = __pmd_trans_huge_lock(pmd, vma); if (!ptl) return 0;
//   orig_pmd = pmdp_huge_get_and_clear_full(tlb->mm, addr, pmd, tlb->fullmm);
//   if (vma_is_dax(vma)) {...}                   // v5.7: vma_is_special_huge(vma)
//   else ... page = pmd_page(orig_pmd); page_remove_rmap(page, true); ...
//   spin_unlock(ptl); return 1;
// A special (PFN-mapped) huge PMD reaching pmd_page() is a kernel-bug finding
// when the knob special_huge_split is pmd_page (v5.3, no vma_is_special_huge()).
// Locks held on entry: the caller's; takes pmd_lock.
bool zap_huge_pmd(Env& env, const MmState& mm, const VmAreaStruct& vma, uint32_t slot) {
  FunctionScope scope(env, "zap_huge_pmd");
  // __pmd_trans_huge_lock(): take pmd_lock, keep it if the entry is (still) huge.
  const LockId ptl = pmd_lock(env, mm);
  if (!pmd_is_huge(pmdp_get(env, mm, slot))) {
    spin_unlock(env, ptl);
    return false;
  }
  const x86::pmd_t orig = pmdp_huge_get_and_clear(env, mm, slot);
  if (vma_is_special_huge(vma) && mm.knobs.special_huge_split == SpecialHugeSplit::kPmdPage) {
    env.fail("kernel-bug", "zap_huge_pmd(): pmd_page() on the special (PFN-mapped) huge PMD " +
                               std::to_string(slot) + " (" + x86::describe_pmd(orig) +
                               "): only vma_is_dax() VMAs skip the struct-page handling");
  }
  spin_unlock(env, ptl);
  return true;
}

// zap_pmd_range() (mm/memory.c, v5.3):
//   do { next = pmd_addr_end(addr, end);
//        if (is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd)) {
//          if (next - addr != HPAGE_PMD_SIZE) __split_huge_pmd(vma, pmd, addr, false, NULL);
//          else if (zap_huge_pmd(tlb, vma, pmd, addr)) goto next;
//          /* fall through */ }
//        if (pmd_none_or_trans_huge_or_clear_bad(pmd)) goto next;
//        next = zap_pte_range(tlb, vma, pmd, addr, next, details);
//   next: cond_resched(); } while (pmd++, addr = next, addr != end);
// The lockless *pmd checks are marked loads (pmd_read_atomic()).
// Locks held on entry: the caller's (mmap_sem read or i_mmap_rwsem).
void zap_pmd_range(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t addr,
                   uint64_t end) {
  FunctionScope scope(env, "zap_pmd_range");
  while (addr != end) {
    const uint32_t slot = mm.pmd_index(addr);
    const uint64_t next = std::min<uint64_t>(mm.pmd_end(slot), end);
    if (pmd_is_huge(pmdp_get(env, mm, slot))) {
      if (next - addr != mm.pmd_pages) {
        __split_huge_pmd(env, mm, vma, slot, addr);
      } else if (zap_huge_pmd(env, mm, vma, slot)) {
        addr = next;
        continue;
      }
    }
    const x86::pmd_t pmd = pmdp_get(env, mm, slot);
    if (!x86::pmd_none(pmd) && !pmd_is_huge(pmd)) zap_pte_range(env, mm, slot, addr, next);
    addr = next;
  }
}

// unmap_single_vma() (mm/memory.c, v5.3) -> unmap_page_range() -> zap_pmd_range().
//   unsigned long start = max(vma->vm_start, start_addr);
//   if (start >= vma->vm_end) return;
//   end = min(vma->vm_end, end_addr);
//   if (end <= vma->vm_start) return;
// (the range as the caller read it under its lock: VmaView). Locks held on
// entry: the caller's.
void unmap_single_vma(Env& env, const MmState& mm, const VmaView& vma, uint64_t start_addr,
                      uint64_t end_addr) {
  FunctionScope scope(env, "unmap_single_vma");
  const uint64_t start = std::max(vma.vm_start, start_addr);
  if (start >= vma.vm_end) return;
  const uint64_t end = std::min(vma.vm_end, end_addr);
  if (end <= vma.vm_start) return;
  if (start != end) zap_pmd_range(env, mm, vma.vma(), start, end);  // unmap_page_range()
}

// zap_page_range(vma, start, size) (mm/memory.c, v5.3):
//   for ( ; vma && vma->vm_start < range.end; vma = vma->vm_next)
//     unmap_single_vma(&tlb, vma, start, range.end, NULL);
// A VMA reached through vm_next has its range read there (read_vma()).
// Locks held on entry: mmap_sem (read, for madvise).
void zap_page_range(Env& env, const MmState& mm, const VmaView& vma, uint64_t start,
                    uint64_t size) {
  FunctionScope scope(env, "zap_page_range");
  const uint64_t end = start + size;
  std::optional<VmaView> v = vma;
  while (v && v->vm_start < end) {
    unmap_single_vma(env, mm, *v, start, end);
    const std::optional<VmaId> next = vma_next(env, mm, v->vma());
    v = next ? std::optional<VmaView>(read_vma(env, mm, *next)) : std::nullopt;
  }
}

namespace {

// unmap_mapping_range_tree() (mm/memory.c, v5.3):
//   vma_interval_tree_foreach(vma, root, details->first_index, details->last_index) {
//     vba = vma->vm_pgoff; vea = vba + vma_pages(vma) - 1;
//     zba = max(first_index, vba); zea = min(last_index, vea);
//     unmap_mapping_range_vma(vma, ((zba - vba) << PAGE_SHIFT) + vma->vm_start,
//                             ((zea - vba + 1) << PAGE_SHIFT) + vma->vm_start, details);
//   }
// (unmap_mapping_range_vma() is zap_page_range_single() -> unmap_single_vma().)
// vm_pgoff, vm_start and vm_end as the tree walk read them (under
// i_mmap_rwsem, which every writer of them holds for write).
void unmap_mapping_range_tree(Env& env, const MmState& mm, uint64_t first_index,
                              uint64_t last_index) {
  FunctionScope scope(env, "unmap_mapping_range_tree");
  vma_interval_tree_foreach(
      env, mm, first_index, last_index, [&](const VmaView& vma, uint64_t vba) {
        const uint64_t vea = vba + (vma.vm_end - vma.vm_start) - 1;
        const uint64_t zba = std::max(first_index, vba);
        const uint64_t zea = std::min(last_index, vea);
        FunctionScope single(env, "zap_page_range_single");
        unmap_single_vma(env, mm, vma, zba - vba + vma.vm_start, zea - vba + 1 + vma.vm_start);
      });
}

}  // namespace

// unmap_mapping_pages() (mm/memory.c, v5.3):
//   details.check_mapping = even_cows ? NULL : mapping;
//   first_index = start; last_index = start + nr - 1; (nr == 0: to ULONG_MAX)
//   i_mmap_lock_write(mapping);     // i_mmap_lock_read() from v5.17: knob
//   if (unlikely(!RB_EMPTY_ROOT(&mapping->i_mmap.rb_root)))
//           unmap_mapping_range_tree(&mapping->i_mmap, &details);
//   i_mmap_unlock_write(mapping);
// (The RB_EMPTY_ROOT() test is the tree walk's own read of the root here.)
// Locks held on entry: none of the mm's (TTM holds the BO's reservation).
// check_mapping only matters for COWed anonymous pages, which the model has not.
void unmap_mapping_pages(Env& env, const MmState& mm, uint64_t start, uint64_t nr, bool even_cows) {
  FunctionScope scope(env, "unmap_mapping_pages");
  (void)even_cows;
  uint64_t last = start + nr - 1;
  if (nr == 0 || last < start) last = UINT64_MAX;
  const LockMode mode =
      mm.knobs.unmap_i_mmap_lock == IMmapLockMode::kRead ? LockMode::kShared : LockMode::kExclusive;
  env.lock(mm.i_mmap_rwsem, mode);
  unmap_mapping_range_tree(env, mm, start, last);
  env.unlock(mm.i_mmap_rwsem, mode);
}

// unmap_mapping_range() (mm/memory.c, v5.3): converts the byte hole to page
// offsets and calls unmap_mapping_pages(). Here holebegin and holelen are
// already in pages (holelen == 0: to the end of the file).
void unmap_mapping_range(Env& env, const MmState& mm, uint64_t holebegin, uint64_t holelen,
                         bool even_cows) {
  FunctionScope scope(env, "unmap_mapping_range");
  unmap_mapping_pages(env, mm, holebegin, holelen, even_cows);
}

// madvise_dontneed_single_vma() (mm/madvise.c, v5.3):
//   zap_page_range(vma, start, end - start);
//   return 0;
// Locks held on entry: mmap_sem (read).
int madvise_dontneed_single_vma(Env& env, const MmState& mm, const VmaView& vma, uint64_t start,
                                uint64_t end) {
  FunctionScope scope(env, "madvise_dontneed_single_vma");
  zap_page_range(env, mm, vma, start, end - start);
  return 0;
}

namespace {

// can_madv_dontneed_vma() (mm/internal.h, v5.3):
//   return !(vma->vm_flags & (VM_LOCKED|VM_HUGETLB|VM_PFNMAP));
// A plain read of vm_flags (mmap_sem read excludes mprotect, the only
// writer). VM_PFNMAP is a constant of the model's VMA (its kind), so only
// the load is modelled; VM_LOCKED and VM_HUGETLB are never set.
bool can_madv_dontneed_vma(Env& env, const VmAreaStruct& vma) {
  FunctionScope scope(env, "can_madv_dontneed_vma");
  (void)env.load(vma.vm_flags, Access::kPlain);
  return vma.kind != VmaKind::kPfnMap;
}

// madvise_dontneed_free() (mm/madvise.c, v5.3) for MADV_DONTNEED:
//   *prev = vma;
//   if (!can_madv_dontneed_vma(vma)) return -EINVAL;
//   if (!userfaultfd_remove(vma, start, end)) {...}   // no userfaultfd: true
//   if (behavior == MADV_DONTNEED) return madvise_dontneed_single_vma(vma, start, end);
// Locks held on entry: mmap_sem (read).
int madvise_dontneed_free(Env& env, const MmState& mm, const VmaView& vma,
                          std::optional<VmaView>* prev, uint64_t start, uint64_t end) {
  FunctionScope scope(env, "madvise_dontneed_free");
  *prev = vma;
  if (!can_madv_dontneed_vma(env, vma.vma())) return -22;  // -EINVAL
  return madvise_dontneed_single_vma(env, mm, vma, start, end);
}

}  // namespace

// do_madvise(start, len, MADV_DONTNEED) (mm/madvise.c, v5.3):
//   write = madvise_need_mmap_write(behavior);   // MADV_DONTNEED: 0
//   ... down_read(&current->mm->mmap_sem);
//   vma = find_vma_prev(current->mm, start, &prev);
//   if (vma && start > vma->vm_start) prev = vma;
//   for (;;) {
//     error = -ENOMEM; if (!vma) goto out;
//     if (start < vma->vm_start) { unmapped_error = -ENOMEM; start = vma->vm_start;
//                                  if (start >= end) goto out; }
//     tmp = vma->vm_end; if (end < tmp) tmp = end;
//     error = madvise_vma(vma, &prev, start, tmp, behavior);   // -> madvise_dontneed_free()
//     if (error) goto out;
//     start = tmp;
//     if (prev && start < prev->vm_end) start = prev->vm_end;
//     error = unmapped_error;
//     if (start >= end) goto out;
//     if (prev) vma = prev->vm_next; else vma = find_vma(current->mm, start);
//   }
//   out: up_read(&current->mm->mmap_sem);
// find_vma_prev() is find_vma() then vma->vm_prev (a NULL vma ends the loop
// before prev is used, so the rb_last() branch is not modelled); the VMAs'
// ranges are read by find_vma() and when the loop moves to vm_next
// (VmaView).
int do_madvise_dontneed(Env& env, const MmState& mm, uint64_t start, uint64_t end) {
  FunctionScope scope(env, "do_madvise");
  env.lock(mm.mmap_sem, LockMode::kShared);
  std::optional<VmaView> vma;
  std::optional<VmaView> prev;
  {
    FunctionScope find(env, "find_vma_prev");
    vma = find_vma(env, mm, start);
    if (vma) {
      const std::optional<VmaId> p = vma_prev(env, mm, vma->vma());
      if (p) prev = VmaView{&mm.vma(*p), 0, 0};  // only its identity is used before it is reset
    }
  }
  if (vma && start > vma->vm_start) prev = vma;
  int unmapped_error = 0;
  int error = 0;
  for (;;) {
    error = -12;  // -ENOMEM
    if (!vma) break;
    if (start < vma->vm_start) {
      unmapped_error = -12;
      start = vma->vm_start;
      if (start >= end) break;
    }
    const uint64_t tmp = std::min(vma->vm_end, end);
    error = madvise_dontneed_free(env, mm, *vma, &prev, start, tmp);
    if (error != 0) break;
    start = tmp;
    if (prev) start = std::max(start, prev->vm_end);
    error = unmapped_error;
    if (start >= end) break;
    if (prev) {
      const std::optional<VmaId> next = vma_next(env, mm, prev->vma());
      vma = next ? std::optional<VmaView>(read_vma(env, mm, *next)) : std::nullopt;
    } else {
      vma = find_vma(env, mm, start);
    }
  }
  env.unlock(mm.mmap_sem, LockMode::kShared);
  return error;
}

}  // namespace protmc::model
