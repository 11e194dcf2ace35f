// Proposal "fake-vma": TTM's fault path as of v5.3, which builds the per-BO
// prot in a stack copy of the VMA and inserts through the copy, so
// vma->vm_page_prot keeps the mmap-time default and is never written.
//
// Kernel source read: drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_fault() of
// v5.3 vintage (AMD's DKMS copy of the file with the 2019-06 "#ifdef
// pgprot_decrypted" and Thomas Hellström's 2013 cvma code; the index has no
// v5.3 tag of torvalds/linux). Note the prefault loop's
//   if (unlikely((ret == VM_FAULT_NOPAGE && i > 0))) break;
// which, since vmf_insert_mixed() returns VM_FAULT_NOPAGE on success,
// stops after the second page: v5.3 prefaults at most 2 pages, not 16.
#include "model/mm/paths.hpp"
#include "model/proposals/proposal.hpp"
#include "model/ttm/ttm_bo_vm.hpp"

namespace protmc::model {
namespace proposals::fake_vma {

using checker::FunctionScope;
using checker::LockMode;

// ttm_bo_vm_fault() (drivers/gpu/drm/ttm/ttm_bo_vm.c, v5.3).
// Locks held on entry: mmap_sem (read).
//   struct ttm_mem_type_manager *man = &bdev->man[bo->mem.mem_type];  // before resv!
//   if (unlikely(!reservation_object_trylock(bo->resv))) {
//     if (vmf->flags & FAULT_FLAG_ALLOW_RETRY) {
//       if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
//         ttm_bo_get(bo); up_read(&vmf->vma->vm_mm->mmap_sem);
//         (void) ttm_bo_wait_unreserved(bo); ttm_bo_put(bo);
//       }
//       return VM_FAULT_RETRY;
//     }
//     return VM_FAULT_NOPAGE;
//   }
//   [SG check, fault_reserve_notify: not modelled]
//   ret = ttm_bo_vm_fault_idle(bo, vmf);
//   if (unlikely(ret != 0)) {
//     if (ret == VM_FAULT_RETRY && !(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
//       /* The BO has already been unreserved. */
//       return ret;
//     }
//     goto out_unlock;
//   }
//   err = ttm_mem_io_lock(man, true);
//   err = ttm_mem_io_reserve_vm(bo);
//   page_offset = ...; page_last = ...;
//   if (unlikely(page_offset >= bo->num_pages)) { ret = VM_FAULT_SIGBUS; goto out_io_unlock; }
//   cvma = *vma;
//   cvma.vm_page_prot = vm_get_page_prot(cvma.vm_flags);
//   cvma.vm_page_prot = ttm_io_prot(bo->mem.placement, cvma.vm_page_prot);  (both branches)
//   for (i = 0; i < TTM_BO_VM_NUM_PREFAULT; ++i) {
//     if (bo->mem.bus.is_iomem) {
//       cvma.vm_page_prot = pgprot_decrypted(cvma.vm_page_prot);
//       pfn = ttm_bo_io_mem_pfn(bo, page_offset);
//     } else { page = ttm->pages[page_offset]; pfn = page_to_pfn(page); }
//     if (vma->vm_flags & VM_MIXEDMAP)
//       ret = vmf_insert_mixed(&cvma, address, __pfn_to_pfn_t(pfn, PFN_DEV));
//     else
//       ret = vmf_insert_pfn(&cvma, address, pfn);
//     if (unlikely((ret == VM_FAULT_NOPAGE && i > 0))) break;
//     else if (unlikely(ret & VM_FAULT_ERROR)) goto out_io_unlock;
//     address += PAGE_SIZE;
//     if (unlikely(++page_offset >= page_last)) break;
//   }
//   ret = VM_FAULT_NOPAGE;
// out_io_unlock: ttm_mem_io_unlock(man);
// out_unlock:    reservation_object_unlock(bo->resv);
// bo->mem is one plain load before the trylock and one under resv (the
// kernel reads its fields several times under resv; they cannot change
// there). `vma->vm_flags & VM_MIXEDMAP` uses the VMA's constant kind.
vm_fault_t ttm_bo_vm_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_fault");
  const MmState& mm = *ttm.mm;
  // The unlocked read: a move may be changing bo->mem right now.
  const uint32_t man = ttm_mem_reg_of(ttm_bo_read_mem(env, ttm)).mem_type;

