// The x86 vvar mapping (arch/x86/entry/vdso/vma.c): one VM_PFNMAP, read-only
// VMA whose pages are backed by memory of different kinds, faulted in by
// vvar_fault(). Andy Lutomirski's "for-real example" in the 2019 thread: the
// data page and the Hyper-V TSC (hvclock) page are ordinary kernel memory
// (WB, encrypted under SEV); the pvclock page is shared with the hypervisor
// (WB, decrypted under SEV). The pages share one VMA, are instantiated in
// .fault, and vm_page_prot is never written after the mapping is created.
//
// State: the model's MmState (one VMA of layout.size() pages, VmaKind::kPfnMap,
// vm_flags VM_READ|VM_MAYREAD|VM_IO|VM_DONTDUMP|VM_PFNMAP as map_vdso() passes
// to _install_special_mapping()), page i backed by pfn first_pfn + i of the
// layout's kind, owned by the kernel for the whole run; expected_pfn[i] is
// that pfn. No reservation or other driver lock exists: faults on the mapping
// are serialised by nothing but the page-table lock.
//
// Not modelled: the vdso text mapping, the time-namespace page (v5.6+),
// vdso_image symbol offsets (a page's role is its layout entry),
// vclock_was_used() (always true: every page of the layout is in use).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "model/mm/fault.hpp"
#include "model/mm/mm_state.hpp"

namespace protmc::model {

// What a page of the vvar mapping is (image->sym_vvar_page,
// sym_pvclock_page, sym_hvclock_page).
enum class VvarPage : uint8_t { kData, kPvclock, kHvclock };
// "data", "pvclock", "hvclock".
std::string_view to_string(VvarPage page);
std::optional<VvarPage> parse_vvar_page(std::string_view name);
// The memory kind behind a vvar page: vvar-data, pvclock, hvclock.
MemoryKind memory_kind_of(VvarPage page);

struct VvarConfig {
  std::vector<VvarPage> layout = {VvarPage::kData, VvarPage::kPvclock};
  bool sev_active = false;
  KernelKnobs knobs;
  uint32_t pmd_pages = 2;
  uint64_t first_pfn = 0x100;
  uint32_t max_vmas = 0;  // MmConfig::max_vmas
};

struct VvarState {
  std::shared_ptr<const MmState> mm;
  std::vector<VvarPage> layout;
  // The pfn behind page `page` of the mapping (__pa_symbol(&__vvar_page),
  // __pa(pvti), the TSC page's pfn).
  uint64_t pfn(uint64_t page) const { return mm->first_pfn + page; }
};

MmConfig vvar_mm_config(const VvarConfig& config);

// Creates the mm state for the mapping as _install_special_mapping() leaves
// it (vm_page_prot = vm_get_page_prot(vm_flags)) and claims expected_pfn for
// every page. In the calling thread (the Program's main thread).
std::shared_ptr<const VvarState> make_vvar_state(Env& env, const VvarConfig& config);

// vvar_fault() (arch/x86/entry/vdso/vma.c, v5.3 form) — what landed, the
// per-page-prot way: data and hvclock pages with vmf_insert_pfn() (the VMA's
// prot, a plain read), the pvclock page with
// vmf_insert_pfn_prot(..., pgprot_decrypted(vma->vm_page_prot)).
// Locks held on entry: mmap_sem (read).
vm_fault_t vvar_fault(Env& env, const VvarState& vvar, VmFault& vmf);

// The prot each page needs, computed from `base` the way vvar_fault() does:
// pgprot_decrypted(base) for the pvclock page, base otherwise. Pure.
x86::pgprot_t vvar_page_prot(const VvarState& vvar, uint64_t page, x86::pgprot_t base);

}  // namespace protmc::model
