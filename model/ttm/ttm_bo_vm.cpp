// Shared TTM fault helpers; see ttm_bo_vm.hpp.
//
// Kernel sources read: ttm_bo_vm_reserve() as split out of ttm_bo_vm_fault()
// by "drm/ttm: Convert vm callbacks to helpers" (v5.4, the patch as posted),
// which v5.6 still has; the later blocking dma_resv_lock_interruptible() on
// the no-retry path is not in the model. ttm_bo_vm_fault_idle() from a v5.3/
// v5.4-era ttm_bo_vm.c copy ("if (likely(!bo->moving)) goto out_unlock;") and
// the v5.6 "fault_flag_allow_retry_first" patch context.
#include "model/ttm/ttm_bo_vm.hpp"

namespace protmc::model {

using checker::FunctionScope;
using checker::LockMode;

// ttm_bo_vm_reserve() (ttm_bo_vm.c, v5.4-v5.6):
//   if (unlikely(!dma_resv_trylock(bo->base.resv))) {
//     if (vmf->flags & FAULT_FLAG_ALLOW_RETRY) {
//       if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
//         ttm_bo_get(bo);
//         up_read(&vmf->vma->vm_mm->mmap_sem);
//         (void) ttm_bo_wait_unreserved(bo);   // lock, then unlock
//         ttm_bo_put(bo);
//       }
//       return VM_FAULT_RETRY;
//     }
//     return VM_FAULT_NOPAGE;
//   }
//   return 0;
// Locks held on entry: mmap_sem (read).
vm_fault_t ttm_bo_vm_reserve(Env& env, const TtmState& ttm, const VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_reserve");
  if (env.try_lock(ttm.resv)) return 0;
  if (vmf.flags & FAULT_FLAG_ALLOW_RETRY) {
    if (!(vmf.flags & FAULT_FLAG_RETRY_NOWAIT)) {
      env.unlock(ttm.mm->mmap_sem, LockMode::kShared);
      FunctionScope wait(env, "ttm_bo_wait_unreserved");
      env.lock(ttm.resv);
      env.unlock(ttm.resv);
    }
    return VM_FAULT_RETRY;
  }
  return VM_FAULT_NOPAGE;
}

// ttm_bo_vm_fault_idle() (ttm_bo_vm.c, v5.3; the same in v5.4-v5.7):
//   if (likely(!bo->moving)) goto out_unlock;
//   /* Quick non-stalling check for idle. */
//   if (dma_fence_is_signaled(bo->moving)) goto out_clear;
//   /* If possible, avoid waiting for GPU with mmap_sem held. */
//   if (vmf->flags & FAULT_FLAG_ALLOW_RETRY) {
//     ret = VM_FAULT_RETRY;
//     if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT) goto out_unlock;
//     ttm_bo_get(bo);
//     up_read(&vmf->vma->vm_mm->mmap_sem);
//     (void) dma_fence_wait(bo->moving, true);
//     dma_resv_unlock(bo->base.resv);
//     ttm_bo_put(bo);
//     goto out_unlock;
//   }
//   /* Ordinary wait. */
//   err = dma_fence_wait(bo->moving, true);   (never interrupted here)
// out_clear:
//   dma_fence_put(bo->moving); bo->moving = NULL;
// out_unlock:
//   return ret;
// Locks held on entry: mmap_sem (read), resv.
vm_fault_t ttm_bo_vm_fault_idle(Env& env, const TtmState& ttm, const VmFault& vmf) {
  FunctionScope scope(env, "ttm_bo_vm_fault_idle");
  if (env.load(ttm.moving, checker::Access::kPlain) == 0) return 0;
  bool signaled = false;
  {
    FunctionScope is_signaled(env, "dma_fence_is_signaled");
    signaled = env.try_lock(ttm.moving_fence);
    if (signaled) env.unlock(ttm.moving_fence);
  }
  if (!signaled) {
    if (vmf.flags & FAULT_FLAG_ALLOW_RETRY) {
      if (vmf.flags & FAULT_FLAG_RETRY_NOWAIT) return VM_FAULT_RETRY;
      env.unlock(ttm.mm->mmap_sem, LockMode::kShared);
      {
        FunctionScope wait(env, "dma_fence_wait");
        env.lock(ttm.moving_fence);
        env.unlock(ttm.moving_fence);
      }
      env.unlock(ttm.resv);
      return VM_FAULT_RETRY;
    }
    FunctionScope wait(env, "dma_fence_wait");
    env.lock(ttm.moving_fence);
    env.unlock(ttm.moving_fence);
  }
  env.store(ttm.moving, 0, checker::Access::kPlain);  // out_clear
  return 0;
}

x86::pgprot_t ttm_bo_vm_prot(const TtmState& ttm, TtmPlacement mem, x86::pgprot_t prot) {
  prot = ttm_io_prot(ttm, mem, prot);
  if (ttm_mem_reg_of(mem).bus_is_iomem) prot = x86::pgprot_decrypted(prot);
  return prot;
}

vm_fault_t ttm_bo_vm_insert_from_vma(Env& env, const TtmState& ttm, TtmPlacement mem,
                                     const VmFault& vmf, uint64_t page_offset, uint64_t page_last,
                                     uint64_t num_prefault, uint64_t fault_page_size) {
  const MmState& mm = *ttm.mm;
  const VmaView& vma = vmf.vma;
  if (fault_page_size != 1) {
    const bool write = vmf.flags & FAULT_FLAG_WRITE;
    return ttm_bo_vm_insert_huge(
        env, ttm, mem, vmf.address, page_offset, fault_page_size, [&](uint64_t at, uint64_t pfn) {
          return vmf_insert_pfn_pmd(env, mm, vma, at, pfn, /*devmap=*/true, write);
        });
  }
  return ttm_bo_vm_prefault(
      ttm, mem, vmf.address, page_offset, page_last, num_prefault, [&](uint64_t at, uint64_t pfn) {
        return vma.vma().kind == VmaKind::kMixedMap ? vmf_insert_mixed(env, mm, vma, at, pfn)
                                                    : vmf_insert_pfn(env, mm, vma, at, pfn);
      });
}

TtmFaultOffsets ttm_bo_fault_offsets(const TtmState& ttm, const VmFault& vmf) {
  const uint64_t vm_pgoff = vmf.pgoff - (vmf.address - vmf.vma.vm_start);
  TtmFaultOffsets at;
  at.page_offset = vmf.address - vmf.vma.vm_start + vm_pgoff - ttm.vma_node_start;
  at.page_last = (vmf.vma.vm_end - vmf.vma.vm_start) + vm_pgoff - ttm.vma_node_start;
  return at;
}

uint64_t ttm_bo_pfn(const TtmState& ttm, TtmPlacement placement, uint64_t page_offset) {
  return ttm.pfn(placement, page_offset);
}

}  // namespace protmc::model
