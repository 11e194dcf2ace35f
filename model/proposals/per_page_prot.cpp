// Proposal "per-page-prot": what landed in v5.6 ("mm: Add a
// vmf_insert_mixed_prot() function", 574c5b3d0e4c, and "mm, drm/ttm: Fix vm
// page protection handling", 5379e4dd3220): the fault path computes the prot
// per fault, starting from vma->vm_page_prot, and passes it to
// vmf_insert_mixed_prot()/vmf_insert_pfn_prot(); the VMA is never written.
//
// Kernel sources read: the 5379e4dd3220 diff of
// drivers/gpu/drm/ttm/ttm_bo_vm.c (its context shows the v5.4-v5.6
// ttm_bo_vm_fault_reserved() with the "Never error on prefaulted PTEs" loop
// and ttm_bo_vm_fault() switching from vm_get_page_prot(vma->vm_flags) to
// vma->vm_page_prot), and the v5.4 "drm/ttm: Convert vm callbacks to
// helpers" patch for the rest of ttm_bo_vm_fault_reserved().
#include "model/mm/paths.hpp"
#include "model/proposals/proposal.hpp"
#include "model/ttm/ttm_bo_vm.hpp"

namespace protmc::model {
namespace proposals::per_page_prot {

using checker::Access;
using checker::FunctionScope;

// ttm_bo_vm_fault_reserved(vmf, prot, num_prefault, fault_page_size)
// (ttm_bo_vm.c, v5.6; fault_page_size from v5.7).
// Locks held on entry: mmap_sem (read), resv.
//   struct ttm_mem_type_manager *man = &bdev->man[bo->mem.mem_type];
//   [SG check, fault_reserve_notify: not modelled]
//   ret = ttm_bo_vm_fault_idle(bo, vmf); if (unlikely(ret != 0)) return ret;
//   err = ttm_mem_io_lock(man, true); err = ttm_mem_io_reserve_vm(bo);
//   page_offset = ...; page_last = ...;
//   if (unlikely(page_offset >= bo->num_pages)) { ret = VM_FAULT_SIGBUS; goto out_io_unlock; }
//   prot = ttm_io_prot(bo->mem.placement, prot);
//   if (!bo->mem.bus.is_iomem) { ttm_tt_populate(); }
//   else prot = pgprot_decrypted(prot);   /* Iomem should not be marked encrypted */
//   for (i = 0; i < num_prefault; ++i) {
//     pfn = is_iomem ? ttm_bo_io_mem_pfn(bo, page_offset) : page_to_pfn(ttm->pages[page_offset]);
//     if (vma->vm_flags & VM_MIXEDMAP)
//       ret = vmf_insert_mixed_prot(vma, address, __pfn_to_pfn_t(pfn, PFN_DEV), prot);
//     else
//       ret = vmf_insert_pfn_prot(vma, address, pfn, prot);
//     /* Never error on prefaulted PTEs */
//     if (unlikely((ret & VM_FAULT_ERROR))) { if (i == 0) goto out_io_unlock; else break; }
//     address += PAGE_SIZE;
//     if (unlikely(++page_offset >= page_last)) break;
//   }
//   ret = VM_FAULT_NOPAGE;
// out_io_unlock: ttm_mem_io_unlock(man); return ret;
// From v5.7 (fault_page_size != 1): the huge PMD goes through
// ttm_bo_vm_insert_huge() with vmf_insert_pfn_pmd_prot(vmf, pfn, prot, write).
vm_fault_t ttm_bo_vm_fault_reserved(Env& env, const TtmState& ttm, VmFault& vmf, x86::pgprot_t prot,
                                    uint64_t num_prefault, uint64_t fault_page_size) {
  FunctionScope scope(env, "ttm_bo_vm_fault_reserved");
  const MmState& mm = *ttm.mm;
  const VmaView& vma = vmf.vma;
  return ttm_bo_vm_fault_reserved_frame(
      env, ttm, vmf, [&](TtmPlacement mem, uint64_t page_offset, uint64_t page_last) -> vm_fault_t {
        prot = ttm_bo_vm_prot(ttm, mem, prot);
        if (fault_page_size != 1) {
          const bool write = vmf.flags & FAULT_FLAG_WRITE;
          return ttm_bo_vm_insert_huge(env, ttm, mem, vmf.address, page_offset, fault_page_size,
                                       [&](uint64_t at, uint64_t pfn) {
                                         return vmf_insert_pfn_pmd_prot(env, mm, vma, at, pfn,
                                                                        /*devmap=*/true, prot,
                                                                        write);
                                       });
        }
        return ttm_bo_vm_prefault(ttm, mem, vmf.address, page_offset, page_last, num_prefault,
                                  [&](uint64_t at, uint64_t pfn) {
                                    return vma.vma().kind == VmaKind::kMixedMap
                                               ? vmf_insert_mixed_prot(env, mm, vma, at, pfn, prot)
                                               : vmf_insert_pfn_prot(env, mm, vma, at, pfn, prot);
                                  });
      });
}

namespace {

// ttm_bo_vm_fault() (ttm_bo_vm.c, v5.6) and the v5.7 huge fault, which
// differ in num_prefault and fault_page_size (ttm_bo_vm_fault_around()):
//   prot = vma->vm_page_prot;
//   ret = ttm_bo_vm_fault_reserved(vmf, prot, num_prefault, fault_page_size);
// The read of vma->vm_page_prot is plain (mprotect writes it under mmap_sem
// write, so it is ordered with this reader). vmwgfx's huge fault starts from
// vm_get_page_prot(vma->vm_flags) instead; TTM's own from the VMA.
vm_fault_t fault_with(Env& env, const TtmState& ttm, VmFault& vmf, uint64_t num_prefault,
                      uint64_t fault_page_size) {
  return ttm_bo_vm_fault_around(env, ttm, vmf, [&] {
    const x86::pgprot_t prot{env.load(vmf.vma.vma().vm_page_prot, Access::kPlain)};
    return ttm_bo_vm_fault_reserved(env, ttm, vmf, prot, num_prefault, fault_page_size);
  });
}

}  // namespace

// ->fault: fault_with(TTM_BO_VM_NUM_PREFAULT, 1). Locks held on entry:
// mmap_sem (read).
vm_fault_t ttm_bo_vm_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_fault");
  return fault_with(env, ttm, vmf, TTM_BO_VM_NUM_PREFAULT, 1);
}

// ->huge_fault(vmf, PE_SIZE_PMD): fault_with(1, HPAGE_PMD_NR). Locks held on
// entry: mmap_sem (read).
vm_fault_t ttm_bo_vm_huge_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_huge_fault");
  return fault_with(env, ttm, vmf, 1, ttm.mm->pmd_pages);
}

}  // namespace proposals::per_page_prot

Proposal make_per_page_prot_proposal() {
  return Proposal{"per-page-prot",
                  "v5.6 (Andy Lutomirski's suggestion): prot computed per fault from "
                  "vma->vm_page_prot and ttm_io_prot(), passed to vmf_insert_mixed_prot(); the "
                  "VMA is never written",
                  &proposals::per_page_prot::ttm_bo_vm_fault, nullptr,
                  // vvar: the real vvar_fault() is the per-page-prot way.
                  &vvar_fault, nullptr, &proposals::per_page_prot::ttm_bo_vm_huge_fault};
}

}  // namespace protmc::model
