// The x86 page-table helpers per kernel preset: what pte_modify/pmd_modify/
// pgprot_modify keep and take, vm_get_page_prot, the caching encodings,
// track_pfn_insert, and a property test against KERNEL_MODEL.md section 3.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "model/arch/x86/pgtable_types.hpp"
#include "model/kernel/knobs.hpp"
#include "model/mm/vm_flags.hpp"

namespace protmc::model::x86 {
namespace {

constexpr uint64_t kPfn = 0x1234;

KernelKnobs v53() { return preset_knobs(KernelPreset::kV5_3); }
KernelKnobs v57() { return preset_knobs(KernelPreset::kV5_7); }

// A PTE as TTM's fault path inserts it for a WC iomem page under SEV:
// ttm_io_prot(WC) then pgprot_decrypted, special (vmf_insert_mixed/pfn).
pte_t wc_iomem_pte() {
  const pgprot_t prot =
      pgprot_decrypted(pgprot_writecombine(vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true)));
  return pte_mkspecial(pfn_pte(kPfn, prot));
}

TEST(PteModify, KeepsWriteCombiningAcrossMprotectInEveryPreset) {
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    const KernelKnobs knobs = preset_knobs(preset);
    const pte_t pte = wc_iomem_pte();
    ASSERT_EQ(cachemode_of(pte_pgprot(pte)), PageCacheMode::kWc);
    // mprotect(PROT_READ): vm_page_prot becomes the WB read-only prot.
    const pgprot_t newprot = vm_get_page_prot(VM_READ | VM_SHARED, true);
    ASSERT_EQ(cachemode_of(newprot), PageCacheMode::kWb);
    const pte_t after = pte_modify(pte, newprot, knobs);
    EXPECT_EQ(cachemode_of(pte_pgprot(after)), PageCacheMode::kWc);
  }
}

TEST(PteModify, KeepsEveryCachingModeInEveryPreset) {
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    for (PageCacheMode mode : kAllPageCacheModes) {
      SCOPED_TRACE(to_string(mode));
      const pgprot_t prot = pgprot_t{pgprot_val(vm_get_page_prot(VM_READ | VM_SHARED, true)) |
                                     cachemode2protval(mode)};
      const pte_t pte = pfn_pte(kPfn, prot);
      const pte_t after = pte_modify(pte, vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true),
                                     preset_knobs(preset));
      EXPECT_EQ(cachemode_of(pte_pgprot(after)), mode);
    }
  }
}

TEST(PteModify, V53ReencryptsADecryptedIomemPteUnderSev) {
  const pte_t pte = wc_iomem_pte();
  ASSERT_FALSE(is_encrypted(pte_pgprot(pte)));
  const pte_t after = pte_modify(pte, vm_get_page_prot(VM_READ | VM_SHARED, true), v53());
  EXPECT_TRUE(is_encrypted(pte_pgprot(after)));
}

TEST(PteModify, V57KeepsADecryptedIomemPteDecrypted) {
  const pte_t pte = wc_iomem_pte();
  const pte_t after = pte_modify(pte, vm_get_page_prot(VM_READ | VM_SHARED, true), v57());
  EXPECT_FALSE(is_encrypted(pte_pgprot(after)));
}

TEST(PteModify, KeepsTheCbitOnlyWhenThePresetSays) {
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    const KernelKnobs knobs = preset_knobs(preset);
    const pte_t decrypted = wc_iomem_pte();
    const pte_t encrypted = pfn_pte(kPfn, vm_get_page_prot(VM_READ | VM_SHARED, true));
    const pgprot_t encrypted_prot = vm_get_page_prot(VM_READ, true);
    const pgprot_t decrypted_prot = pgprot_decrypted(encrypted_prot);
    if (knobs.pte_modify_keeps_cbit) {
      EXPECT_FALSE(is_encrypted(pte_pgprot(pte_modify(decrypted, encrypted_prot, knobs))));
      EXPECT_TRUE(is_encrypted(pte_pgprot(pte_modify(encrypted, decrypted_prot, knobs))));
    } else {
      EXPECT_TRUE(is_encrypted(pte_pgprot(pte_modify(decrypted, encrypted_prot, knobs))));
      EXPECT_FALSE(is_encrypted(pte_pgprot(pte_modify(encrypted, decrypted_prot, knobs))));
    }
  }
  EXPECT_FALSE(v53().pte_modify_keeps_cbit);
  EXPECT_TRUE(preset_knobs(KernelPreset::kV5_6).pte_modify_keeps_cbit);
  EXPECT_TRUE(v57().pte_modify_keeps_cbit);
}

