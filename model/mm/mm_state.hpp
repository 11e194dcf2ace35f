// The core mm state of the kernel model: one mm_struct with its mmap_sem and
// its VMAs (a fixed number of vm_area_struct slots, linked into mm->mmap and
// the address_space's i_mmap tree as split_vma() creates them), the device
// address_space with its i_mmap_rwsem, the page
// table (PMD slots, PTEs and their split page-table locks) and physical memory
// (every pfn's owner and kind: the truth the properties compare against).
//
// Everything a kernel path can read or write concurrently is an engine
// variable or lock; MmState itself only holds handles and constants, so it is
// created once in a Program's main thread and shared by value or through a
// shared_ptr with every thread of the execution.
//
// Layout (see docs/model.md, "Core mm state"):
//   - Virtual addresses are page indices. mmap creates one VMA [0, nr_pages)
//     in slot 0; vm_pgoff is its first page offset in the device
//     address_space. mprotect of part of it splits it (split_vma(), mmap.cpp)
//     into VMAs of slots 1, 2, ... (vm_area_dup() takes the next unused slot;
//     no VMA is ever freed: munmap is not modelled and vma_merge() never
//     merges the model's VM_SPECIAL VMAs).
//   - The page table is one PMD table of nr_pmds slots, slot s covering pages
//     [s * pmd_pages, (s + 1) * pmd_pages) (HPAGE_PMD_NR == pmd_pages). A slot
//     holds 0 (pmd_none), kPmdTable (a PTE table is present) or a huge pmd_t.
//   - One PTE variable per small page: the slot's PTE table. A PTE table is
//     never freed (free_pgtables() is not modelled), so the PTEs of a slot are
//     all pte_none whenever the slot is not a table.
//   - Split page-table locks as on x86-64 with USE_SPLIT_PTE_PTLOCKS and
//     USE_SPLIT_PMD_PTLOCKS (include/linux/mm.h, v5.3): pte_lockptr(mm, pmd)
//     is the lock of the PTE table page, so one lock per slot;
//     pmd_lockptr(mm, pmd) is the lock of the page holding the PMD table, so
//     one lock for every slot of the model's single PMD table. All are
//     initialised by ptlock_init() and share one lockdep class, "ptl".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker/runtime/env.hpp"
#include "model/arch/x86/pgtable_types.hpp"
#include "model/kernel/knobs.hpp"
#include "model/mm/memory_kinds.hpp"
#include "model/mm/vm_flags.hpp"

