// Page-table accessors; see page_table.hpp for the kernel functions and the
// access modes.
#include "model/mm/page_table.hpp"

#include <string>

namespace protmc::model {

using checker::Access;

x86::pmd_t pmdp_get(Env& env, const MmState& mm, uint32_t slot) {
  return x86::pmd_t{env.load(mm.pmd.at(slot), Access::kMarked)};
}

void set_pmd_at(Env& env, const MmState& mm, uint32_t slot, x86::pmd_t pmd) {
  env.store(mm.pmd.at(slot), x86::pmd_val(pmd), Access::kMarked);
}

x86::pte_t ptep_get(Env& env, const MmState& mm, uint64_t page) {
  return x86::pte_t{env.load(mm.pte.at(page), Access::kMarked)};
}

void set_pte_at(Env& env, const MmState& mm, uint64_t page, x86::pte_t pte) {
  env.store(mm.pte.at(page), x86::pte_val(pte), Access::kMarked);
}

x86::pte_t ptep_get_and_clear(Env& env, const MmState& mm, uint64_t page) {
  const x86::pte_t old = ptep_get(env, mm, page);
  set_pte_at(env, mm, page, x86::pte_t{0});
  if (env.recording())
    env.annotate("pte[" + std::to_string(page) + "]: " + x86::describe_pte(old) + " -> none");
  return old;
}

x86::pmd_t pmdp_huge_get_and_clear(Env& env, const MmState& mm, uint32_t slot) {
  const x86::pmd_t old = pmdp_get(env, mm, slot);
  set_pmd_at(env, mm, slot, x86::pmd_t{0});
  if (env.recording())
    env.annotate("pmd[" + std::to_string(slot) + "]: " + x86::describe_pmd(old) + " -> none");
  return old;
}

LockId pmd_lock(Env& env, const MmState& mm) {
  env.lock(mm.pmd_lock);
  return mm.pmd_lock;
}

LockId pte_offset_map_lock(Env& env, const MmState& mm, uint32_t slot) {
  const LockId ptl = mm.pte_lock.at(slot);
  env.lock(ptl);
  return ptl;
}

void spin_unlock(Env& env, LockId ptl) { env.unlock(ptl); }

x86::pmd_t __pte_alloc(Env& env, const MmState& mm, uint32_t slot) {
  checker::FunctionScope scope(env, "__pte_alloc");
  const LockId ptl = pmd_lock(env, mm);
  x86::pmd_t pmd = pmdp_get(env, mm, slot);
  if (x86::pmd_none(pmd)) {  // Has another populated it ?
    pmd = kPmdTable;
    set_pmd_at(env, mm, slot, pmd);  // pmd_populate()
  }
  spin_unlock(env, ptl);
  return pmd;
}

LockId get_locked_pte(Env& env, const MmState& mm, uint64_t page) {
  checker::FunctionScope scope(env, "__get_locked_pte");
  const uint32_t slot = mm.pmd_index(page);
  x86::pmd_t pmd = pmdp_get(env, mm, slot);
  if (pmd_is_huge(pmd)) {
    env.fail("kernel-bug", "VM_BUG_ON(pmd_trans_huge(*pmd)) in __get_locked_pte() for page " +
                               std::to_string(page) + ": " + x86::describe_pmd(pmd));
  }
  if (x86::pmd_none(pmd)) pmd = __pte_alloc(env, mm, slot);
  if (pmd_is_huge(pmd)) {
    env.fail("kernel-bug", "pte_alloc_map_lock() for page " + std::to_string(page) +
                               " found a huge PMD inserted concurrently (" +
                               x86::describe_pmd(pmd) + "): it would be mapped as a PTE table");
  }
  return pte_offset_map_lock(env, mm, slot);
}

}  // namespace protmc::model
