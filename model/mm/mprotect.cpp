// mprotect(2): do_mprotect_pkey() -> mprotect_fixup() -> vma_set_page_prot()
// -> change_protection() -> change_pmd_range() / change_huge_pmd() /
// change_pte_range().
//
// Kernel sources: mm/mprotect.c (do_mprotect_pkey, mprotect_fixup,
// change_protection_range, change_pmd_range, change_pte_range), mm/mmap.c
// (vma_set_page_prot, vm_pgprot_modify, vma_wants_writenotify) and
// mm/huge_memory.c (change_huge_pmd), v5.3. Read (no v5.3 tag in the index):
// change_pte_range() from a May 2019 kbuild report quoting linux-mm's
// mm/mprotect.c (the v5.1-v5.4 form: "oldpte = ptep_modify_prot_start(vma,
// addr, pte); ptent = pte_modify(oldpte, newprot);" ... "ptep_modify_prot_commit
// (vma, addr, pte, oldpte, ptent);", before v5.5's cp_flags);
// change_pmd_range() from the "-" side of the later pmd_read_atomic patch
// ("if (!is_swap_pmd(*pmd) && !pmd_devmap(*pmd) &&
// pmd_none_or_clear_bad_unless_trans_huge(pmd)) goto next;");
// change_protection_range(), mprotect_fixup() and do_mprotect_pkey() from a
// v4.1x mm/mprotect.c copy whose lines modelled here are those of v5.3
// ("mask_off_old_flags = VM_READ | VM_WRITE | VM_EXEC | ...",
// "dirty_accountable = vma_wants_writenotify(vma, vma->vm_page_prot);");
// change_huge_pmd() from a v5.8-era mm/huge_memory.c ("entry =
// pmdp_invalidate(vma, addr, pmd); entry = pmd_modify(entry, newprot);"),
// unchanged in these lines since v4.16. vma_set_page_prot() (mm/mmap.c) from
// the v4.5 patch that added "/* remove_protection_ptes reads
// vma->vm_page_prot without mmap_sem */ WRITE_ONCE(vma->vm_page_prot,
// vm_page_prot);" and later copies with the same body; vma_wants_writenotify()
// (its body in 2025 patch context) was not found in a v5.x form.
//
// Known differences in loads (no effect on outcomes, not modelled): the
// kernel re-reads *pmd in change_pmd_range() between the none check and the
// huge check (the model reads once; under mmap_sem write the PMD can only go
// huge -> none, by a zap, and change_huge_pmd() re-checks under pmd_lock);
// vma_wants_writenotify() reads vm_flags/vm_page_prot once more before
// vma_set_page_prot(); "oldpte = *pte" is a plain read in the kernel and a
// marked one here (ptep_get(), as everywhere in the model).
//
// mprotect of part of a VMA splits it (split_vma(), model/mm/mmap.c, with
// vma_adjust_trans_huge() splitting a huge PMD the new boundary cuts);
// vma_merge() returns NULL for the model's VM_SPECIAL VMAs, so the parts are
// never merged back. do_mprotect_pkey()'s loop over the VMAs of the range is
// the v5.3 one. Simplified: no accounting, no pkeys,
// no mmu notifiers or TLB flushes, no NUMA hinting (prot_numa == 0);
// vma_wants_writenotify() is false (the model's VMAs have no ->page_mkwrite or
// ->pfn_mkwrite, VM_SOFTDIRTY is set at mmap, VM_PFNMAP returns 0 and the DRM
// anon inode's mapping does no dirty accounting), so dirty_accountable is 0.
#include <algorithm>
#include <string>

#include "model/mm/page_table.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;
using checker::LockMode;

// vma_set_page_prot() (mm/mmap.c, v5.3):
//   unsigned long vm_flags = vma->vm_flags;
//   vm_page_prot = vm_pgprot_modify(vma->vm_page_prot, vm_flags);
//     // = pgprot_modify(oldprot, vm_get_page_prot(vm_flags))
//   if (vma_wants_writenotify(vma, vm_page_prot)) {...}   // false here
//   /* remove_protection_ptes reads vma->vm_page_prot without mmap_sem */
//   WRITE_ONCE(vma->vm_page_prot, vm_page_prot);
// Locks held on entry: mmap_sem (write).
// With the vm-prot-lock proposal's hook set, the read-modify-write is done
// under the VMA's vm_prot_lock (taken after mmap_sem).
void vma_set_page_prot(Env& env, const MmState& mm, const VmAreaStruct& vma) {
  FunctionScope scope(env, "vma_set_page_prot");
  if (vma.vm_prot_lock) env.lock(*vma.vm_prot_lock);
  const vm_flags_t vm_flags = env.load(vma.vm_flags, Access::kPlain);
  const x86::pgprot_t old{env.load(vma.vm_page_prot, Access::kPlain)};
  const x86::pgprot_t prot =
      x86::pgprot_modify(old, x86::vm_get_page_prot(vm_flags, mm.sev_active), mm.knobs);
  env.store(vma.vm_page_prot, x86::pgprot_val(prot), Access::kMarked);
  if (env.recording()) {
    env.annotate("vm_page_prot: " + x86::pgprot_flags_string(old) + " -> " +
                 x86::pgprot_flags_string(prot));
  }
  if (vma.vm_prot_lock) env.unlock(*vma.vm_prot_lock);
}

