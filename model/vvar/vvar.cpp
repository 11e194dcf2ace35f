// The vvar mapping and vvar_fault(); see vvar.hpp.
//
// Kernel sources read: arch/x86/entry/vdso/vma.c of a v4.18 tree
// (WindRiver linux-yocto-4.18: vvar_fault() with vm_insert_pfn()/
// vm_insert_pfn_prot() and the -EBUSY -> VM_FAULT_NOPAGE mapping, map_vdso()
// with the vvar VMA's flags) and of a v5.10 tree (vmf_insert_pfn()/
// vmf_insert_pfn_prot() returning vm_fault_t directly, plus the v5.6 time
// namespace page), and the v4.20 "x86/vdso: Use vmf_insert_pfn" patch, whose
// "+" side is the v5.3 function: the vm_fault_t form without the time
// namespace, the same branches and the same prots as both trees.
#include "model/vvar/vvar.hpp"

#include "checker/support/check.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;

std::string_view to_string(VvarPage page) {
  switch (page) {
    case VvarPage::kData:
      return "data";
    case VvarPage::kPvclock:
      return "pvclock";
    case VvarPage::kHvclock:
      return "hvclock";
  }
  return "?";
}

std::optional<VvarPage> parse_vvar_page(std::string_view name) {
  for (VvarPage p : {VvarPage::kData, VvarPage::kPvclock, VvarPage::kHvclock}) {
    if (to_string(p) == name) return p;
  }
  return std::nullopt;
}

MemoryKind memory_kind_of(VvarPage page) {
  switch (page) {
    case VvarPage::kData:
      return MemoryKind::kVvarData;
    case VvarPage::kPvclock:
      return MemoryKind::kPvclock;
    case VvarPage::kHvclock:
      return MemoryKind::kHvclock;
  }
  return MemoryKind::kVvarData;
}

MmConfig vvar_mm_config(const VvarConfig& config) {
  CHECK_MSG(!config.layout.empty() && config.layout.size() <= 16, "a vvar layout has 1..16 pages");
  MmConfig mm;
  mm.nr_pages = static_cast<uint32_t>(config.layout.size());
  mm.pmd_pages = config.pmd_pages;
  mm.vma_kind = VmaKind::kPfnMap;  // adds VM_PFNMAP | VM_IO
  mm.vm_file = false;              // a special mapping: vm_ops, no vm_file
  mm.max_vmas = config.max_vmas;
  // map_vdso(): VM_READ|VM_MAYREAD|VM_IO|VM_DONTDUMP|VM_PFNMAP, private.
  mm.vm_flags = VM_READ | VM_MAYREAD | VM_DONTDUMP;
  mm.vm_pgoff = 0;
  mm.sev_active = config.sev_active;
  mm.knobs = config.knobs;
  mm.first_pfn = config.first_pfn;
  for (VvarPage page : config.layout) mm.memory.push_back({memory_kind_of(page), 1});
  return mm;
}

std::shared_ptr<const VvarState> make_vvar_state(Env& env, const VvarConfig& config) {
  auto vvar = std::make_shared<VvarState>();
  vvar->mm = make_mm_state(env, vvar_mm_config(config));
  vvar->layout = config.layout;
  for (uint64_t page = 0; page < vvar->layout.size(); ++page) {
    set_expected_pfn(env, *vvar->mm, page, vvar->pfn(page));
  }
  return vvar;
}

x86::pgprot_t vvar_page_prot(const VvarState& vvar, uint64_t page, x86::pgprot_t base) {
  return vvar.layout.at(page) == VvarPage::kPvclock ? x86::pgprot_decrypted(base) : base;
}

// vvar_fault() (arch/x86/entry/vdso/vma.c, v5.3):
//   sym_offset = (long)(vmf->pgoff << PAGE_SHIFT) + image->sym_vvar_start;
//   if (sym_offset == 0) return VM_FAULT_SIGBUS;
//   if (sym_offset == image->sym_vvar_page) {
//     return vmf_insert_pfn(vma, vmf->address, __pa_symbol(&__vvar_page) >> PAGE_SHIFT);
//   } else if (sym_offset == image->sym_pvclock_page) {
//     struct pvclock_vsyscall_time_info *pvti = pvclock_get_pvti_cpu0_va();
//     if (pvti && vclock_was_used(VCLOCK_PVCLOCK))
//       return vmf_insert_pfn_prot(vma, vmf->address, __pa(pvti) >> PAGE_SHIFT,
//                                  pgprot_decrypted(vma->vm_page_prot));
//   } else if (sym_offset == image->sym_hvclock_page) {
//     struct ms_hyperv_tsc_page *tsc_pg = hv_get_tsc_page();
//     if (tsc_pg && vclock_was_used(VCLOCK_HVCLOCK))
//       return vmf_insert_pfn(vma, vmf->address, vmalloc_to_pfn(tsc_pg));
//   }
//   return VM_FAULT_SIGBUS;
// Both reads of vma->vm_page_prot are plain. Locks held on entry: mmap_sem (read).
vm_fault_t vvar_fault(Env& env, const VvarState& vvar, VmFault& vmf) {
  FunctionScope scope(env, "vvar_fault");
  const MmState& mm = *vvar.mm;
  const VmaView& vma = vmf.vma;
  if (vmf.address >= vvar.layout.size()) return VM_FAULT_SIGBUS;
  const uint64_t pfn = vvar.pfn(vmf.address);
  switch (vvar.layout[vmf.address]) {
    case VvarPage::kData:
    case VvarPage::kHvclock:
      return vmf_insert_pfn(env, mm, vma, vmf.address, pfn);
    case VvarPage::kPvclock: {
      const x86::pgprot_t prot{env.load(vma.vma().vm_page_prot, Access::kPlain)};
      return vmf_insert_pfn_prot(env, mm, vma, vmf.address, pfn, x86::pgprot_decrypted(prot));
    }
  }
  return VM_FAULT_SIGBUS;
}

}  // namespace protmc::model
