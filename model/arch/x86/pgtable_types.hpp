// x86 page-table entry bits and the helpers that combine them: the parts of
// arch/x86/include/asm/pgtable_types.h, arch/x86/include/asm/pgtable.h,
// arch/x86/mm/pat.c (pat/memtype.c from v5.6) and mm/mmap.c that the model
// needs. Everything here is pure value computation: no shared state, no engine
// calls.
//
// Kernel sources read for this file (torvalds/linux history as stored by the
// search index; the exact tags were not all available, see docs/model.md):
//   - pgtable_types.h of a v5.2-based tree (WindRiver linux-yocto-5.2, which
//     already carries the 5.4-5.6 stable C-bit fix) for the bit layout,
//     _PAGE_ENC = sme_me_mask and the PAGE_* protections / __P / __S tables;
//   - the v5.3 _PAGE_CHG_MASK and pgprot_modify() as the context lines of
//     "x86: Don't let pgprot_modify() change the page encryption bit" (v3,
//     March 2020, applied for v5.7) and of its September 2019 v1 against v5.3;
//   - pgtable.h of a v5.18+ tree for pfn_pte()/pte_modify()/pmd_modify() (the
//     bodies are the same as in v5.3) and pgprot_encrypted/decrypted as
//     __sme_set/__sme_clr in the v5.x form;
//   - track_pfn_insert() and pgprot_writecombine() (arch/x86/mm/pat.c);
//   - vm_get_page_prot() of mm/mmap.c (v4.x-v5.x form with arch_filter_pgprot)
//     and sme_early_init() (arch/x86/mm/mem_encrypt.c), which encrypts every
//     protection_map entry when SME/SEV is active.
//
// Naming: the kernel's _PAGE_X masks are PAGE_X here and _PAGE_BIT_X bit
// numbers are PAGE_BIT_X (C++ reserves names that start with an underscore and
// a capital letter); functions keep their kernel names. PAGE_SHIFT is
// kPageShift because libc headers may define PAGE_SHIFT as a macro.
//
// Simplifications (also in docs/model.md):
//   - The C-bit is bit 47 (sme_me_mask on a typical EPYC). Masks that contain
//     _PAGE_ENC in the kernel use that fixed bit; with SME/SEV off nothing ever
//     sets it, which is exactly the kernel's behaviour with sme_me_mask == 0.
//   - PTE_PFN_MASK is physical bits 12..51 without the C-bit (the kernel removes
//     sme_me_mask from physical_mask), so pfns are below 2^35.
//   - Huge PMDs keep the 4K PFN field: the model's huge pages are a small,
//     configurable number of small pages, not 2 MiB. _PAGE_PAT_LARGE (bit 12)
//     therefore overlaps the PFN and is never used; the model never sets
//     _PAGE_PAT either, so only WB/WC/UC-/UC exist (no WT/WP).
//   - check_pgprot()/__supported_pte_mask (all bits supported, NX present, no
//     protection keys) and the L1TF PROT_NONE PFN inversion (protnone_mask,
//     flip_protnone_guard) are not modelled: pte_pfn() of an entry is always
//     its stored PFN.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "checker/support/check.hpp"
#include "model/kernel/knobs.hpp"
#include "model/mm/vm_flags.hpp"

