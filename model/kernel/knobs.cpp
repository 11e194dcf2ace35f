#include "model/kernel/knobs.hpp"

#include <array>

namespace protmc::model {

// Preset values and the evidence for each (KERNEL_MODEL.md section 7; where the
// reference and the kernel history disagree, the kernel wins and it is said):
//
// pte_modify_keeps_cbit: false in v5.3 (_PAGE_CHG_MASK ends in "_PAGE_SOFT_DIRTY
//   | _PAGE_DEVMAP", pgprot_modify()'s addbits = pgprot_val(newprot)). The fix
//   "x86: Don't let pgprot_modify() change the page encryption bit" adds
//   _PAGE_ENC to _PAGE_CHG_MASK and masks addbits with ~_PAGE_CHG_MASK; it
//   landed in v5.7 and was backported to the 5.4-5.6 stable series, so the v5.6
//   preset (which stands for 5.6.y) has it. The v5.6 *tag* itself still had the
//   old behaviour: override the knob to model it.
//
// unmap_i_mmap_lock: write in all three presets. The reference says "read in
//   later kernels"; the kernel took i_mmap_lock_write() in unmap_mapping_pages()
//   until Hugh Dickins' "mm: unmap_mapping_range_tree() with i_mmap_rwsem
//   shared" (2c8659951654, which reinstates c8475d144abb after the 3.19-era
//   revert 48ec833b7851) in v5.17 (its message already names
//   unmap_mapping_folio(), which is v5.16+); a stable backport of
//   unmap_mapping_page() to a pre-v5.9 tree (it still calls hpage_nr_pages())
//   takes the lock for write too. "read" is an override for later kernels.
//
// special_huge_split: v5.3 and v5.6 only return early for vma_is_dax() and go
//   on to pmd_page() on a PFN-mapped huge PMD; "mm: Introduce
//   vma_is_special_huge" arrived with the TTM huge-fault series in v5.7.
//
// pat_track_pfn_insert: true in every preset. track_pfn_insert()
//   (arch/x86/mm/pat.c, later pat/memtype.c) is called by vmf_insert_pfn_prot(),
//   __vm_insert_mixed() and vmf_insert_pfn_pmd(_prot)() in all three versions and
//   does its work whenever pat_enabled(), which is the case on real x86 hardware
//   and in SEV guests. Turning it off models "nopat" or a kernel without PAT.
//
// ttm_decrypts_dma_pages: false in every preset. From v5.3 to v5.7 TTM's fault
//   path only applies pgprot_decrypted() to iomem ("Iomem should not be marked
//   encrypted") and never to system pages, DMA-coherent or not. TTM started to
//   decrypt DMA-pool pages with TTM_TT_FLAG_DECRYPTED in ttm_io_prot() in "drm/ttm:
//   Make sure the mapped tt pages are decrypted when needed" (71ce046327cf,
//   2024, backported to 6.1.y and later stable series), long after v5.7. The
//   knob lets a scenario ask what that fix changes.
//
// ttm_huge_faults: from v5.7 ("drm/ttm, drm/vmwgfx: Support huge TTM
//   pagefaults", with vmf_insert_pfn_pmd_prot()).
KernelKnobs preset_knobs(KernelPreset preset) {
  KernelKnobs k;
  switch (preset) {
    case KernelPreset::kV5_3:
      k.pte_modify_keeps_cbit = false;
      k.unmap_i_mmap_lock = IMmapLockMode::kWrite;
      k.special_huge_split = SpecialHugeSplit::kPmdPage;
      k.pat_track_pfn_insert = true;
      k.ttm_decrypts_dma_pages = false;
      k.ttm_huge_faults = false;
      break;
    case KernelPreset::kV5_6:
      k.pte_modify_keeps_cbit = true;
      k.unmap_i_mmap_lock = IMmapLockMode::kWrite;
      k.special_huge_split = SpecialHugeSplit::kPmdPage;
      k.pat_track_pfn_insert = true;
      k.ttm_decrypts_dma_pages = false;
      k.ttm_huge_faults = false;
      break;
    case KernelPreset::kV5_7:
      k.pte_modify_keeps_cbit = true;
      k.unmap_i_mmap_lock = IMmapLockMode::kWrite;
      k.special_huge_split = SpecialHugeSplit::kClear;
      k.pat_track_pfn_insert = true;
      k.ttm_decrypts_dma_pages = false;
      k.ttm_huge_faults = true;
      break;
  }
  return k;
}

namespace {

constexpr std::array<KernelPreset, 3> kPresets = {KernelPreset::kV5_3, KernelPreset::kV5_6,
                                                  KernelPreset::kV5_7};

std::optional<bool> parse_bool(std::string_view value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return std::nullopt;
}

std::string bool_string(bool value) { return value ? "true" : "false"; }

// A knob's textual setter and getter. The setter returns false for a value it
// does not accept and then leaves the knobs unchanged.
struct KnobAccess {
  KnobInfo info;
  bool (*set)(KernelKnobs&, std::string_view);
  std::string (*get)(const KernelKnobs&);
};

const std::array<KnobAccess, 6> kKnobs = {{
    {{"pte_modify_keeps_cbit", "true|false",
      "pte_modify/pmd_modify/pgprot_modify keep the C-bit (v5.7 and 5.4-5.6 stable)"},
     [](KernelKnobs& k, std::string_view v) {
       auto b = parse_bool(v);
       if (b) k.pte_modify_keeps_cbit = *b;
       return b.has_value();
     },
     [](const KernelKnobs& k) { return bool_string(k.pte_modify_keeps_cbit); }},
    {{"unmap_i_mmap_lock", "read|write",
      "how unmap_mapping_range takes i_mmap_rwsem (write up to v5.16, read from v5.17)"},
     [](KernelKnobs& k, std::string_view v) {
       if (v == "read") {
         k.unmap_i_mmap_lock = IMmapLockMode::kRead;
       } else if (v == "write") {
         k.unmap_i_mmap_lock = IMmapLockMode::kWrite;
       } else {
         return false;
       }
       return true;
     },
     [](const KernelKnobs& k) { return std::string(to_string(k.unmap_i_mmap_lock)); }},
    {{"special_huge_split", "pmd_page|clear|rebuild",
      "splitting a PFN-mapped huge PMD: reach pmd_page() (v5.3), clear it (v5.7), or rebuild "
      "PTEs from vm_page_prot (hypothetical)"},
     [](KernelKnobs& k, std::string_view v) {
       if (v == "pmd_page") {
         k.special_huge_split = SpecialHugeSplit::kPmdPage;
       } else if (v == "clear") {
         k.special_huge_split = SpecialHugeSplit::kClear;
       } else if (v == "rebuild") {
         k.special_huge_split = SpecialHugeSplit::kRebuild;
       } else {
         return false;
       }
       return true;
     },
     [](const KernelKnobs& k) { return std::string(to_string(k.special_huge_split)); }},
    {{"pat_track_pfn_insert", "true|false",
      "x86 PAT's track_pfn_insert replaces the caching bits of an inserted prot"},
     [](KernelKnobs& k, std::string_view v) {
       auto b = parse_bool(v);
       if (b) k.pat_track_pfn_insert = *b;
       return b.has_value();
     },
     [](const KernelKnobs& k) { return bool_string(k.pat_track_pfn_insert); }},
    {{"ttm_decrypts_dma_pages", "true|false",
      "TTM's fault path clears the C-bit of DMA-coherent system pages (2024 fix)"},
     [](KernelKnobs& k, std::string_view v) {
       auto b = parse_bool(v);
       if (b) k.ttm_decrypts_dma_pages = *b;
       return b.has_value();
     },
     [](const KernelKnobs& k) { return bool_string(k.ttm_decrypts_dma_pages); }},
    {{"ttm_huge_faults", "true|false", "TTM's fault path inserts huge PMDs (v5.7)"},
     [](KernelKnobs& k, std::string_view v) {
       auto b = parse_bool(v);
       if (b) k.ttm_huge_faults = *b;
       return b.has_value();
     },
     [](const KernelKnobs& k) { return bool_string(k.ttm_huge_faults); }},
}};

const std::array<KnobInfo, kKnobs.size()> kKnobInfos = [] {
  std::array<KnobInfo, kKnobs.size()> infos{};
  for (size_t i = 0; i < kKnobs.size(); ++i) infos[i] = kKnobs[i].info;
  return infos;
}();

const KnobAccess* find_knob(std::string_view name) {
  for (const KnobAccess& knob : kKnobs) {
    if (knob.info.name == name) return &knob;
  }
  return nullptr;
}

}  // namespace

std::optional<KernelPreset> parse_preset(std::string_view name) {
  for (KernelPreset preset : kPresets) {
    if (to_string(preset) == name) return preset;
  }
  return std::nullopt;
}

std::string_view to_string(KernelPreset preset) {
  switch (preset) {
    case KernelPreset::kV5_3:
      return "v5.3";
    case KernelPreset::kV5_6:
      return "v5.6";
    case KernelPreset::kV5_7:
      return "v5.7";
  }
  return "?";
}

std::span<const KernelPreset> all_presets() { return kPresets; }

std::string_view to_string(IMmapLockMode mode) {
  return mode == IMmapLockMode::kRead ? "read" : "write";
}

std::string_view to_string(SpecialHugeSplit how) {
  switch (how) {
    case SpecialHugeSplit::kPmdPage:
      return "pmd_page";
    case SpecialHugeSplit::kClear:
      return "clear";
    case SpecialHugeSplit::kRebuild:
      return "rebuild";
  }
  return "?";
}

std::span<const KnobInfo> kernel_knob_table() { return kKnobInfos; }

std::string set_knob(KernelKnobs& knobs, std::string_view name, std::string_view value) {
  const KnobAccess* knob = find_knob(name);
  if (knob == nullptr) {
    std::string message = "unknown kernel knob '";
    message.append(name).append("' (known knobs:");
    for (const KnobAccess& k : kKnobs) message.append(" ").append(k.info.name);
    message.append(")");
    return message;
  }
  if (!knob->set(knobs, value)) {
    std::string message = "bad value '";
    message.append(value).append("' for kernel knob '").append(name).append("' (expected ");
    message.append(knob->info.values).append(")");
    return message;
  }
  return {};
}

std::optional<std::string> get_knob(const KernelKnobs& knobs, std::string_view name) {
  const KnobAccess* knob = find_knob(name);
  if (knob == nullptr) return std::nullopt;
  return knob->get(knobs);
}

std::string to_string(const KernelKnobs& knobs) {
  std::string text;
  for (const KnobAccess& knob : kKnobs) {
    if (!text.empty()) text += ' ';
    text.append(knob.info.name).append("=").append(knob.get(knobs));
  }
  return text;
}

}  // namespace protmc::model
