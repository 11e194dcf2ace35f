// do_user_addr_fault() and handle_mm_fault(); see fault.hpp.
//
// Kernel sources: arch/x86/mm/fault.c do_user_addr_fault() and mm/memory.c
// __handle_mm_fault()/handle_pte_fault()/do_fault()/__do_fault(), v5.3 — NOT
// read from the index in this session (written from the v5.3 code as
// remembered and reference section 5.1; to be checked against the real tree).
//
// Simplified: the down_read_trylock()/exception-table dance of the mmap_sem
// acquisition is one down_read(); no fatal signals, no accounting, no
// perf events; a present PTE or a huge PMD returns 0 without the handler;
// no COW (private) faults: the model's driver VMAs are VM_SHARED or never
// written; the VM_SHARED bit and vm_ops are constants.
#include "model/mm/fault.hpp"

#include "model/mm/page_table.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;
using checker::LockMode;

// handle_mm_fault() (mm/memory.c, v5.3), for a driver VMA (vm_ops->fault set,
// no ->map_pages, no ->huge_fault in the PTE path):
//   __handle_mm_fault: pmd = pmd_alloc(); (huge PMD faults not modelled)
//   handle_pte_fault:
//     if (unlikely(pmd_none(*vmf->pmd))) vmf->pte = NULL;
//     else { if (pmd_devmap_trans_unstable(vmf->pmd)) return 0;
//            vmf->pte = pte_offset_map(); vmf->orig_pte = *vmf->pte;
//            if (pte_none(vmf->orig_pte)) vmf->pte = NULL; }
//     if (!vmf->pte) return do_fault(vmf);   (vma is not anonymous)
//     ... present: spurious / access-flag / wp paths: not modelled -> 0
//   do_fault: !(flags & FAULT_FLAG_WRITE) ? do_read_fault : do_shared_fault
//   __do_fault: ret = vma->vm_ops->fault(vmf);
//     if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) return ret;
// Locks held on entry: mmap_sem (read).
vm_fault_t handle_mm_fault(Env& env, const MmState& mm, VmFault& vmf, const FaultHandler& fault) {
  FunctionScope scope(env, "handle_mm_fault");
  const uint32_t slot = mm.pmd_index(vmf.address);
  const x86::pmd_t pmd = pmdp_get(env, mm, slot);
  if (!x86::pmd_none(pmd)) {
    if (pmd_is_huge(pmd)) return 0;  // pmd_devmap_trans_unstable()
    const x86::pte_t orig_pte = ptep_get(env, mm, vmf.address);
    if (!x86::pte_none(orig_pte)) return 0;
  }
  FunctionScope do_fault(env, (vmf.flags & FAULT_FLAG_WRITE) ? "do_shared_fault" : "do_read_fault");
  FunctionScope do_fault_inner(env, "__do_fault");
  return fault(env, vmf);
}

// do_user_addr_fault() (arch/x86/mm/fault.c, v5.3), user mode:
//   flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_USER
//           (| FAULT_FLAG_WRITE);
// retry:
//   down_read(&mm->mmap_sem);
//   vma = find_vma(mm, address);  if (!vma || ...) { bad_area(); return; }
//   if (unlikely(access_error(hw_error_code, vma))) { bad_area_access_error(); return; }
//   fault = handle_mm_fault(vma, address, flags);
//   if (unlikely(fault & VM_FAULT_RETRY)) {
//     /* Retry at most once */
//     if (flags & FAULT_FLAG_ALLOW_RETRY) {
//       flags &= ~FAULT_FLAG_ALLOW_RETRY; flags |= FAULT_FLAG_TRIED;
//       if (!fatal_signal_pending(tsk)) goto retry;
//     }
//     return;      /* mmap_sem was released by the handler */
//   }
//   up_read(&mm->mmap_sem);
// access_error(): a write needs VM_WRITE; a read needs VM_READ|VM_EXEC|VM_WRITE.
// Locks held on entry: none.
vm_fault_t do_user_addr_fault(Env& env, const MmState& mm, uint64_t address, bool write,
                              const FaultHandler& fault) {
  FunctionScope scope(env, "do_user_addr_fault");
  uint32_t flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_USER;
  if (write) flags |= FAULT_FLAG_WRITE;
  for (;;) {
    env.lock(mm.mmap_sem, LockMode::kShared);
    if (address < mm.vma.vm_start || address >= mm.vma.vm_end) {
      env.unlock(mm.mmap_sem, LockMode::kShared);
      return VM_FAULT_SIGSEGV;  // bad_area()
    }
    const vm_flags_t vm_flags = env.load(mm.vma.vm_flags, Access::kPlain);
    const bool access_error =
        write ? !(vm_flags & VM_WRITE) : !(vm_flags & (VM_READ | VM_EXEC | VM_WRITE));
    if (access_error) {
      env.unlock(mm.mmap_sem, LockMode::kShared);
      return VM_FAULT_SIGSEGV;  // bad_area_access_error()
    }
    VmFault vmf{address, flags};
    const vm_fault_t ret = handle_mm_fault(env, mm, vmf, fault);
    if (ret & VM_FAULT_RETRY) {
      if (flags & FAULT_FLAG_ALLOW_RETRY) {
        flags &= ~FAULT_FLAG_ALLOW_RETRY;
        flags |= FAULT_FLAG_TRIED;
        continue;
      }
      return ret;
    }
    env.unlock(mm.mmap_sem, LockMode::kShared);
    return ret;
  }
}

}  // namespace protmc::model
