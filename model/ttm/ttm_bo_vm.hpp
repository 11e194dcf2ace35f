// Pieces of drivers/gpu/drm/ttm/ttm_bo_vm.c that the locking proposals'
// fault paths share (v5.4-v5.6 forms; the v5.3 fault path, which had them
// inline, is model/proposals/fake_vma.cpp).
#pragma once

#include <cstdint>

#include "model/mm/fault.hpp"
#include "model/ttm/ttm_bo.hpp"

namespace protmc::model {

// TTM_BO_VM_NUM_PREFAULT (include/drm/ttm/ttm_bo_api.h).
inline constexpr uint64_t TTM_BO_VM_NUM_PREFAULT = 16;

// ttm_bo_vm_reserve() (ttm_bo_vm.c, v5.4-v5.6). Locks held on entry:
// mmap_sem (read). Returns 0 with resv held; VM_FAULT_RETRY with mmap_sem
// dropped after waiting for the reservation (lock + unlock) when retry is
// allowed; VM_FAULT_NOPAGE when the trylock fails on the retry.
vm_fault_t ttm_bo_vm_reserve(Env& env, const TtmState& ttm, const VmFault& vmf);

// The insertion tail of ttm_bo_vm_fault_reserved() for the proposals that
// insert with the VMA's prot (write-once, vm-prot-lock, dma-mmap-prepare),
// once the prot is in place: a huge fault (fault_page_size != 1) goes to
// ttm_bo_vm_insert_huge() with vmf_insert_pfn_pmd(vmf, pfn, write); anything
// else to the prefault loop with vmf_insert_mixed(vma, ...) or, for a
// VM_PFNMAP VMA, vmf_insert_pfn(vma, ...). All of them read
// vma->vm_page_prot (vmf->vma's). Locks held on entry: mmap_sem (read),
// resv, io_reserve_mutex (and the proposal's own).
vm_fault_t ttm_bo_vm_insert_from_vma(Env& env, const TtmState& ttm, TtmPlacement mem,
                                     const VmFault& vmf, uint64_t page_offset, uint64_t page_last,
                                     uint64_t num_prefault, uint64_t fault_page_size);

// The shape of ttm_bo_vm_fault() (ttm_bo_vm.c, v5.4-v5.7) and of the v5.7
// huge fault (vmwgfx's vmw_bo_vm_huge_fault()) around the proposal's own
// part, `reserved()` (computing its prot and calling its
// ttm_bo_vm_fault_reserved() with its num_prefault and fault_page_size):
//   ret = ttm_bo_vm_reserve(bo, vmf); if (ret) return ret;
//   ret = <reserved>;
//   if (ret == VM_FAULT_RETRY && !(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) return ret;
//   dma_resv_unlock(bo->base.resv);
//   return ret;
// Locks held on entry: mmap_sem (read).
template <typename Reserved>
vm_fault_t ttm_bo_vm_fault_around(Env& env, const TtmState& ttm, VmFault& vmf,
                                  Reserved&& reserved) {
  vm_fault_t ret = ttm_bo_vm_reserve(env, ttm, vmf);
  if (ret) return ret;
  ret = reserved();
  if (ret == VM_FAULT_RETRY && !(vmf.flags & FAULT_FLAG_RETRY_NOWAIT)) return ret;
  env.unlock(ttm.resv);
  return ret;
}

// ttm_bo_vm_fault_idle() (ttm_bo_vm.c, v5.3-v5.7): waits for a pipelined
// move's fence before the BO's pages are mapped. Locks held on entry:
// mmap_sem (read), resv. Returns 0 with both still held (no fence, or it has
// signaled: bo->moving is cleared); VM_FAULT_RETRY with mmap_sem and resv
// dropped after waiting when retry is allowed; otherwise 0 after waiting
// with both held.
vm_fault_t ttm_bo_vm_fault_idle(Env& env, const TtmState& ttm, const VmFault& vmf);

// The BO page the fault address maps (page_offset) and the end of the VMA in
// BO pages (page_last), as ttm_bo_vm_fault computes them:
//   page_offset = ((address - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff
//                 - drm_vma_node_start(&bo->vma_node);
//   page_last = vma_pages(vma) + vma->vm_pgoff - drm_vma_node_start(...);
// From vmf->vma's range as the fault entry read it and vmf->pgoff (which
// holds vm_pgoff): the range and vm_pgoff cannot change under the fault's
// mmap_sem, so the kernel's re-reads through vma-> are not separate events
// (see VmaView). Pure.
struct TtmFaultOffsets {
  uint64_t page_offset = 0;
  uint64_t page_last = 0;
};
TtmFaultOffsets ttm_bo_fault_offsets(const TtmState& ttm, const VmFault& vmf);

// The pfn of BO page `page_offset` in `placement`: ttm_bo_io_mem_pfn() for
// iomem ((bus.base + bus.offset) >> PAGE_SHIFT) + page_offset), otherwise
// page_to_pfn(ttm->pages[page_offset]). Pure.
uint64_t ttm_bo_pfn(const TtmState& ttm, TtmPlacement placement, uint64_t page_offset);

// The prefault loop of ttm_bo_vm_fault_reserved() (ttm_bo_vm.c, v5.4-v5.6),
// shared by the proposals that differ only in how they insert:
//   for (i = 0; i < num_prefault; ++i) {
//     pfn = ...; ret = <insert>(vma, address, pfn);
//     /* Never error on prefaulted PTEs */
//     if (unlikely((ret & VM_FAULT_ERROR))) { if (i == 0) goto out_io_unlock; else break; }
//     address += PAGE_SIZE;
//     if (unlikely(++page_offset >= page_last)) break;
//   }
//   ret = VM_FAULT_NOPAGE;
// Locks held on entry: mmap_sem (read), resv, io_reserve_mutex. `insert` is
// called as insert(address, pfn) and returns the vm_fault_t of the insert.
// Returns VM_FAULT_NOPAGE, or the first insert's error.
template <typename Insert>
vm_fault_t ttm_bo_vm_prefault(const TtmState& ttm, TtmPlacement mem, uint64_t address,
                              uint64_t page_offset, uint64_t page_last, uint64_t num_prefault,
                              Insert&& insert) {
  for (uint64_t i = 0; i < num_prefault; ++i) {
    const vm_fault_t ret = insert(address, ttm_bo_pfn(ttm, mem, page_offset));
    if (ret & VM_FAULT_ERROR) {
      if (i == 0) return ret;  // goto out_io_unlock with the error
      break;
    }
    address += 1;
    if (++page_offset >= page_last) break;
  }
  return VM_FAULT_NOPAGE;
}

// ttm_bo_vm_insert_huge() (ttm_bo_vm.c, v5.7, "drm/ttm, drm/vmwgfx: Support
// huge TTM pagefaults"), reached from ttm_bo_vm_fault_reserved() when
// fault_page_size != 1 ("We don't prefault on huge faults. Yet."), after the
// prot has been computed:
//   /* Fault should not cross bo boundary. */
//   page_offset &= ~(fault_page_size - 1);
//   if (page_offset + fault_page_size > bo->num_pages) goto out_fallback;
//   pfn = is_iomem ? ttm_bo_io_mem_pfn(bo, page_offset) : page_to_pfn(ttm->pages[page_offset]);
//   /* pfn must be fault_page_size aligned. */
//   if ((pfn & (fault_page_size - 1)) != 0) goto out_fallback;
//   /* Check that memory is contiguous. */  (every following pfn is pfn + i)
//   if (fault_page_size == (HPAGE_PMD_SIZE >> PAGE_SHIFT))
//     ret = vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);   (the proposal's insert)
//   else WARN_ON_ONCE(ret = VM_FAULT_FALLBACK);
//   if (ret != VM_FAULT_NOPAGE) goto out_fallback;
//   return VM_FAULT_NOPAGE;
// out_fallback: count_vm_event(THP_FAULT_FALLBACK); return VM_FAULT_FALLBACK;
// The masks are written as remainders so that a model PMD of any size
// (pmd_pages need not be a power of two) aligns the way pmd_index() does.
// `insert_pmd(address, pfn)` inserts the huge entry the proposal's way and
// returns its vm_fault_t. Locks held on entry: mmap_sem (read), resv,
// io_reserve_mutex. Returns VM_FAULT_NOPAGE or VM_FAULT_FALLBACK.
template <typename InsertPmd>
vm_fault_t ttm_bo_vm_insert_huge(Env& env, const TtmState& ttm, TtmPlacement mem, uint64_t address,
                                 uint64_t page_offset, uint64_t fault_page_size,
                                 InsertPmd&& insert_pmd) {
  checker::FunctionScope scope(env, "ttm_bo_vm_insert_huge");
  page_offset -= page_offset % fault_page_size;
  if (page_offset + fault_page_size > ttm.num_pages) return VM_FAULT_FALLBACK;
  const uint64_t pfn = ttm_bo_pfn(ttm, mem, page_offset);
  if (pfn % fault_page_size != 0) return VM_FAULT_FALLBACK;
  for (uint64_t i = 1; i < fault_page_size; ++i) {
    if (ttm_bo_pfn(ttm, mem, page_offset + i) != pfn + i) return VM_FAULT_FALLBACK;
  }
  if (fault_page_size != ttm.mm->pmd_pages) return VM_FAULT_FALLBACK;  // WARN_ON_ONCE
  if (insert_pmd(address, pfn) != VM_FAULT_NOPAGE) return VM_FAULT_FALLBACK;
  return VM_FAULT_NOPAGE;
}

// The frame of ttm_bo_vm_fault_reserved() (ttm_bo_vm.c, v5.4-v5.7) that every
// proposal shares around its own prot and insertion,
// `body(mem, page_offset, page_last)`:
//   ret = ttm_bo_vm_fault_idle(bo, vmf); if (unlikely(ret != 0)) return ret;
//   err = ttm_mem_io_lock(man, true); ...
//   page_offset = ...;
//   if (unlikely(page_offset >= bo->num_pages)) { ret = VM_FAULT_SIGBUS; goto out_io_unlock; }
//   ret = <body>;
// out_io_unlock: ttm_mem_io_unlock(man); return ret;
// bo->mem is read once, plainly, under resv. Locks held on entry: mmap_sem
// (read), resv; `body` runs with io_reserve_mutex held too.
template <typename Body>
vm_fault_t ttm_bo_vm_fault_reserved_frame(Env& env, const TtmState& ttm, const VmFault& vmf,
                                          Body&& body) {
  // [fault_reserve_notify: not modelled]
  vm_fault_t ret = ttm_bo_vm_fault_idle(env, ttm, vmf);
  if (ret != 0) return ret;
  const TtmPlacement mem = ttm_bo_read_mem(env, ttm);
  const uint32_t man = ttm_mem_reg_of(mem).mem_type;
  ttm_mem_io_lock(env, ttm, man);
  const TtmFaultOffsets at = ttm_bo_fault_offsets(ttm, vmf);
  ret = at.page_offset >= ttm.num_pages ? VM_FAULT_SIGBUS : body(mem, at.page_offset, at.page_last);
  ttm_mem_io_unlock(env, ttm, man);
  return ret;
}

// The prot a v5.4-v5.7 fault inserts with, from the base prot:
//   prot = ttm_io_prot(bo->mem.placement, prot);
//   if (bo->mem.bus.is_iomem) prot = pgprot_decrypted(prot);  /* Iomem should not be marked
//   encrypted */
// Pure.
x86::pgprot_t ttm_bo_vm_prot(const TtmState& ttm, TtmPlacement mem, x86::pgprot_t prot);

}  // namespace protmc::model
