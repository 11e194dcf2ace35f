// The core mm paths of the kernel model, run on the engine: inserting PTEs and
// huge PMDs (insert.cpp), zapping (zap.cpp: zap_pte_range, zap_pmd_range,
// unmap_mapping_range, madvise(MADV_DONTNEED)), splitting huge PMDs
// (huge_pmd.cpp) and mprotect (mprotect.cpp).
//
// Conventions:
//   - An address is a page index in the mapping ([0, nr_pages)); a length is
//     a number of pages. Kernel byte addresses become page indices; PAGE_SIZE
//     and PMD_SIZE become 1 and pmd_pages.
//   - Where the kernel passes a struct vm_area_struct *, the model passes the
//     VmAreaStruct (a slot of MmState::vmas) and reads its fields through the
//     engine.
//   - Each function's comment names the kernel function and version it
//     follows and the locks its caller holds on entry. Only the entry points
//     (do_mprotect_pkey, do_madvise_dontneed, unmap_mapping_range) take the
//     outer locks (mmap_sem, i_mmap_rwsem) themselves.
//   - BUG_ON/VM_BUG_ON/WARN_ON equivalents that the paths can reach are
//     env.fail("kernel-bug", ...).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "model/mm/mm_state.hpp"

namespace protmc::model {

// vm_fault_t values (include/linux/mm_types.h, v5.3).
using vm_fault_t = uint32_t;
inline constexpr vm_fault_t VM_FAULT_OOM = 0x000001;
inline constexpr vm_fault_t VM_FAULT_SIGBUS = 0x000002;
inline constexpr vm_fault_t VM_FAULT_NOPAGE = 0x000100;
inline constexpr vm_fault_t VM_FAULT_RETRY = 0x000400;
inline constexpr vm_fault_t VM_FAULT_FALLBACK = 0x000800;

// A stack copy of the VMA (`struct vm_area_struct cvma = *vma;`), as TTM's
// v5.3 fault path makes: its fields are locals, so inserting "through" it
// reads no shared state.
struct VmAreaCopy {
  vm_flags_t vm_flags = 0;
  x86::pgprot_t vm_page_prot;
};
// `cvma = *vma`: plain loads of vma->vm_flags and vma->vm_page_prot.
VmAreaCopy copy_vma(Env& env, const VmAreaStruct& vma);

// track_pfn_insert() (arch/x86/mm/pat.c, v5.3): lookup_memtype() of the pfn
// (a marked load of its kind; memtype_lock is not modelled) replaces the
// caching bits of `prot` when the knob pat_track_pfn_insert is on.
x86::pgprot_t track_pfn_insert(Env& env, const MmState& mm, x86::pgprot_t prot, uint64_t pfn);

// --- insert.cpp (mm/memory.c and mm/huge_memory.c). Locks held on entry: the
// fault path's (mmap_sem read, plus whatever the driver holds); never a
// page-table lock. The variants without a prot read vma->vm_page_prot plainly;
// with the vm-prot-lock hook set (MmState::vm_prot_lock) the driver holds that
// lock around them.
vm_fault_t insert_pfn(Env& env, const MmState& mm, uint64_t addr, uint64_t pfn, x86::pgprot_t prot);
vm_fault_t vmf_insert_pfn_prot(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                               uint64_t pfn, x86::pgprot_t pgprot);
vm_fault_t vmf_insert_pfn(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                          uint64_t pfn);
// vmf_insert_pfn(&cvma, ...): `vma` is the VMA the copy was made of (its
// range is what the copy's vm_start/vm_end checks read).
vm_fault_t vmf_insert_pfn(Env& env, const MmState& mm, const VmaView& vma, const VmAreaCopy& cvma,
                          uint64_t addr, uint64_t pfn);
vm_fault_t vmf_insert_mixed(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                            uint64_t pfn);
vm_fault_t vmf_insert_mixed(Env& env, const MmState& mm, const VmaView& vma, const VmAreaCopy& cvma,
                            uint64_t addr, uint64_t pfn);
vm_fault_t vmf_insert_mixed_prot(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                                 uint64_t pfn, x86::pgprot_t pgprot);
// Huge entries: `addr` is any page of the PMD; `pfn` the first pfn of the
// huge page; `devmap` is pfn_t_devmap(pfn) (PFN_DEV|PFN_MAP, which TTM's huge
// faults use for special huge entries).
vm_fault_t vmf_insert_pfn_pmd(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                              uint64_t pfn, bool devmap, bool write);
vm_fault_t vmf_insert_pfn_pmd_prot(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                                   uint64_t pfn, bool devmap, x86::pgprot_t pgprot, bool write);

// --- zap.cpp (mm/memory.c, mm/huge_memory.c, mm/madvise.c).
// Locks held on entry: the caller's (mmap_sem read for madvise, i_mmap_rwsem
// for unmap_mapping_range); never a page-table lock.
void zap_pte_range(Env& env, const MmState& mm, uint32_t slot, uint64_t addr, uint64_t end);
bool zap_huge_pmd(Env& env, const MmState& mm, const VmAreaStruct& vma, uint32_t slot);
void zap_pmd_range(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t addr,
                   uint64_t end);
void unmap_single_vma(Env& env, const MmState& mm, const VmaView& vma, uint64_t start_addr,
                      uint64_t end_addr);
void zap_page_range(Env& env, const MmState& mm, const VmaView& vma, uint64_t start, uint64_t size);
// unmap_mapping_pages()/unmap_mapping_range(): offsets and lengths in pages of
// the address_space; nr == 0 means to the end. Takes i_mmap_rwsem (read or
// write per the knob unmap_i_mmap_lock), no mmap_sem.
void unmap_mapping_pages(Env& env, const MmState& mm, uint64_t start, uint64_t nr, bool even_cows);
void unmap_mapping_range(Env& env, const MmState& mm, uint64_t holebegin, uint64_t holelen,
                         bool even_cows);
// madvise(MADV_DONTNEED) on [start, end): takes mmap_sem for read. Returns 0
// or -EINVAL (VM_PFNMAP VMAs cannot be zapped this way).
int do_madvise_dontneed(Env& env, const MmState& mm, uint64_t start, uint64_t end);
// The zap behind madvise_dontneed_free() once can_madv_dontneed_vma() passed.
int madvise_dontneed_single_vma(Env& env, const MmState& mm, const VmaView& vma, uint64_t start,
                                uint64_t end);

// --- huge_pmd.cpp (mm/huge_memory.c).
// __split_huge_pmd_locked: pmd_lock held. __split_huge_pmd /
// split_huge_pmd_address: no page-table lock held; the caller holds whatever
// its entry point takes (mprotect: mmap_sem write; madvise, munmap: mmap_sem
// read; unmap_mapping_range: i_mmap_rwsem; reclaim: the rmap lock).
void __split_huge_pmd_locked(Env& env, const MmState& mm, const VmAreaStruct& vma, uint32_t slot,
                             uint64_t haddr);
void __split_huge_pmd(Env& env, const MmState& mm, const VmAreaStruct& vma, uint32_t slot,
                      uint64_t address);
void split_huge_pmd_address(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t address);
// vma_adjust_trans_huge(vma, start, end, adjust_next) (mm/huge_memory.c,
// v5.3): splits a huge PMD that the VMA's new start or end would cut.
// Locks held on entry: mmap_sem (write).
void vma_adjust_trans_huge(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t start,
                           uint64_t end, int64_t adjust_next);

// The kernel paths that split a huge PMD (reference section 5.6), each with
// the locks its entry point holds.
enum class SplitCaller : uint8_t {
  kMprotect,           // mprotect of part of a huge range: mmap_sem write
  kMadvise,            // madvise(MADV_DONTNEED) of part of it: mmap_sem read
  kWriteFault,         // a write fault on a huge PMD whose ->huge_fault falls back: mmap_sem read
  kUnmapMappingRange,  // unmap_mapping_range() of part of it: i_mmap_rwsem, no mmap_sem
  kReclaim,            // try_to_unmap(TTU_SPLIT_HUGE_PMD): i_mmap_rwsem read (rmap), no mmap_sem
};
inline constexpr SplitCaller kAllSplitCallers[] = {
    SplitCaller::kMprotect, SplitCaller::kMadvise, SplitCaller::kWriteFault,
    SplitCaller::kUnmapMappingRange, SplitCaller::kReclaim};
// "mprotect", "madvise", "write-fault", "unmap_mapping_range", "reclaim".
const char* to_string(SplitCaller caller);
// Splits the huge PMD covering `page` the way `caller` does, taking the locks
// its entry point takes (see huge_pmd.cpp for each path). madvise and
// unmap_mapping_range also zap `page` after the split, as they do; madvise
// refuses VM_PFNMAP VMAs (no split). Locks held on entry: none.
void split_huge_pmd_via(Env& env, const MmState& mm, uint64_t page, SplitCaller caller);

// --- mprotect.cpp (mm/mprotect.c, mm/mmap.c).
// vma_set_page_prot / mprotect_fixup / change_protection: mmap_sem held for
// write (vma_set_page_prot also runs from mmap_region(), same lock).
void vma_set_page_prot(Env& env, const MmState& mm, const VmAreaStruct& vma);
uint64_t change_protection(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t start,
                           uint64_t end, x86::pgprot_t newprot);
// *pprev is the VMA before [start, end) (nullopt: none) on entry and the VMA
// now covering it on return, as in the kernel.
int mprotect_fixup(Env& env, const MmState& mm, VmaId vma, std::optional<VmaId>* pprev,
                   uint64_t start, uint64_t end, vm_flags_t newflags);
// PROT_* values (include/uapi/asm-generic/mman-common.h).
inline constexpr uint32_t PROT_NONE = 0x0;
inline constexpr uint32_t PROT_READ = 0x1;
inline constexpr uint32_t PROT_WRITE = 0x2;
inline constexpr uint32_t PROT_EXEC = 0x4;
// mprotect(2) on [start, end): takes mmap_sem for write. Returns 0, -EACCES,
// -EINVAL or -ENOMEM (no VMA at start, a hole, or no VMA slot left for a
// split). Any range inside the mapping: mprotect_fixup() splits the VMAs.
int do_mprotect_pkey(Env& env, const MmState& mm, uint64_t start, uint64_t end, uint32_t prot);

// --- mmap.cpp (mm/mmap.c): the VMA list, the i_mmap tree and split_vma().
// find_vma(): the first VMA with addr < vm_end, or nullopt, with the range
// the walk read (vm_end, and vm_start of the VMA found). Locks held on entry:
// mmap_sem (read or write).
std::optional<VmaView> find_vma(Env& env, const MmState& mm, uint64_t addr);
// vma->vm_next / vma->vm_prev (plain loads of the list). Locks held on entry:
// mmap_sem.
std::optional<VmaId> vma_next(Env& env, const MmState& mm, const VmAreaStruct& vma);
std::optional<VmaId> vma_prev(Env& env, const MmState& mm, const VmAreaStruct& vma);
// The VmaView of `vma`: plain loads of its vm_start and vm_end (a walk
// moving to the next VMA). Locks held on entry: mmap_sem or i_mmap_rwsem.
VmaView read_vma(Env& env, const MmState& mm, VmaId vma);
// vma_merge() for mprotect: always NULL for the model's VM_SPECIAL VMAs.
// Locks held on entry: mmap_sem (write).
std::optional<VmaId> vma_merge(Env& env, const MmState& mm, std::optional<VmaId> prev,
                               uint64_t addr, uint64_t end, vm_flags_t vm_flags);
// split_vma(mm, vma, addr, new_below): 0 or -ENOMEM. Locks held on entry:
// mmap_sem (write); takes i_mmap_rwsem (write) for a file mapping.
int split_vma(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t addr, bool new_below);
// vma_interval_tree_foreach(vma, &mapping->i_mmap, first_index, last_index):
// calls body(vma, vm_pgoff) for every VMA in the i_mmap tree that maps a file
// page in [first_index, last_index], in vm_pgoff order, with the fields the
// tree walk read. Locks held on entry: i_mmap_rwsem (read or write).
void vma_interval_tree_foreach(Env& env, const MmState& mm, uint64_t first_index,
                               uint64_t last_index,
                               const std::function<void(const VmaView&, uint64_t)>& body);

}  // namespace protmc::model
