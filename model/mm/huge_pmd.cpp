// Splitting a huge PMD: __split_huge_pmd() and __split_huge_pmd_locked()
// (mm/huge_memory.c), and split_huge_pmd_address() as used by
// vma_adjust_trans_huge() when mprotect/munmap split a VMA inside a huge range.
// vma_adjust_trans_huge() read from a v4.x-era mm/huge_memory.c copy and the
// context of later patches (PUD support, the 2022 split_huge_pmd_if_needed()
// cleanup): unchanged from v4.5 to v5.8 but for adjust_next becoming bytes.
//
// Kernel sources read: __split_huge_pmd_locked() and __split_huge_pmd() of a
// v5.8-era tree (vma_is_special_huge(), added in v5.7) and the pre-v5.7 form
// where only vma_is_dax() returned before pmd_page() (a 2017 patch context and
// the v4.8 "split THP PMD by unmapping" change); the anonymous rebuild loop
// is the same in all of them.
//
// What the knob special_huge_split selects for a non-anonymous (VM_PFNMAP /
// VM_MIXEDMAP) VMA:
//   pmd_page (v5.3): clear the PMD, then pmd_page() on a PFN-mapped entry:
//                    a kernel-bug finding;
//   clear (v5.7):    clear the PMD and return (vma_is_special_huge());
//   rebuild:         hypothetical: take the anonymous path and rebuild one PTE
//                    per small page from READ_ONCE(vma->vm_page_prot).
//
// Simplified: no mmu notifiers, TLB flushes, rmap/refcount/mlock/memcg
// bookkeeping, migration entries or freeze; the withdrawn PTE table of the
// rebuild path is the slot's PTE variables (no deposit exists on x86, so the
// rebuild of a special entry is hypothetical anyway). __split_huge_pmd's own
// pmd_page()/PageMlocked() on a pmd_trans_huge (non-devmap) entry is not
// modelled: the finding is reported in __split_huge_pmd_locked().
#include <optional>
#include <string>

#include "model/mm/page_table.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;

// __split_huge_pmd_locked(vma, pmd, haddr, freeze = false) (mm/huge_memory.c).
//   if (!vma_is_anonymous(vma)) {
//     _pmd = pmdp_huge_clear_flush_notify(vma, haddr, pmd);
//     if (vma_is_dax(vma)) return;          // v5.7: if (vma_is_special_huge(vma)) return;
//     page = pmd_page(_pmd); ...  return; }
//   old_pmd = pmdp_invalidate(vma, haddr, pmd);
//   write = pmd_write(old_pmd); young = pmd_young(old_pmd); soft_dirty = pmd_soft_dirty(old_pmd);
//   for (i = 0, addr = haddr; i < HPAGE_PMD_NR; i++, addr += PAGE_SIZE) {
//     entry = mk_pte(page + i, READ_ONCE(vma->vm_page_prot));
//     entry = maybe_mkwrite(entry, vma);
//     if (!write) entry = pte_wrprotect(entry);
//     if (!young) entry = pte_mkold(entry);
//     if (soft_dirty) entry = pte_mksoft_dirty(entry);
//     set_pte_at(mm, addr, pte, entry); }
//   smp_wmb(); pmd_populate(mm, pmd, pgtable);
// Locks held on entry: pmd_lock, plus the caller's.
void __split_huge_pmd_locked(Env& env, const MmState& mm, const VmAreaStruct& vma, uint32_t slot,
                             uint64_t haddr) {
  FunctionScope scope(env, "__split_huge_pmd_locked");
  CHECK_MSG(haddr == mm.pmd_start(slot), "haddr is the huge page's first address");
  const bool rebuild_special = mm.knobs.special_huge_split == SpecialHugeSplit::kRebuild;
  if (!vma_is_anonymous(vma) && !rebuild_special) {
    const x86::pmd_t old = pmdp_huge_get_and_clear(env, mm, slot);  // ..._clear_flush_notify
    if (mm.knobs.special_huge_split == SpecialHugeSplit::kClear) return;
    env.fail("kernel-bug",
             "__split_huge_pmd_locked(): pmd_page() on the special (PFN-mapped) huge PMD " +
                 std::to_string(slot) + " (" + x86::describe_pmd(old) +
                 "): before vma_is_special_huge() only DAX VMAs return early");
  }

  // pmdp_invalidate(): the entry stays huge but not present while the PTEs are built.
  const x86::pmd_t old_pmd = pmdp_get(env, mm, slot);
  set_pmd_at(env, mm, slot, x86::pmd_clear_flags(old_pmd, x86::PAGE_PRESENT | x86::PAGE_PROTNONE));
  const bool write = x86::pmd_write(old_pmd);
  const bool young = x86::pmd_young(old_pmd);
  const bool soft_dirty = x86::pmd_soft_dirty(old_pmd);
  const uint64_t pfn = x86::pmd_pfn(old_pmd);
  for (uint64_t i = 0; i < mm.pmd_pages; ++i) {
    const uint64_t addr = haddr + i;
    const x86::pgprot_t prot{env.load(vma.vm_page_prot, Access::kMarked)};  // READ_ONCE
    x86::pte_t entry = x86::pfn_pte(pfn + i, prot);                         // mk_pte()
    // maybe_mkwrite(): if (likely(vma->vm_flags & VM_WRITE)) pte_mkwrite() (plain read).
    if (env.load(vma.vm_flags, Access::kPlain) & VM_WRITE) entry = x86::pte_mkwrite(entry);
    if (!write) entry = x86::pte_wrprotect(entry);
    if (!young) entry = x86::pte_mkold(entry);
    if (soft_dirty) entry = x86::pte_mksoft_dirty(entry);
    set_pte_at(env, mm, addr, entry);
    if (env.recording()) {
      env.annotate("pte[" + std::to_string(addr) +
                   "] rebuilt from vm_page_prot: " + x86::describe_pte(entry));
    }
  }
  set_pmd_at(env, mm, slot, kPmdTable);  // pmd_populate()
}

