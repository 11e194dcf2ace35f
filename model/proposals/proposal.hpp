// The locking proposals of the 2019 vm_page_prot thread
// (../shared/reference/KERNEL_MODEL.md section 6), each a driver fault path
// written as real C++ in its own file of this folder and registered by name
// in registry.cpp. A scenario selects one by name (find_proposal).
//
// Adding a proposal: one new file here that defines
//   Proposal make_<name>_proposal();
// and one line in the PROTMC_PROPOSALS list of registry.cpp. See
// docs/proposals.md.
#pragma once

#include <string_view>
#include <vector>

#include "model/mm/fault.hpp"
#include "model/ttm/ttm_bo.hpp"
#include "model/vvar/vvar.hpp"

namespace protmc::model {

// A TTM BO mapping's vm_ops->fault under this proposal. Called by
// handle_mm_fault() with mmap_sem held for read.
using TtmFaultFn = vm_fault_t (*)(Env& env, const TtmState& ttm, VmFault& vmf);
// The driver's ->mmap (ttm_bo_mmap plus the proposal's setup), run by
// mmap_region() with mmap_sem held for write, before vma_set_page_prot().
using TtmMmapFn = void (*)(Env& env, const TtmState& ttm);

// The vvar mapping's fault handler (vm_special_mapping->fault) under this
// proposal: per-page attributes from the page's kind, with no reservation to
// serialise faults. Called by handle_mm_fault() with mmap_sem held for read.
using VvarFaultFn = vm_fault_t (*)(Env& env, const VvarState& vvar, VmFault& vmf);
// The proposal's setup once the vvar VMA exists (hypothetical for a special
// mapping, which has no ->mmap), with mmap_sem held for write.
using VvarMmapFn = void (*)(Env& env, const VvarState& vvar);

struct Proposal {
  std::string_view name;         // e.g. "fake-vma"
  std::string_view description;  // one line: who proposed it and what the fault path does
  TtmFaultFn ttm_fault = nullptr;
  TtmMmapFn ttm_mmap = nullptr;  // nullptr: ->mmap leaves vm_page_prot alone
  // Trailing members, so registrations written before the vvar variants compile.
  VvarFaultFn vvar_fault = nullptr;  // nullptr: the proposal has no vvar variant
  VvarMmapFn vvar_mmap = nullptr;    // nullptr: nothing after _install_special_mapping()
  // The TTM mapping's vm_ops->huge_fault(vmf, PE_SIZE_PMD) under this
  // proposal (v5.7's TTM huge faults): one huge PMD for an aligned,
  // physically contiguous part of the BO with the fault path's prot, never
  // prefaulted; VM_FAULT_FALLBACK otherwise. Installed only when the knob
  // ttm_huge_faults is set. nullptr: the proposal has no huge variant.
  TtmFaultFn ttm_huge_fault = nullptr;
};

// Every registered proposal, in registration order.
const std::vector<Proposal>& all_proposals();
// Registers a proposal defined outside this folder (an out-of-tree driver's,
// or a test's deliberately faulty one) after the built-in ones. Must be called
// before anything looks proposals up (CHECKed), e.g. first thing in main():
// lookups hand out pointers into the registry. The name must be new (CHECKed)
// and, like the description, outlive the process (a string literal).
void register_proposal(const Proposal& proposal);
// nullptr for an unknown name.
const Proposal* find_proposal(std::string_view name);

// mmap(2) of the BO as mmap_region() (mm/mmap.c, v5.3) does it once the VMA
// exists: down_write(mmap_sem); vma->vm_page_prot = vm_get_page_prot(vm_flags)
// (the model's initial value); call_mmap() -> the proposal's ttm_mmap;
// vma_set_page_prot(vma); up_write. Run it in the Program's main thread
// before spawning, to build the initial state. Locks held on entry: none.
void ttm_mmap_region(Env& env, const TtmState& ttm, const Proposal& proposal);

// A user access to page `address` of the TTM mapping: do_user_addr_fault()
// with the proposal's fault path as vm_ops->fault and, when the knob
// ttm_huge_faults is set, its ttm_huge_fault as vm_ops->huge_fault. Locks
// held on entry: none.
vm_fault_t ttm_user_fault(Env& env, const TtmState& ttm, const Proposal& proposal, uint64_t address,
                          bool write);

// map_vdso()'s _install_special_mapping() of the vvar VMA (arch/x86/entry/vdso/
// vma.c, mm/mmap.c, v5.3): down_write(mmap_sem); the VMA exists with
// vm_page_prot = vm_get_page_prot(vm_flags) (the model's initial value); the
// proposal's vvar_mmap; up_write. No vma_set_page_prot(). Run it in the
// Program's main thread before spawning. Locks held on entry: none.
void vvar_install_special_mapping(Env& env, const VvarState& vvar, const Proposal& proposal);

// A user read of page `address` of the vvar mapping: do_user_addr_fault()
// with the proposal's vvar_fault as the special mapping's fault handler
// (special_mapping_fault()). CHECKs that the proposal has a vvar variant.
// Locks held on entry: none.
vm_fault_t vvar_user_fault(Env& env, const VvarState& vvar, const Proposal& proposal,
                           uint64_t address);

}  // namespace protmc::model
