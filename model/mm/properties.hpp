// The properties the kernel model holds every execution to, installed as
// engine invariants (checked after every step that writes a page-table entry,
// memory ownership or kind, the expected mapping, and at the end):
//
//   pte-attributes: every present entry (PTE, or each small page of a huge
//     PMD) maps a pfn of the model's memory that is not free, that is the pfn
//     the mapping should map at that offset (expected_pfn, when claimed), and
//     carries exactly the caching mode and C-bit that memory requires
//     (required_attributes(kind, sev_active)).
//   pte-permission: no writable entry (PTE, or a huge PMD, for each small
//     page it maps) for a page whose committed vm_flags have no VM_WRITE
//     (committed: what the last completed mprotect_fixup() covering the page
//     installed, per page since a partial mprotect splits the VMA; entries
//     mprotect is still rewriting are not flagged: during an upgrade the
//     page counts with the old and new flags united).
//
// kernel-bug findings are raised directly by the paths (env.fail).
#pragma once

#include <optional>
#include <string>

#include "model/mm/mm_state.hpp"

namespace protmc::model {

inline constexpr const char* kPteAttributes = "pte-attributes";
inline constexpr const char* kPtePermission = "pte-permission";
inline constexpr const char* kKernelBug = "kernel-bug";

// The first violation in the current state, as a message in kernel terms, or
// nullopt. Pure: reads with peek only.
std::optional<std::string> check_pte_attributes(const Env& env, const MmState& mm);
std::optional<std::string> check_pte_permission(const Env& env, const MmState& mm);

// add_invariant for the selected properties (both by default) and watch every
// variable they read; nothing when neither is selected.
// Call once, in the main thread, after make_mm_state.
void install_mm_properties(Env& env, const std::shared_ptr<const MmState>& mm,
                           bool pte_attributes = true, bool pte_permission = true);

}  // namespace protmc::model
