// Proposal "write-once": Thomas Hellström's suggestion in the 2019 thread:
// under the BO's reservation, WRITE_ONCE(vma->vm_page_prot, prot) before
// taking the page-table lock, then insert from the VMA. Its safety argument:
// (a) other writers of vm_page_prot are locked out, (b) faults on the VMA are
// serialised by the reservation, (c) when the value changes the VMA has no
// valid PTEs (right after mmap, or after unmap_mapping_range() under the
// same reservation).
//
// Never merged; written as the v5.4 ttm_bo_vm_fault_reserved() (the base
// prot is vm_get_page_prot(vma->vm_flags), as v5.4 passes it) with the cvma
// copy replaced by the VMA write.
#include "model/mm/paths.hpp"
#include "model/proposals/proposal.hpp"
#include "model/ttm/ttm_bo_vm.hpp"

namespace protmc::model {
namespace proposals::write_once {

using checker::Access;
using checker::FunctionScope;

// ttm_bo_vm_fault_reserved() with the write-once change. Locks held on
// entry: mmap_sem (read), resv.
//   ... as v5.4 up to the prot computation ...
//   prot = ttm_io_prot(bo->mem.placement, prot);
//   if (bo->mem.bus.is_iomem) prot = pgprot_decrypted(prot);
//   WRITE_ONCE(vma->vm_page_prot, prot);
//   for (i = 0; i < num_prefault; ++i) {
//     ... ret = vmf_insert_mixed(vma, address, pfn)   /* reads vma->vm_page_prot */
//   }
// A huge fault (fault_page_size != 1, v5.7) inserts through
// ttm_bo_vm_insert_huge() with vmf_insert_pfn_pmd(), which reads the VMA too.
vm_fault_t ttm_bo_vm_fault_reserved(Env& env, const TtmState& ttm, VmFault& vmf, x86::pgprot_t prot,
                                    uint64_t num_prefault, uint64_t fault_page_size) {
  FunctionScope scope(env, "ttm_bo_vm_fault_reserved");
  const VmAreaStruct& vma = vmf.vma.vma();
  return ttm_bo_vm_fault_reserved_frame(
      env, ttm, vmf, [&](TtmPlacement mem, uint64_t page_offset, uint64_t page_last) {
        prot = ttm_bo_vm_prot(ttm, mem, prot);
        {
          FunctionScope write(env, "WRITE_ONCE(vma->vm_page_prot)");
          env.store(vma.vm_page_prot, x86::pgprot_val(prot), Access::kMarked);
          if (env.recording()) env.annotate("vm_page_prot := " + x86::pgprot_flags_string(prot));
        }
        return ttm_bo_vm_insert_from_vma(env, ttm, mem, vmf, page_offset, page_last, num_prefault,
                                         fault_page_size);
      });
}

namespace {

// The body of ttm_bo_vm_fault() (ttm_bo_vm.c, v5.4 form) and of the v5.7
// huge fault (see per_page_prot.cpp): they differ in num_prefault and
// fault_page_size only. Locks held on entry: mmap_sem (read).
//   ret = ttm_bo_vm_reserve(bo, vmf); if (ret) return ret;
//   prot = vm_get_page_prot(vma->vm_flags);
//   ret = ttm_bo_vm_fault_reserved(vmf, prot, num_prefault, fault_page_size);
//   dma_resv_unlock(bo->base.resv);
vm_fault_t fault_with(Env& env, const TtmState& ttm, VmFault& vmf, uint64_t num_prefault,
                      uint64_t fault_page_size) {
  return ttm_bo_vm_fault_around(env, ttm, vmf, [&] {
    const vm_flags_t vm_flags = env.load(vmf.vma.vma().vm_flags, Access::kPlain);
    const x86::pgprot_t prot = x86::vm_get_page_prot(vm_flags, ttm.mm->sev_active);
    return ttm_bo_vm_fault_reserved(env, ttm, vmf, prot, num_prefault, fault_page_size);
  });
}

}  // namespace

// ttm_bo_vm_fault(): fault_with(TTM_BO_VM_NUM_PREFAULT, 1).
vm_fault_t ttm_bo_vm_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_fault");
  return fault_with(env, ttm, vmf, TTM_BO_VM_NUM_PREFAULT, 1);
}

// The huge fault: fault_with(1, HPAGE_PMD_NR).
vm_fault_t ttm_bo_vm_huge_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_huge_fault");
  return fault_with(env, ttm, vmf, 1, ttm.mm->pmd_pages);
}

// vvar_fault() with the write-once change: the per-page prot (from
// vm_get_page_prot(vma->vm_flags), decrypted for the pvclock page) is
// WRITE_ONCE()d into vma->vm_page_prot, then the page is inserted from the
// VMA. The thread's argument (b) does not hold here: no reservation
// serialises two faults on the mapping (both hold only mmap_sem for read).
//   prot = vm_get_page_prot(vma->vm_flags);
//   if (pvclock page) prot = pgprot_decrypted(prot);
//   WRITE_ONCE(vma->vm_page_prot, prot);
//   return vmf_insert_pfn(vma, vmf->address, pfn);   /* reads vma->vm_page_prot */
// Locks held on entry: mmap_sem (read).
vm_fault_t vvar_fault(Env& env, const VvarState& vvar, VmFault& vmf) {
  FunctionScope scope(env, "vvar_fault");
  const MmState& mm = *vvar.mm;
  if (vmf.address >= vvar.layout.size()) return VM_FAULT_SIGBUS;
  const VmAreaStruct& vma = vmf.vma.vma();
  const vm_flags_t vm_flags = env.load(vma.vm_flags, Access::kPlain);
  const x86::pgprot_t prot =
      vvar_page_prot(vvar, vmf.address, x86::vm_get_page_prot(vm_flags, mm.sev_active));
  {
    FunctionScope write(env, "WRITE_ONCE(vma->vm_page_prot)");
    env.store(vma.vm_page_prot, x86::pgprot_val(prot), Access::kMarked);
    if (env.recording()) env.annotate("vm_page_prot := " + x86::pgprot_flags_string(prot));
  }
  return vmf_insert_pfn(env, mm, vmf.vma, vmf.address, vvar.pfn(vmf.address));
}

}  // namespace proposals::write_once

Proposal make_write_once_proposal() {
  return Proposal{"write-once",
                  "Thomas Hellström in the thread: under the reservation, "
                  "WRITE_ONCE(vma->vm_page_prot, prot) before the PTE lock, then "
                  "vmf_insert_mixed() from the VMA",
                  &proposals::write_once::ttm_bo_vm_fault,
                  nullptr,
                  &proposals::write_once::vvar_fault,
                  nullptr,
                  &proposals::write_once::ttm_bo_vm_huge_fault};
}

}  // namespace protmc::model
