// The physical-memory truth table (KERNEL_MODEL.md section 4).
#include "model/mm/memory_kinds.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "model/arch/x86/pgtable_types.hpp"
#include "model/mm/vm_flags.hpp"

namespace protmc::model {
namespace {

using x86::PageCacheMode;

struct Row {
  MemoryKind kind;
  PageCacheMode cache;
  bool encrypted_under_sev;
};

// Section 4, one row per kind.
constexpr Row kTable[] = {
    {MemoryKind::kSystemCached, PageCacheMode::kWb, true},
    {MemoryKind::kSystemWc, PageCacheMode::kWc, true},
    {MemoryKind::kSystemUc, PageCacheMode::kUcMinus, true},
    {MemoryKind::kDmaCoherentCached, PageCacheMode::kWb, false},
    {MemoryKind::kDmaCoherentWc, PageCacheMode::kWc, false},
    {MemoryKind::kDmaCoherentUc, PageCacheMode::kUcMinus, false},
    {MemoryKind::kIomemWc, PageCacheMode::kWc, false},
    {MemoryKind::kIomemUc, PageCacheMode::kUcMinus, false},
    {MemoryKind::kVvarData, PageCacheMode::kWb, true},
    {MemoryKind::kPvclock, PageCacheMode::kWb, false},
    {MemoryKind::kHvclock, PageCacheMode::kWb, true},
};

TEST(MemoryKinds, RequiredAttributesUnderSevFollowSection4) {
  ASSERT_EQ(std::size(kTable), kAllMemoryKinds.size());
  for (const Row& row : kTable) {
    SCOPED_TRACE(to_string(row.kind));
    const PageAttributes required = required_attributes(row.kind, /*sev_active=*/true);
    EXPECT_EQ(required.cache, row.cache);
    EXPECT_EQ(required.encrypted, row.encrypted_under_sev);
    EXPECT_EQ(memtype_of(row.kind), row.cache);
  }
}

TEST(MemoryKinds, NothingIsEncryptedWithoutSev) {
  for (MemoryKind kind : kAllMemoryKinds) {
    SCOPED_TRACE(to_string(kind));
    const PageAttributes required = required_attributes(kind, /*sev_active=*/false);
    EXPECT_FALSE(required.encrypted);
    EXPECT_EQ(required.cache, required_attributes(kind, true).cache);
  }
}

TEST(MemoryKinds, NamesAreDistinct) {
  std::set<std::string> names;
  for (MemoryKind kind : kAllMemoryKinds) {
    EXPECT_TRUE(names.insert(std::string(to_string(kind))).second) << to_string(kind);
  }
  EXPECT_EQ(to_string(MemoryKind::kPvclock), "pvclock");
  EXPECT_EQ(to_string(MemoryKind::kDmaCoherentWc), "dma-coherent-wc");
}

TEST(MemoryKinds, DescribeAttributesRendersCachingAndEncryption) {
  EXPECT_EQ(describe_attributes({PageCacheMode::kWc, false}), "WC, decrypted");
  EXPECT_EQ(describe_attributes({PageCacheMode::kWb, true}), "WB, encrypted");
  EXPECT_EQ(describe_attributes({PageCacheMode::kUcMinus, false}), "UC-, decrypted");
  EXPECT_EQ(describe_attributes(required_attributes(MemoryKind::kIomemWc, true)), "WC, decrypted");
}

TEST(MemoryKinds, AttributesOfReadsCachingAndCbit) {
  const x86::pgprot_t base = x86::vm_get_page_prot(VM_READ | VM_SHARED, true);
  EXPECT_EQ(attributes_of(base), (PageAttributes{PageCacheMode::kWb, true}));
  EXPECT_EQ(attributes_of(x86::pgprot_decrypted(x86::pgprot_writecombine(base))),
            (PageAttributes{PageCacheMode::kWc, false}));
  EXPECT_EQ(attributes_of(x86::pgprot_noncached(base)),
            (PageAttributes{PageCacheMode::kUcMinus, true}));
}

// What the fault paths of the thread build, held against the table.
TEST(MemoryKinds, TtmAndVvarProtsMatchOrMissTheTable) {
  const x86::pgprot_t base = x86::vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true);
  // TTM iomem, WC placement: ttm_io_prot then pgprot_decrypted.
  EXPECT_EQ(attributes_of(x86::pgprot_decrypted(x86::pgprot_writecombine(base))),
            required_attributes(MemoryKind::kIomemWc, true));
  // TTM system WC page: ttm_io_prot only.
  EXPECT_EQ(attributes_of(x86::pgprot_writecombine(base)),
            required_attributes(MemoryKind::kSystemWc, true));
  // The SEV bug: a DMA-coherent page mapped like any system page stays encrypted.
  EXPECT_NE(attributes_of(x86::pgprot_writecombine(base)),
            required_attributes(MemoryKind::kDmaCoherentWc, true));
  // vvar: data page with the VMA's prot, pvclock with pgprot_decrypted.
  const x86::pgprot_t vvar = x86::vm_get_page_prot(VM_READ, true);
  EXPECT_EQ(attributes_of(vvar), required_attributes(MemoryKind::kVvarData, true));
  EXPECT_EQ(attributes_of(x86::pgprot_decrypted(vvar)),
            required_attributes(MemoryKind::kPvclock, true));
  EXPECT_EQ(attributes_of(vvar), required_attributes(MemoryKind::kHvclock, true));
}

TEST(MemoryKinds, TrackPfnInsertWithTheMemtypeFixesCachingButNotEncryption) {
  const KernelKnobs knobs = preset_knobs(KernelPreset::kV5_3);
  const x86::pgprot_t base = x86::vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true);
  // A cached prot inserted for a WC DMA-coherent page: caching corrected, C-bit not.
  const x86::pgprot_t tracked =
      x86::track_pfn_insert(base, memtype_of(MemoryKind::kDmaCoherentWc), knobs);
  const PageAttributes got = attributes_of(tracked);
  const PageAttributes want = required_attributes(MemoryKind::kDmaCoherentWc, true);
  EXPECT_EQ(got.cache, want.cache);
  EXPECT_NE(got.encrypted, want.encrypted);
}

}  // namespace
}  // namespace protmc::model