TEST(PteModify, KeepsPfnSpecialDevmapAndAccessedDirtyBits) {
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    const pte_t pte = pte_mksoft_dirty(
        pte_mkdirty(pte_mkyoung(pte_mkdevmap(pfn_pte(kPfn, vm_get_page_prot(VM_READ, true))))));
    const pte_t after = pte_modify(pte, PAGE_NONE, preset_knobs(preset));
    EXPECT_EQ(pte_pfn(after), kPfn);
    EXPECT_TRUE(pte_special(after));
    EXPECT_TRUE(pte_devmap(after));
    EXPECT_TRUE(pte_young(after));
    EXPECT_TRUE(pte_dirty(after));
    EXPECT_TRUE(pte_soft_dirty(after));
  }
}

TEST(PteModify, TakesPermissionsFromTheNewProt) {
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    const KernelKnobs knobs = preset_knobs(preset);
    const pte_t rw = pfn_pte(kPfn, vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, false));
    ASSERT_TRUE(pte_write(rw));
    const pte_t ro = pte_modify(rw, vm_get_page_prot(VM_READ | VM_SHARED, false), knobs);
    EXPECT_FALSE(pte_write(ro));
    EXPECT_FALSE(pte_exec(ro));
    const pte_t rx = pte_modify(ro, vm_get_page_prot(VM_READ | VM_EXEC | VM_SHARED, false), knobs);
    EXPECT_TRUE(pte_exec(rx));
    const pte_t none = pte_modify(rx, vm_get_page_prot(VM_NONE, false), knobs);
    EXPECT_TRUE(pte_present(none));  // PROT_NONE entries stay present to software
    EXPECT_EQ(pte_flags(none) & PAGE_PRESENT, 0u);
    EXPECT_EQ(pte_pfn(none), kPfn);
  }
}

TEST(PmdModify, KeepsHugeCachingAndPfnAndTheCbitPerPreset) {
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    const KernelKnobs knobs = preset_knobs(preset);
    const pgprot_t prot =
        pgprot_decrypted(pgprot_writecombine(vm_get_page_prot(VM_READ | VM_SHARED, true)));
    const pmd_t pmd = pmd_mkhuge(pfn_pmd(kPfn, prot));
    ASSERT_TRUE(pmd_trans_huge(pmd));
    const pmd_t after =
        pmd_modify(pmd, vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true), knobs);
    EXPECT_TRUE(pmd_large(after));
    EXPECT_TRUE(pmd_write(after));
    EXPECT_EQ(pmd_pfn(after), kPfn);
    EXPECT_EQ(cachemode_of(pmd_pgprot(after)), PageCacheMode::kWc);
    EXPECT_EQ(is_encrypted(pmd_pgprot(after)), !knobs.pte_modify_keeps_cbit);
  }
}

TEST(PgprotModify, V53ReaddsTheCbit) {
  // A vm_page_prot that a driver decrypted at mmap time, then mprotect.
  const pgprot_t old = pgprot_decrypted(vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true));
  const pgprot_t modified = pgprot_modify(old, vm_get_page_prot(VM_READ | VM_SHARED, true), v53());
  EXPECT_TRUE(is_encrypted(modified));
}

TEST(PgprotModify, V57KeepsTheOldCbit) {
  const pgprot_t old = pgprot_decrypted(vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true));
  const pgprot_t modified = pgprot_modify(old, vm_get_page_prot(VM_READ | VM_SHARED, true), v57());
  EXPECT_FALSE(is_encrypted(modified));
  const pgprot_t enc = vm_get_page_prot(VM_READ | VM_SHARED, true);
  EXPECT_TRUE(is_encrypted(pgprot_modify(enc, pgprot_decrypted(enc), v57())));
}