namespace {

// change_pte_range() (mm/mprotect.c, v5.3/v5.4), prot_numa == 0, dirty_accountable == 0:
//   if (pmd_trans_unstable(pmd)) return 0;
//   pte = pte_offset_map_lock(vma->vm_mm, pmd, addr, &ptl);
//   do { oldpte = *pte;
//        if (pte_present(oldpte)) {
//          oldpte = ptep_modify_prot_start(vma, addr, pte);   // get_and_clear
//          ptent = pte_modify(oldpte, newprot);
//          ptep_modify_prot_commit(vma, addr, pte, oldpte, ptent);  // set_pte_at
//          pages++; }
//   } while (pte++, addr += PAGE_SIZE, addr != end);
//   pte_unmap_unlock(pte - 1, ptl);
uint64_t change_pte_range(Env& env, const MmState& mm, uint32_t slot, uint64_t addr, uint64_t end,
                          x86::pgprot_t newprot) {
  FunctionScope scope(env, "change_pte_range");
  const x86::pmd_t pmd = pmdp_get(env, mm, slot);
  if (x86::pmd_none(pmd) || pmd_is_huge(pmd)) return 0;  // pmd_trans_unstable()
  uint64_t pages = 0;
  const LockId ptl = pte_offset_map_lock(env, mm, slot);
  for (; addr != end; ++addr) {
    const x86::pte_t oldpte = ptep_get(env, mm, addr);
    if (!x86::pte_present(oldpte)) continue;
    const x86::pte_t started = ptep_get_and_clear(env, mm, addr);
    const x86::pte_t ptent = x86::pte_modify(started, newprot, mm.knobs);
    set_pte_at(env, mm, addr, ptent);
    if (env.recording()) {
      env.annotate("pte[" + std::to_string(addr) + "]: " + x86::describe_pte(started) + " -> " +
                   x86::describe_pte(ptent));
    }
    ++pages;
  }
  spin_unlock(env, ptl);
  return pages;
}

// change_huge_pmd() (mm/huge_memory.c, v5.3), prot_numa == 0:
//   ptl = __pmd_trans_huge_lock(pmd, vma); if (!ptl) return 0;
//   entry = pmdp_invalidate(vma, addr, pmd);
//   entry = pmd_modify(entry, newprot);
//   set_pmd_at(mm, addr, pmd, entry);
//   spin_unlock(ptl); return HPAGE_PMD_NR;
uint64_t change_huge_pmd(Env& env, const MmState& mm, uint32_t slot, x86::pgprot_t newprot) {
  FunctionScope scope(env, "change_huge_pmd");
  const LockId ptl = pmd_lock(env, mm);
  const x86::pmd_t old = pmdp_get(env, mm, slot);
  if (!pmd_is_huge(old)) {
    spin_unlock(env, ptl);
    return 0;
  }
  set_pmd_at(env, mm, slot, x86::pmd_clear_flags(old, x86::PAGE_PRESENT | x86::PAGE_PROTNONE));
  const x86::pmd_t entry = x86::pmd_modify(old, newprot, mm.knobs);
  set_pmd_at(env, mm, slot, entry);
  if (env.recording()) {
    env.annotate("pmd[" + std::to_string(slot) + "]: " + x86::describe_pmd(old) + " -> " +
                 x86::describe_pmd(entry));
  }
  spin_unlock(env, ptl);
  return mm.pmd_pages;
}

}  // namespace

