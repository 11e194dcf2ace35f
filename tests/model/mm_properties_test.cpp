// pte-attributes and pte-permission on hand-built states: each bad state is
// a finding with a message in kernel terms; good states are silent.
#include <gtest/gtest.h>

#include "model/mm/page_table.hpp"
#include "model/mm/paths.hpp"
#include "tests/model/mm_test_util.hpp"

namespace protmc::model {
namespace {

using checker::Access;
using mmtest::run_mm;
using mmtest::Snapshot;
using mmtest::test_config;
using x86::pgprot_t;

pgprot_t shared_rw(bool sev) { return x86::vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED, sev); }

// Hand-builds a PTE table in slot 0 and one PTE.
void put_pte(Env& env, const MmState& mm, uint64_t page, uint64_t pfn, pgprot_t prot) {
  env.store(mm.pmd[mm.pmd_index(page)], x86::pmd_val(kPmdTable), Access::kMarked);
  env.store(mm.pte[page], x86::pte_val(x86::pte_mkspecial(x86::pfn_pte(pfn, prot))),
            Access::kMarked);
}

TEST(MmProperties, GoodStatesAreSilent) {
  auto run =
      run_mm(test_config(KernelPreset::kV5_7, true), [](Env& env, const MmState& mm, Snapshot&) {
        put_pte(env, mm, 0, 0x100, shared_rw(true));  // RAM: WB, encrypted
        put_pte(env, mm, 1, 0x105,
                x86::pgprot_decrypted(x86::pgprot_writecombine(shared_rw(true))));  // VRAM
        set_expected_pfn(env, mm, 1, 0x105);
        // A huge entry over pages 2-3 of RAM... pfns 0x102-0x103.
        env.store(mm.pmd[1], x86::pmd_val(x86::pmd_mkhuge(x86::pfn_pmd(0x102, shared_rw(true)))),
                  Access::kMarked);
      });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
}

TEST(MmProperties, WrongCachingAndCBitIsReported) {
  auto run =
      run_mm(test_config(KernelPreset::kV5_7, true), [](Env& env, const MmState& mm, Snapshot&) {
        put_pte(env, mm, 1, 0x102, shared_rw(true));
        put_pte(env, mm, 1, 0x105, shared_rw(true));
      });
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 1 (pfn 0x105, iomem-wc) is WB, encrypted but the memory requires WC, "
            "decrypted");
}

TEST(MmProperties, HugePmdSubpagesAreChecked) {
  auto run =
      run_mm(test_config(KernelPreset::kV5_7, false), [](Env& env, const MmState& mm, Snapshot&) {
        // pfns 0x103 (RAM, WB) and 0x104 (VRAM, needs WC) in one WB huge entry.
        env.store(mm.pmd[0], x86::pmd_val(x86::pmd_mkhuge(x86::pfn_pmd(0x103, shared_rw(false)))),
                  Access::kMarked);
      });
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "huge PMD 0 at page 1 (pfn 0x104, iomem-wc) is WB, decrypted but the memory requires "
            "WC, decrypted");
}

TEST(MmProperties, StaleAndFreedPfnsAreReported) {
  auto stale =
      run_mm(test_config(KernelPreset::kV5_7, false), [](Env& env, const MmState& mm, Snapshot&) {
        put_pte(env, mm, 0, 0x100, shared_rw(false));
        set_expected_pfn(env, mm, 0, 0x101);  // the BO moved
      });
  ASSERT_TRUE(stale.has(kPteAttributes)) << stale.all();
  EXPECT_EQ(stale.message(kPteAttributes),
            "PTE for page 0 (pfn 0x100, system-cached) is stale: the mapping now maps pfn 0x101 "
            "at that offset");

  auto freed =
      run_mm(test_config(KernelPreset::kV5_7, false), [](Env& env, const MmState& mm, Snapshot&) {
        put_pte(env, mm, 0, 0x100, shared_rw(false));
        set_pfn_owner(env, mm, 0x100, kPfnFree);
      });
  ASSERT_TRUE(freed.has(kPteAttributes)) << freed.all();
  EXPECT_EQ(freed.message(kPteAttributes),
            "PTE for page 0 (pfn 0x100, system-cached) maps memory that has been freed");

  auto unknown = run_mm(
      test_config(KernelPreset::kV5_7, false),
      [](Env& env, const MmState& mm, Snapshot&) { put_pte(env, mm, 0, 0x200, shared_rw(false)); });
  ASSERT_TRUE(unknown.has(kPteAttributes)) << unknown.all();
}

TEST(MmProperties, MemtypeChangeUnderAMappingIsReported) {
  auto run =
      run_mm(test_config(KernelPreset::kV5_7, false), [](Env& env, const MmState& mm, Snapshot&) {
        put_pte(env, mm, 0, 0x100, shared_rw(false));
        set_pfn_kind(env, mm, 0x100, MemoryKind::kSystemWc);  // set_pages_wc
      });
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 0 (pfn 0x100, system-wc) is WB, decrypted but the memory requires WC, "
            "decrypted");
}

TEST(MmProperties, WritableEntryWithoutVmWriteIsReported) {
  auto run =
      run_mm(test_config(KernelPreset::kV5_7, false), [](Env& env, const MmState& mm, Snapshot&) {
        put_pte(env, mm, 2, 0x102, shared_rw(false));
        for (VarId v : mm.committed_vm_flags)
          env.store(v, VM_READ | VM_SHARED | VM_MIXEDMAP, Access::kMarked);
      });
  ASSERT_TRUE(run.has(kPtePermission)) << run.all();
  EXPECT_EQ(run.message(kPtePermission).rfind("PTE for page 2 is writable (", 0), 0u)
      << run.message(kPtePermission);
  EXPECT_NE(run.message(kPtePermission).find("but the VMA has no VM_WRITE (vm_flags 0x10000009)"),
            std::string::npos)
      << run.message(kPtePermission);
}

TEST(MmProperties, ReadOnlyEntriesWithoutVmWriteAreSilent) {
  auto run =
      run_mm(test_config(KernelPreset::kV5_7, false), [](Env& env, const MmState& mm, Snapshot&) {
        put_pte(env, mm, 2, 0x102, x86::vm_get_page_prot(VM_READ | VM_SHARED, false));
        for (VarId v : mm.committed_vm_flags)
          env.store(v, VM_READ | VM_SHARED | VM_MIXEDMAP, Access::kMarked);
      });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
}

}  // namespace
}  // namespace protmc::model
