// Kernel versions as presets, and the individual behaviours ("knobs") in
// which those versions differ, so that a scenario can start from a preset and
// override single knobs by name.
//
// Source: ../shared/reference/KERNEL_MODEL.md section 7, checked against the
// kernel history (see knobs.cpp for the evidence behind each preset value).
//
// Whether SEV/SME is active is not a knob here: it is a property of the
// machine, not of the kernel version, and the helpers that depend on it take it
// as an argument (x86::vm_get_page_prot, required_attributes, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace protmc::model {

// How unmap_mapping_pages() (mm/memory.c) takes mapping->i_mmap_rwsem.
enum class IMmapLockMode : uint8_t {
  kRead,   // i_mmap_lock_read(): v5.17 and later
  kWrite,  // i_mmap_lock_write(): v5.3 .. v5.16
};

// What __split_huge_pmd_locked() (mm/huge_memory.c) does with a huge PMD of a
// non-anonymous VM_PFNMAP/VM_MIXEDMAP ("special") VMA.
enum class SpecialHugeSplit : uint8_t {
  kPmdPage,  // v5.3: only DAX returns early; the PFN-mapped PMD reaches pmd_page() (a BUG)
  kClear,    // v5.7: vma_is_special_huge() returns right after clearing the PMD
  kRebuild,  // hypothetical: rebuild PTEs from vma->vm_page_prot as the anonymous path does
};

struct KernelKnobs {
  // pte_modify()/pmd_modify()/pgprot_modify() keep the C-bit (_PAGE_ENC is in
  // _PAGE_CHG_MASK and pgprot_modify() masks the added bits with
  // ~_PAGE_CHG_MASK): "x86: Don't let pgprot_modify() change the page
  // encryption bit", v5.7 and 5.4-5.6 stable. When false (v5.3), the C-bit is
  // taken from the new prot.
  bool pte_modify_keeps_cbit = false;
  IMmapLockMode unmap_i_mmap_lock = IMmapLockMode::kWrite;
  SpecialHugeSplit special_huge_split = SpecialHugeSplit::kPmdPage;
  // x86 PAT's track_pfn_insert() replaces the caching bits of a prot being
  // inserted by vmf_insert_* with the memory type recorded for the pfn.
  bool pat_track_pfn_insert = true;
  // TTM's fault path clears the C-bit for system pages that come from the
  // DMA-coherent pool (decrypted for the device under SEV).
  bool ttm_decrypts_dma_pages = false;
  // TTM inserts huge PMDs from its fault path (ttm_bo_vm_fault_reserved with
  // fault_page_size > 1, vmf_insert_pfn_pmd_prot).
  bool ttm_huge_faults = false;

  friend bool operator==(const KernelKnobs&, const KernelKnobs&) = default;
};

enum class KernelPreset : uint8_t { kV5_3, kV5_6, kV5_7 };

// The knob values of a kernel version.
KernelKnobs preset_knobs(KernelPreset preset);

// "v5.3", "v5.6", "v5.7" (exactly; nullopt otherwise).
std::optional<KernelPreset> parse_preset(std::string_view name);
std::string_view to_string(KernelPreset preset);
std::span<const KernelPreset> all_presets();

std::string_view to_string(IMmapLockMode mode);    // "read" / "write"
std::string_view to_string(SpecialHugeSplit how);  // "pmd_page" / "clear" / "rebuild"

// One settable knob, as a scenario names it.
struct KnobInfo {
  std::string_view name;    // e.g. "unmap_i_mmap_lock"
  std::string_view values;  // the accepted values, e.g. "read|write"
  std::string_view help;    // one line
};

// Every knob of KernelKnobs, in declaration order.
std::span<const KnobInfo> kernel_knob_table();

// Sets the knob called `name` from its textual value. Returns an empty string
// on success and otherwise a message naming the knob (or listing the known
// knobs) and the accepted values; `knobs` is unchanged on error.
[[nodiscard]] std::string set_knob(KernelKnobs& knobs, std::string_view name,
                                   std::string_view value);

// The textual value of the knob called `name`; nullopt for an unknown name.
std::optional<std::string> get_knob(const KernelKnobs& knobs, std::string_view name);

// "pte_modify_keeps_cbit=false unmap_i_mmap_lock=write ..." in table order.
std::string to_string(const KernelKnobs& knobs);

}  // namespace protmc::model