TEST(PgprotModify, KeepsCachingBitsAndTakesPermissions) {
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    const pgprot_t old =
        pgprot_writecombine(vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true));
    const pgprot_t modified =
        pgprot_modify(old, vm_get_page_prot(VM_READ | VM_SHARED, true), preset_knobs(preset));
    EXPECT_EQ(cachemode_of(modified), PageCacheMode::kWc);
    EXPECT_EQ(pgprot_val(modified) & PAGE_RW, 0u);
  }
}

TEST(PgprotModify, OnlyV53OrsInTheNewCachingBits) {
  const pgprot_t old = vm_get_page_prot(VM_READ | VM_SHARED, true);
  const pgprot_t uncached_new = pgprot_noncached(old);
  EXPECT_EQ(cachemode_of(pgprot_modify(old, uncached_new, v53())), PageCacheMode::kUcMinus);
  EXPECT_EQ(cachemode_of(pgprot_modify(old, uncached_new, v57())), PageCacheMode::kWb);
}

TEST(VmGetPageProt, SharedWritableMappingIsRw) {
  for (bool sme : {false, true}) {
    const pgprot_t prot = vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, sme);
    EXPECT_NE(pgprot_val(prot) & PAGE_RW, 0u);
    EXPECT_NE(pgprot_val(prot) & PAGE_PRESENT, 0u);
    EXPECT_NE(pgprot_val(prot) & PAGE_USER, 0u);
    EXPECT_NE(pgprot_val(prot) & PAGE_NX, 0u);
  }
}

TEST(VmGetPageProt, PrivateWritableMappingIsCopyOnWriteNotRw) {
  for (bool sme : {false, true}) {
    EXPECT_EQ(pgprot_val(vm_get_page_prot(VM_READ | VM_WRITE, sme)) & PAGE_RW, 0u);
    EXPECT_EQ(pgprot_val(vm_get_page_prot(VM_READ | VM_WRITE | VM_EXEC, sme)) & PAGE_RW, 0u);
    EXPECT_EQ(pgprot_val(vm_get_page_prot(VM_WRITE, sme)) & PAGE_RW, 0u);
  }
}

TEST(VmGetPageProt, FollowsProtectionMap) {
  EXPECT_EQ(vm_get_page_prot(VM_NONE, false), PAGE_NONE);
  EXPECT_EQ(vm_get_page_prot(VM_READ, false), PAGE_READONLY);
  EXPECT_EQ(vm_get_page_prot(VM_READ | VM_WRITE, false), PAGE_COPY);
  EXPECT_EQ(vm_get_page_prot(VM_READ | VM_EXEC, false), PAGE_READONLY_EXEC);
  EXPECT_EQ(vm_get_page_prot(VM_READ | VM_WRITE | VM_EXEC, false), PAGE_COPY_EXEC);
  EXPECT_EQ(vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, false), PAGE_SHARED);
  EXPECT_EQ(vm_get_page_prot(VM_READ | VM_WRITE | VM_EXEC | VM_SHARED, false), PAGE_SHARED_EXEC);
  // Bits other than VM_READ|VM_WRITE|VM_EXEC|VM_SHARED do not matter.
  EXPECT_EQ(vm_get_page_prot(VM_READ | VM_MIXEDMAP | VM_IO | VM_DONTEXPAND | VM_MAYWRITE, false),
            PAGE_READONLY);
  // PROT_NONE is not present to the hardware.
  EXPECT_EQ(pgprot_val(vm_get_page_prot(VM_NONE | VM_SHARED, false)) & PAGE_PRESENT, 0u);
}

