// Physical memory and the attributes it requires: the truth table of
// ../shared/reference/KERNEL_MODEL.md section 4, against which the
// pte-attributes property holds every present entry.
//
// Each model pfn has one MemoryKind. The kind fixes the caching mode the memory
// was set up with (its PAT memtype: set_pages_wc/uc for system pages, the WC
// reservation of a BAR, ...) and, under SEV/SME, whether it is encrypted. A
// PTE mapping it must carry exactly that caching mode and C-bit.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/arch/x86/pgtable_types.hpp"

namespace protmc::model {

enum class MemoryKind : uint8_t {
  // System RAM pages of a TTM placement; set_pages_wc/uc changed the memtype of
  // the WC/UC ones. Encrypted under SEV/SME like all ordinary RAM.
  kSystemCached,
  kSystemWc,
  kSystemUc,
  // DMA-coherent pages that dma_direct_alloc_pages() decrypted for the device
  // (force_dma_unencrypted() under SEV), with the placement's caching.
  kDmaCoherentCached,
  kDmaCoherentWc,
  kDmaCoherentUc,
  // VRAM / iomem behind a PCI BAR: never encrypted; WC (io_reserve_memtype_wc)
  // or uncached (UC-, what pgprot_noncached() produces).
  kIomemWc,
  kIomemUc,
  // The vvar mapping (arch/x86/entry/vdso/vma.c): the vvar data page and the
  // Hyper-V TSC (hvclock) page are ordinary kernel memory; the pvclock page is
  // shared with the hypervisor and therefore decrypted under SEV.
  kVvarData,
  kPvclock,
  kHvclock,
};

inline constexpr std::array<MemoryKind, 11> kAllMemoryKinds = {
    MemoryKind::kSystemCached,      MemoryKind::kSystemWc,      MemoryKind::kSystemUc,
    MemoryKind::kDmaCoherentCached, MemoryKind::kDmaCoherentWc, MemoryKind::kDmaCoherentUc,
    MemoryKind::kIomemWc,           MemoryKind::kIomemUc,       MemoryKind::kVvarData,
    MemoryKind::kPvclock,           MemoryKind::kHvclock,
};

// e.g. "system-wc", "dma-coherent-cached", "iomem-wc", "pvclock".
std::string_view to_string(MemoryKind kind);

// The caching mode and encryption of a mapping of some memory (or what a PTE
// has).
struct PageAttributes {
  x86::PageCacheMode cache = x86::PageCacheMode::kWb;
  bool encrypted = false;
  friend bool operator==(const PageAttributes&, const PageAttributes&) = default;
};

// What a mapping of memory of `kind` must have. Without SEV/SME there is no
// C-bit and nothing is encrypted.
PageAttributes required_attributes(MemoryKind kind, bool sev_active);

// The memory type recorded for the memory (what x86 PAT's lookup_memtype()
// returns for its pfn, the input of track_pfn_insert()).
x86::PageCacheMode memtype_of(MemoryKind kind);

// What a prot or an entry's flags have.
PageAttributes attributes_of(x86::pgprot_t prot);

// "WC, decrypted" / "WB, encrypted".
std::string describe_attributes(const PageAttributes& attributes);

}  // namespace protmc::model