namespace protmc::model {

using checker::Env;
using checker::LockId;
using checker::VarId;

// What backs the VMA. vma_is_anonymous() is !vma->vm_ops; the two special
// kinds are driver mappings (vm_ops set, vm_file set) with VM_PFNMAP or
// VM_MIXEDMAP, which the kernel never changes after mmap.
enum class VmaKind : uint8_t { kAnonymous, kPfnMap, kMixedMap };

// The owner value of a free pfn.
inline constexpr uint64_t kPfnFree = 0;

// One pfn of the model's physical memory.
struct PhysPageConfig {
  MemoryKind kind = MemoryKind::kSystemCached;
  uint64_t owner = kPfnFree;  // a driver-defined owner id (e.g. BO and page index); 0 = free
};

struct MmConfig {
  uint32_t nr_pages = 4;   // small pages in the VMA
  uint32_t pmd_pages = 2;  // small pages per huge PMD (HPAGE_PMD_NR)
  // __transparent_hugepage_enabled(vma): the fault path may create huge PMDs
  // (through the driver's ->huge_fault) for this VMA.
  bool transparent_hugepage = false;
  VmaKind vma_kind = VmaKind::kMixedMap;
  // vm_flags at mmap time; VM_PFNMAP/VM_MIXEDMAP are added from vma_kind.
  vm_flags_t vm_flags = VM_READ | VM_WRITE | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYSHARE;
  // vm_page_prot at mmap time; default vm_get_page_prot(vm_flags).
  bool has_initial_page_prot = false;
  x86::pgprot_t initial_page_prot;
  uint64_t vm_pgoff = 0;  // first page offset of the VMA in the device address_space
  // vma->vm_file: the VMA maps the device address_space (dev_mapping) and is
  // in its i_mmap tree. A TTM BO mapping does; the vvar special mapping does
  // not (its VMA has vm_ops but no file).
  bool vm_file = true;
  // vm_area_struct slots (sysctl_max_map_count for the model's mm); 0: one
  // per page, the most split_vma() can make.
  uint32_t max_vmas = 0;
  bool sev_active = false;
  KernelKnobs knobs;
  // Physical memory: pfns first_pfn, first_pfn + 1, ...
  uint64_t first_pfn = 0x100;
  std::vector<PhysPageConfig> memory;
};

// An index into MmState::vmas: which vm_area_struct (vmf->vma, a VMA pointer).
using VmaId = uint32_t;

// One vm_area_struct slot. What the kernel never changes after mmap and
// vm_area_dup() copies (vm_ops, vm_file, the VM_PFNMAP/VM_MIXEDMAP bits) is
// the constant `kind`; every field split_vma(), mprotect or a proposal
// writes is a variable, accessed plainly unless the kernel marks it:
//   vm_start, vm_end, vm_pgoff: written by __split_vma() on the new VMA
//     before it is linked and by __vma_adjust() under mmap_sem (write) and,
//     for a file mapping, i_mmap_rwsem (write); read under either.
//   vm_flags: written by mprotect_fixup() under mmap_sem (write).
//   vm_page_prot: WRITE_ONCE in vma_set_page_prot() (mmap_sem write), the
//     proposals' own accesses otherwise.
//   vm_next, vm_prev: the mm->mmap list (the model's stand-in for mm->mm_rb
//     and the list together): the neighbour's id + 1, 0 = NULL; written by
//     __vma_link_list() under mmap_sem (write).
struct VmAreaStruct {
  VmaId id = 0;
  VmaKind kind = VmaKind::kMixedMap;
  VarId vm_start;      // page index
  VarId vm_end;        // page index, exclusive
  VarId vm_pgoff;      // page offset of vm_start in the address_space
  VarId vm_flags;      // vm_flags_t
  VarId vm_page_prot;  // pgprotval_t
  VarId vm_next;       // id + 1 of the next VMA, 0 = NULL
  VarId vm_prev;       // id + 1 of the previous VMA, 0 = NULL
  // vma->vm_prot_lock of the vm-prot-lock proposal (see MmState): unset
  // unless install_vm_prot_lock() ran.
  mutable std::optional<LockId> vm_prot_lock;
};

// A VMA as a path holds it (its struct vm_area_struct *): the slot and the
// range [vm_start, vm_end) the path read. Every writer of the range holds
// mmap_sem and, for a file mapping, i_mmap_rwsem for write, so the range
// cannot change while a path holds either: the kernel's re-reads of
// vma->vm_start/vm_end through the pointer read the same values, and the
// model reads them once per lock hold (find_vma(), the i_mmap tree walk,
// vma->vm_next when a walk moves on) and carries them here. vm_flags and
// vm_page_prot, which change under mmap_sem read (the proposals), are
// always loaded where the kernel reads them.
struct VmaView {
  const VmAreaStruct* area = nullptr;
  uint64_t vm_start = 0;
  uint64_t vm_end = 0;
  const VmAreaStruct& vma() const { return *area; }
};

// vma_is_anonymous(): !vma->vm_ops.
inline bool vma_is_anonymous(const VmAreaStruct& vma) { return vma.kind == VmaKind::kAnonymous; }
// vma_is_special_huge() (include/linux/huge_mm.h, v5.7):
//   vma_is_dax(vma) || (vma->vm_file && (vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)))
// read from the constant kind: those bits never change after mmap.
inline bool vma_is_special_huge(const VmAreaStruct& vma) { return vma.kind != VmaKind::kAnonymous; }

struct MmState {
  // Constants.
  uint32_t nr_pages = 0;
  uint32_t pmd_pages = 0;
  uint32_t nr_pmds = 0;
  bool transparent_hugepage = false;  // see MmConfig
  bool sev_active = false;
  KernelKnobs knobs;
  uint64_t first_pfn = 0;

  bool vm_file = true;      // see MmConfig
  uint64_t mmap_pgoff = 0;  // the vm_pgoff mmap gave address 0: file offset = mmap_pgoff + page

  // mm_struct.
  LockId mmap_sem;  // rwsem, class "mmap_sem"
  VarId mmap;       // mm->mmap: the first VMA's id + 1, 0 = none (plain, mmap_sem)
  VarId map_count;  // mm->map_count (plain, mmap_sem write)
  // The VMA slots; vmas.size() is sysctl_max_map_count. Slot 0 is the VMA
  // mmap created.
  std::vector<VmAreaStruct> vmas;
  // The device address_space (drm dev_mapping): i_mmap_rwsem and the i_mmap
  // interval tree, whose value is the set of VMAs in it (bit id), written by
  // vma_interval_tree_insert()/remove() under i_mmap_rwsem (write), plain.
  LockId i_mmap_rwsem;  // rwsem, class "i_mmap_rwsem"
  VarId i_mmap;

  // Page table.
  std::vector<VarId> pmd;        // per slot: 0, kPmdTable or a huge pmd_t
  std::vector<LockId> pte_lock;  // per slot: pte_lockptr(), class "ptl"
  LockId pmd_lock;               // pmd_lockptr() of the one PMD table, class "ptl"
  std::vector<VarId> pte;        // per small page: pte_t

