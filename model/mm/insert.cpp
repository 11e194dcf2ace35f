// Inserting PTEs and huge PMDs from a driver's fault handler.
//
// Kernel sources read: mm/memory.c insert_pfn(), vmf_insert_pfn_prot(),
// vmf_insert_pfn(), __vm_insert_mixed(), vmf_insert_mixed() of a v5.4-based
// tree (the index holds no v5.3/v5.6 tag; these bodies are unchanged from
// v5.3 apart from vmf_insert_mixed_prot(), which v5.6 added as
// __vm_insert_mixed(vma, addr, pfn, pgprot, false) per commit 574c5b3d0e4c);
// mm/huge_memory.c insert_pfn_pmd(): checked against the "-" side of a 2024
// linux-mm patch (Alistair Popple's dax_insert_pfn_pmd series), whose body
// (pmd_lock; if !pmd_none: the write upgrade of the same pfn, else leave it;
// pmd_mkhuge(pfn_t_pmd(pfn, prot)), devmap, young/dirty/mkwrite on write;
// set_pmd_at; spin_unlock) is the one v5.1 introduced and v5.3-v5.7 carry,
// and against a v4.x copy without the upgrade; vmf_insert_pfn_pmd_prot()
// against a v5.8-era copy (see below).
//
// The range checks "addr < vma->vm_start || addr >= vma->vm_end" use the
// faulting VMA's range as the fault entry read it (VmaView: a part of a split
// mapping has its own range, which cannot change under mmap_sem). vmf_insert_pfn_pmd_prot() checks
// only the huge page's first address against the VMA, as the kernel does (verified since against a
// v5.8-era mm/huge_memory.c: "unsigned long addr = vmf->address & PMD_MASK; ... if (addr <
// vma->vm_start || addr >= vma->vm_end) return VM_FAULT_SIGBUS;").
//
// Simplified: the BUG_ON checks on VM_PFNMAP/VM_MIXEDMAP use the VMA's
// constant kind (those bits never change after mmap); pfn_modify_allowed()
// (L1TF) always allows; the mkwrite variants are not modelled; an inserted
// PTE is always pte_mkspecial (CONFIG_ARCH_HAS_PTE_SPECIAL, no devmap pfns).
#include <cstdio>
#include <string>

#include "model/mm/page_table.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;