TEST(VmGetPageProt, EveryEntryCarriesTheCbitExactlyWhenSmeIsActive) {
  for (vm_flags_t flags = 0; flags < 16; ++flags) {
    SCOPED_TRACE(flags);
    const pgprot_t plain = vm_get_page_prot(flags, false);
    const pgprot_t enc = vm_get_page_prot(flags, true);
    EXPECT_FALSE(is_encrypted(plain));
    EXPECT_TRUE(is_encrypted(enc));
    EXPECT_EQ(pgprot_val(enc), pgprot_val(plain) | PAGE_ENC);
    EXPECT_EQ(cachemode_of(enc), PageCacheMode::kWb);
  }
}

TEST(CacheMode, EncodingsFollowTheDefaultPatTable) {
  EXPECT_EQ(cachemode2protval(PageCacheMode::kWb), 0u);
  EXPECT_EQ(cachemode2protval(PageCacheMode::kWc), PAGE_PWT);
  EXPECT_EQ(cachemode2protval(PageCacheMode::kUcMinus), PAGE_PCD);
  EXPECT_EQ(cachemode2protval(PageCacheMode::kUc), PAGE_PCD | PAGE_PWT);
}

TEST(CacheMode, RoundTripsAllFourModes) {
  const pgprot_t base = vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true);
  for (PageCacheMode mode : kAllPageCacheModes) {
    SCOPED_TRACE(to_string(mode));
    EXPECT_EQ(cachemode_of(cachemode2pgprot(mode)), mode);
    const pgprot_t prot = pgprot_t{pgprot_val(base) | cachemode2protval(mode)};
    EXPECT_EQ(cachemode_of(prot), mode);
    EXPECT_EQ(cachemode_of(pte_pgprot(pfn_pte(kPfn, prot))), mode);
    EXPECT_EQ(cachemode_of(pmd_pgprot(pmd_mkhuge(pfn_pmd(kPfn, prot)))), mode);
  }
  EXPECT_EQ(to_string(PageCacheMode::kUcMinus), "UC-");
}

TEST(CacheMode, WritecombineAndNoncachedSetTheirModeOnAWritebackProt) {
  const pgprot_t base = vm_get_page_prot(VM_READ | VM_SHARED, true);
  EXPECT_EQ(cachemode_of(pgprot_writecombine(base)), PageCacheMode::kWc);
  EXPECT_EQ(cachemode_of(pgprot_noncached(base)), PageCacheMode::kUcMinus);
  // Both only OR bits in, as in the kernel: neither touches the C-bit.
  EXPECT_TRUE(is_encrypted(pgprot_writecombine(base)));
  EXPECT_TRUE(is_encrypted(pgprot_noncached(base)));
}

TEST(Encryption, DecryptedClearsAndEncryptedSetsOnlyUnderSme) {
  const pgprot_t enc = vm_get_page_prot(VM_READ, true);
  EXPECT_TRUE(is_encrypted(enc));
  EXPECT_FALSE(is_encrypted(pgprot_decrypted(enc)));
  EXPECT_EQ(pgprot_encrypted(pgprot_decrypted(enc), true), enc);
  const pgprot_t plain = vm_get_page_prot(VM_READ, false);
  EXPECT_EQ(pgprot_encrypted(plain, false), plain);
  EXPECT_EQ(pgprot_decrypted(plain), plain);
  EXPECT_EQ(sme_me_mask(false), 0u);
  EXPECT_EQ(sme_me_mask(true), PAGE_ENC);
}

TEST(TrackPfnInsert, CorrectsAWrongCachingMode) {
  const KernelKnobs knobs = v53();
  ASSERT_TRUE(knobs.pat_track_pfn_insert);
  const pgprot_t base = vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true);
  for (PageCacheMode inserted : kAllPageCacheModes) {
    for (PageCacheMode memtype : kAllPageCacheModes) {
      SCOPED_TRACE(std::string(to_string(inserted)) + " inserted, memtype " +
                   std::string(to_string(memtype)));
      const pgprot_t prot = pgprot_t{pgprot_val(base) | cachemode2protval(inserted)};
      const pgprot_t tracked = track_pfn_insert(prot, memtype, knobs);
      EXPECT_EQ(cachemode_of(tracked), memtype);
      EXPECT_EQ(pgprot_val(tracked) & ~PAGE_CACHE_MASK, pgprot_val(prot) & ~PAGE_CACHE_MASK);
    }
  }
}

