// do_user_addr_fault() and handle_mm_fault(); see fault.hpp.
//
// Kernel sources: __handle_mm_fault()'s PMD part read from v5.7-era copies of
// mm/memory.c (create_huge_pmd / wp_huge_pmd / huge_pmd_set_accessed, with
// the "Huge pud page fault raced with pmd_alloc?" retry of the TTM huge-fault
// series). do_user_addr_fault()'s retry block (arch/x86/mm/fault.c, v5.0-v5.6)
// from the "-" side of the v5.7 "allow multiple page fault retries" patch
// ("/* Retry at most once */ if (flags & FAULT_FLAG_ALLOW_RETRY) { flags &=
// ~FAULT_FLAG_ALLOW_RETRY; flags |= FAULT_FLAG_TRIED; if
// (!fatal_signal_pending(tsk)) goto retry; }"), access_error() from the
// context of the CET shadow-stack patches ("/* write, present and write, not
// present: */"). handle_pte_fault()/do_fault()/do_read_fault()/__do_fault()
// (mm/memory.c, v5.3) were NOT found in the index: as remembered. Known
// omissions there: __do_fault() reads *vmf->pmd (pmd_none) to preallocate a
// page table before ->fault (an allocation only), do_fault() reads
// vma->vm_flags for VM_SHARED (a constant here), and handle_pte_fault()
// re-reads *vmf->pmd where the model reuses the value handle_mm_fault() read
// when neither huge branch was taken (the same outcomes: a PTE table is
// never freed under mmap_sem read, and a huge PMD zapped in between makes
// pmd_devmap_trans_unstable() return 0 as the model does).
//
// Simplified: the down_read_trylock()/exception-table dance of the mmap_sem
// acquisition is one down_read(); no fatal signals, no accounting, no
// perf events; a present PTE returns 0 without the handler;
// no COW (private) faults: the model's driver VMAs are VM_SHARED or never
// written; the VM_SHARED bit and vm_ops are constants.
#include "model/mm/fault.hpp"

#include "model/mm/page_table.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;
using checker::LockMode;

namespace {

// wp_huge_pmd() (mm/memory.c, v5.7), for a non-anonymous VMA:
//   if (vmf->vma->vm_ops->huge_fault) return vmf->vma->vm_ops->huge_fault(vmf, PE_SIZE_PMD);
//   /* COW handled on pte level: split pmd */
//   VM_BUG_ON_VMA(vmf->vma->vm_flags & VM_SHARED, vmf->vma);   (CONFIG_DEBUG_VM; not modelled)
//   __split_huge_pmd(vmf->vma, vmf->pmd, vmf->address, false, NULL);
//   return VM_FAULT_FALLBACK;
// Locks held on entry: mmap_sem (read).
vm_fault_t wp_huge_pmd(Env& env, const MmState& mm, VmFault& vmf,
                       const HugeFaultHandler& huge_fault) {
  FunctionScope scope(env, "wp_huge_pmd");
  if (huge_fault) return huge_fault(env, vmf);
  __split_huge_pmd(env, mm, vmf.vma.vma(), mm.pmd_index(vmf.address), vmf.address);
  return VM_FAULT_FALLBACK;
}

}  // namespace

// handle_mm_fault() (mm/memory.c, v5.7), for a driver VMA (vm_ops->fault
// set, no ->map_pages):
//   __handle_mm_fault:
//     struct vm_fault vmf = { .vma = vma, .address = address & PAGE_MASK, .flags = flags,
//                             .pgoff = linear_page_index(vma, address), ... };
//       (linear_page_index(): ((address - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff:
//        a plain load of vm_pgoff; vm_start as find_vma() read it)
//     vmf.pmd = pmd_alloc(mm, vmf.pud, address);
//     if (pmd_none(*vmf.pmd) && __transparent_hugepage_enabled(vma)) {
//       ret = create_huge_pmd(&vmf);      /* ->huge_fault(vmf, PE_SIZE_PMD) or FALLBACK */
//       if (!(ret & VM_FAULT_FALLBACK)) return ret;
//     } else {
//       pmd_t orig_pmd = *vmf.pmd;
//       if (pmd_trans_huge(orig_pmd) || pmd_devmap(orig_pmd)) {
//         if (dirty && !pmd_write(orig_pmd)) {
//           ret = wp_huge_pmd(&vmf, orig_pmd);
//           if (!(ret & VM_FAULT_FALLBACK)) return ret;
//         } else { huge_pmd_set_accessed(&vmf, orig_pmd); return 0; }
//       }
//     }
//     return handle_pte_fault(&vmf);
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
// huge_pmd_set_accessed() (young/dirty bits only) is not modelled. v5.3 is
// the same for the VMAs it has (none with ->huge_fault).
// Locks held on entry: mmap_sem (read).
vm_fault_t handle_mm_fault(Env& env, const MmState& mm, VmFault& vmf, const FaultHandler& fault,
                           const HugeFaultHandler& huge_fault) {
  FunctionScope scope(env, "handle_mm_fault");
  vmf.pgoff = vmf.address - vmf.vma.vm_start +
              env.load(vmf.vma.vma().vm_pgoff, Access::kPlain);  // linear_page_index()
  const uint32_t slot = mm.pmd_index(vmf.address);
  x86::pmd_t pmd = pmdp_get(env, mm, slot);
  if (x86::pmd_none(pmd) && mm.transparent_hugepage) {
    vm_fault_t ret = VM_FAULT_FALLBACK;
    if (huge_fault) {
      FunctionScope create(env, "create_huge_pmd");
      ret = huge_fault(env, vmf);
    }
    if (!(ret & VM_FAULT_FALLBACK)) return ret;
    pmd = pmdp_get(env, mm, slot);  // handle_pte_fault()'s read of *vmf->pmd
  } else if (pmd_is_huge(pmd)) {
    if (!(vmf.flags & FAULT_FLAG_WRITE) || x86::pmd_write(pmd)) return 0;
    const vm_fault_t ret = wp_huge_pmd(env, mm, vmf, huge_fault);
    if (!(ret & VM_FAULT_FALLBACK)) return ret;
    pmd = pmdp_get(env, mm, slot);
  }
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
//   vma = find_vma(mm, address);
//   if (unlikely(!vma)) { bad_area(); return; }
//   if (likely(vma->vm_start <= address)) goto good_area;
//   if (unlikely(!(vma->vm_flags & VM_GROWSDOWN))) { bad_area(); return; }   (never GROWSDOWN)
// good_area:
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
                              const FaultHandler& fault, const HugeFaultHandler& huge_fault) {
  FunctionScope scope(env, "do_user_addr_fault");
  uint32_t flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_USER;
  if (write) flags |= FAULT_FLAG_WRITE;
  for (;;) {
    env.lock(mm.mmap_sem, LockMode::kShared);
    const std::optional<VmaView> vma = find_vma(env, mm, address);
    if (!vma || vma->vm_start > address) {
      env.unlock(mm.mmap_sem, LockMode::kShared);
      return VM_FAULT_SIGSEGV;  // bad_area()
    }
    const vm_flags_t vm_flags = env.load(vma->vma().vm_flags, Access::kPlain);
    const bool access_error =
        write ? !(vm_flags & VM_WRITE) : !(vm_flags & (VM_READ | VM_EXEC | VM_WRITE));
    if (access_error) {
      env.unlock(mm.mmap_sem, LockMode::kShared);
      return VM_FAULT_SIGSEGV;  // bad_area_access_error()
    }
    VmFault vmf{address, flags, *vma, 0};
    const vm_fault_t ret = handle_mm_fault(env, mm, vmf, fault, huge_fault);
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
