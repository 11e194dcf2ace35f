// Proposal "dma-mmap-prepare": Christoph Hellwig's dma-mmap-improvements
// branch (dma_mmap_prepare() / dma_mmap_fault(), never merged), applied to a
// TTM BO: one prot for the whole mapping is computed at mmap time into
// vma->vm_page_prot (dma_pgprot(): pgprot_decrypted() when the memory is
// decrypted, the caching of the memory), and the fault inserts every page
// with the VMA's prot. Andy Lutomirski's objection in the thread: this
// assumes every page of the mapping, at every moment, needs the same
// attributes — a BO that moves to a placement with other attributes breaks it.
//
// Kernel sources: the branch itself was NOT read (it is not in the index);
// dma_pgprot() (kernel/dma/mapping.c, v5.4) as remembered:
//   if (force_dma_unencrypted(dev)) prot = pgprot_decrypted(prot);
//   if (dev_is_dma_coherent(dev)) return prot;
//   if (attrs & DMA_ATTR_WRITE_COMBINE) return pgprot_writecombine(prot);
//   return pgprot_dmacoherent(prot);
// Here the caching comes from ttm_io_prot() of the placement at mmap time,
// and the decryption applies to memory that needs it (VRAM, DMA-pool pages).
#include "model/mm/paths.hpp"
#include "model/proposals/proposal.hpp"
#include "model/ttm/ttm_bo_vm.hpp"

namespace protmc::model {
namespace proposals::dma_mmap_prepare {

using checker::Access;
using checker::FunctionScope;

// The driver's ->mmap: ttm_bo_mmap() then dma_mmap_prepare(). Locks held on
// entry: mmap_sem (write). The BO's placement is read under its reservation.
//   prot = ttm_io_prot(bo->mem.placement, vma->vm_page_prot);
//   if (memory is decrypted) prot = pgprot_decrypted(prot);
//   vma->vm_page_prot = prot;       (plain: the VMA is not yet visible in the kernel)
void ttm_bo_mmap(Env& env, const TtmState& ttm) {
  FunctionScope scope(env, "dma_mmap_prepare");
  const MmState& mm = *ttm.mm;
  env.lock(ttm.resv);
  const TtmPlacement mem = ttm_bo_read_mem(env, ttm);
  env.unlock(ttm.resv);
  const VmAreaStruct& vma = mm.vma(0);  // the VMA being mmapped
  x86::pgprot_t prot{env.load(vma.vm_page_prot, Access::kPlain)};
  prot = ttm_io_prot(ttm, mem, prot);
  if (mem == TtmPlacement::kVram || mem == TtmPlacement::kSystemDma) {
    prot = x86::pgprot_decrypted(prot);  // force_dma_unencrypted() / iomem
  }
  env.store(vma.vm_page_prot, x86::pgprot_val(prot), Access::kPlain);
  if (env.recording()) env.annotate("vm_page_prot = " + x86::pgprot_flags_string(prot));
}

namespace {

// dma_mmap_fault() as a TTM fault path: the v5.6 ttm_bo_vm_fault_reserved()
// shape (reservation, io_reserve_mutex, prefault) inserting with
// vmf_insert_mixed(vma, ...), i.e. the VMA's prot; a huge fault
// (fault_page_size != 1, the v5.7 shape) inserts one huge PMD with
// vmf_insert_pfn_pmd(), the VMA's prot too. Locks held on entry: mmap_sem
// (read).
vm_fault_t fault_with(Env& env, const TtmState& ttm, VmFault& vmf, uint64_t fault_page_size) {
  return ttm_bo_vm_fault_around(env, ttm, vmf, [&] {
    return ttm_bo_vm_fault_reserved_frame(
        env, ttm, vmf, [&](TtmPlacement mem, uint64_t page_offset, uint64_t page_last) {
          return ttm_bo_vm_insert_from_vma(env, ttm, mem, vmf, page_offset, page_last,
                                           TTM_BO_VM_NUM_PREFAULT, fault_page_size);
        });
  });
}

}  // namespace

vm_fault_t ttm_bo_vm_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "dma_mmap_fault");
  return fault_with(env, ttm, vmf, 1);
}

vm_fault_t ttm_bo_vm_huge_fault(Env& env, const TtmState& ttm, VmFault& vmf) {
  FunctionScope scope(env, "dma_mmap_huge_fault");
  return fault_with(env, ttm, vmf, ttm.mm->pmd_pages);
}

// The vvar mapping under dma-mmap-prepare (hypothetical: a special mapping has
// no ->mmap): once the VMA exists, one prot for the whole mapping is stored
// into vm_page_prot — the one its first page needs (the mapping is treated as
// one buffer with one set of attributes). Locks held on entry: mmap_sem (write).
void vvar_mmap(Env& env, const VvarState& vvar) {
  FunctionScope scope(env, "dma_mmap_prepare");
  const MmState& mm = *vvar.mm;
  const VmAreaStruct& vma = mm.vma(0);  // the special mapping's VMA
  x86::pgprot_t prot{env.load(vma.vm_page_prot, Access::kPlain)};
  prot = vvar_page_prot(vvar, 0, prot);
  env.store(vma.vm_page_prot, x86::pgprot_val(prot), Access::kPlain);
  if (env.recording()) env.annotate("vm_page_prot = " + x86::pgprot_flags_string(prot));
}

// dma_mmap_fault() for the vvar mapping: every page inserted with the VMA's
// prot. Locks held on entry: mmap_sem (read).
vm_fault_t vvar_fault(Env& env, const VvarState& vvar, VmFault& vmf) {
  FunctionScope scope(env, "dma_mmap_fault");
  if (vmf.address >= vvar.layout.size()) return VM_FAULT_SIGBUS;
  const MmState& mm = *vvar.mm;
  return vmf_insert_pfn(env, mm, vmf.vma, vmf.address, vvar.pfn(vmf.address));
}

}  // namespace proposals::dma_mmap_prepare

Proposal make_dma_mmap_prepare_proposal() {
  return Proposal{"dma-mmap-prepare",
                  "Christoph Hellwig's dma-mmap-improvements branch: one prot for the whole "
                  "mapping computed at mmap time into vm_page_prot; faults insert with the "
                  "VMA's prot",
                  &proposals::dma_mmap_prepare::ttm_bo_vm_fault,
                  &proposals::dma_mmap_prepare::ttm_bo_mmap,
                  &proposals::dma_mmap_prepare::vvar_fault,
                  &proposals::dma_mmap_prepare::vvar_mmap,
                  &proposals::dma_mmap_prepare::ttm_bo_vm_huge_fault};
}

}  // namespace protmc::model