namespace protmc::model::x86 {

using pteval_t = uint64_t;
using pmdval_t = uint64_t;
using pgprotval_t = uint64_t;

inline constexpr int kPageShift = 12;  // PAGE_SHIFT

// _PAGE_BIT_* (arch/x86/include/asm/pgtable_types.h, v5.3).
inline constexpr int PAGE_BIT_PRESENT = 0;     // is present
inline constexpr int PAGE_BIT_RW = 1;          // writeable
inline constexpr int PAGE_BIT_USER = 2;        // userspace addressable
inline constexpr int PAGE_BIT_PWT = 3;         // page write through
inline constexpr int PAGE_BIT_PCD = 4;         // page cache disabled
inline constexpr int PAGE_BIT_ACCESSED = 5;    // was accessed (raised by CPU)
inline constexpr int PAGE_BIT_DIRTY = 6;       // was written to (raised by CPU)
inline constexpr int PAGE_BIT_PSE = 7;         // 2 MB page (on a PMD)
inline constexpr int PAGE_BIT_PAT = 7;         // on 4KB pages
inline constexpr int PAGE_BIT_GLOBAL = 8;      // Global TLB entry
inline constexpr int PAGE_BIT_SOFTW1 = 9;      // available for programmer
inline constexpr int PAGE_BIT_SOFTW2 = 10;     // "
inline constexpr int PAGE_BIT_SOFTW3 = 11;     // "
inline constexpr int PAGE_BIT_PAT_LARGE = 12;  // on 2MB or 1GB pages (unused, see above)
inline constexpr int PAGE_BIT_SOFTW4 = 58;     // available for programmer
inline constexpr int PAGE_BIT_NX = 63;         // No execute
inline constexpr int PAGE_BIT_SPECIAL = PAGE_BIT_SOFTW1;
inline constexpr int PAGE_BIT_SOFT_DIRTY = PAGE_BIT_SOFTW3;  // software dirty tracking
inline constexpr int PAGE_BIT_DEVMAP = PAGE_BIT_SOFTW4;
inline constexpr int PAGE_BIT_PROTNONE = PAGE_BIT_GLOBAL;  // if _PAGE_BIT_PRESENT is clear
// The model's position of the AMD memory-encryption C-bit (sme_me_mask).
inline constexpr int PAGE_BIT_ENC = 47;

// _PAGE_* masks.
inline constexpr pteval_t PAGE_PRESENT = pteval_t{1} << PAGE_BIT_PRESENT;
inline constexpr pteval_t PAGE_RW = pteval_t{1} << PAGE_BIT_RW;
inline constexpr pteval_t PAGE_USER = pteval_t{1} << PAGE_BIT_USER;
inline constexpr pteval_t PAGE_PWT = pteval_t{1} << PAGE_BIT_PWT;
inline constexpr pteval_t PAGE_PCD = pteval_t{1} << PAGE_BIT_PCD;
inline constexpr pteval_t PAGE_ACCESSED = pteval_t{1} << PAGE_BIT_ACCESSED;
inline constexpr pteval_t PAGE_DIRTY = pteval_t{1} << PAGE_BIT_DIRTY;
inline constexpr pteval_t PAGE_PSE = pteval_t{1} << PAGE_BIT_PSE;
inline constexpr pteval_t PAGE_PAT = pteval_t{1} << PAGE_BIT_PAT;
inline constexpr pteval_t PAGE_GLOBAL = pteval_t{1} << PAGE_BIT_GLOBAL;
inline constexpr pteval_t PAGE_PAT_LARGE = pteval_t{1} << PAGE_BIT_PAT_LARGE;
inline constexpr pteval_t PAGE_SPECIAL = pteval_t{1} << PAGE_BIT_SPECIAL;
inline constexpr pteval_t PAGE_SOFT_DIRTY = pteval_t{1} << PAGE_BIT_SOFT_DIRTY;
inline constexpr pteval_t PAGE_DEVMAP = pteval_t{1} << PAGE_BIT_DEVMAP;
inline constexpr pteval_t PAGE_NX = pteval_t{1} << PAGE_BIT_NX;
inline constexpr pteval_t PAGE_PROTNONE = pteval_t{1} << PAGE_BIT_PROTNONE;
// _PAGE_ENC where the kernel uses it as a mask (_PAGE_CHG_MASK, __sme_clr).
inline constexpr pteval_t PAGE_ENC = pteval_t{1} << PAGE_BIT_ENC;

// sme_me_mask: the C-bit when SME/SEV is active, else 0. Used where the kernel
// adds the C-bit (pgprot_encrypted, the encrypted protection_map).
constexpr pteval_t sme_me_mask(bool sme_active) { return sme_active ? PAGE_ENC : 0; }

// PTE_PFN_MASK (PHYSICAL_PAGE_MASK: bits 12..51 minus sme_me_mask).
inline constexpr pteval_t PTE_PFN_MASK =
    ((pteval_t{1} << 52) - 1) & ~((pteval_t{1} << kPageShift) - 1) & ~PAGE_ENC;
inline constexpr pteval_t PTE_FLAGS_MASK = ~PTE_PFN_MASK;
// The largest pfn the model's PFN field holds (below the C-bit).
inline constexpr uint64_t kMaxPfn = (uint64_t{1} << (PAGE_BIT_ENC - kPageShift)) - 1;

// _PAGE_CACHE_MASK.
inline constexpr pteval_t PAGE_CACHE_MASK = PAGE_PAT | PAGE_PCD | PAGE_PWT;

// _PAGE_CHG_MASK: the bits pte_modify() keeps from the old entry and
// pgprot_modify() keeps from the old prot. v5.3 (pgtable_types.h):
//   PTE_PFN_MASK | _PAGE_PCD | _PAGE_PWT | _PAGE_SPECIAL | _PAGE_ACCESSED |
//   _PAGE_DIRTY | _PAGE_SOFT_DIRTY | _PAGE_DEVMAP
// v5.7 (and 5.4-5.6 stable) adds _PAGE_ENC.
constexpr pteval_t page_chg_mask(const KernelKnobs& knobs) {
  return PTE_PFN_MASK | PAGE_PCD | PAGE_PWT | PAGE_SPECIAL | PAGE_ACCESSED | PAGE_DIRTY |
         PAGE_SOFT_DIRTY | PAGE_DEVMAP | (knobs.pte_modify_keeps_cbit ? PAGE_ENC : 0);
}
// _HPAGE_CHG_MASK = _PAGE_CHG_MASK | _PAGE_PSE.
constexpr pteval_t hpage_chg_mask(const KernelKnobs& knobs) {
  return page_chg_mask(knobs) | PAGE_PSE;
}

// pgprot_t, pte_t, pmd_t: distinct types over the 64-bit value, as in the
// kernel (typedef struct pgprot { pgprotval_t pgprot; } pgprot_t; ...).
struct pgprot_t {
  pgprotval_t pgprot = 0;
  friend constexpr bool operator==(pgprot_t, pgprot_t) = default;
};
struct pte_t {
  pteval_t pte = 0;
  friend constexpr bool operator==(pte_t, pte_t) = default;
};
struct pmd_t {
  pmdval_t pmd = 0;
  friend constexpr bool operator==(pmd_t, pmd_t) = default;
};

constexpr pgprotval_t pgprot_val(pgprot_t prot) { return prot.pgprot; }
constexpr pteval_t pte_val(pte_t pte) { return pte.pte; }
constexpr pmdval_t pmd_val(pmd_t pmd) { return pmd.pmd; }

// ---------------------------------------------------------------------------
// Caching modes (enum page_cache_mode, pgtable_types.h), restricted to the four
// the model uses. With Linux's PAT MSR setup (pat_init: entries 0..3 are WB,
// WC, UC-, UC) they are encoded by PWT/PCD alone:
//   WB = neither, WC = PWT, UC- = PCD, UC = PCD|PWT.
enum class PageCacheMode : uint8_t {
  kWb = 0,       // _PAGE_CACHE_MODE_WB
  kWc = 1,       // _PAGE_CACHE_MODE_WC
  kUcMinus = 2,  // _PAGE_CACHE_MODE_UC_MINUS
  kUc = 3,       // _PAGE_CACHE_MODE_UC
};

std::string_view to_string(PageCacheMode mode);  // "WB", "WC", "UC-", "UC"
inline constexpr std::array<PageCacheMode, 4> kAllPageCacheModes = {
    PageCacheMode::kWb, PageCacheMode::kWc, PageCacheMode::kUcMinus, PageCacheMode::kUc};

// cachemode2protval() (pgtable_types.h, v5.3) with the default PAT table.
constexpr pteval_t cachemode2protval(PageCacheMode mode) {
  switch (mode) {
    case PageCacheMode::kWb:
      return 0;
    case PageCacheMode::kWc:
      return PAGE_PWT;
    case PageCacheMode::kUcMinus:
      return PAGE_PCD;
    case PageCacheMode::kUc:
      return PAGE_PCD | PAGE_PWT;
  }
  return 0;
}
constexpr pgprot_t cachemode2pgprot(PageCacheMode mode) {
  return pgprot_t{cachemode2protval(mode)};
}

// pgprot2cachemode() (pgtable_types.h, v5.3), reading PWT/PCD only: the model
// never sets _PAGE_PAT.
constexpr PageCacheMode cachemode_of(pgprot_t prot) {
  switch (pgprot_val(prot) & (PAGE_PCD | PAGE_PWT)) {
    case 0:
      return PageCacheMode::kWb;
    case PAGE_PWT:
      return PageCacheMode::kWc;
    case PAGE_PCD:
      return PageCacheMode::kUcMinus;
    default:
      return PageCacheMode::kUc;
  }
}

// Whether a prot (or an entry's flags) carries the C-bit.
constexpr bool is_encrypted(pgprot_t prot) { return (pgprot_val(prot) & PAGE_ENC) != 0; }

// ---------------------------------------------------------------------------
// Protections (pgtable_types.h, v5.3). Without the C-bit: with SME/SEV active
// the kernel adds it to every protection_map entry at boot (sme_early_init).
inline constexpr pgprot_t PAGE_NONE{PAGE_PROTNONE | PAGE_ACCESSED};
inline constexpr pgprot_t PAGE_SHARED{PAGE_PRESENT | PAGE_RW | PAGE_USER | PAGE_ACCESSED | PAGE_NX};
inline constexpr pgprot_t PAGE_SHARED_EXEC{PAGE_PRESENT | PAGE_RW | PAGE_USER | PAGE_ACCESSED};
inline constexpr pgprot_t PAGE_COPY_NOEXEC{PAGE_PRESENT | PAGE_USER | PAGE_ACCESSED | PAGE_NX};
inline constexpr pgprot_t PAGE_COPY_EXEC{PAGE_PRESENT | PAGE_USER | PAGE_ACCESSED};
inline constexpr pgprot_t PAGE_COPY = PAGE_COPY_NOEXEC;
inline constexpr pgprot_t PAGE_READONLY{PAGE_PRESENT | PAGE_USER | PAGE_ACCESSED | PAGE_NX};
inline constexpr pgprot_t PAGE_READONLY_EXEC{PAGE_PRESENT | PAGE_USER | PAGE_ACCESSED};

// protection_map[16] (mm/mmap.c) = { __P000 .. __P111, __S000 .. __S111 },
// indexed by vm_flags & (VM_READ|VM_WRITE|VM_EXEC|VM_SHARED). Private writable
// entries are PAGE_COPY*: not RW, so the first write faults and copies.
extern const std::array<pgprot_t, 16> protection_map;

// vm_get_page_prot() (mm/mmap.c, v5.3):
//   protection_map[vm_flags & (VM_READ|VM_WRITE|VM_EXEC|VM_SHARED)]
//     | arch_vm_get_page_prot(vm_flags), filtered by arch_filter_pgprot().
// arch_vm_get_page_prot() only contributes protection keys (unused) and
// arch_filter_pgprot() is canon_pgprot() (all bits supported here). With
// SME/SEV active every protection_map entry carries the C-bit.
pgprot_t vm_get_page_prot(vm_flags_t vm_flags, bool sme_active);

// ---------------------------------------------------------------------------
// Prot modifiers.

// pgprot_writecombine() (arch/x86/mm/pat.c, v5.3): ORs in the WC encoding; it
// does not clear caching bits already present (kernel behaviour).
constexpr pgprot_t pgprot_writecombine(pgprot_t prot) {
  return pgprot_t{pgprot_val(prot) | cachemode2protval(PageCacheMode::kWc)};
}

// pgprot_noncached() (arch/x86/include/asm/pgtable.h, v5.3): ORs in UC-
// (boot_cpu_data.x86 > 3 always holds).
constexpr pgprot_t pgprot_noncached(pgprot_t prot) {
  return pgprot_t{pgprot_val(prot) | cachemode2protval(PageCacheMode::kUcMinus)};
}

// pgprot_encrypted() (pgtable.h, v5.3): __sme_set(), i.e. | sme_me_mask.
constexpr pgprot_t pgprot_encrypted(pgprot_t prot, bool sme_active) {
  return pgprot_t{pgprot_val(prot) | sme_me_mask(sme_active)};
}

// pgprot_decrypted() (pgtable.h, v5.3): __sme_clr(), i.e. & ~sme_me_mask.
constexpr pgprot_t pgprot_decrypted(pgprot_t prot) {
  return pgprot_t{pgprot_val(prot) & ~PAGE_ENC};
}

// track_pfn_insert() (arch/x86/mm/pat.c, v5.3; pat/memtype.c from v5.6),
// called by vmf_insert_pfn_prot(), __vm_insert_mixed() and
// vmf_insert_pfn_pmd(_prot)() before the entry is built:
//   if (!pat_enabled()) return;
//   pcm = lookup_memtype(pfn_t_to_phys(pfn));
//   *prot = __pgprot((pgprot_val(*prot) & ~_PAGE_CACHE_MASK) | cachemode2protval(pcm));
// `memtype` is lookup_memtype() of the pfn, supplied by the caller from the
// physical-memory table; the knob pat_track_pfn_insert stands for
// pat_enabled(). The C-bit and every other bit are left alone.
constexpr pgprot_t track_pfn_insert(pgprot_t prot, PageCacheMode memtype,
                                    const KernelKnobs& knobs) {
  if (!knobs.pat_track_pfn_insert) return prot;
  return pgprot_t{(pgprot_val(prot) & ~PAGE_CACHE_MASK) | cachemode2protval(memtype)};
}

// pgprot_modify() (arch/x86/include/asm/pgtable.h), used by vma_set_page_prot()
// as pgprot_modify(vma->vm_page_prot, vm_get_page_prot(vm_flags)):
//   v5.3: preservebits = old & _PAGE_CHG_MASK; addbits = new;
//         -> the C-bit comes from `newprot` (re-added under SME/SEV), and
//            caching bits of `newprot` are ORed in too.
//   v5.7: preservebits = old & _PAGE_CHG_MASK (now with _PAGE_ENC);
//         addbits = new & ~_PAGE_CHG_MASK -> the C-bit and caching bits of
//         `oldprot` are kept.
constexpr pgprot_t pgprot_modify(pgprot_t oldprot, pgprot_t newprot, const KernelKnobs& knobs) {
  const pteval_t chg = page_chg_mask(knobs);
  const pgprotval_t preservebits = pgprot_val(oldprot) & chg;
  const pgprotval_t addbits =
      knobs.pte_modify_keeps_cbit ? pgprot_val(newprot) & ~chg : pgprot_val(newprot);
  return pgprot_t{preservebits | addbits};
}

// ---------------------------------------------------------------------------
// PTEs (arch/x86/include/asm/pgtable.h, v5.3).

constexpr pteval_t pte_flags(pte_t pte) { return pte_val(pte) & PTE_FLAGS_MASK; }
constexpr pgprot_t pte_pgprot(pte_t pte) { return pgprot_t{pte_flags(pte)}; }

// pte_pfn(): (pte_val & PTE_PFN_MASK) >> PAGE_SHIFT (no PROT_NONE inversion).
constexpr uint64_t pte_pfn(pte_t pte) { return (pte_val(pte) & PTE_PFN_MASK) >> kPageShift; }

// pfn_pte(): ((phys_addr_t)pfn << PAGE_SHIFT) & PTE_PFN_MASK | pgprot_val(prot).
inline pte_t pfn_pte(uint64_t pfn, pgprot_t prot) {
  CHECK_MSG(pfn <= kMaxPfn, "pfn does not fit the model's PFN field");
  return pte_t{((pfn << kPageShift) & PTE_PFN_MASK) | pgprot_val(prot)};
}

// pte_none(): no bits other than the KNL-erratum accessed/dirty bits.
constexpr bool pte_none(pte_t pte) { return (pte_val(pte) & ~(PAGE_DIRTY | PAGE_ACCESSED)) == 0; }
// pte_present(): present, or PROT_NONE (present to the hardware but inaccessible).
constexpr bool pte_present(pte_t pte) {
  return (pte_flags(pte) & (PAGE_PRESENT | PAGE_PROTNONE)) != 0;
}
constexpr bool pte_write(pte_t pte) { return (pte_flags(pte) & PAGE_RW) != 0; }
constexpr bool pte_dirty(pte_t pte) { return (pte_flags(pte) & PAGE_DIRTY) != 0; }
constexpr bool pte_young(pte_t pte) { return (pte_flags(pte) & PAGE_ACCESSED) != 0; }
constexpr bool pte_special(pte_t pte) { return (pte_flags(pte) & PAGE_SPECIAL) != 0; }
constexpr bool pte_devmap(pte_t pte) { return (pte_val(pte) & PAGE_DEVMAP) != 0; }
constexpr bool pte_soft_dirty(pte_t pte) { return (pte_flags(pte) & PAGE_SOFT_DIRTY) != 0; }
constexpr bool pte_exec(pte_t pte) { return (pte_flags(pte) & PAGE_NX) == 0; }

constexpr pte_t pte_set_flags(pte_t pte, pteval_t set) { return pte_t{pte_val(pte) | set}; }
constexpr pte_t pte_clear_flags(pte_t pte, pteval_t clear) { return pte_t{pte_val(pte) & ~clear}; }
constexpr pte_t pte_mkwrite(pte_t pte) { return pte_set_flags(pte, PAGE_RW); }
constexpr pte_t pte_wrprotect(pte_t pte) { return pte_clear_flags(pte, PAGE_RW); }
constexpr pte_t pte_mkyoung(pte_t pte) { return pte_set_flags(pte, PAGE_ACCESSED); }
constexpr pte_t pte_mkold(pte_t pte) { return pte_clear_flags(pte, PAGE_ACCESSED); }
constexpr pte_t pte_mkdirty(pte_t pte) { return pte_set_flags(pte, PAGE_DIRTY | PAGE_SOFT_DIRTY); }
constexpr pte_t pte_mkclean(pte_t pte) { return pte_clear_flags(pte, PAGE_DIRTY); }
constexpr pte_t pte_mkspecial(pte_t pte) { return pte_set_flags(pte, PAGE_SPECIAL); }
constexpr pte_t pte_mkdevmap(pte_t pte) { return pte_set_flags(pte, PAGE_SPECIAL | PAGE_DEVMAP); }
constexpr pte_t pte_mksoft_dirty(pte_t pte) { return pte_set_flags(pte, PAGE_SOFT_DIRTY); }

// pte_modify() (arch/x86/include/asm/pgtable.h, v5.3 and v5.7 bodies are the
// same; the mask differs):
//   val &= _PAGE_CHG_MASK; val |= check_pgprot(newprot) & ~_PAGE_CHG_MASK;
// Caching bits (PWT/PCD), the PFN, special/devmap and accessed/dirty/soft-dirty
// survive; permissions (RW, USER, NX, PRESENT/PROTNONE) and, unless
// pte_modify_keeps_cbit, the C-bit come from `newprot`.
constexpr pte_t pte_modify(pte_t pte, pgprot_t newprot, const KernelKnobs& knobs) {
  const pteval_t chg = page_chg_mask(knobs);
  pteval_t val = pte_val(pte);
  val &= chg;
  val |= pgprot_val(newprot) & ~chg;
  return pte_t{val};
}

// ---------------------------------------------------------------------------
// PMDs (arch/x86/include/asm/pgtable.h and pgtable_types.h, v5.3). The model's
// huge PMDs use the 4K PFN field (see the file comment).

constexpr pmdval_t pmd_flags(pmd_t pmd) { return pmd_val(pmd) & PTE_FLAGS_MASK; }
constexpr pgprot_t pmd_pgprot(pmd_t pmd) { return pgprot_t{pmd_flags(pmd)}; }
constexpr uint64_t pmd_pfn(pmd_t pmd) { return (pmd_val(pmd) & PTE_PFN_MASK) >> kPageShift; }

// pfn_pmd(): the PFN and the prot, without _PAGE_PSE (pmd_mkhuge() adds it).
inline pmd_t pfn_pmd(uint64_t pfn, pgprot_t prot) {
  CHECK_MSG(pfn <= kMaxPfn, "pfn does not fit the model's PFN field");
  return pmd_t{((pfn << kPageShift) & PTE_PFN_MASK) | pgprot_val(prot)};
}

constexpr bool pmd_none(pmd_t pmd) { return (pmd_val(pmd) & ~(PAGE_DIRTY | PAGE_ACCESSED)) == 0; }
// pmd_present(): present, PROT_NONE, or huge (a splitting PMD is not present
// to the hardware but is to software).
constexpr bool pmd_present(pmd_t pmd) {
  return (pmd_flags(pmd) & (PAGE_PRESENT | PAGE_PROTNONE | PAGE_PSE)) != 0;
}
constexpr bool pmd_large(pmd_t pmd) { return (pmd_flags(pmd) & PAGE_PSE) != 0; }
// pmd_trans_huge(): huge and not devmap.
constexpr bool pmd_trans_huge(pmd_t pmd) {
  return (pmd_val(pmd) & (PAGE_PSE | PAGE_DEVMAP)) == PAGE_PSE;
}
constexpr bool pmd_devmap(pmd_t pmd) { return (pmd_val(pmd) & PAGE_DEVMAP) != 0; }
constexpr bool pmd_write(pmd_t pmd) { return (pmd_flags(pmd) & PAGE_RW) != 0; }
constexpr bool pmd_dirty(pmd_t pmd) { return (pmd_flags(pmd) & PAGE_DIRTY) != 0; }
constexpr bool pmd_young(pmd_t pmd) { return (pmd_flags(pmd) & PAGE_ACCESSED) != 0; }
constexpr bool pmd_soft_dirty(pmd_t pmd) { return (pmd_flags(pmd) & PAGE_SOFT_DIRTY) != 0; }

constexpr pmd_t pmd_set_flags(pmd_t pmd, pmdval_t set) { return pmd_t{pmd_val(pmd) | set}; }
constexpr pmd_t pmd_clear_flags(pmd_t pmd, pmdval_t clear) { return pmd_t{pmd_val(pmd) & ~clear}; }
constexpr pmd_t pmd_mkhuge(pmd_t pmd) { return pmd_set_flags(pmd, PAGE_PSE); }
constexpr pmd_t pmd_mkdevmap(pmd_t pmd) { return pmd_set_flags(pmd, PAGE_DEVMAP); }
constexpr pmd_t pmd_mkwrite(pmd_t pmd) { return pmd_set_flags(pmd, PAGE_RW); }
constexpr pmd_t pmd_wrprotect(pmd_t pmd) { return pmd_clear_flags(pmd, PAGE_RW); }
constexpr pmd_t pmd_mkyoung(pmd_t pmd) { return pmd_set_flags(pmd, PAGE_ACCESSED); }
constexpr pmd_t pmd_mkold(pmd_t pmd) { return pmd_clear_flags(pmd, PAGE_ACCESSED); }
constexpr pmd_t pmd_mkdirty(pmd_t pmd) { return pmd_set_flags(pmd, PAGE_DIRTY | PAGE_SOFT_DIRTY); }
constexpr pmd_t pmd_mkclean(pmd_t pmd) { return pmd_clear_flags(pmd, PAGE_DIRTY); }
constexpr pmd_t pmd_mksoft_dirty(pmd_t pmd) { return pmd_set_flags(pmd, PAGE_SOFT_DIRTY); }

// pmd_modify() (arch/x86/include/asm/pgtable.h, v5.3): pte_modify() with
// _HPAGE_CHG_MASK, so _PAGE_PSE is kept as well.
constexpr pmd_t pmd_modify(pmd_t pmd, pgprot_t newprot, const KernelKnobs& knobs) {
  const pmdval_t chg = hpage_chg_mask(knobs);
  pmdval_t val = pmd_val(pmd);
  val &= chg;
  val |= pgprot_val(newprot) & ~chg;
  return pmd_t{val};
}

// ---------------------------------------------------------------------------
// Rendering for messages and traces.

// The set flags of a prot, e.g. "PRESENT|RW|USER|ACCESSED|PWT|NX|ENC"; "0" for
// none. Bit 7 is shown as PSE/PAT.
std::string pgprot_flags_string(pgprot_t prot);
// e.g. "pte 0x8000800000001a67 (pfn 0x1, PRESENT|RW|..., WC, encrypted)".
std::string describe_pte(pte_t pte);
std::string describe_pmd(pmd_t pmd);

}  // namespace protmc::model::x86
