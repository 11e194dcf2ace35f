// Page-table accessors of the model: the x86 primitives the core paths use to
// read and write PMD slots and PTEs and to take the split page-table locks.
//
// Access modes: x86 writes entries with WRITE_ONCE (native_set_pte(),
// native_set_pmd(), arch/x86/include/asm/pgtable_64.h, v5.3) and clears them
// with xchg (native_ptep_get_and_clear(), native_pmdp_get_and_clear()); reads
// are `*pte` / `*pmd` in v5.3 and ptep_get()/pmdp_get() (READ_ONCE) later,
// with pmd_read_atomic() for the lockless PMD checks of the walkers. The model
// makes every page-table access marked, so page-table entries never produce
// data-race findings: the races the thread is about are on vm_page_prot and
// bo->mem. The xchg of get_and_clear is a marked load then a marked store,
// always under the entry's lock.
#pragma once

#include <cstdint>

#include "model/mm/mm_state.hpp"

namespace protmc::model {

x86::pmd_t pmdp_get(Env& env, const MmState& mm, uint32_t slot);
void set_pmd_at(Env& env, const MmState& mm, uint32_t slot, x86::pmd_t pmd);
x86::pte_t ptep_get(Env& env, const MmState& mm, uint64_t page);
void set_pte_at(Env& env, const MmState& mm, uint64_t page, x86::pte_t pte);
// ptep_get_and_clear() / pmdp_huge_get_and_clear(): the caller holds the lock.
x86::pte_t ptep_get_and_clear(Env& env, const MmState& mm, uint64_t page);
x86::pmd_t pmdp_huge_get_and_clear(Env& env, const MmState& mm, uint32_t slot);

// pmd_lock() (include/linux/mm.h, v5.3): spin_lock(pmd_lockptr(mm, pmd)).
LockId pmd_lock(Env& env, const MmState& mm);
// pte_offset_map_lock() (include/linux/mm.h, v5.3): spin_lock(pte_lockptr(mm, pmd)).
LockId pte_offset_map_lock(Env& env, const MmState& mm, uint32_t slot);
// spin_unlock(ptl) / pte_unmap_unlock().
void spin_unlock(Env& env, LockId ptl);

// __pte_alloc() (mm/memory.c, v5.3), called by pte_alloc() when the slot
// looked pmd_none: under pmd_lock, populate the slot with a PTE table if it is
// still none. Returns the PMD value seen under the lock (after populating).
// Locks held on entry: none of the page-table locks.
x86::pmd_t __pte_alloc(Env& env, const MmState& mm, uint32_t slot);

// get_locked_pte() -> __get_locked_pte() (mm/memory.c, v5.3/v5.4):
//   VM_BUG_ON(pmd_trans_huge(*pmd)); pte_alloc_map_lock(mm, pmd, addr, &ptl)
// Returns the PTE lock, held. A huge PMD in the slot, seen before the
// allocation or by __pte_alloc() under pmd_lock (a huge entry inserted
// concurrently, which pte_offset_map_lock() would then treat as a table), is a
// kernel-bug finding.
LockId get_locked_pte(Env& env, const MmState& mm, uint64_t page);

}  // namespace protmc::model
