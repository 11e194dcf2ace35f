// Single-threaded runs of the core mm paths (insert, zap, mprotect, madvise)
// and one small 2-thread exploration of the vm_page_prot race.
#include <gtest/gtest.h>

#include "model/mm/paths.hpp"
#include "tests/model/mm_test_util.hpp"

namespace protmc::model {
namespace {

using checker::Access;
using checker::LockMode;
using mmtest::MmRun;
using mmtest::run_mm;
using mmtest::Snapshot;
using mmtest::test_config;
using x86::pgprot_t;
using x86::pte_t;

// TTM-style per-page prot for VRAM: write-combined, decrypted.
pgprot_t vram_prot(pgprot_t base) { return x86::pgprot_decrypted(x86::pgprot_writecombine(base)); }

TEST(MmInsert, FaultInsertsTheExpectedSpecialPte) {
  const MmConfig config = test_config(KernelPreset::kV5_6, /*sev=*/true);
  auto run = run_mm(config, [](Env& env, const MmState& mm, Snapshot&) {
    env.lock(mm.mmap_sem, LockMode::kShared);
    const pgprot_t prot = vram_prot(pgprot_t{env.load(mm.vma(0).vm_page_prot, Access::kPlain)});
    EXPECT_EQ(vmf_insert_mixed_prot(env, mm, peek_vma_view(env, mm), 1, 0x105, prot),
              VM_FAULT_NOPAGE);
    env.unlock(mm.mmap_sem, LockMode::kShared);
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  const pgprot_t base = x86::vm_get_page_prot(config.vm_flags | VM_MIXEDMAP, /*sme_active=*/true);
  const pte_t expected = x86::pte_mkspecial(x86::pfn_pte(0x105, vram_prot(base)));
  EXPECT_EQ(run.snapshot->pte[1], expected) << x86::describe_pte(run.snapshot->pte[1]);
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[0]));
  EXPECT_EQ(run.snapshot->pmd[0], kPmdTable);
  EXPECT_EQ(run.snapshot->pmd[1], x86::pmd_t{0});
}

TEST(MmInsert, TrackPfnInsertCorrectsCachingButNotTheCBit) {
  // vmf_insert_mixed with the VMA's WB, encrypted prot on VRAM under SEV: PAT
  // makes it WC, the C-bit stays: the v5.3 TTM bug pattern.
  auto run =
      run_mm(test_config(KernelPreset::kV5_3, true), [](Env& env, const MmState& mm, Snapshot&) {
        env.lock(mm.mmap_sem, LockMode::kShared);
        vmf_insert_mixed(env, mm, peek_vma_view(env, mm), 0, 0x104);
        env.unlock(mm.mmap_sem, LockMode::kShared);
      });
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 0 (pfn 0x104, iomem-wc) is WC, encrypted but the memory requires WC, "
            "decrypted");
}

TEST(MmInsert, InsertPfnLeavesAPresentPteUnchanged) {
  auto run = run_mm(
      test_config(KernelPreset::kV5_3, false), [](Env& env, const MmState& mm, Snapshot& out) {
        const pgprot_t prot{env.load(mm.vma(0).vm_page_prot, Access::kPlain)};
        out.results.push_back(insert_pfn(env, mm, 2, 0x102, prot));
        out.results.push_back(insert_pfn(env, mm, 2, 0x103, x86::pgprot_noncached(prot)));
      });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(x86::pte_pfn(run.snapshot->pte[2]), 0x102u);
  EXPECT_EQ(x86::cachemode_of(x86::pte_pgprot(run.snapshot->pte[2])), x86::PageCacheMode::kWb);
}

void fill_all(Env& env, const MmState& mm) {
  for (uint64_t page = 0; page < 4; ++page) {
    vmf_insert_pfn_prot(env, mm, peek_vma_view(env, mm), page, 0x104 + page,
                        vram_prot(pgprot_t{env.load(mm.vma(0).vm_page_prot, Access::kPlain)}));
  }
}

TEST(MmZap, UnmapMappingRangeZapsTheRangeOnly) {
  MmConfig config = test_config(KernelPreset::kV5_3, true, VmaKind::kPfnMap);
  config.vm_pgoff = 10;
  auto run = run_mm(config, [](Env& env, const MmState& mm, Snapshot&) {
    fill_all(env, mm);
    unmap_mapping_range(env, mm, 11, 2, true);  // pages 1 and 2 of the VMA
  });
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_TRUE(x86::pte_present(run.snapshot->pte[0]));
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[1]));
  EXPECT_TRUE(x86::pte_none(run.snapshot->pte[2]));
  EXPECT_TRUE(x86::pte_present(run.snapshot->pte[3]));
}

TEST(MmZap, MadviseDontneedZapsMixedMapButRefusesPfnMap) {
  auto mixed = run_mm(test_config(KernelPreset::kV5_7, false),
                      [](Env& env, const MmState& mm, Snapshot& out) {
                        env.lock(mm.mmap_sem, LockMode::kShared);
                        for (uint64_t p = 0; p < 4; ++p)
                          vmf_insert_mixed(env, mm, peek_vma_view(env, mm), p, 0x100 + p);
                        env.unlock(mm.mmap_sem, LockMode::kShared);
                        out.results.push_back(do_madvise_dontneed(env, mm, 0, 4));
                      });
  ASSERT_TRUE(mixed.snapshot->taken) << mixed.all();
  EXPECT_EQ(mixed.snapshot->results.at(0), 0);
  for (const pte_t& pte : mixed.snapshot->pte) EXPECT_TRUE(x86::pte_none(pte));

  auto pfnmap = run_mm(test_config(KernelPreset::kV5_7, false, VmaKind::kPfnMap),
                       [](Env& env, const MmState& mm, Snapshot& out) {
                         fill_all(env, mm);
                         out.results.push_back(do_madvise_dontneed(env, mm, 0, 4));
                       });
  ASSERT_TRUE(pfnmap.snapshot->taken) << pfnmap.all();
  EXPECT_EQ(pfnmap.snapshot->results.at(0), -22);
  EXPECT_TRUE(x86::pte_present(pfnmap.snapshot->pte[0]));
}