  if (!env.try_lock(ttm.resv)) {
    if (vmf.flags & FAULT_FLAG_ALLOW_RETRY) {
      if (!(vmf.flags & FAULT_FLAG_RETRY_NOWAIT)) {
        env.unlock(mm.mmap_sem, LockMode::kShared);
        FunctionScope wait(env, "ttm_bo_wait_unreserved");
        env.lock(ttm.resv);
        env.unlock(ttm.resv);
      }
      return VM_FAULT_RETRY;
    }
    return VM_FAULT_NOPAGE;
  }
  vm_fault_t ret = ttm_bo_vm_fault_idle(env, ttm, vmf);
  if (ret != 0) {
    if (ret == VM_FAULT_RETRY && !(vmf.flags & FAULT_FLAG_RETRY_NOWAIT)) {
      return ret;  // The BO has already been unreserved.
    }
    env.unlock(ttm.resv);  // goto out_unlock
    return ret;
  }

  ret = VM_FAULT_NOPAGE;
  ttm_mem_io_lock(env, ttm, man);
  const VmaView& vma = vmf.vma;
  uint64_t address = vmf.address;
  const TtmFaultOffsets at = ttm_bo_fault_offsets(ttm, vmf);
  uint64_t page_offset = at.page_offset;
  const uint64_t page_last = at.page_last;
  if (page_offset >= ttm.num_pages) {
    ret = VM_FAULT_SIGBUS;
  } else {
    // cvma = *vma: plain loads of the VMA's fields.
    VmAreaCopy cvma = copy_vma(env, vma.vma());
    cvma.vm_page_prot = x86::vm_get_page_prot(cvma.vm_flags, mm.sev_active);
    const TtmPlacement mem = ttm_bo_read_mem(env, ttm);  // under resv
    cvma.vm_page_prot = ttm_io_prot(ttm, mem, cvma.vm_page_prot);
    const bool is_iomem = ttm_mem_reg_of(mem).bus_is_iomem;
    for (uint64_t i = 0; i < TTM_BO_VM_NUM_PREFAULT; ++i) {
      if (is_iomem) {
        // Iomem should not be marked encrypted.
        cvma.vm_page_prot = x86::pgprot_decrypted(cvma.vm_page_prot);
      }
      const uint64_t pfn = ttm_bo_pfn(ttm, mem, page_offset);
      if (vma.vma().kind == VmaKind::kMixedMap) {
        ret = vmf_insert_mixed(env, mm, vma, cvma, address, pfn);
      } else {
        ret = vmf_insert_pfn(env, mm, vma, cvma, address, pfn);
      }
      if (ret == VM_FAULT_NOPAGE && i > 0) break;
      if (ret & VM_FAULT_ERROR) break;  // goto out_io_unlock with ret
      address += 1;
      if (++page_offset >= page_last) break;
    }
    if (!(ret & VM_FAULT_ERROR)) ret = VM_FAULT_NOPAGE;
  }
  ttm_mem_io_unlock(env, ttm, man);
  env.unlock(ttm.resv);
  return ret;
}

// vvar_fault() with the fake-VMA technique (hypothetical: vvar never used it):
// the per-page prot is built in a stack copy of the VMA, from
// vm_get_page_prot(cvma.vm_flags) as TTM v5.3 does, and the page is inserted
// through the copy; vma->vm_page_prot is never written.
//   cvma = *vma;
//   cvma.vm_page_prot = vm_get_page_prot(cvma.vm_flags);
//   if (pvclock page) cvma.vm_page_prot = pgprot_decrypted(cvma.vm_page_prot);
//   return vmf_insert_pfn(&cvma, vmf->address, pfn);
// Locks held on entry: mmap_sem (read).
vm_fault_t vvar_fault(Env& env, const VvarState& vvar, VmFault& vmf) {
  FunctionScope scope(env, "vvar_fault");
  const MmState& mm = *vvar.mm;
  if (vmf.address >= vvar.layout.size()) return VM_FAULT_SIGBUS;
  const VmaView& vma = vmf.vma;
  VmAreaCopy cvma = copy_vma(env, vma.vma());
  cvma.vm_page_prot =
      vvar_page_prot(vvar, vmf.address, x86::vm_get_page_prot(cvma.vm_flags, mm.sev_active));
  return vmf_insert_pfn(env, mm, vma, cvma, vmf.address, vvar.pfn(vmf.address));
}

}  // namespace proposals::fake_vma

Proposal make_fake_vma_proposal() {
  return Proposal{
      "fake-vma",
      "TTM v5.3: prot built in a stack copy of the VMA (cvma) from vm_get_page_prot(vm_flags) and "
      "ttm_io_prot(), C-bit cleared for iomem only, inserted through the copy; vm_page_prot is "
      "never written; bo->mem read before the reservation",
      &proposals::fake_vma::ttm_bo_vm_fault, nullptr, &proposals::fake_vma::vvar_fault};
}

}  // namespace protmc::model
