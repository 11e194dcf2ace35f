#include "model/mm/memory_kinds.hpp"

namespace protmc::model {

using x86::PageCacheMode;

std::string_view to_string(MemoryKind kind) {
  switch (kind) {
    case MemoryKind::kSystemCached:
      return "system-cached";
    case MemoryKind::kSystemWc:
      return "system-wc";
    case MemoryKind::kSystemUc:
      return "system-uc";
    case MemoryKind::kDmaCoherentCached:
      return "dma-coherent-cached";
    case MemoryKind::kDmaCoherentWc:
      return "dma-coherent-wc";
    case MemoryKind::kDmaCoherentUc:
      return "dma-coherent-uc";
    case MemoryKind::kIomemWc:
      return "iomem-wc";
    case MemoryKind::kIomemUc:
      return "iomem-uc";
    case MemoryKind::kVvarData:
      return "vvar-data";
    case MemoryKind::kPvclock:
      return "pvclock";
    case MemoryKind::kHvclock:
      return "hvclock";
  }
  return "?";
}

PageCacheMode memtype_of(MemoryKind kind) {
  switch (kind) {
    case MemoryKind::kSystemCached:
    case MemoryKind::kDmaCoherentCached:
    case MemoryKind::kVvarData:
    case MemoryKind::kPvclock:
    case MemoryKind::kHvclock:
      return PageCacheMode::kWb;
    case MemoryKind::kSystemWc:
    case MemoryKind::kDmaCoherentWc:
    case MemoryKind::kIomemWc:
      return PageCacheMode::kWc;
    case MemoryKind::kSystemUc:
    case MemoryKind::kDmaCoherentUc:
    case MemoryKind::kIomemUc:
      return PageCacheMode::kUcMinus;  // set_pages_uc / pgprot_noncached give UC-
  }
  return PageCacheMode::kWb;
}

// KERNEL_MODEL.md section 4:
//   system RAM, cached placement           WB        encrypted
//   system RAM, WC / UC placement          WC / UC-  encrypted
//   DMA-coherent page decrypted for device per placement  decrypted
//   VRAM / iomem behind a BAR              WC (or UC) decrypted
//   vvar data page, hvclock page           WB        encrypted
//   pvclock page                           WB        decrypted
PageAttributes required_attributes(MemoryKind kind, bool sev_active) {
  bool encrypted = false;
  switch (kind) {
    case MemoryKind::kSystemCached:
    case MemoryKind::kSystemWc:
    case MemoryKind::kSystemUc:
    case MemoryKind::kVvarData:
    case MemoryKind::kHvclock:
      encrypted = true;
      break;
    case MemoryKind::kDmaCoherentCached:
    case MemoryKind::kDmaCoherentWc:
    case MemoryKind::kDmaCoherentUc:
    case MemoryKind::kIomemWc:
    case MemoryKind::kIomemUc:
    case MemoryKind::kPvclock:
      encrypted = false;
      break;
  }
  return PageAttributes{memtype_of(kind), sev_active && encrypted};
}

PageAttributes attributes_of(x86::pgprot_t prot) {
  return PageAttributes{x86::cachemode_of(prot), x86::is_encrypted(prot)};
}

std::string describe_attributes(const PageAttributes& attributes) {
  return std::string(x86::to_string(attributes.cache)) +
         (attributes.encrypted ? ", encrypted" : ", decrypted");
}

}  // namespace protmc::model