TEST(TrackPfnInsert, NeverTouchesTheCbit) {
  const pgprot_t enc = vm_get_page_prot(VM_READ | VM_SHARED, true);
  const pgprot_t dec = pgprot_decrypted(enc);
  for (PageCacheMode memtype : kAllPageCacheModes) {
    EXPECT_TRUE(is_encrypted(track_pfn_insert(enc, memtype, v57())));
    EXPECT_FALSE(is_encrypted(track_pfn_insert(dec, memtype, v57())));
  }
}

TEST(TrackPfnInsert, LeavesTheProtAloneWithoutPat) {
  KernelKnobs knobs = v57();
  knobs.pat_track_pfn_insert = false;
  const pgprot_t prot = pgprot_writecombine(vm_get_page_prot(VM_READ | VM_SHARED, true));
  EXPECT_EQ(track_pfn_insert(prot, PageCacheMode::kUcMinus, knobs), prot);
}

TEST(PfnHelpers, PfnRoundTripsThroughPteAndPmd) {
  const pgprot_t prot = pgprot_writecombine(vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, true));
  for (uint64_t pfn : {uint64_t{0}, uint64_t{1}, kPfn, kMaxPfn}) {
    SCOPED_TRACE(pfn);
    const pte_t pte = pfn_pte(pfn, prot);
    EXPECT_EQ(pte_pfn(pte), pfn);
    EXPECT_EQ(pte_pgprot(pte), prot);
    const pmd_t pmd = pmd_mkhuge(pfn_pmd(pfn, prot));
    EXPECT_EQ(pmd_pfn(pmd), pfn);
    EXPECT_EQ(pgprot_val(pmd_pgprot(pmd)), pgprot_val(prot) | PAGE_PSE);
  }
  EXPECT_EQ(PTE_PFN_MASK & PAGE_ENC, 0u);
}

TEST(EntryPredicates, NonePresentAndHuge) {
  EXPECT_TRUE(pte_none(pte_t{}));
  EXPECT_FALSE(pte_present(pte_t{}));
  EXPECT_TRUE(pmd_none(pmd_t{}));
  const pmd_t huge = pmd_mkhuge(pfn_pmd(kPfn, vm_get_page_prot(VM_READ | VM_SHARED, true)));
  EXPECT_TRUE(pmd_present(huge));
  EXPECT_TRUE(pmd_large(huge));
  EXPECT_TRUE(pmd_trans_huge(huge));
  EXPECT_FALSE(pmd_trans_huge(pmd_mkdevmap(huge)));
  EXPECT_TRUE(pmd_devmap(pmd_mkdevmap(huge)));
}

TEST(Describe, NamesPfnFlagsCachingAndEncryption) {
  const std::string text = describe_pte(wc_iomem_pte());
  EXPECT_NE(text.find("pfn 0x1234"), std::string::npos) << text;
  EXPECT_NE(text.find("SPECIAL"), std::string::npos) << text;
  EXPECT_NE(text.find("WC, decrypted"), std::string::npos) << text;
  EXPECT_EQ(pgprot_flags_string(pgprot_t{}), "0");
  EXPECT_EQ(pgprot_flags_string(PAGE_NONE), "ACCESSED|GLOBAL/PROTNONE");
}

// --- Property test -----------------------------------------------------------
// An oracle written directly from KERNEL_MODEL.md section 3, with the bit
// positions spelled out rather than taken from the implementation:
//   _PAGE_CHG_MASK (v5.3) = PFN | PCD | PWT | special | accessed | dirty |
//                           soft-dirty | devmap; v5.7 adds the C-bit.
//   pte_modify(pte, new)  = (pte & CHG) | (new & ~CHG); pmd_modify also keeps PSE.
//   pgprot_modify(old, new) = (old & CHG) | new           (v5.3)
//                           = (old & CHG) | (new & ~CHG)  (v5.7)
constexpr uint64_t bit(int n) { return uint64_t{1} << n; }

