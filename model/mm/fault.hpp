// The page-fault entry: arch/x86/mm/fault.c do_user_addr_fault() and
// mm/memory.c handle_mm_fault() down to the driver's vm_ops->fault (v5.3) and,
// for drivers with one, vm_ops->huge_fault (v5.7).
//
// A driver's fault handler (a TTM proposal's ttm_bo_vm_fault, vvar_fault)
// is passed in as a FaultHandler; it runs with mmap_sem held for read and
// returns a vm_fault_t. When it returns VM_FAULT_RETRY it has dropped
// mmap_sem itself, and x86 retries once with FAULT_FLAG_TRIED and without
// FAULT_FLAG_ALLOW_RETRY (v5.3; from v5.7, "mm: allow VM_FAULT_RETRY for
// multiple times", x86 retries as long as the handler asks).
#pragma once

#include <cstdint>
#include <functional>

#include "model/mm/mm_state.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

// enum fault_flag (include/linux/mm.h, v5.3).
inline constexpr uint32_t FAULT_FLAG_WRITE = 0x01;
inline constexpr uint32_t FAULT_FLAG_MKWRITE = 0x02;
inline constexpr uint32_t FAULT_FLAG_ALLOW_RETRY = 0x04;
inline constexpr uint32_t FAULT_FLAG_RETRY_NOWAIT = 0x08;
inline constexpr uint32_t FAULT_FLAG_KILLABLE = 0x10;
inline constexpr uint32_t FAULT_FLAG_TRIED = 0x20;
inline constexpr uint32_t FAULT_FLAG_USER = 0x40;

// More vm_fault_t values (include/linux/mm_types.h, v5.3).
inline constexpr vm_fault_t VM_FAULT_SIGSEGV = 0x000040;
inline constexpr vm_fault_t VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV;

// struct vm_fault: the fields the model's handlers use.
struct VmFault {
  uint64_t address = 0;  // page index in the mapping
  uint32_t flags = 0;    // FAULT_FLAG_*
  VmaView vma;           // vmf->vma: the VMA find_vma() found, with its range
  uint64_t pgoff = 0;    // vmf->pgoff: linear_page_index(vma, address)
};

// vma->vm_ops->fault. Called with mmap_sem held for read.
using FaultHandler = std::function<vm_fault_t(Env&, VmFault&)>;
// vma->vm_ops->huge_fault(vmf, PE_SIZE_PMD) (v5.7 TTM drivers). Called with
// mmap_sem held for read; returns VM_FAULT_FALLBACK when it inserted nothing
// and the fault should go on at PTE level. Empty: the VMA has no ->huge_fault.
using HugeFaultHandler = std::function<vm_fault_t(Env&, VmFault&)>;

// handle_mm_fault() -> __handle_mm_fault() (mm/memory.c, v5.7 form; v5.3 is
// the same for VMAs without ->huge_fault):
//   - PMD none and transparent huge pages enabled for the VMA
//     (MmState::transparent_hugepage) and a ->huge_fault: create_huge_pmd()
//     calls it; anything but VM_FAULT_FALLBACK is the result;
//   - a present huge PMD: a write fault on a read-only one goes to
//     wp_huge_pmd() (->huge_fault, or without one __split_huge_pmd() and
//     fall back); anything else is huge_pmd_set_accessed() and returns 0;
//   - then handle_pte_fault() -> do_fault() -> do_read_fault()/
//     do_shared_fault() -> __do_fault() calls ->fault when the PTE is none; a
//     present PTE returns 0 (a spurious fault or an access-flag update, not
//     modelled), and so does a PMD that is huge by then.
// Locks held on entry: mmap_sem (read).
vm_fault_t handle_mm_fault(Env& env, const MmState& mm, VmFault& vmf, const FaultHandler& fault,
                           const HugeFaultHandler& huge_fault = {});

// do_user_addr_fault() (arch/x86/mm/fault.c, v5.3) for a user access to page
// `address`: down_read(mmap_sem), find_vma (the VMA becomes vmf->vma),
// access_error (a plain read of vma->vm_flags), handle_mm_fault, then on
// VM_FAULT_RETRY retry once with FAULT_FLAG_TRIED; up_read(mmap_sem) unless
// the handler dropped it. Returns the last handle_mm_fault() result, or
// VM_FAULT_SIGSEGV for a bad access (no VMA at the address, write without
// VM_WRITE, read without access).
// Locks held on entry: none.
vm_fault_t do_user_addr_fault(Env& env, const MmState& mm, uint64_t address, bool write,
                              const FaultHandler& fault, const HugeFaultHandler& huge_fault = {});

}  // namespace protmc::model