namespace {

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

VmAreaCopy copy_vma(Env& env, const VmAreaStruct& vma) {
  VmAreaCopy copy;
  copy.vm_flags = env.load(vma.vm_flags, Access::kPlain);
  copy.vm_page_prot = x86::pgprot_t{env.load(vma.vm_page_prot, Access::kPlain)};
  return copy;
}

namespace {

// "if (addr < vma->vm_start || addr >= vma->vm_end)": the range the caller
// read under mmap_sem (VmaView).
bool outside_vma(const VmaView& vma, uint64_t addr) {
  return addr < vma.vm_start || addr >= vma.vm_end;
}

}  // namespace

// track_pfn_insert() (arch/x86/mm/pat.c, v5.3). Locks on entry: the caller's.
x86::pgprot_t track_pfn_insert(Env& env, const MmState& mm, x86::pgprot_t prot, uint64_t pfn) {
  if (!mm.knobs.pat_track_pfn_insert) return prot;
  CHECK_MSG(mm.pfn_known(pfn), "track_pfn_insert of a pfn outside the model's memory");
  FunctionScope scope(env, "track_pfn_insert");
  const auto kind =
      static_cast<MemoryKind>(env.load(mm.pfn_kind[mm.pfn_index(pfn)], Access::kMarked));
  return x86::track_pfn_insert(prot, memtype_of(kind), mm.knobs);
}

// insert_pfn() (mm/memory.c, v5.3/v5.4, mkwrite == false):
//   pte = get_locked_pte(mm, addr, &ptl);
//   if (!pte_none(*pte)) goto out_unlock;      // left unchanged, still NOPAGE
//   entry = pte_mkspecial(pfn_t_pte(pfn, prot));
//   set_pte_at(mm, addr, pte, entry);
//   out_unlock: pte_unmap_unlock(pte, ptl); return VM_FAULT_NOPAGE;
// Locks held on entry: the fault path's; takes the PTE lock.
vm_fault_t insert_pfn(Env& env, const MmState& mm, uint64_t addr, uint64_t pfn,
                      x86::pgprot_t prot) {
  FunctionScope scope(env, "insert_pfn");
  const LockId ptl = get_locked_pte(env, mm, addr);
  const x86::pte_t old = ptep_get(env, mm, addr);
  if (x86::pte_none(old)) {
    const x86::pte_t entry = x86::pte_mkspecial(x86::pfn_pte(pfn, prot));
    set_pte_at(env, mm, addr, entry);
    if (env.recording()) {
      env.annotate("pte[" + std::to_string(addr) + "]: none -> " + x86::describe_pte(entry));
    }
  } else if (env.recording()) {
    env.annotate("pte[" + std::to_string(addr) +
                 "] already present, left unchanged: " + x86::describe_pte(old));
  }
  spin_unlock(env, ptl);
  return VM_FAULT_NOPAGE;
}

// vmf_insert_pfn_prot() (mm/memory.c, v5.3):
//   BUG_ON(!(vma->vm_flags & (VM_PFNMAP|VM_MIXEDMAP))); ...
//   if (addr < vma->vm_start || addr >= vma->vm_end) return VM_FAULT_SIGBUS;
//   track_pfn_insert(vma, &pgprot, __pfn_to_pfn_t(pfn, PFN_DEV));
//   return insert_pfn(vma, addr, __pfn_to_pfn_t(pfn, PFN_DEV), pgprot, false);
// Locks held on entry: the fault path's.
vm_fault_t vmf_insert_pfn_prot(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                               uint64_t pfn, x86::pgprot_t pgprot) {
  FunctionScope scope(env, "vmf_insert_pfn_prot");
  if (vma_is_anonymous(vma.vma())) {
    env.fail("kernel-bug",
             "BUG_ON(!(vma->vm_flags & (VM_PFNMAP|VM_MIXEDMAP))) in "
             "vmf_insert_pfn_prot()");
  }
  if (outside_vma(vma, addr)) return VM_FAULT_SIGBUS;
  pgprot = track_pfn_insert(env, mm, pgprot, pfn);
  return insert_pfn(env, mm, addr, pfn, pgprot);
}

// vmf_insert_pfn() (mm/memory.c, v5.3):
//   return vmf_insert_pfn_prot(vma, addr, pfn, vma->vm_page_prot);
// The read of vma->vm_page_prot is plain. Locks held on entry: the fault path's.
vm_fault_t vmf_insert_pfn(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                          uint64_t pfn) {
  FunctionScope scope(env, "vmf_insert_pfn");
  const x86::pgprot_t prot{env.load(vma.vma().vm_page_prot, Access::kPlain)};
  return vmf_insert_pfn_prot(env, mm, vma, addr, pfn, prot);
}

// vmf_insert_pfn(&cvma, ...): the same through a stack copy of the VMA (the
// copy's vm_start/vm_end are the VMA's, as read under the fault's mmap_sem).
vm_fault_t vmf_insert_pfn(Env& env, const MmState& mm, const VmaView& vma, const VmAreaCopy& cvma,
                          uint64_t addr, uint64_t pfn) {
  FunctionScope scope(env, "vmf_insert_pfn");
  return vmf_insert_pfn_prot(env, mm, vma, addr, pfn, cvma.vm_page_prot);
}

namespace {

// __vm_insert_mixed() (mm/memory.c, v5.3; v5.6 passes pgprot in):
//   BUG_ON(!vm_mixed_ok(vma, pfn));
//   if (addr < vma->vm_start || addr >= vma->vm_end) return VM_FAULT_SIGBUS;
//   track_pfn_insert(vma, &pgprot, pfn);
//   ... pte_special: return insert_pfn(vma, addr, pfn, pgprot, mkwrite);
vm_fault_t __vm_insert_mixed(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                             uint64_t pfn, x86::pgprot_t pgprot) {
  FunctionScope scope(env, "__vm_insert_mixed");
  if (vma.vma().kind != VmaKind::kMixedMap) {
    // vm_mixed_ok(): VM_MIXEDMAP, or a devmap/special pfn (TTM passes PFN_DEV,
    // which is pfn_t_special only with PFN_SPECIAL): the model requires
    // VM_MIXEDMAP.
    env.fail("kernel-bug", "BUG_ON(!vm_mixed_ok(vma, pfn)) in __vm_insert_mixed(): pfn " +
                               hex(pfn) + " inserted into a VMA without VM_MIXEDMAP");
  }
  if (outside_vma(vma, addr)) return VM_FAULT_SIGBUS;
  pgprot = track_pfn_insert(env, mm, pgprot, pfn);
  return insert_pfn(env, mm, addr, pfn, pgprot);
}

}  // namespace

// vmf_insert_mixed() (mm/memory.c, v5.3): __vm_insert_mixed(vma, addr, pfn,
// false), which starts with `pgprot_t pgprot = vma->vm_page_prot;` (plain).
// Locks held on entry: the fault path's.
vm_fault_t vmf_insert_mixed(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                            uint64_t pfn) {
  FunctionScope scope(env, "vmf_insert_mixed");
  const x86::pgprot_t prot{env.load(vma.vma().vm_page_prot, Access::kPlain)};
  return __vm_insert_mixed(env, mm, vma, addr, pfn, prot);
}

// vmf_insert_mixed(&cvma, ...) (TTM v5.3's fake VMA): reads the copy's prot.
vm_fault_t vmf_insert_mixed(Env& env, const MmState& mm, const VmaView& vma, const VmAreaCopy& cvma,
                            uint64_t addr, uint64_t pfn) {
  FunctionScope scope(env, "vmf_insert_mixed");
  return __vm_insert_mixed(env, mm, vma, addr, pfn, cvma.vm_page_prot);
}

// vmf_insert_mixed_prot() (mm/memory.c, v5.6, commit 574c5b3d0e4c):
//   return __vm_insert_mixed(vma, addr, pfn, pgprot, false);
// Locks held on entry: the fault path's.
vm_fault_t vmf_insert_mixed_prot(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                                 uint64_t pfn, x86::pgprot_t pgprot) {
  FunctionScope scope(env, "vmf_insert_mixed_prot");
  return __vm_insert_mixed(env, mm, vma, addr, pfn, pgprot);
}

namespace {

// insert_pfn_pmd() (mm/huge_memory.c, v5.3-v5.7; the write upgrade of a
// present entry as in the v5.x trees read, which later kernels keep):
//   ptl = pmd_lock(mm, pmd);
//   if (!pmd_none(*pmd)) {
//     if (write) {
//       if (pmd_pfn(*pmd) != pfn_t_to_pfn(pfn)) { WARN_ON_ONCE(!is_huge_zero_pmd(*pmd)); goto
//       out_unlock; } entry = pmd_mkyoung(*pmd); entry = maybe_pmd_mkwrite(pmd_mkdirty(entry),
//       vma); if (pmdp_set_access_flags(vma, addr, pmd, entry, 1)) update_mmu_cache_pmd(vma, addr,
//       pmd);
//     }
//     goto out_unlock;
//   }
//   entry = pmd_mkhuge(pfn_t_pmd(pfn, prot));
//   if (pfn_t_devmap(pfn)) entry = pmd_mkdevmap(entry);
//   if (write) { entry = pmd_mkyoung(pmd_mkdirty(entry)); entry = maybe_pmd_mkwrite(entry, vma); }
//   set_pmd_at(mm, addr, pmd, entry);
//   out_unlock: spin_unlock(ptl);
// No pgtable is deposited (arch_needs_pgtable_deposit() is false on x86).
void insert_pfn_pmd(Env& env, const MmState& mm, const VmaView& vma, uint32_t slot, uint64_t pfn,
                    bool devmap, x86::pgprot_t prot, bool write) {
  FunctionScope scope(env, "insert_pfn_pmd");
  const LockId ptl = pmd_lock(env, mm);
  const x86::pmd_t old = pmdp_get(env, mm, slot);
  if (x86::pmd_none(old)) {
    x86::pmd_t entry = x86::pmd_mkhuge(x86::pfn_pmd(pfn, prot));
    if (devmap) entry = x86::pmd_mkdevmap(entry);
    if (write) {
      entry = x86::pmd_mkyoung(x86::pmd_mkdirty(entry));
      // maybe_pmd_mkwrite(): plain read of vma->vm_flags.
      if (env.load(vma.vma().vm_flags, Access::kPlain) & VM_WRITE) entry = x86::pmd_mkwrite(entry);
    }
    set_pmd_at(env, mm, slot, entry);
    if (env.recording()) {
      env.annotate("pmd[" + std::to_string(slot) + "]: none -> " + x86::describe_pmd(entry));
    }
  } else if (write && pmd_is_huge(old)) {
    // The write upgrade of a present huge entry (a write fault that reached
    // ->huge_fault through wp_huge_pmd()): the same pfn becomes young, dirty
    // and, with VM_WRITE, writable; its other bits (caching, C-bit) stay.
    if (x86::pmd_pfn(old) == pfn) {
      x86::pmd_t entry = x86::pmd_mkdirty(x86::pmd_mkyoung(old));
      if (env.load(vma.vma().vm_flags, Access::kPlain) & VM_WRITE) entry = x86::pmd_mkwrite(entry);
      if (entry != old) {  // pmdp_set_access_flags() writes only a change
        set_pmd_at(env, mm, slot, entry);
        if (env.recording()) {
          env.annotate("pmd[" + std::to_string(slot) + "]: " + x86::describe_pmd(old) + " -> " +
                       x86::describe_pmd(entry));
        }
      }
    }
    // Another pfn: WARN_ON_ONCE(!is_huge_zero_pmd(*pmd)) and leave it.
  }
  // A PTE table, or a read fault on a present huge entry: left alone.
  spin_unlock(env, ptl);
}

}  // namespace

// vmf_insert_pfn_pmd_prot() (mm/huge_memory.c, v5.7; v5.3's
// vmf_insert_pfn_pmd() is the same with pgprot = vma->vm_page_prot):
//   BUG_ON(!(vma->vm_flags & VM_PFNMAP) && !pfn_t_devmap(pfn)); ...
//   if (addr < vma->vm_start || addr >= vma->vm_end) return VM_FAULT_SIGBUS;
//   track_pfn_insert(vma, &pgprot, pfn);
//   insert_pfn_pmd(vma, addr, vmf->pmd, pfn, pgprot, write, pgtable);
//   return VM_FAULT_NOPAGE;
// Locks held on entry: the fault path's.
vm_fault_t vmf_insert_pfn_pmd_prot(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                                   uint64_t pfn, bool devmap, x86::pgprot_t pgprot, bool write) {
  FunctionScope scope(env, "vmf_insert_pfn_pmd_prot");
  if (vma.vma().kind != VmaKind::kPfnMap && !devmap) {
    env.fail("kernel-bug",
             "BUG_ON(!(vma->vm_flags & VM_PFNMAP) && !pfn_t_devmap(pfn)) in "
             "vmf_insert_pfn_pmd_prot(): pfn " +
                 hex(pfn));
  }
  const uint32_t slot = mm.pmd_index(addr);
  const uint64_t haddr = mm.pmd_start(slot);
  // "unsigned long addr = vmf->address & PMD_MASK;": only the huge page's
  // first address is checked against the VMA. Nothing on the way here checks
  // that its end lies inside the VMA either (v5.7 has no
  // transhuge_vma_suitable() on the ->huge_fault path, and TTM checks the
  // end of the BO only), so after a split the huge entry may map the pages of
  // the next VMA too, with this VMA's prot.
  if (outside_vma(vma, haddr)) return VM_FAULT_SIGBUS;
  pgprot = track_pfn_insert(env, mm, pgprot, pfn);
  insert_pfn_pmd(env, mm, vma, slot, pfn, devmap, pgprot, write);
  return VM_FAULT_NOPAGE;
}

// vmf_insert_pfn_pmd() (mm/huge_memory.c, v5.3): pgprot = vma->vm_page_prot
// (plain read), then as above. Locks held on entry: the fault path's.
vm_fault_t vmf_insert_pfn_pmd(Env& env, const MmState& mm, const VmaView& vma, uint64_t addr,
                              uint64_t pfn, bool devmap, bool write) {
  FunctionScope scope(env, "vmf_insert_pfn_pmd");
  const x86::pgprot_t prot{env.load(vma.vma().vm_page_prot, Access::kPlain)};
  return vmf_insert_pfn_pmd_prot(env, mm, vma, addr, pfn, devmap, prot, write);
}

}  // namespace protmc::model