// __split_huge_pmd(vma, pmd, address, freeze = false, page = NULL)
// (mm/huge_memory.c, v5.3):
//   ptl = pmd_lock(vma->vm_mm, pmd);
//   if (pmd_trans_huge(*pmd)) { page = pmd_page(*pmd); ... }
//   else if (!(pmd_devmap(*pmd) || is_pmd_migration_entry(*pmd))) goto out;
//   __split_huge_pmd_locked(vma, pmd, haddr, freeze);
//   out: spin_unlock(ptl);
// Locks held on entry: the caller's (see paths.hpp); takes pmd_lock. With the
// vm-prot-lock proposal's hook set, the VMA's vm_prot_lock is taken first (a
// mutex cannot be taken under pmd_lock, and whether the rebuild path will
// read vm_page_prot is only known under it).
void __split_huge_pmd(Env& env, const MmState& mm, const VmAreaStruct& vma, uint32_t slot,
                      uint64_t address) {
  FunctionScope scope(env, "__split_huge_pmd");
  (void)address;
  if (vma.vm_prot_lock) env.lock(*vma.vm_prot_lock);
  const LockId ptl = pmd_lock(env, mm);
  if (pmd_is_huge(pmdp_get(env, mm, slot))) {
    __split_huge_pmd_locked(env, mm, vma, slot, mm.pmd_start(slot));
  }
  spin_unlock(env, ptl);
  if (vma.vm_prot_lock) env.unlock(*vma.vm_prot_lock);
}

// split_huge_pmd_address(vma, address, false, NULL) (mm/huge_memory.c, v5.3):
// walks to the PMD of `address` and calls __split_huge_pmd(). The callers that
// split through it (vma_adjust_trans_huge() from mprotect's or munmap's
// split_vma(), with mmap_sem held for write) hold their locks on entry.
void split_huge_pmd_address(Env& env, const MmState& mm, const VmAreaStruct& vma,
                            uint64_t address) {
  FunctionScope scope(env, "split_huge_pmd_address");
  CHECK_MSG(address < uint64_t{mm.nr_pmds} * mm.pmd_pages, "address inside the page table");
  __split_huge_pmd(env, mm, vma, mm.pmd_index(address), address);
}

// vma_adjust_trans_huge(vma, start, end, adjust_next) (mm/huge_memory.c, v5.3):
//   if (start & ~HPAGE_PMD_MASK &&
//       (start & HPAGE_PMD_MASK) >= vma->vm_start &&
//       (start & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE <= vma->vm_end)
//     split_huge_pmd_address(vma, start, false, NULL);
//   (the same for end)
//   if (adjust_next > 0) { next = vma->vm_next; nstart = next->vm_start + adjust_next; ... }
// `vma` still has its old range (__vma_adjust() calls this first). The model
// reads vm_start and vm_end once, when a test first needs them; adjust_next
// is always 0 (no vma_merge() in the model), so the third split is not
// modelled (CHECK). Locks held on entry: mmap_sem (write).
void vma_adjust_trans_huge(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t start,
                           uint64_t end, int64_t adjust_next) {
  FunctionScope scope(env, "vma_adjust_trans_huge");
  CHECK_MSG(adjust_next == 0, "vma_adjust_trans_huge(): adjust_next is not modelled");
  std::optional<uint64_t> vm_start;
  std::optional<uint64_t> vm_end;
  auto straddles = [&](uint64_t address) {
    if (address % mm.pmd_pages == 0) return false;
    const uint64_t haddr = address - address % mm.pmd_pages;
    if (!vm_start) vm_start = env.load(vma.vm_start, Access::kPlain);
    if (haddr < *vm_start) return false;
    if (!vm_end) vm_end = env.load(vma.vm_end, Access::kPlain);
    return haddr + mm.pmd_pages <= *vm_end;
  };
  if (straddles(start)) split_huge_pmd_address(env, mm, vma, start);
  if (straddles(end)) split_huge_pmd_address(env, mm, vma, end);
}

}  // namespace protmc::model
