// Proposal "vm-prot-lock": Thomas Hellström's "proper" alternative in the 2019
// thread: "To solve this properly we'd probably need an additional lock to
// protect the vm_flags and vm_page_prot, taken after mmap_sem and
// i_mmap_lock." Never written as a patch; this is the model's reading of it:
//
//   - the lock: vma->vm_prot_lock, one per VMA, lockdep class "vm_prot_lock",
//     a MUTEX. It must be a sleeping lock because the fault path holds it
//     across vmf_insert_*() (pte_alloc() allocates with GFP_KERNEL) and
//     because the thread places it after mmap_sem and i_mmap_rwsem, both
//     sleeping locks; no reader needs it in atomic context: the one lockless
//     reader that runs under a spinlock (the rebuild in
//     __split_huge_pmd_locked(), under pmd_lock) gets it taken by
//     __split_huge_pmd() before pmd_lock. An rwsem would let splits share it;
//     it changes no ordering, so the simpler mutex is modelled.
//   - lock order: mmap_sem -> resv -> io_reserve_mutex -> i_mmap_rwsem ->
//     vm_prot_lock -> ptl. The fault path takes it after the reservation and
//     io_reserve_mutex; the zap/split paths after i_mmap_rwsem (or mmap_sem);
//     mprotect's vma_set_page_prot() after mmap_sem (write).
//   - writers: the fault path (computes the prot and writes vm_page_prot) and
//     vma_set_page_prot() (mmap_region, mprotect). Lockless readers:
//     vmf_insert_pfn()/vmf_insert_mixed() (the fault path holds the lock),
//     the split rebuild's READ_ONCE() (__split_huge_pmd() takes it). mprotect's
//     own read of vm_page_prot in mprotect_fixup() runs under mmap_sem write,
//     which excludes every fault, so it needs no extra lock.
//   - the insert happens UNDER the lock: the prot written and the PTEs built
//     from it are one critical section. Without that, a second writer (a
//     fault of another BO page, or a vvar fault of a page of another kind)
//     could change vm_page_prot between the write and the insert, which is
//     exactly write-once's race on a mapping whose pages need different
//     attributes. Because the lock is held by every writer and reader, the
//     field is written with a plain store: a reader that forgot the lock is a
//     data race the checker reports.
//
// The core-mm side is the opt-in hook MmState::vm_prot_lock, installed by this
// proposal's ->mmap (install_vm_prot_lock) and taken by vma_set_page_prot()
// and __split_huge_pmd() when set.
#include "checker/support/check.hpp"
#include "model/mm/paths.hpp"
#include "model/proposals/proposal.hpp"
#include "model/ttm/ttm_bo_vm.hpp"

namespace protmc::model {
namespace proposals::vm_prot_lock {

using checker::Access;
using checker::FunctionScope;

namespace {

LockId vm_prot_lock_of(const VmAreaStruct& vma) {
  CHECK_MSG(vma.vm_prot_lock.has_value(),
            "vm-prot-lock: run the proposal's ->mmap (ttm_mmap_region / "
            "vvar_install_special_mapping) before faulting");
  return *vma.vm_prot_lock;
}

}  // namespace

// The driver's ->mmap: ttm_bo_mmap() with the VMA's new lock initialised
// (in a kernel with the proposal, vm_area_alloc() would do it). Locks held on
// entry: mmap_sem (write).
void ttm_bo_mmap(Env& env, const TtmState& ttm) {
  FunctionScope scope(env, "ttm_bo_mmap");
  install_vm_prot_lock(env, *ttm.mm);
}

// ttm_bo_vm_fault_reserved() (ttm_bo_vm.c, v5.4 form) with the proposal.
// Locks held on entry: mmap_sem (read), resv.
//   ... as v5.4 up to the prefault loop (io_reserve_mutex held) ...
//   mutex_lock(&vma->vm_prot_lock);
//   prot = vm_get_page_prot(vma->vm_flags);
//   prot = ttm_io_prot(bo->mem.placement, prot);
//   if (bo->mem.bus.is_iomem) prot = pgprot_decrypted(prot);
//   vma->vm_page_prot = prot;
//   for (i = 0; i < num_prefault; ++i) {
//     ... ret = vmf_insert_mixed(vma, address, pfn)   /* reads vma->vm_page_prot */
//   }
//   mutex_unlock(&vma->vm_prot_lock);
// A huge fault (fault_page_size != 1, v5.7) inserts through
// ttm_bo_vm_insert_huge() with vmf_insert_pfn_pmd(), under the lock too.
vm_fault_t ttm_bo_vm_fault_reserved(Env& env, const TtmState& ttm, VmFault& vmf,
                                    uint64_t num_prefault, uint64_t fault_page_size) {
  FunctionScope scope(env, "ttm_bo_vm_fault_reserved");
  const MmState& mm = *ttm.mm;
  const VmAreaStruct& vma = vmf.vma.vma();
  const LockId vm_prot_lock = vm_prot_lock_of(vma);
  return ttm_bo_vm_fault_reserved_frame(
      env, ttm, vmf, [&](TtmPlacement mem, uint64_t page_offset, uint64_t page_last) {
        env.lock(vm_prot_lock);
        const vm_flags_t vm_flags = env.load(vma.vm_flags, Access::kPlain);
        const x86::pgprot_t prot =
            ttm_bo_vm_prot(ttm, mem, x86::vm_get_page_prot(vm_flags, mm.sev_active));
        env.store(vma.vm_page_prot, x86::pgprot_val(prot), Access::kPlain);
        if (env.recording()) env.annotate("vm_page_prot := " + x86::pgprot_flags_string(prot));
        const vm_fault_t ret = ttm_bo_vm_insert_from_vma(env, ttm, mem, vmf, page_offset, page_last,
                                                         num_prefault, fault_page_size);
        env.unlock(vm_prot_lock);
        return ret;
      });
}

// ttm_bo_vm_fault() (ttm_bo_vm.c, v5.4 form) around
// ttm_bo_vm_fault_reserved(vmf, TTM_BO_VM_NUM_PREFAULT, 1) (see
// ttm_bo_vm_fault_around()); the v5.7 huge fault is the same with
// (1, HPAGE_PMD_NR). Locks held on entry: mmap_sem (read).
vm_fault_t ttm_bo_vm_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_fault");
  return ttm_bo_vm_fault_around(env, ttm, vmf, [&] {
    return ttm_bo_vm_fault_reserved(env, ttm, vmf, TTM_BO_VM_NUM_PREFAULT, 1);
  });
}

vm_fault_t ttm_bo_vm_huge_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_huge_fault");
  return ttm_bo_vm_fault_around(
      env, ttm, vmf, [&] { return ttm_bo_vm_fault_reserved(env, ttm, vmf, 1, ttm.mm->pmd_pages); });
}

