// Spawning and joining are not steps (executor.hpp). A spawn creates the
// child in its parent's local computation: no scheduling decision, no step,
// yet the child happens after everything its parent did before it, and the
// parent's later events still race with the child's. A join waits, disabled,
// until the thread has ended, then orders it before the joiner's next events.
// Traces say both in notes on the thread's next event. Nor is a fence a step
// natively (the engine is sequentially consistent; env.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"

namespace protmc::checker {
namespace {

// main: store a (plain); spawn two threads that each store their own
// variable; no joins. Only the two children's stores are steps after main's.
Program two_children() {
  return Program{
      "two-children", [](Env& env) {
        const VarId a = env.make_var("a", 0);
        const VarId b = env.make_var("b", 0);
        const VarId c = env.make_var("c", 0);
        env.store(a, 1, Access::kPlain);
        env.spawn("t1", [a, b](Env& e) { e.store(b, e.load(a, Access::kPlain), Access::kPlain); });
        env.spawn("t2", [c](Env& e) { e.store(c, 1, Access::kPlain); });
      }};
}

TEST(Spawn, IsNotAStepAndTakesNoSchedulingDecision) {
  ExploreOptions options;
  options.strategy = Strategy::kDfs;
  std::vector<uint64_t> steps_per_execution;
  options.on_execution = [&](const ExecutionSummary& s) {
    steps_per_execution.push_back(s.schedule.choices.size());
  };
  const ExploreResult result = explore(two_children(), options);
  EXPECT_EQ(result.verdict, Verdict::kPass);  // a's store happens before t1's load: no race
  // Every interleaving of the children's three steps after main's one:
  // t1's load and store, t2's store: 3 orders of t2 among t1's two steps.
  EXPECT_EQ(result.stats.executions, 3U);
  for (const uint64_t steps : steps_per_execution) EXPECT_EQ(steps, 4U);
}

TEST(Spawn, TheParentsLaterAccessesStillRaceWithTheChild) {
  const Program program{"parent-races-child", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          env.spawn("t", [x](Env& e) { e.store(x, 1, Access::kPlain); });
                          (void)env.load(x, Access::kPlain);
                        }};
  const ExploreResult result = explore(program, ExploreOptions{});
  ASSERT_EQ(result.verdict, Verdict::kViolation);
  EXPECT_EQ(result.findings.front().finding.property, kDataRace);
}

TEST(Spawn, TheParentsNextEventInATraceSaysWhatItSpawnedAndJoined) {
  const Program program{"noted", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          const ThreadId t =
                              env.spawn("child", [x](Env& e) { e.store(x, 1, Access::kMarked); });
                          env.join(t);
                          if (env.load(x, Access::kMarked) == 1) env.fail("stop", "show the trace");
                        }};
  const ExploreResult result = explore(program, ExploreOptions{});
  ASSERT_EQ(result.findings.size(), 1U);
  const Trace& trace = result.findings.front().trace;
  ASSERT_EQ(trace.events.size(), 2U);  // the child's store, main's load: no spawn or join events
  EXPECT_EQ(trace.events[0].thread_name, "child");
  const TraceEvent& load = trace.events[1];
  EXPECT_EQ(load.thread, 0U);
  EXPECT_EQ(load.notes, (std::vector<std::string>{"spawned child", "joined child"}));
}

// Joining is not a step either: main waits (disabled) until the thread has
// ended, and its later events happen after the thread's.
TEST(Join, WaitsWithoutAStepAndOrdersTheJoinedThreadBeforeTheJoiner) {
  const Program program{"join-orders", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          const ThreadId t =
                              env.spawn("t", [x](Env& e) { e.store(x, 1, Access::kPlain); });
                          env.join(t);
                          if (env.load(x, Access::kPlain) != 1) env.fail("lost", "x is not 1");
                        }};
  ExploreOptions options;
  options.strategy = Strategy::kDfs;
  const ExploreResult result = explore(program, options);
  EXPECT_EQ(result.verdict, Verdict::kPass);  // no race, and the load always sees 1
  EXPECT_EQ(result.stats.executions, 1U);
  EXPECT_EQ(result.stats.steps, 2U);
}

// DPOR joins clocks lazily, when the joiner next steps; a join must still
// carry everything the joined thread had joined. B's store to x reaches main
// only through two joins (A joins B and ends, main joins A), so main's store to x is
// ordered after it, and the only traces are where C's load falls among the
// two stores: before both, between them, after both.
TEST(Join, OrdersForDporWhatTheJoinedThreadHadJoined) {
  std::vector<uint64_t> seen;
  const Program program{
      "nested-joins", [&seen](Env& env) {
        const VarId x = env.make_var("x", 0);
        const ThreadId a = env.spawn("A", [x](Env& e) {
          const ThreadId b = e.spawn("B", [x](Env& f) { f.store(x, 1, Access::kMarked); });
          e.join(b);  // and ends, with no step after it
        });
        env.spawn("C", [x, &seen](Env& e) { seen.push_back(e.load(x, Access::kMarked)); });
        env.join(a);
        env.store(x, 2, Access::kMarked);
      }};
  const ExploreResult result = explore(program, ExploreOptions{});
  EXPECT_EQ(result.verdict, Verdict::kPass);
  EXPECT_EQ(result.stats.executions, 3U);
  EXPECT_EQ(result.stats.blocked, 0U);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2}));
}

TEST(Join, OfAThreadThatNeverEndsIsADeadlock) {
  const Program program{"join-deadlock", [](Env& env) {
                          const LockId m = env.make_lock(LockSpec{"m", "m", LockKind::kMutex});
                          env.lock(m);
                          const ThreadId t = env.spawn("t", [m](Env& e) {
                            e.lock(m);
                            e.unlock(m);
                          });
                          env.join(t);  // t waits for m, which main holds
                          env.unlock(m);
                        }};
  const ExploreResult result = explore(program, ExploreOptions{});
  ASSERT_EQ(result.verdict, Verdict::kViolation);
  EXPECT_EQ(result.findings.front().finding.property, kDeadlock);
}

TEST(Spawn, BeyondTheEnginesThreadLimitIsAnInternalErrorNotACrash) {
  const Program program{"too-many", [](Env& env) {
                          for (uint32_t i = 0; i < kMaxThreads; ++i) env.spawn("t", [](Env&) {});
                        }};
  const ExploreResult result = explore(program, ExploreOptions{});
  ASSERT_EQ(result.verdict, Verdict::kViolation);
  const Finding& finding = result.findings.front().finding;
  EXPECT_EQ(finding.property, kInternalError);
  EXPECT_NE(finding.message.find("the model spawns more than " + std::to_string(kMaxThreads - 1) +
                                 " threads, the engine's limit"),
            std::string::npos)
      << finding.message;
}

TEST(Fence, IsNotAStepUnderSequentialConsistency) {
  const Program program{"fenced", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          env.fence(MemoryOrder::kSeqCst);
                          env.store(x, 1, Access::kMarked);
                          env.fence(MemoryOrder::kRelease);
                          env.fence(MemoryOrder::kAcquire);
                        }};
  const ExploreResult result = explore(program, ExploreOptions{});
  EXPECT_EQ(result.verdict, Verdict::kPass);
  EXPECT_EQ(result.stats.executions, 1U);
  EXPECT_EQ(result.stats.steps, 1U);  // the store
}

}  // namespace
}  // namespace protmc::checker
