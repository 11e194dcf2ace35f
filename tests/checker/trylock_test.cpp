// Trylocks under DPOR. A trylock is enabled whether or not the lock is held,
// so a successful one can be reordered before the release that freed the
// lock (where it fails), even when the previous acquisition happens before it
// (for example, taken by a parent before it spawned the trylocking thread: a
// moving fence held by the GPU). DPOR must explore both outcomes; this file
// checks it against dfs on a fixed program and on random ones.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "tests/checker/mazurkiewicz.hpp"

namespace protmc::checker {
namespace {

using testing::observe;
using testing::Observed;

// The parent holds the lock while it spawns the child and releases it after;
// the child trylocks it once.
Program parent_held_trylock() {
  return Program{"parent-held-trylock", [](Env& env) {
                   const LockId l = env.make_lock(LockSpec{"fence", "", LockKind::kMutex, false});
                   const VarId took = env.make_var("took", 0);
                   env.lock(l);
                   const ThreadId child = env.spawn("child", [=](Env& e) {
                     if (e.try_lock(l)) {
                       e.store(took, 1, Access::kMarked);
                       e.unlock(l);
                     } else {
                       e.store(took, 2, Access::kMarked);
                     }
                   });
                   env.unlock(l);
                   env.join(child);
                 }};
}

struct Counts {
  uint64_t traces = 0;
  uint64_t repeated = 0;
};

Counts expect_same_as_dfs(const Program& program) {
  ExploreOptions options;
  options.keep_going = true;
  options.strategy = Strategy::kDfs;
  options.bounds.max_executions = 20'000;  // programs dfs cannot finish are skipped
  const Observed dfs = observe(program, options);
  if (!dfs.result.stats.complete) return {};
  options.bounds.max_executions = 1'000'000;
  options.strategy = Strategy::kDpor;
  const Observed dpor = observe(program, options);
  EXPECT_TRUE(dpor.result.stats.complete);
  EXPECT_EQ(dpor.final_states, dfs.final_states);
  EXPECT_EQ(dpor.traces, dfs.traces);
  EXPECT_EQ(dpor.repeated_traces, 0u);
  EXPECT_EQ(dpor.result.stats.blocked, 0u);
  return Counts{dfs.traces.size(), dpor.repeated_traces};
}

TEST(TryLock, SucceedsOrFailsAgainstAReleaseOrderedOnlyByTheLock) {
  ExploreOptions options;
  options.keep_going = true;
  const Observed dpor = observe(parent_held_trylock(), options);
  // Both outcomes: took == 1 (after the release) and took == 2 (before it).
  std::set<uint64_t> took;
  for (const auto& [values, deadlocked] : dpor.final_states) {
    ASSERT_EQ(values.size(), 1u);
    took.insert(values[0]);
  }
  EXPECT_EQ(took, (std::set<uint64_t>{1, 2}));
  expect_same_as_dfs(parent_held_trylock());
}

// Random programs: a parent that may hold each lock across the spawns, and
// two or three children mixing lock/unlock pairs and trylocks on two locks,
// recording each trylock's outcome in its own variable.
struct Step {
  bool trylock = false;
  uint32_t lock = 0;
};
struct Spec {
  std::vector<bool> parent_holds;  // per lock
  std::vector<std::vector<Step>> children;
};

Spec random_spec(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&rng](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  Spec spec;
  spec.parent_holds = {pick(2) == 0, pick(3) == 0};
  spec.children.resize(2 + pick(2));
  for (auto& child : spec.children) {
    child.resize(1 + pick(2));
    for (Step& step : child) step = Step{pick(3) != 0, pick(2)};
  }
  return spec;
}

Program build(const std::shared_ptr<const Spec>& spec) {
  return Program{
      "random-trylock", [spec](Env& env) {
        std::vector<LockId> locks;
        for (uint32_t i = 0; i < spec->parent_holds.size(); ++i) {
          locks.push_back(env.make_lock(LockSpec{i == 0 ? "a" : "b", "", LockKind::kMutex, false}));
        }
        for (uint32_t i = 0; i < locks.size(); ++i) {
          if (spec->parent_holds[i]) env.lock(locks[i]);
        }
        std::vector<ThreadId> children;
        for (const std::vector<Step>& steps : spec->children) {
          std::vector<VarId> outcome;
          for (size_t s = 0; s < steps.size(); ++s) {
            outcome.push_back(env.make_var("outcome", 0));
          }
          children.push_back(env.spawn("child", [&steps, locks, outcome](Env& e) {
            for (size_t s = 0; s < steps.size(); ++s) {
              const LockId l = locks[steps[s].lock];
              if (!steps[s].trylock) {
                e.lock(l);
                e.unlock(l);
              } else if (e.try_lock(l)) {
                e.store(outcome[s], 1, Access::kMarked);
                e.unlock(l);
              } else {
                e.store(outcome[s], 2, Access::kMarked);
              }
            }
          }));
        }
        for (uint32_t i = 0; i < locks.size(); ++i) {
          if (spec->parent_holds[i]) env.unlock(locks[i]);
        }
        for (ThreadId child : children) env.join(child);
      }};
}

TEST(TryLock, DporMatchesDfsOnRandomTrylockPrograms) {
  Counts total;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Counts c = expect_same_as_dfs(build(std::make_shared<const Spec>(random_spec(seed))));
    total.traces += c.traces;
    total.repeated += c.repeated;
    if (::testing::Test::HasFailure()) break;
  }
  std::printf("[ trylock ] %llu traces, %llu explored twice\n",
              static_cast<unsigned long long>(total.traces),
              static_cast<unsigned long long>(total.repeated));
  EXPECT_GE(total.traces, 500u);  // the programs dfs finished
  EXPECT_EQ(total.repeated, 0u);  // optimal: one execution per Mazurkiewicz trace
}

}  // namespace
}  // namespace protmc::checker