// change_protection() -> change_protection_range() -> change_pmd_range()
// (mm/mprotect.c, v5.3):
//   do { next = pmd_addr_end(addr, end);
//        if (!is_swap_pmd(*pmd) && !pmd_trans_huge(*pmd) && !pmd_devmap(*pmd)
//            && pmd_none_or_clear_bad_unless_trans_huge(pmd)) goto next;
//        if (is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd)) {
//          if (next - addr != HPAGE_PMD_SIZE) __split_huge_pmd(vma, pmd, addr, false, NULL);
//          else { nr_ptes = change_huge_pmd(vma, pmd, addr, newprot, prot_numa);
//                 if (nr_ptes) { pages += ...; goto next; } }
//          /* fall through, the trans huge pmd just split */ }
//        pages += change_pte_range(vma, pmd, addr, next, newprot, ...);
//   next: ; } while (pmd++, addr = next, addr != end);
// Locks held on entry: mmap_sem (write).
uint64_t change_protection(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t start,
                           uint64_t end, x86::pgprot_t newprot) {
  FunctionScope scope(env, "change_protection");
  uint64_t pages = 0;
  uint64_t addr = start;
  while (addr != end) {
    const uint32_t slot = mm.pmd_index(addr);
    const uint64_t next = std::min<uint64_t>(mm.pmd_end(slot), end);
    const x86::pmd_t pmd = pmdp_get(env, mm, slot);
    if (x86::pmd_none(pmd)) {
      addr = next;
      continue;
    }
    if (pmd_is_huge(pmd)) {
      if (next - addr != mm.pmd_pages) {
        __split_huge_pmd(env, mm, vma, slot, addr);
      } else if (const uint64_t nr = change_huge_pmd(env, mm, slot, newprot); nr != 0) {
        pages += nr;
        addr = next;
        continue;
      }
    }
    pages += change_pte_range(env, mm, slot, addr, next, newprot);
    addr = next;
  }
  return pages;
}

// mprotect_fixup(vma, pprev, start, end, newflags) (mm/mprotect.c, v5.3):
//   unsigned long oldflags = vma->vm_flags;
//   if (newflags == oldflags) { *pprev = vma; return 0; }
//   ... (accounting: the model's VMAs are VM_SHARED, nothing is charged)
//   pgoff = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT);
//   *pprev = vma_merge(mm, *pprev, start, end, newflags, vma->anon_vma,
//                      vma->vm_file, pgoff, vma_policy(vma), vma->vm_userfaultfd_ctx);
//   if (*pprev) { vma = *pprev; goto success; }
//   *pprev = vma;
//   if (start != vma->vm_start) { error = split_vma(mm, vma, start, 1); if (error) goto fail; }
//   if (end != vma->vm_end) { error = split_vma(mm, vma, end, 0); if (error) goto fail; }
// success:
//   /* vm_flags and vm_page_prot are protected by the mmap_sem held in write mode. */
//   vma->vm_flags = newflags;
//   dirty_accountable = vma_wants_writenotify(vma, vma->vm_page_prot);
//   vma_set_page_prot(vma);
//   change_protection(vma, start, end, vma->vm_page_prot, dirty_accountable, 0);
// The VMA keeps [start, end): split_vma(..., 1) puts a new VMA below it,
// split_vma(..., 0) one above. Locks held on entry: mmap_sem (write).
int mprotect_fixup(Env& env, const MmState& mm, VmaId id, std::optional<VmaId>* pprev,
                   uint64_t start, uint64_t end, vm_flags_t newflags) {
  FunctionScope scope(env, "mprotect_fixup");
  const VmAreaStruct& vma = mm.vma(id);
  const vm_flags_t oldflags = env.load(vma.vm_flags, Access::kPlain);
  if (newflags == oldflags) {
    *pprev = id;
    return 0;
  }
  const uint64_t vm_start = env.load(vma.vm_start, Access::kPlain);
  const uint64_t pgoff = env.load(vma.vm_pgoff, Access::kPlain) + (start - vm_start);
  (void)pgoff;  // vma_merge()'s argument; it returns before using it
  *pprev = vma_merge(env, mm, *pprev, start, end, newflags);
  *pprev = id;
  if (start != vm_start) {
    if (const int error = split_vma(env, mm, vma, start, /*new_below=*/true); error != 0) {
      return error;
    }
  }
  if (end != env.load(vma.vm_end, Access::kPlain)) {
    if (const int error = split_vma(env, mm, vma, end, /*new_below=*/false); error != 0) {
      return error;
    }
  }
  // Ghost: while the entries are rewritten, user space may see either the
  // old or the new permissions, so a permission being granted counts from
  // here (an upgrade makes entries writable before mprotect() returns).
  // (committed_vm_flags[page] == oldflags here: mmap_sem is held for write.)
  if ((oldflags | newflags) != oldflags) {
    for (uint64_t page = start; page < end; ++page) {
      env.store(mm.committed_vm_flags[page], oldflags | newflags, Access::kMarked);
    }
  }
  env.store(vma.vm_flags, newflags, Access::kPlain);
  vma_set_page_prot(env, mm, vma);
  const x86::pgprot_t newprot{env.load(vma.vm_page_prot, Access::kPlain)};
  change_protection(env, mm, vma, start, end, newprot);
  // Ghost: from here on user space may rely on the new permissions.
  for (uint64_t page = start; page < end; ++page) {
    env.store(mm.committed_vm_flags[page], newflags, Access::kMarked);
  }
  return 0;
}