MmRun mprotect_run(KernelPreset preset, bool sev) {
  return run_mm(
      test_config(preset, sev, VmaKind::kPfnMap), [](Env& env, const MmState& mm, Snapshot& out) {
        vmf_insert_pfn_prot(env, mm, peek_vma_view(env, mm), 0, 0x104,
                            vram_prot(pgprot_t{env.load(mm.vma(0).vm_page_prot, Access::kPlain)}));
        out.results.push_back(do_mprotect_pkey(env, mm, 0, 4, PROT_READ));
      });
}

TEST(MmMprotect, RewritesPresentEntriesOnly) {
  const MmRun run = mprotect_run(KernelPreset::kV5_7, /*sev=*/false);
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.snapshot->results.at(0), 0);
  const pte_t pte = run.snapshot->pte[0];
  EXPECT_TRUE(x86::pte_present(pte));
  EXPECT_FALSE(x86::pte_write(pte));
  EXPECT_TRUE(x86::pte_special(pte));
  EXPECT_EQ(x86::pte_pfn(pte), 0x104u);
  EXPECT_EQ(x86::cachemode_of(x86::pte_pgprot(pte)), x86::PageCacheMode::kWc);
  for (int p = 1; p < 4; ++p) EXPECT_TRUE(x86::pte_none(run.snapshot->pte[p]));
  EXPECT_EQ(run.snapshot->vm_flags & (VM_READ | VM_WRITE), VM_READ);
  EXPECT_FALSE(run.snapshot->vm_page_prot.pgprot & x86::PAGE_RW);
}

TEST(MmMprotect, V53ReEncryptsADecryptedIomemPteUnderSev) {
  const MmRun run = mprotect_run(KernelPreset::kV5_3, /*sev=*/true);
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 0 (pfn 0x104, iomem-wc) is WC, encrypted but the memory requires WC, "
            "decrypted");
}

TEST(MmMprotect, V57KeepsTheCBit) {
  const MmRun run = mprotect_run(KernelPreset::kV5_7, /*sev=*/true);
  ASSERT_TRUE(run.snapshot->taken) << run.all();
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_FALSE(x86::is_encrypted(x86::pte_pgprot(run.snapshot->pte[0])));
  EXPECT_FALSE(x86::pte_write(run.snapshot->pte[0]));
}

TEST(MmMprotect, MprotectWithoutVmMaywriteIsRefused) {
  MmConfig config = test_config(KernelPreset::kV5_7, false);
  config.vm_flags = VM_READ | VM_SHARED | VM_MAYREAD | VM_MAYSHARE;
  auto run = run_mm(config, [](Env& env, const MmState& mm, Snapshot& out) {
    out.results.push_back(do_mprotect_pkey(env, mm, 0, 4, PROT_READ | PROT_WRITE));
  });
  ASSERT_TRUE(run.snapshot->taken);
  EXPECT_EQ(run.snapshot->results.at(0), -13);
}

// The 2019 thread's concern: a lockless plain reader of vm_page_prot (here
// vmf_insert_mixed() in a fault under mmap_sem read) against a WRITE_ONCE
// writer that does not hold mmap_sem for write (a fault-path write, as the
// write-once proposal does): one side is plain, so it is a data race.
TEST(MmExploration, PlainVmPageProtReadRacesWithWriteOnce) {
  auto program_for = [](bool writer_holds_mmap_sem_write) {
    const MmConfig config = test_config(KernelPreset::kV5_3, false);
    return checker::Program{
        "vm_page_prot-race", [=](Env& env) {
          auto mm = make_mm_state(env, config);
          install_mm_properties(env, mm);
          auto fault = env.spawn("fault", [mm](Env& e) {
            e.lock(mm->mmap_sem, LockMode::kShared);
            vmf_insert_mixed(e, *mm, peek_vma_view(e, *mm), 0, 0x100);
            e.unlock(mm->mmap_sem, LockMode::kShared);
          });
          auto writer = env.spawn("writer", [mm, writer_holds_mmap_sem_write](Env& e) {
            const LockMode mode =
                writer_holds_mmap_sem_write ? LockMode::kExclusive : LockMode::kShared;
            e.lock(mm->mmap_sem, mode);
            vma_set_page_prot(e, *mm, mm->vma(0));
            e.unlock(mm->mmap_sem, mode);
          });
          env.join(fault);
          env.join(writer);
        }};
  };
  checker::ExploreOptions options;
  options.keep_going = true;
  const auto racy = checker::explore(program_for(false), options);
  bool race = false;
  for (const auto& f : racy.findings) {
    if (f.finding.property == checker::kDataRace &&
        f.finding.message.find("vm_page_prot") != std::string::npos) {
      race = true;
    }
  }
  EXPECT_TRUE(race);
  EXPECT_TRUE(racy.stats.complete);

  const auto ordered = checker::explore(program_for(true), options);
  EXPECT_TRUE(ordered.findings.empty());
  EXPECT_EQ(ordered.verdict, checker::Verdict::kPass);
}

}  // namespace
}  // namespace protmc::model
