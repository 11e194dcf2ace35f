// pte-attributes and pte-permission; see properties.hpp.
#include "model/mm/properties.hpp"

#include <cstdio>

namespace protmc::model {

namespace {

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Checks one small page mapped by an entry with flags `prot` to `pfn`.
// `what` names the entry, e.g. "PTE for page 1" or "huge PMD 0 at page 1".
std::optional<std::string> check_mapping(const Env& env, const MmState& mm, const std::string& what,
                                         uint64_t page, uint64_t pfn, x86::pgprot_t prot) {
  if (!mm.pfn_known(pfn)) {
    return what + " maps pfn " + hex(pfn) + ", which is not memory the mapping owns";
  }
  const uint32_t index = mm.pfn_index(pfn);
  const auto kind = static_cast<MemoryKind>(env.peek(mm.pfn_kind[index]));
  const std::string where = "(pfn " + hex(pfn) + ", " + std::string(to_string(kind)) + ")";
  if (env.peek(mm.pfn_owner[index]) == kPfnFree) {
    return what + " " + where + " maps memory that has been freed";
  }
  const uint64_t expected = env.peek(mm.expected_pfn[page]);
  if (expected != 0 && expected != pfn) {
    return what + " " + where + " is stale: the mapping now maps pfn " + hex(expected) +
           " at that offset";
  }
  const PageAttributes has = attributes_of(prot);
  const PageAttributes needs = required_attributes(kind, mm.sev_active);
  if (has != needs) {
    return what + " " + where + " is " + describe_attributes(has) + " but the memory requires " +
           describe_attributes(needs);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_pte_attributes(const Env& env, const MmState& mm) {
  for (uint32_t slot = 0; slot < mm.nr_pmds; ++slot) {
    const x86::pmd_t pmd = peek_pmd(env, mm, slot);
    if (x86::pmd_none(pmd)) continue;
    if (pmd_is_huge(pmd)) {
      for (uint64_t i = 0; i < mm.pmd_pages; ++i) {
        const uint64_t page = mm.pmd_start(slot) + i;
        if (page >= mm.nr_pages) break;
        auto bad = check_mapping(
            env, mm, "huge PMD " + std::to_string(slot) + " at page " + std::to_string(page), page,
            x86::pmd_pfn(pmd) + i, x86::pmd_pgprot(pmd));
        if (bad) return bad;
      }
      continue;
    }
    for (uint64_t page = mm.pmd_start(slot); page < mm.pmd_end(slot) && page < mm.nr_pages;
         ++page) {
      const x86::pte_t pte = peek_pte(env, mm, page);
      if (!x86::pte_present(pte)) continue;
      auto bad = check_mapping(env, mm, "PTE for page " + std::to_string(page), page,
                               x86::pte_pfn(pte), x86::pte_pgprot(pte));
      if (bad) return bad;
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_pte_permission(const Env& env, const MmState& mm) {
  // committed_vm_flags[page] without VM_WRITE, or nullopt when writable.
  auto read_only = [&](uint64_t page) -> std::optional<vm_flags_t> {
    const vm_flags_t flags = env.peek(mm.committed_vm_flags[page]);
    if (flags & VM_WRITE) return std::nullopt;
    return flags;
  };
  auto message = [&](const std::string& what, const std::string& entry, vm_flags_t flags) {
    return what + " is writable (" + entry + ") but the VMA has no VM_WRITE (vm_flags " +
           hex(flags) + ")";
  };
  for (uint32_t slot = 0; slot < mm.nr_pmds; ++slot) {
    const x86::pmd_t pmd = peek_pmd(env, mm, slot);
    if (x86::pmd_none(pmd)) continue;
    if (pmd_is_huge(pmd)) {
      if (!x86::pmd_present(pmd) || !x86::pmd_write(pmd)) continue;
      for (uint64_t page = mm.pmd_start(slot); page < mm.pmd_end(slot) && page < mm.nr_pages;
           ++page) {
        if (const auto flags = read_only(page)) {
          // Named by the page whose VMA lacks VM_WRITE (as pte-attributes names
          // the page of a huge entry it reports).
          return message("huge PMD " + std::to_string(slot) + " at page " + std::to_string(page),
                         x86::describe_pmd(pmd), *flags);
        }
      }
      continue;
    }
    for (uint64_t page = mm.pmd_start(slot); page < mm.pmd_end(slot) && page < mm.nr_pages;
         ++page) {
      const x86::pte_t pte = peek_pte(env, mm, page);
      if (!x86::pte_present(pte) || !x86::pte_write(pte)) continue;
      if (const auto flags = read_only(page)) {
        return message("PTE for page " + std::to_string(page), x86::describe_pte(pte), *flags);
      }
    }
  }
  return std::nullopt;
}

void install_mm_properties(Env& env, const std::shared_ptr<const MmState>& mm, bool pte_attributes,
                           bool pte_permission) {
  if (!pte_attributes && !pte_permission) return;
  if (pte_attributes) {
    env.add_invariant(kPteAttributes, [mm](const Env& e) { return check_pte_attributes(e, *mm); });
  }
  if (pte_permission) {
    env.add_invariant(kPtePermission, [mm](const Env& e) { return check_pte_permission(e, *mm); });
  }
  for (VarId v : mm->pmd) env.watch(v);
  for (VarId v : mm->pte) env.watch(v);
  for (VarId v : mm->pfn_owner) env.watch(v);
  for (VarId v : mm->pfn_kind) env.watch(v);
  for (VarId v : mm->expected_pfn) env.watch(v);
  for (VarId v : mm->committed_vm_flags) env.watch(v);
}

}  // namespace protmc::model
