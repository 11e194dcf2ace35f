#include "model/arch/x86/pgtable_types.hpp"

#include <cstdio>

namespace protmc::model::x86 {

std::string_view to_string(PageCacheMode mode) {
  switch (mode) {
    case PageCacheMode::kWb:
      return "WB";
    case PageCacheMode::kWc:
      return "WC";
    case PageCacheMode::kUcMinus:
      return "UC-";
    case PageCacheMode::kUc:
      return "UC";
  }
  return "?";
}

// mm/mmap.c (v5.3): protection_map[16] = { __P000, ..., __S111 } with the x86
// __Pxwr/__Sxwr of pgtable_types.h.
const std::array<pgprot_t, 16> protection_map = {
    PAGE_NONE,           // __P000
    PAGE_READONLY,       // __P001
    PAGE_COPY,           // __P010
    PAGE_COPY,           // __P011
    PAGE_READONLY_EXEC,  // __P100
    PAGE_READONLY_EXEC,  // __P101
    PAGE_COPY_EXEC,      // __P110
    PAGE_COPY_EXEC,      // __P111
    PAGE_NONE,           // __S000
    PAGE_READONLY,       // __S001
    PAGE_SHARED,         // __S010
    PAGE_SHARED,         // __S011
    PAGE_READONLY_EXEC,  // __S100
    PAGE_READONLY_EXEC,  // __S101
    PAGE_SHARED_EXEC,    // __S110
    PAGE_SHARED_EXEC,    // __S111
};

// mm/mmap.c vm_get_page_prot() (v5.3); the C-bit is the one sme_early_init()
// (arch/x86/mm/mem_encrypt.c) adds to every protection_map entry.
pgprot_t vm_get_page_prot(vm_flags_t vm_flags, bool sme_active) {
  const pgprot_t base = protection_map[vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED)];
  return pgprot_encrypted(base, sme_active);
}

std::string pgprot_flags_string(pgprot_t prot) {
  struct Flag {
    pteval_t mask;
    const char* name;
  };
  static constexpr Flag kFlags[] = {
      {PAGE_PRESENT, "PRESENT"},
      {PAGE_RW, "RW"},
      {PAGE_USER, "USER"},
      {PAGE_PWT, "PWT"},
      {PAGE_PCD, "PCD"},
      {PAGE_ACCESSED, "ACCESSED"},
      {PAGE_DIRTY, "DIRTY"},
      {PAGE_PSE, "PSE/PAT"},
      {PAGE_GLOBAL, "GLOBAL/PROTNONE"},
      {PAGE_SPECIAL, "SPECIAL"},
      {PAGE_SOFT_DIRTY, "SOFT_DIRTY"},
      {PAGE_ENC, "ENC"},
      {PAGE_DEVMAP, "DEVMAP"},
      {PAGE_NX, "NX"},
  };
  const pgprotval_t val = pgprot_val(prot);
  std::string text;
  pgprotval_t named = 0;
  for (const Flag& flag : kFlags) {
    named |= flag.mask;
    if ((val & flag.mask) == 0) continue;
    if (!text.empty()) text += '|';
    text += flag.name;
  }
  const pgprotval_t other = val & ~named;
  if (other != 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(other));
    if (!text.empty()) text += '|';
    text += buf;
  }
  return text.empty() ? "0" : text;
}

namespace {

std::string describe_entry(const char* what, uint64_t val, uint64_t pfn, pgprot_t flags) {
  char head[96];
  std::snprintf(head, sizeof head, "%s 0x%016llx (pfn 0x%llx, ", what,
                static_cast<unsigned long long>(val), static_cast<unsigned long long>(pfn));
  return std::string(head) + pgprot_flags_string(flags) + ", " +
         std::string(to_string(cachemode_of(flags))) + ", " +
         (is_encrypted(flags) ? "encrypted" : "decrypted") + ")";
}

}  // namespace

std::string describe_pte(pte_t pte) {
  return describe_entry("pte", pte_val(pte), pte_pfn(pte), pte_pgprot(pte));
}

std::string describe_pmd(pmd_t pmd) {
  return describe_entry("pmd", pmd_val(pmd), pmd_pfn(pmd), pmd_pgprot(pmd));
}

}  // namespace protmc::model::x86