// do_mprotect_pkey(start, len, prot, -1) (mm/mprotect.c, v5.3):
//   if (!len) return 0; ...
//   if (down_write_killable(&current->mm->mmap_sem)) return -EINTR;
//   vma = find_vma(current->mm, start);
//   error = -ENOMEM;
//   if (!vma) goto out;
//   prev = vma->vm_prev;
//   if (vma->vm_start > start) goto out;          (no PROT_GROWSDOWN/UP)
//   if (start > vma->vm_start) prev = vma;
//   for (nstart = start ; ; ) {
//     newflags = calc_vm_prot_bits(prot, new_vma_pkey) | (vma->vm_flags & ~mask_off_old_flags);
//     /* newflags >> 4 shift VM_MAY% in place of VM_% */
//     if ((newflags & ~(newflags >> 4)) & (VM_READ | VM_WRITE | VM_EXEC)) { error = -EACCES; goto
//     out; } tmp = vma->vm_end; if (tmp > end) tmp = end; error = mprotect_fixup(vma, &prev,
//     nstart, tmp, newflags); if (error) goto out; nstart = tmp; if (nstart < prev->vm_end) nstart
//     = prev->vm_end; if (nstart >= end) goto out; vma = prev->vm_next; if (!vma || vma->vm_start
//     != nstart) { error = -ENOMEM; goto out; } prot = reqprot;
//   }
// out: up_write(&current->mm->mmap_sem);
// mask_off_old_flags is VM_READ | VM_WRITE | VM_EXEC (no pkeys); no
// READ_IMPLIES_EXEC personality. A VMA's vm_start/vm_end are read by
// find_vma() or when the loop moves to prev->vm_next (VmaView); prev->vm_end
// is loaded after mprotect_fixup(), whose split changed it.
int do_mprotect_pkey(Env& env, const MmState& mm, uint64_t start, uint64_t end, uint32_t prot) {
  FunctionScope scope(env, "do_mprotect_pkey");
  if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) != 0) return -22;  // -EINVAL
  if (end == start) return 0;
  env.lock(mm.mmap_sem, LockMode::kExclusive);
  int error = -12;  // -ENOMEM
  std::optional<VmaView> vma = find_vma(env, mm, start);
  if (vma) {
    std::optional<VmaId> prev = vma_prev(env, mm, vma->vma());
    if (vma->vm_start <= start) {
      if (start > vma->vm_start) prev = vma->vma().id;
      for (uint64_t nstart = start;;) {
        const VmAreaStruct& cur = vma->vma();
        const vm_flags_t flags = env.load(cur.vm_flags, Access::kPlain);
        const vm_flags_t newflags = vm_flags_t{prot} | (flags & ~(VM_READ | VM_WRITE | VM_EXEC));
        if ((newflags & ~(newflags >> 4)) & (VM_READ | VM_WRITE | VM_EXEC)) {
          error = -13;  // -EACCES
          break;
        }
        const uint64_t tmp = std::min(vma->vm_end, end);
        error = mprotect_fixup(env, mm, cur.id, &prev, nstart, tmp, newflags);
        if (error != 0) break;
        nstart = tmp;
        const VmAreaStruct& p = mm.vma(*prev);
        nstart = std::max(nstart, env.load(p.vm_end, Access::kPlain));
        if (nstart >= end) break;
        const std::optional<VmaId> next = vma_next(env, mm, p);
        vma = next ? std::optional<VmaView>(read_vma(env, mm, *next)) : std::nullopt;
        if (!vma || vma->vm_start != nstart) {
          error = -12;  // -ENOMEM
          break;
        }
      }
    }
  }
  env.unlock(mm.mmap_sem, LockMode::kExclusive);
  return error;
}

}  // namespace protmc::model
