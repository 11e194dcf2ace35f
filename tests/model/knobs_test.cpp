// Kernel presets and knobs: preset values, preset names, setting knobs by name.
#include "model/kernel/knobs.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace protmc::model {
namespace {

TEST(KernelPreset, V53HasTheOriginalBehaviour) {
  const KernelKnobs k = preset_knobs(KernelPreset::kV5_3);
  EXPECT_FALSE(k.pte_modify_keeps_cbit);
  EXPECT_EQ(k.unmap_i_mmap_lock, IMmapLockMode::kWrite);
  EXPECT_EQ(k.special_huge_split, SpecialHugeSplit::kPmdPage);
  EXPECT_TRUE(k.pat_track_pfn_insert);
  EXPECT_FALSE(k.ttm_decrypts_dma_pages);
  EXPECT_FALSE(k.ttm_huge_faults);
}

TEST(KernelPreset, V56HasTheStableCbitFixOnly) {
  const KernelKnobs k = preset_knobs(KernelPreset::kV5_6);
  EXPECT_TRUE(k.pte_modify_keeps_cbit);
  EXPECT_EQ(k.unmap_i_mmap_lock, IMmapLockMode::kWrite);
  EXPECT_EQ(k.special_huge_split, SpecialHugeSplit::kPmdPage);
  EXPECT_TRUE(k.pat_track_pfn_insert);
  EXPECT_FALSE(k.ttm_decrypts_dma_pages);
  EXPECT_FALSE(k.ttm_huge_faults);
}

TEST(KernelPreset, V57HasSpecialHugeAndTtmHugeFaults) {
  const KernelKnobs k = preset_knobs(KernelPreset::kV5_7);
  EXPECT_TRUE(k.pte_modify_keeps_cbit);
  EXPECT_EQ(k.unmap_i_mmap_lock, IMmapLockMode::kWrite);
  EXPECT_EQ(k.special_huge_split, SpecialHugeSplit::kClear);
  EXPECT_TRUE(k.pat_track_pfn_insert);
  EXPECT_FALSE(k.ttm_decrypts_dma_pages);
  EXPECT_TRUE(k.ttm_huge_faults);
}

TEST(KernelPreset, NamesRoundTrip) {
  ASSERT_EQ(all_presets().size(), 3u);
  for (KernelPreset preset : all_presets()) {
    const auto parsed = parse_preset(to_string(preset));
    ASSERT_TRUE(parsed.has_value()) << to_string(preset);
    EXPECT_EQ(*parsed, preset);
  }
  EXPECT_EQ(to_string(KernelPreset::kV5_3), "v5.3");
  EXPECT_EQ(to_string(KernelPreset::kV5_6), "v5.6");
  EXPECT_EQ(to_string(KernelPreset::kV5_7), "v5.7");
}

TEST(KernelPreset, RejectsUnknownNames) {
  for (const char* name : {"", "5.3", "v5.4", "V5.3", "v5.3 ", "v6.4", "latest"}) {
    EXPECT_FALSE(parse_preset(name).has_value()) << "'" << name << "'";
  }
}

TEST(KernelKnobs, TableNamesEveryKnobOnce) {
  std::set<std::string> names;
  for (const KnobInfo& info : kernel_knob_table()) {
    EXPECT_TRUE(names.insert(std::string(info.name)).second) << info.name;
    EXPECT_FALSE(info.values.empty());
    EXPECT_FALSE(info.help.empty());
  }
  const std::set<std::string> expected = {"pte_modify_keeps_cbit",  "unmap_i_mmap_lock",
                                          "special_huge_split",     "pat_track_pfn_insert",
                                          "ttm_decrypts_dma_pages", "ttm_huge_faults"};
  EXPECT_EQ(names, expected);
}

TEST(KernelKnobs, SetsEveryKnobByName) {
  KernelKnobs k = preset_knobs(KernelPreset::kV5_3);
  EXPECT_EQ(set_knob(k, "pte_modify_keeps_cbit", "true"), "");
  EXPECT_TRUE(k.pte_modify_keeps_cbit);
  EXPECT_EQ(set_knob(k, "unmap_i_mmap_lock", "read"), "");
  EXPECT_EQ(k.unmap_i_mmap_lock, IMmapLockMode::kRead);
  EXPECT_EQ(set_knob(k, "special_huge_split", "rebuild"), "");
  EXPECT_EQ(k.special_huge_split, SpecialHugeSplit::kRebuild);
  EXPECT_EQ(set_knob(k, "special_huge_split", "clear"), "");
  EXPECT_EQ(k.special_huge_split, SpecialHugeSplit::kClear);
  EXPECT_EQ(set_knob(k, "pat_track_pfn_insert", "false"), "");
  EXPECT_FALSE(k.pat_track_pfn_insert);
  EXPECT_EQ(set_knob(k, "ttm_decrypts_dma_pages", "true"), "");
  EXPECT_TRUE(k.ttm_decrypts_dma_pages);
  EXPECT_EQ(set_knob(k, "ttm_huge_faults", "true"), "");
  EXPECT_TRUE(k.ttm_huge_faults);
  EXPECT_EQ(set_knob(k, "unmap_i_mmap_lock", "write"), "");
  EXPECT_EQ(k.unmap_i_mmap_lock, IMmapLockMode::kWrite);
  EXPECT_EQ(set_knob(k, "special_huge_split", "pmd_page"), "");
  EXPECT_EQ(k.special_huge_split, SpecialHugeSplit::kPmdPage);
}

TEST(KernelKnobs, GetReturnsWhatSetStored) {
  for (KernelPreset preset : all_presets()) {
    const KernelKnobs original = preset_knobs(preset);
    KernelKnobs copy;  // defaults, then every knob set from the preset by name
    for (const KnobInfo& info : kernel_knob_table()) {
      const auto value = get_knob(original, info.name);
      ASSERT_TRUE(value.has_value()) << info.name;
      EXPECT_EQ(set_knob(copy, info.name, *value), "") << info.name;
    }
    EXPECT_EQ(copy, original) << to_string(preset);
  }
  EXPECT_FALSE(get_knob(KernelKnobs{}, "no_such_knob").has_value());
}

TEST(KernelKnobs, UnknownKnobIsAnErrorNamingTheKnownOnes) {
  KernelKnobs k = preset_knobs(KernelPreset::kV5_7);
  const KernelKnobs before = k;
  const std::string error = set_knob(k, "sev_active", "true");
  EXPECT_NE(error.find("unknown kernel knob 'sev_active'"), std::string::npos) << error;
  for (const KnobInfo& info : kernel_knob_table()) {
    EXPECT_NE(error.find(info.name), std::string::npos) << error;
  }
  EXPECT_EQ(k, before);
}

TEST(KernelKnobs, BadValueIsAnErrorNamingTheAcceptedValues) {
  KernelKnobs k = preset_knobs(KernelPreset::kV5_3);
  const KernelKnobs before = k;
  std::string error = set_knob(k, "unmap_i_mmap_lock", "shared");
  EXPECT_EQ(error, "bad value 'shared' for kernel knob 'unmap_i_mmap_lock' (expected read|write)");
  error = set_knob(k, "pte_modify_keeps_cbit", "yes");
  EXPECT_EQ(error, "bad value 'yes' for kernel knob 'pte_modify_keeps_cbit' (expected true|false)");
  error = set_knob(k, "special_huge_split", "");
  EXPECT_NE(error.find("pmd_page|clear|rebuild"), std::string::npos) << error;
  error = set_knob(k, "ttm_huge_faults", "1");
  EXPECT_NE(error.find("expected true|false"), std::string::npos) << error;
  EXPECT_EQ(k, before);
}

TEST(KernelKnobs, ToStringListsEveryKnobInTableOrder) {
  EXPECT_EQ(to_string(preset_knobs(KernelPreset::kV5_3)),
            "pte_modify_keeps_cbit=false unmap_i_mmap_lock=write special_huge_split=pmd_page "
            "pat_track_pfn_insert=true ttm_decrypts_dma_pages=false ttm_huge_faults=false");
  EXPECT_EQ(to_string(preset_knobs(KernelPreset::kV5_7)),
            "pte_modify_keeps_cbit=true unmap_i_mmap_lock=write special_huge_split=clear "
            "pat_track_pfn_insert=true ttm_decrypts_dma_pages=false ttm_huge_faults=true");
}

}  // namespace
}  // namespace protmc::model
