// The vvar mapping (model/vvar) and the vvar variant of every proposal:
// single-threaded faults, and DPOR explorations of two concurrent faults on a
// [data, pvclock] mapping under SEV, where the two pages need different
// attributes (data: WB, encrypted; pvclock: WB, decrypted) and nothing but
// the page-table lock serialises the faults.
#include "model/vvar/vvar.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "checker/explore/explorer.hpp"
#include "model/mm/properties.hpp"
#include "model/proposals/proposal.hpp"

namespace protmc::model {
namespace {

using checker::Env;

struct VvarRun {
  checker::ExploreResult result;
  std::vector<x86::pte_t> pte;  // final PTEs of the last complete execution
  bool has(const char* property) const {
    for (const auto& f : result.findings) {
      if (f.finding.property == property) return true;
    }
    return false;
  }
  std::string message(const char* property) const {
    for (const auto& f : result.findings) {
      if (f.finding.property == property) return f.finding.message;
    }
    return "";
  }
  std::string all() const {
    std::string out;
    for (const auto& f : result.findings) {
      out += f.finding.property + ": " + f.finding.message + "\n";
    }
    return out;
  }
};

const Proposal& proposal(const char* name) {
  const Proposal* p = find_proposal(name);
  if (p == nullptr) std::abort();
  return *p;
}

VvarConfig vvar_config(std::vector<VvarPage> layout, bool sev) {
  VvarConfig config;
  config.layout = std::move(layout);
  config.sev_active = sev;
  config.knobs = preset_knobs(KernelPreset::kV5_7);
  return config;
}

// Installs the mapping under `name`, then faults every page in `pages`, each
// from its own thread (one page: the main thread).
VvarRun run_vvar(const VvarConfig& config, const char* name, std::vector<uint64_t> pages) {
  auto final_pte = std::make_shared<std::vector<x86::pte_t>>();
  checker::Program program{"vvar-test", [config, name, pages, final_pte](Env& env) {
                             auto vvar = make_vvar_state(env, config);
                             install_mm_properties(env, vvar->mm);
                             vvar_install_special_mapping(env, *vvar, proposal(name));
                             if (pages.size() == 1) {
                               vvar_user_fault(env, *vvar, proposal(name), pages[0]);
                             } else {
                               std::vector<checker::ThreadId> threads;
                               for (uint64_t page : pages) {
                                 threads.push_back(env.spawn("fault", [vvar, name, page](Env& e) {
                                   vvar_user_fault(e, *vvar, proposal(name), page);
                                 }));
                               }
                               for (auto t : threads) env.join(t);
                             }
                             std::vector<x86::pte_t> local;
                             for (uint64_t p = 0; p < vvar->mm->nr_pages; ++p) {
                               local.push_back(peek_pte(env, *vvar->mm, p));
                             }
                             *final_pte = local;
                           }};
  checker::ExploreOptions options;
  options.keep_going = true;
  VvarRun run;
  run.result = checker::explore(program, options);
  run.pte = *final_pte;
  return run;
}

PageAttributes attrs(x86::pte_t pte) { return attributes_of(x86::pte_pgprot(pte)); }

// The real vvar_fault(): every page gets what its memory needs.
TEST(Vvar, VvarFaultMapsEachPageWithItsAttributes) {
  const auto config = vvar_config({VvarPage::kData, VvarPage::kPvclock, VvarPage::kHvclock}, true);
  for (uint64_t page = 0; page < 3; ++page) {
    const VvarRun run = run_vvar(config, "per-page-prot", {page});
    EXPECT_TRUE(run.result.findings.empty()) << run.all();
    ASSERT_EQ(run.pte.size(), 3u);
    EXPECT_TRUE(x86::pte_present(run.pte[page]));
    EXPECT_EQ(x86::pte_pfn(run.pte[page]), 0x100 + page);
    EXPECT_FALSE(x86::pte_write(run.pte[page]));
    const PageAttributes want =
        required_attributes(memory_kind_of(config.layout[page]), /*sev_active=*/true);
    EXPECT_EQ(attrs(run.pte[page]), want) << "page " << page;
  }
}

TEST(Vvar, PvclockPageIsDecryptedOnlyUnderSev) {
  const VvarRun run =
      run_vvar(vvar_config({VvarPage::kData, VvarPage::kPvclock}, false), "per-page-prot", {1});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_FALSE(attrs(run.pte[1]).encrypted);
}

TEST(Vvar, EveryProposalHasAVvarVariant) {
  for (const Proposal& p : all_proposals()) {
    EXPECT_NE(p.vvar_fault, nullptr) << p.name;
  }
}

// Concurrent faults on [data, pvclock] under SEV, one test per proposal.
const std::vector<VvarPage> kDataPvclock = {VvarPage::kData, VvarPage::kPvclock};

// per-page-prot (what vvar_fault() really does): passes in every interleaving.
TEST(VvarExploration, PerPageProtPasses) {
  const VvarRun run = run_vvar(vvar_config(kDataPvclock, true), "per-page-prot", {0, 1});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.result.verdict, checker::Verdict::kPass);
  EXPECT_TRUE(run.result.stats.complete);
  EXPECT_GT(run.result.stats.executions, 1u);
}

// fake-vma: the per-page prot lives in a stack copy: passes.
TEST(VvarExploration, FakeVmaPasses) {
  const VvarRun run = run_vvar(vvar_config(kDataPvclock, true), "fake-vma", {0, 1});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_TRUE(run.result.stats.complete);
}

// write-once fails on a mapping whose pages need different attributes: with
// no reservation, the data fault's WRITE_ONCE(encrypted) and the pvclock
// fault's WRITE_ONCE(decrypted) interleave with the other's insert, which
// reads vm_page_prot from the VMA: one page is inserted with the other's
// prot. Also a data race (WRITE_ONCE vs vmf_insert_pfn()'s plain read, both
// under mmap_sem read only).
TEST(VvarExploration, WriteOnceFailsOnPagesThatNeedDifferentAttributes) {
  const VvarRun run = run_vvar(vvar_config(kDataPvclock, true), "write-once", {0, 1});
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  const std::string msg = run.message(kPteAttributes);
  const bool data_decrypted =
      msg ==
      "PTE for page 0 (pfn 0x100, vvar-data) is WB, decrypted but the memory requires "
      "WB, encrypted";
  const bool pvclock_encrypted =
      msg ==
      "PTE for page 1 (pfn 0x101, pvclock) is WB, encrypted but the memory requires "
      "WB, decrypted";
  EXPECT_TRUE(data_decrypted || pvclock_encrypted) << msg;
  EXPECT_TRUE(run.has(checker::kDataRace)) << run.all();
}

// Without SEV the pages need the same attributes: no wrong PTE, but the race
// on vm_page_prot is still there.
TEST(VvarExploration, WriteOnceWithoutSevStillRacesOnVmPageProt) {
  const VvarRun run = run_vvar(vvar_config(kDataPvclock, false), "write-once", {0, 1});
  EXPECT_FALSE(run.has(kPteAttributes)) << run.all();
  EXPECT_TRUE(run.has(checker::kDataRace)) << run.all();
}

// dma-mmap-prepare: one prot (the data page's: WB, encrypted) for the whole
// mapping: the pvclock page is mapped encrypted.
TEST(VvarExploration, DmaMmapPrepareFails) {
  const VvarRun run = run_vvar(vvar_config(kDataPvclock, true), "dma-mmap-prepare", {0, 1});
  ASSERT_TRUE(run.has(kPteAttributes)) << run.all();
  EXPECT_EQ(run.message(kPteAttributes),
            "PTE for page 1 (pfn 0x101, pvclock) is WB, encrypted but the memory requires WB, "
            "decrypted");
}

// vm-prot-lock: the exploration passes. The fault writes vm_page_prot and
// inserts from it inside one vm_prot_lock critical section, so the other
// fault can neither change the prot between the write and the insert nor
// read a half-done state: the lock does for vvar what the reservation does
// for a TTM BO (write-once's argument (b)). What it cannot fix is visible in
// vm_prot_lock_test.cpp (RebuildSplitStillUsesTheVmaProt): any core-mm path
// that builds PTEs from the single VMA-wide value gets the last fault's prot.
TEST(VvarExploration, VmProtLockPasses) {
  const VvarRun run = run_vvar(vvar_config(kDataPvclock, true), "vm-prot-lock", {0, 1});
  EXPECT_TRUE(run.result.findings.empty()) << run.all();
  EXPECT_EQ(run.result.verdict, checker::Verdict::kPass);
  EXPECT_TRUE(run.result.stats.complete);
  EXPECT_GT(run.result.stats.executions, 1u);
}

}  // namespace
}  // namespace protmc::model