// The vvar mapping with the proposal: the VMA's lock is initialised when the
// special mapping is installed. Locks held on entry: mmap_sem (write).
void vvar_mmap(Env& env, const VvarState& vvar) {
  FunctionScope scope(env, "vm_area_alloc");
  install_vm_prot_lock(env, *vvar.mm);
}

// vvar_fault() (arch/x86/entry/vdso/vma.c) rewritten for the proposal: the
// per-page prot is written into the VMA and the page inserted from it, both
// under the VMA's lock, which is all that serialises two vvar faults.
//   mutex_lock(&vma->vm_prot_lock);
//   prot = vm_get_page_prot(vma->vm_flags);
//   if (pvclock page) prot = pgprot_decrypted(prot);
//   vma->vm_page_prot = prot;
//   ret = vmf_insert_pfn(vma, vmf->address, pfn);
//   mutex_unlock(&vma->vm_prot_lock);
// Locks held on entry: mmap_sem (read).
vm_fault_t vvar_fault(Env& env, const VvarState& vvar, VmFault& vmf) {
  FunctionScope scope(env, "vvar_fault");
  const MmState& mm = *vvar.mm;
  if (vmf.address >= vvar.layout.size()) return VM_FAULT_SIGBUS;
  const VmAreaStruct& vma = vmf.vma.vma();
  const LockId vm_prot_lock = vm_prot_lock_of(vma);
  env.lock(vm_prot_lock);
  const vm_flags_t vm_flags = env.load(vma.vm_flags, Access::kPlain);
  const x86::pgprot_t prot =
      vvar_page_prot(vvar, vmf.address, x86::vm_get_page_prot(vm_flags, mm.sev_active));
  env.store(vma.vm_page_prot, x86::pgprot_val(prot), Access::kPlain);
  if (env.recording()) env.annotate("vm_page_prot := " + x86::pgprot_flags_string(prot));
  const vm_fault_t ret = vmf_insert_pfn(env, mm, vmf.vma, vmf.address, vvar.pfn(vmf.address));
  env.unlock(vm_prot_lock);
  return ret;
}

}  // namespace proposals::vm_prot_lock

Proposal make_vm_prot_lock_proposal() {
  return Proposal{"vm-prot-lock",
                  "Thomas Hellström's proper alternative in the thread: a new per-VMA mutex "
                  "(vm_prot_lock, after mmap_sem and i_mmap_rwsem) held by every writer and "
                  "lockless reader of vm_page_prot; the fault path writes the prot and inserts "
                  "from the VMA under it",
                  &proposals::vm_prot_lock::ttm_bo_vm_fault,
                  &proposals::vm_prot_lock::ttm_bo_mmap,
                  &proposals::vm_prot_lock::vvar_fault,
                  &proposals::vm_prot_lock::vvar_mmap,
                  &proposals::vm_prot_lock::ttm_bo_vm_huge_fault};
}

}  // namespace protmc::model