  // Physical memory, per pfn (index pfn - first_pfn): owner id (kPfnFree when
  // free) and MemoryKind. Written by drivers when memory changes hands or
  // memtype; loaded (marked) by PAT's lookup_memtype() in track_pfn_insert().
  std::vector<VarId> pfn_owner;
  std::vector<VarId> pfn_kind;

  // Ghost state for the properties (not kernel state).
  // expected_pfn[page]: the pfn the mapping should map at this page offset of
  // the VMA, 0 = no claim. Drivers set it (set_expected_pfn).
  std::vector<VarId> expected_pfn;
  // committed_vm_flags[page]: the vm_flags the last completed
  // mprotect_fixup() covering the page installed (the mmap-time flags before
  // any): what user space has been told the permissions of that page are.
  std::vector<VarId> committed_vm_flags;

  // Opt-in hook for the vm-prot-lock proposal (not in any kernel): Thomas
  // Hellström's "additional lock to protect the vm_flags and vm_page_prot,
  // taken after mmap_sem and i_mmap_lock", one per VMA
  // (VmAreaStruct::vm_prot_lock). Unset unless a proposal installs it at mmap
  // time (install_vm_prot_lock, in the main thread before any thread is
  // spawned; the MmState of every execution is fresh), for every slot: a
  // kernel with the proposal would initialise it in vm_area_alloc()/
  // vm_area_dup(). When set, vma_set_page_prot() (the writer in
  // mmap_region/mprotect) and __split_huge_pmd() (before pmd_lock: the
  // rebuild path's READ_ONCE) take the VMA's; the plain reads in
  // vmf_insert_pfn/vmf_insert_mixed/vmf_insert_pfn_pmd are made by driver
  // fault paths, which hold it themselves.

  const VmAreaStruct& vma(VmaId id) const { return vmas.at(id); }
  uint32_t pmd_index(uint64_t page) const { return static_cast<uint32_t>(page / pmd_pages); }
  uint64_t pmd_start(uint32_t slot) const { return uint64_t{slot} * pmd_pages; }
  uint64_t pmd_end(uint32_t slot) const { return pmd_start(slot) + pmd_pages; }
  bool pfn_known(uint64_t pfn) const {
    return pfn >= first_pfn && pfn - first_pfn < pfn_owner.size();
  }
  uint32_t pfn_index(uint64_t pfn) const { return static_cast<uint32_t>(pfn - first_pfn); }
};

// The value of a PMD slot that points to a PTE table (pmd_populate():
// _PAGE_TABLE = PRESENT|RW|USER|ACCESSED|DIRTY with the table's pfn, here 0).
inline constexpr x86::pmd_t kPmdTable{x86::PAGE_PRESENT | x86::PAGE_RW | x86::PAGE_USER |
                                      x86::PAGE_ACCESSED | x86::PAGE_DIRTY};

// Builds the state in the calling thread (normally the Program's main thread):
// creates every variable and lock. Not visible; CHECKs the configuration.
std::shared_ptr<const MmState> make_mm_state(Env& env, const MmConfig& config);

// Creates vma->vm_prot_lock (a mutex, lockdep class "vm_prot_lock") for every
// VMA slot; returns slot 0's. Idempotent. Not visible. Called by the
// vm-prot-lock proposal's ->mmap with mmap_sem held for write, before any
// other thread exists.
LockId install_vm_prot_lock(Env& env, const MmState& mm);

// Driver-side updates of the physical-memory truth and of the expected
// mapping, as marked stores (visible). `kind` may be omitted to keep it.
void set_pfn_owner(Env& env, const MmState& mm, uint64_t pfn, uint64_t owner);
void set_pfn_kind(Env& env, const MmState& mm, uint64_t pfn, MemoryKind kind);
void set_expected_pfn(Env& env, const MmState& mm, uint64_t page, uint64_t pfn);

// Debugger-style reads for properties and tests (peek, no event).
x86::pte_t peek_pte(const Env& env, const MmState& mm, uint64_t page);
x86::pmd_t peek_pmd(const Env& env, const MmState& mm, uint32_t slot);
x86::pgprot_t peek_vm_page_prot(const Env& env, const MmState& mm, VmaId vma = 0);
// A VmaView of slot `vma` with its current range (for tests and setup code
// that calls a path outside a fault).
VmaView peek_vma_view(const Env& env, const MmState& mm, VmaId vma = 0);
// The VMAs on the mm->mmap list, in address order (peek).
std::vector<VmaId> peek_vma_list(const Env& env, const MmState& mm);
MemoryKind peek_pfn_kind(const Env& env, const MmState& mm, uint64_t pfn);

// Whether a PMD value is a huge entry (pmd_trans_huge() || pmd_devmap()).
constexpr bool pmd_is_huge(x86::pmd_t pmd) { return x86::pmd_large(pmd); }
constexpr bool pmd_is_table(x86::pmd_t pmd) { return !x86::pmd_none(pmd) && !x86::pmd_large(pmd); }

}  // namespace protmc::model
