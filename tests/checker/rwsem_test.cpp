// rw-semaphores, plain and writer-preferring (a queued down_write blocks new
// readers, as the kernel's rwsem does): semantics, and DPOR against dfs.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "tests/checker/mazurkiewicz.hpp"

namespace protmc::checker {
namespace {

// A reader that takes mmap_sem for read twice (recursively) while a writer
// wants it: with a fair rwsem the writer queues between the two and nobody
// can go on, the classic mmap_sem recursion deadlock.
Program recursive_reader(bool writer_blocks_readers) {
  return Program{"recursive-read", [=](Env& env) {
                   LockId sem = env.make_lock(LockSpec{"mm->mmap_sem", "mmap_sem", LockKind::kRwSem,
                                                       writer_blocks_readers});
                   ThreadId reader = env.spawn("fault", [=](Env& e) {
                     e.lock(sem, LockMode::kShared);
                     e.lock(sem, LockMode::kShared);
                     e.unlock(sem, LockMode::kShared);
                     e.unlock(sem, LockMode::kShared);
                   });
                   ThreadId writer = env.spawn("mprotect", [=](Env& e) {
                     e.lock(sem, LockMode::kExclusive);
                     e.unlock(sem, LockMode::kExclusive);
                   });
                   env.join(reader);
                   env.join(writer);
                 }};
}

TEST(RwSem, QueuedWriterBlocksARecursiveReaderIntoDeadlock) {
  for (Strategy s : {Strategy::kDfs, Strategy::kDpor}) {
    ExploreOptions options;
    options.strategy = s;
    options.keep_going = true;
    ExploreResult fair = explore(recursive_reader(true), options);
    ASSERT_EQ(fair.verdict, Verdict::kViolation) << to_string(s);
    ASSERT_EQ(fair.findings[0].finding.property, kDeadlock);
    EXPECT_TRUE(fair.findings[0].reproduced);
    EXPECT_NE(fair.findings[0].finding.message.find("fault waits for mm->mmap_sem"),
              std::string::npos)
        << fair.findings[0].finding.message;
    bool saw_queue = false;
    for (const TraceEvent& e : fair.findings[0].trace.events) {
      saw_queue = saw_queue || e.operation.find("down_write (waits") == 0;
    }
    EXPECT_TRUE(saw_queue);

    ExploreResult unfair = explore(recursive_reader(false), options);
    EXPECT_EQ(unfair.verdict, Verdict::kPass) << to_string(s);
  }
}

// Random programs over one writer-preferring rwsem and two variables.
struct Section {
  bool write_lock;
  bool store;
  uint32_t var;
};

Program random_program(uint64_t seed, bool writer_blocks_readers) {
  std::mt19937_64 rng(seed);
  const uint32_t threads = 2 + static_cast<uint32_t>(rng() % 2);
  auto plan = std::make_shared<std::vector<std::vector<Section>>>(threads);
  for (auto& sections : *plan) {
    const uint32_t count = threads == 3 ? 1 : 1 + static_cast<uint32_t>(rng() % 2);
    for (uint32_t i = 0; i < count; ++i) {
      sections.push_back(Section{rng() % 2 == 0, rng() % 2 == 0, static_cast<uint32_t>(rng() % 2)});
    }
  }
  return Program{
      "random-rwsem", [=](Env& env) {
        LockId sem = env.make_lock(LockSpec{"sem", "sem", LockKind::kRwSem, writer_blocks_readers});
        VarId vars[2] = {env.make_var("x", 0), env.make_var("y", 0)};
        std::vector<ThreadId> ids;
        for (uint32_t t = 0; t < plan->size(); ++t) {
          ids.push_back(env.spawn("t", [=](Env& e) {
            for (const Section& s : (*plan)[t]) {
              const LockMode mode = s.write_lock ? LockMode::kExclusive : LockMode::kShared;
              e.lock(sem, mode);
              if (s.store) {
                e.store(vars[s.var], t + 1, Access::kMarked);
              } else {
                e.load(vars[s.var], Access::kMarked);
              }
              e.unlock(sem, mode);
            }
          }));
        }
        for (ThreadId id : ids) env.join(id);
      }};
}

TEST(RwSemDifferential, DporMatchesDfsWithAndWithoutWriterPreference) {
  for (bool fair : {true, false}) {
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      ExploreOptions dfs;
      dfs.strategy = Strategy::kDfs;
      dfs.keep_going = true;
      ExploreOptions dpor = dfs;
      dpor.strategy = Strategy::kDpor;
      const Program program = random_program(seed, fair);
      testing::Observed reference = testing::observe(program, dfs);
      testing::Observed reduced = testing::observe(program, dpor);
      ASSERT_TRUE(reference.result.stats.complete);
      ASSERT_TRUE(reduced.result.stats.complete);
      EXPECT_TRUE(reduced.traces == reference.traces)
          << "seed " << seed << " fair " << fair << ": dpor " << reduced.traces.size()
          << " traces, dfs " << reference.traces.size();
      EXPECT_TRUE(reduced.final_states == reference.final_states) << "seed " << seed;
      EXPECT_EQ(reduced.repeated_traces, 0u) << "seed " << seed;
      EXPECT_EQ(reduced.sleep_blocked, 0u) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace protmc::checker
