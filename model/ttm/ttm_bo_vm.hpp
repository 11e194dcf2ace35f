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

// The BO page the fault address maps (page_offset) and the end of the VMA in
// BO pages (page_last), as ttm_bo_vm_fault computes them:
//   page_offset = ((address - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff
//                 - drm_vma_node_start(&bo->vma_node);
//   page_last = vma_pages(vma) + vma->vm_pgoff - drm_vma_node_start(...);
uint64_t ttm_bo_page_offset(const TtmState& ttm, uint64_t address);
uint64_t ttm_bo_page_last(const TtmState& ttm);

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
                              uint64_t page_offset, uint64_t num_prefault, Insert&& insert) {
  const uint64_t page_last = ttm_bo_page_last(ttm);
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

}  // namespace protmc::model