struct Oracle {
  static constexpr uint64_t kCbit = bit(47);
  // Physical address bits 12..51, without the C-bit.
  static constexpr uint64_t kPfnMask = (((uint64_t{1} << 52) - 1) & ~uint64_t{0xfff}) & ~kCbit;
  static constexpr uint64_t kPwt = bit(3), kPcd = bit(4), kAccessed = bit(5), kDirty = bit(6),
                            kPse = bit(7), kSpecial = bit(9), kSoftDirty = bit(11),
                            kDevmap = bit(58);

  bool keeps_cbit;

  uint64_t chg() const {
    return kPfnMask | kPcd | kPwt | kSpecial | kAccessed | kDirty | kSoftDirty | kDevmap |
           (keeps_cbit ? kCbit : 0);
  }
  uint64_t pte_modify(uint64_t pte, uint64_t newprot) const {
    return (pte & chg()) | (newprot & ~chg());
  }
  uint64_t pmd_modify(uint64_t pmd, uint64_t newprot) const {
    const uint64_t hchg = chg() | kPse;
    return (pmd & hchg) | (newprot & ~hchg);
  }
  uint64_t pgprot_modify(uint64_t oldprot, uint64_t newprot) const {
    return keeps_cbit ? (oldprot & chg()) | (newprot & ~chg()) : (oldprot & chg()) | newprot;
  }
};

// Random values: fully random words, plus words built from the bits that
// matter so that every combination of them is well covered.
uint64_t random_value(std::mt19937_64& rng) {
  static constexpr int kInteresting[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 47, 58, 63};
  if (rng() % 2 == 0) return rng();
  uint64_t value = (rng() & Oracle::kPfnMask);
  for (int b : kInteresting) {
    if (rng() % 2 == 0) value |= bit(b);
  }
  return value;
}

TEST(PteModifyProperty, MatchesTheSection3FormulaOnRandomValues) {
  std::mt19937_64 rng(20190910);
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    const KernelKnobs knobs = preset_knobs(preset);
    const Oracle oracle{knobs.pte_modify_keeps_cbit};
    for (int i = 0; i < 100000; ++i) {
      const uint64_t a = random_value(rng);
      const uint64_t b = random_value(rng);
      ASSERT_EQ(pte_val(pte_modify(pte_t{a}, pgprot_t{b}, knobs)), oracle.pte_modify(a, b))
          << std::hex << "pte 0x" << a << " newprot 0x" << b;
      ASSERT_EQ(pmd_val(pmd_modify(pmd_t{a}, pgprot_t{b}, knobs)), oracle.pmd_modify(a, b))
          << std::hex << "pmd 0x" << a << " newprot 0x" << b;
      ASSERT_EQ(pgprot_val(pgprot_modify(pgprot_t{a}, pgprot_t{b}, knobs)),
                oracle.pgprot_modify(a, b))
          << std::hex << "oldprot 0x" << a << " newprot 0x" << b;
    }
  }
}

TEST(PteModifyProperty, PfnCachingAndCbitRulesHoldOnRandomEntries) {
  std::mt19937_64 rng(5379);
  for (KernelPreset preset : all_presets()) {
    SCOPED_TRACE(to_string(preset));
    const KernelKnobs knobs = preset_knobs(preset);
    for (int i = 0; i < 100000; ++i) {
      const pte_t pte{random_value(rng)};
      const pgprot_t newprot{random_value(rng) & PTE_FLAGS_MASK};
      const pte_t after = pte_modify(pte, newprot, knobs);
      ASSERT_EQ(pte_pfn(after), pte_pfn(pte));
      ASSERT_EQ(cachemode_of(pte_pgprot(after)), cachemode_of(pte_pgprot(pte)));
      const bool expected_cbit =
          knobs.pte_modify_keeps_cbit ? is_encrypted(pte_pgprot(pte)) : is_encrypted(newprot);
      ASSERT_EQ(is_encrypted(pte_pgprot(after)), expected_cbit);
      ASSERT_EQ(pte_write(after), (pgprot_val(newprot) & PAGE_RW) != 0);
    }
  }
}

}  // namespace
}  // namespace protmc::model::x86
