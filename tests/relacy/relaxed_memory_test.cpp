// The ordering claim of the write-once proposal (model/proposals/write_once.cpp)
// under Relacy's C++11 memory model: "when another reader sees a valid page
// table entry, it also sees the new page protection".
//
// The writer is the fault path of write-once, reduced to its shared accesses:
//   WRITE_ONCE(vma->vm_page_prot, new_prot);
//   spin_lock(ptl); WRITE_ONCE(*pte, valid); spin_unlock(ptl);
// A locked reader takes the PTE lock before reading the PTE and then the
// protection; a lockless reader (a GUP-fast-style walk) reads both with
// READ_ONCE only. Each reader fails "stale-prot" if it sees the valid PTE but
// the old protection.
#include <gtest/gtest.h>

#include <string>

#include "checker/explore/explorer.hpp"
#include "checker/relacy/relacy_backend.hpp"

namespace protmc::checker {
namespace {

constexpr uint64_t kOldProt = 0x8000000000000027;  // encrypted
constexpr uint64_t kNewProt = 0x27;                // decrypted (iomem)
constexpr uint64_t kValidPte = 1;

// Barriers a variant adds: smp_wmb() in the writer between its two
// WRITE_ONCEs, smp_rmb() in the lockless reader between its two READ_ONCEs.
struct Barriers {
  bool writer_wmb = false;
  bool reader_rmb = false;
};

Program ordering_program(bool reader_takes_ptl, Barriers barriers = {}) {
  return Program{reader_takes_ptl ? "write-once ordering, locked reader"
                                  : "write-once ordering, lockless reader",
                 [reader_takes_ptl, barriers](Env& env) {
                   const VarId prot = env.make_var("vma->vm_page_prot", kOldProt);
                   const VarId pte = env.make_var("pte", 0);
                   const LockId ptl = env.make_lock(LockSpec{"ptl", "ptl", LockKind::kSpinlock});
                   const ThreadId writer = env.spawn("fault", [=](Env& e) {
                     FunctionScope scope(e, "ttm_bo_vm_fault_reserved");
                     e.store(prot, kNewProt, Access::kMarked);
                     if (barriers.writer_wmb) e.fence(MemoryOrder::kRelease);  // smp_wmb()
                     e.lock(ptl);
                     e.store(pte, kValidPte, Access::kMarked);
                     e.unlock(ptl);
                   });
                   const ThreadId reader = env.spawn("reader", [=](Env& e) {
                     FunctionScope scope(e, reader_takes_ptl ? "locked_walk" : "lockless_walk");
                     if (reader_takes_ptl) e.lock(ptl);
                     const uint64_t entry = e.load(pte, Access::kMarked);
                     if (barriers.reader_rmb) e.fence(MemoryOrder::kAcquire);  // smp_rmb()
                     const uint64_t seen = e.load(prot, Access::kMarked);
                     if (reader_takes_ptl) e.unlock(ptl);
                     if (entry == kValidPte && seen != kNewProt) {
                       e.fail("stale-prot", "the reader saw a valid PTE but the old vm_page_prot");
                     }
                   });
                   env.join(writer);
                   env.join(reader);
                 }};
}

relacy::RelacyResult under_relacy(const Program& program) {
  relacy::RelacyOptions options;
  options.search = relacy::RelacySearch::kFull;
  options.time_limit_s = 10;
  return relacy::explore_with_relacy(program, options);
}

TEST(RelaxedMemory, ReaderTakingThePteLockAlwaysSeesTheNewProtection) {
  const Program program = ordering_program(true);
  EXPECT_EQ(explore(program, ExploreOptions{}).verdict, Verdict::kPass);
  const relacy::RelacyResult got = under_relacy(program);
  EXPECT_EQ(got.verdict, relacy::RelacyVerdict::kPass) << got.property << ": " << got.message;
}

// Sequential consistency (the native engine) cannot show it; Relacy's
// relaxed loads can: the two READ_ONCEs of the lockless reader are unordered,
// so it may see the new PTE and the old protection.
TEST(RelaxedMemory, LocklessReaderCanSeeTheValidPteWithTheOldProtection) {
  const Program program = ordering_program(false);
  EXPECT_EQ(explore(program, ExploreOptions{}).verdict, Verdict::kPass);
  const relacy::RelacyResult got = under_relacy(program);
  ASSERT_EQ(got.verdict, relacy::RelacyVerdict::kViolation);
  EXPECT_EQ(got.property, "stale-prot");
  bool read_valid_pte = false;
  bool read_old_prot = false;
  for (const TraceEvent& event : got.trace.events) {
    if (event.thread_name != "reader" || event.operation != "READ_ONCE") continue;
    read_valid_pte = read_valid_pte || (event.object == "pte" && event.value == kValidPte);
    read_old_prot =
        read_old_prot || (event.object == "vma->vm_page_prot" && event.value == kOldProt);
  }
  EXPECT_TRUE(read_valid_pte);
  EXPECT_TRUE(read_old_prot);
}

// What a lockless reader would need: the PTE lock's acquisition does not
// order the writer's earlier WRITE_ONCE(vm_page_prot) before its PTE store,
// so smp_rmb() in the reader alone does not help; with smp_wmb() in the
// writer as well, seeing the valid PTE implies seeing the new protection.
TEST(RelaxedMemory, ALocklessReaderNeedsSmpWmbInTheWriterAndSmpRmbInTheReader) {
  struct Variant {
    Barriers barriers;
    bool holds;
  };
  for (const Variant& v : {Variant{{false, true}, false}, Variant{{true, false}, false},
                           Variant{{true, true}, true}}) {
    SCOPED_TRACE(std::string("smp_wmb ") + (v.barriers.writer_wmb ? "yes" : "no") + ", smp_rmb " +
                 (v.barriers.reader_rmb ? "yes" : "no"));
    const Program program = ordering_program(false, v.barriers);
    EXPECT_EQ(explore(program, ExploreOptions{}).verdict, Verdict::kPass);  // SC: always fine
    const relacy::RelacyResult got = under_relacy(program);
    if (v.holds) {
      EXPECT_EQ(got.verdict, relacy::RelacyVerdict::kPass) << got.property << ": " << got.message;
    } else {
      ASSERT_EQ(got.verdict, relacy::RelacyVerdict::kViolation);
      EXPECT_EQ(got.property, "stale-prot");
    }
  }
}

}  // namespace
}  // namespace protmc::checker
