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

}  // namespace protmc::model
