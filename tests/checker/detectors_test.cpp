// Each engine detector must find a seeded bug and stay silent on correct code.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "checker/explore/explorer.hpp"

namespace protmc::checker {
namespace {

ExploreOptions dpor_keep_going() {
  ExploreOptions options;
  options.strategy = Strategy::kDpor;
  options.keep_going = true;
  return options;
}

bool has_property(const ExploreResult& result, std::string_view property) {
  return std::any_of(result.findings.begin(), result.findings.end(),
                     [&](const Counterexample& c) { return c.finding.property == property; });
}

const Counterexample* find_property(const ExploreResult& result, std::string_view property) {
  for (const auto& c : result.findings) {
    if (c.finding.property == property) return &c;
  }
  return nullptr;
}

// Two threads write `x` with the given access modes, optionally under a mutex.
Program two_writers(Access first, Access second, bool locked) {
  return Program{"two-writers", [=](Env& env) {
                   VarId x = env.make_var("x", 0);
                   LockId m = env.make_lock(LockSpec{"m", "m", LockKind::kMutex});
                   auto writer = [=](Access access) {
                     return [=](Env& e) {
                       FunctionScope scope(e, "writer");
                       if (locked) e.lock(m);
                       e.store(x, 1, access);
                       if (locked) e.unlock(m);
                     };
                   };
                   ThreadId a = env.spawn("a", writer(first));
                   ThreadId b = env.spawn("b", writer(second));
                   env.join(a);
                   env.join(b);
                 }};
}

TEST(DataRaceDetector, ReportsUnorderedPlainWrites) {
  ExploreResult result =
      explore(two_writers(Access::kPlain, Access::kPlain, false), dpor_keep_going());
  const Counterexample* race = find_property(result, kDataRace);
  ASSERT_NE(race, nullptr);
  EXPECT_TRUE(race->reproduced);
  EXPECT_NE(race->finding.message.find("data race on x"), std::string::npos)
      << race->finding.message;
  ASSERT_EQ(race->finding.steps.size(), 2u);
  EXPECT_EQ(result.verdict, Verdict::kViolation);
}

TEST(DataRaceDetector, ReportsPlainAgainstMarked) {
  ExploreResult result =
      explore(two_writers(Access::kPlain, Access::kMarked, false), dpor_keep_going());
  EXPECT_TRUE(has_property(result, kDataRace));
}

TEST(DataRaceDetector, MarkedAgainstMarkedIsNotARace) {
  ExploreResult result =
      explore(two_writers(Access::kMarked, Access::kMarked, false), dpor_keep_going());
  EXPECT_FALSE(has_property(result, kDataRace));
  EXPECT_EQ(result.verdict, Verdict::kPass);
}

TEST(DataRaceDetector, LockOrdersPlainAccesses) {
  ExploreResult result =
      explore(two_writers(Access::kPlain, Access::kPlain, true), dpor_keep_going());
  EXPECT_FALSE(has_property(result, kDataRace));
  EXPECT_EQ(result.verdict, Verdict::kPass);
  EXPECT_TRUE(result.stats.complete);
}

TEST(DataRaceDetector, ReleaseAcquireAtomicsOrderPlainAccesses) {
  auto program = [](MemoryOrder store_order, MemoryOrder load_order) {
    return Program{"message-passing", [=](Env& env) {
                     VarId data = env.make_var("data", 0);
                     VarId flag = env.make_var("flag", 0);
                     ThreadId p = env.spawn("producer", [=](Env& e) {
                       e.store(data, 42, Access::kPlain);
                       e.store(flag, 1, Access::kAtomic, store_order);
                     });
                     ThreadId c = env.spawn("consumer", [=](Env& e) {
                       if (e.load(flag, Access::kAtomic, load_order) == 1)
                         e.load(data, Access::kPlain);
                     });
                     env.join(p);
                     env.join(c);
                   }};
  };
  EXPECT_FALSE(has_property(
      explore(program(MemoryOrder::kRelease, MemoryOrder::kAcquire), dpor_keep_going()),
      kDataRace));
  EXPECT_TRUE(has_property(
      explore(program(MemoryOrder::kRelaxed, MemoryOrder::kAcquire), dpor_keep_going()),
      kDataRace));
}

TEST(DataRaceDetector, JoinOrdersChildAccessesBeforeParent) {
  Program program{"join", [](Env& env) {
                    VarId x = env.make_var("x", 0);
                    ThreadId child =
                        env.spawn("child", [=](Env& e) { e.store(x, 1, Access::kPlain); });
                    env.join(child);
                    env.store(x, 2, Access::kPlain);
                  }};
  EXPECT_FALSE(has_property(explore(program, dpor_keep_going()), kDataRace));
}

Program philosophers2(bool ordered) {
  return Program{"philosophers", [=](Env& env) {
                   LockId f0 = env.make_lock(LockSpec{"fork0", "fork0", LockKind::kMutex});
                   LockId f1 = env.make_lock(LockSpec{"fork1", "fork1", LockKind::kMutex});
                   auto eat = [](LockId first, LockId second) {
                     return [=](Env& e) {
                       e.lock(first);
                       e.lock(second);
                       e.unlock(second);
                       e.unlock(first);
                     };
                   };
                   ThreadId a = env.spawn("p0", eat(f0, f1));
                   ThreadId b =
                       ordered ? env.spawn("p1", eat(f0, f1)) : env.spawn("p1", eat(f1, f0));
                   env.join(a);
                   env.join(b);
                 }};
}

TEST(DeadlockDetector, ReportsTheWaitForCycle) {
  ExploreResult result = explore(philosophers2(false), dpor_keep_going());
  const Counterexample* deadlock = find_property(result, kDeadlock);
  ASSERT_NE(deadlock, nullptr);
  EXPECT_TRUE(deadlock->reproduced);
  const auto& detail = std::get<Deadlock>(deadlock->finding.detail);
  EXPECT_EQ(detail.cycle.size(), 2u);
  EXPECT_NE(deadlock->finding.message.find("p0 waits for fork1 held by p1"), std::string::npos)
      << deadlock->finding.message;
  EXPECT_NE(deadlock->finding.message.find("also blocked: thread main waits to join p"),
            std::string::npos)
      << deadlock->finding.message;
  EXPECT_EQ(result.stats.deadlocked, 1u);
}

TEST(DeadlockDetector, SilentWhenLocksAreOrdered) {
  ExploreResult result = explore(philosophers2(true), dpor_keep_going());
  EXPECT_EQ(result.verdict, Verdict::kPass);
  EXPECT_EQ(result.stats.deadlocked, 0u);
}

TEST(LockOrderDetector, ReportsInversionEvenWithoutADeadlockedExecution) {
  // The two orders are taken by the same thread at different times, so no
  // execution can deadlock, but the class graph has a cycle.
  Program program{"inversion", [](Env& env) {
                    LockId a = env.make_lock(LockSpec{"mmap_sem", "mmap_sem", LockKind::kRwSem});
                    LockId b = env.make_lock(LockSpec{"bo->resv", "resv", LockKind::kReservation});
                    ThreadId t = env.spawn("cpu0", [=](Env& e) {
                      {
                        FunctionScope f(e, "ttm_bo_vm_fault");
                        e.lock(a, LockMode::kShared);
                        e.lock(b);
                        e.unlock(b);
                        e.unlock(a, LockMode::kShared);
                      }
                      {
                        FunctionScope f(e, "bad_path");
                        e.lock(b);
                        e.lock(a);
                        e.unlock(a);
                        e.unlock(b);
                      }
                    });
                    env.join(t);
                  }};
  ExploreResult result = explore(program, dpor_keep_going());
  const Counterexample* inversion = find_property(result, kLockOrder);
  ASSERT_NE(inversion, nullptr);
  EXPECT_TRUE(inversion->reproduced);
  const auto& detail = std::get<LockOrderInversion>(inversion->finding.detail);
  EXPECT_EQ(detail.class_a, "resv");
  EXPECT_EQ(detail.class_b, "mmap_sem");
  ASSERT_FALSE(detail.b_then_a.empty());
  EXPECT_NE(detail.b_then_a[0].find("ttm_bo_vm_fault"), std::string::npos) << detail.b_then_a[0];
  EXPECT_EQ(result.stats.deadlocked, 0u);
}

TEST(LockOrderDetector, SilentOnConsistentOrder) {
  ExploreResult result = explore(philosophers2(true), dpor_keep_going());
  EXPECT_FALSE(has_property(result, kLockOrder));
}

TEST(Assertions, FailEndsTheExecutionWithTheModelsProperty) {
  Program program{"lost-update", [](Env& env) {
                    VarId x = env.make_var("counter", 0);
                    auto inc = [=](Env& e) {
                      e.store(x, e.load(x, Access::kMarked) + 1, Access::kMarked);
                    };
                    ThreadId a = env.spawn("a", inc);
                    ThreadId b = env.spawn("b", inc);
                    env.join(a);
                    env.join(b);
                    if (env.load(x, Access::kMarked) != 2)
                      env.fail("lost-update", "counter is not 2");
                  }};
  ExploreResult result = explore(program, ExploreOptions{});
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].finding.property, "lost-update");
  EXPECT_TRUE(result.findings[0].reproduced);
  EXPECT_FALSE(result.findings[0].trace.events.empty());
  EXPECT_FALSE(result.stats.complete);
  EXPECT_EQ(result.stats.incomplete_reason, "stopped at the first finding");
}

TEST(Invariants, CheckedAfterEveryWriteToAWatchedVariable) {
  // The invariant x <= 1 is broken only transiently: x goes to 2 and back.
  Program program{"transient", [](Env& env) {
                    VarId x = env.make_var("x", 0);
                    env.watch(x);
                    env.add_invariant("x-at-most-one",
                                      [x](const Env& e) -> std::optional<std::string> {
                                        if (e.peek(x) > 1)
                                          return "x is " + std::to_string(e.peek(x));
                                        return std::nullopt;
                                      });
                    ThreadId t = env.spawn("t", [=](Env& e) {
                      e.store(x, 2, Access::kMarked);
                      e.store(x, 0, Access::kMarked);
                    });
                    env.join(t);
                  }};
  ExploreResult result = explore(program, ExploreOptions{});
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].finding.property, "x-at-most-one");
  EXPECT_EQ(result.findings[0].finding.message, "x is 2");
}

TEST(Bounds, StepBoundInRetryLoopIsALikelyLivelockAndIncomplete) {
  Program program{"spin", [](Env& env) {
                    VarId flag = env.make_var("flag", 0);
                    ThreadId t = env.spawn("waiter", [=](Env& e) {
                      while (e.load(flag, Access::kMarked) == 0) e.spin_hint();
                    });
                    env.join(t);
                  }};
  ExploreOptions options;
  options.bounds.max_steps = 200;
  ExploreResult result = explore(program, options);
  EXPECT_NE(result.verdict, Verdict::kPass);
  ASSERT_FALSE(result.findings.empty());
  EXPECT_EQ(result.findings[0].finding.property, kLivelock);
  EXPECT_FALSE(result.stats.complete);
}

Program three_readers() {
  return Program{
      "readers", [](Env& env) {
        VarId x = env.make_var("x", 0);
        std::vector<ThreadId> threads{
            env.spawn("writer", [=](Env& e) { e.store(x, 1, Access::kMarked); })};
        for (int i = 0; i < 3; ++i) {
          threads.push_back(env.spawn("reader", [=](Env& e) { e.load(x, Access::kMarked); }));
        }
        for (ThreadId t : threads) env.join(t);
      }};
}

TEST(Bounds, ExecutionBudgetGivesIncompleteNeverPass) {
  ExploreOptions options;
  options.bounds.max_executions = 3;
  ExploreResult result = explore(three_readers(), options);
  ExploreResult full = explore(three_readers(), ExploreOptions{});
  EXPECT_EQ(full.stats.executions, 8u);
  ASSERT_GT(full.stats.executions, 3u);
  EXPECT_EQ(result.verdict, Verdict::kIncomplete);
  EXPECT_FALSE(result.stats.complete);
  EXPECT_NE(result.stats.incomplete_reason.find("execution budget"), std::string::npos);
}

// Two threads of two steps each: switching away from a thread that has not
// ended is a preemption (a thread of one step never is preempted).
Program two_step_threads() {
  return Program{"two-step threads", [](Env& env) {
                   VarId x = env.make_var("x", 0);
                   for (int i = 0; i < 3; ++i) {
                     env.spawn("t", [=](Env& e) {
                       e.load(x, Access::kMarked);
                       e.store(x, 1, Access::kMarked);
                     });
                   }
                 }};
}

TEST(Bounds, PreemptionBoundPrunesSchedulesAndSaysSo) {
  ExploreOptions unbounded;
  unbounded.strategy = Strategy::kDfs;
  ExploreResult full = explore(two_step_threads(), unbounded);
  EXPECT_EQ(full.verdict, Verdict::kPass);

  ExploreOptions bounded = unbounded;
  bounded.bounds.preemption_bound = 0;
  ExploreResult none = explore(two_step_threads(), bounded);
  EXPECT_LT(none.stats.executions, full.stats.executions);
  EXPECT_GT(none.stats.executions, 0u);
  EXPECT_EQ(none.verdict, Verdict::kIncomplete);
  EXPECT_NE(none.stats.incomplete_reason.find("preemption bound 0"), std::string::npos);

  bounded.bounds.preemption_bound = 1;
  ExploreResult one = explore(two_step_threads(), bounded);
  EXPECT_GT(one.stats.executions, none.stats.executions);
  EXPECT_LT(one.stats.executions, full.stats.executions);

  bounded.bounds.preemption_bound = 100;  // larger than any schedule needs: nothing pruned
  ExploreResult loose = explore(two_step_threads(), bounded);
  EXPECT_EQ(loose.stats.executions, full.stats.executions);
  EXPECT_EQ(loose.verdict, Verdict::kPass);
}

TEST(Bounds, SamplingStrategiesNeverPass) {
  for (Strategy s : {Strategy::kRandom, Strategy::kPct}) {
    ExploreOptions options;
    options.strategy = s;
    options.bounds.max_executions = 50;
    ExploreResult result = explore(philosophers2(true), options);
    EXPECT_EQ(result.verdict, Verdict::kIncomplete) << to_string(s);
    EXPECT_EQ(result.stats.executions, 50u);
  }
}

TEST(Bounds, RandomAndPctFindTheDeadlock) {
  for (Strategy s : {Strategy::kRandom, Strategy::kPct}) {
    ExploreOptions options;
    options.strategy = s;
    options.seed = 7;
    options.bounds.max_executions = 2000;
    options.stop_on = [](const Finding& f) { return f.property == kDeadlock; };
    ExploreResult result = explore(philosophers2(false), options);
    EXPECT_TRUE(has_property(result, kDeadlock)) << to_string(s);
  }
}

TEST(InternalErrors, AModelExceptionIsAFindingNotACrash) {
  Program program{"throws", [](Env& env) {
                    VarId x = env.make_var("x", 0);
                    ThreadId t = env.spawn("t", [=](Env& e) {
                      if (e.load(x, Access::kMarked) == 0) throw std::runtime_error("boom");
                    });
                    env.join(t);
                  }};
  ExploreResult result = explore(program, ExploreOptions{});
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].finding.property, kInternalError);
  EXPECT_NE(result.findings[0].finding.message.find("boom"), std::string::npos);
}

TEST(Replay, ReproducesTheFindingAndRecordsKernelStyleEvents) {
  ExploreOptions options;
  options.stop_on = [](const Finding& f) { return f.property == kDeadlock; };
  ExploreResult result = explore(philosophers2(false), options);
  const Counterexample* found = find_property(result, kDeadlock);
  ASSERT_NE(found, nullptr);
  const Counterexample& cx = *found;
  ReplayResult again = replay(philosophers2(false), cx.schedule, ExploreOptions{});
  EXPECT_FALSE(again.schedule_diverged);
  ASSERT_FALSE(again.findings.empty());
  EXPECT_EQ(again.findings[0].property, kDeadlock);
  bool saw_lock = std::any_of(
      again.trace.events.begin(), again.trace.events.end(),
      [](const TraceEvent& e) { return e.operation == "mutex_lock" && e.object == "fork0"; });
  EXPECT_TRUE(saw_lock);
}

TEST(Replay, AModelThatKeepsStateAcrossExecutionsIsANondeterminismError) {
  // The model fails only in its first run: the recorded re-run cannot
  // reproduce it, and the report must say so instead of trusting the finding.
  auto runs = std::make_shared<int>(0);
  Program program{"stateful", [runs](Env& env) {
                    VarId x = env.make_var("x", 0);
                    ThreadId t = env.spawn("t", [=](Env& e) { e.store(x, 1, Access::kMarked); });
                    env.join(t);
                    if ((*runs)++ == 0) env.fail("flaky", "only the first time");
                  }};
  ExploreResult result = explore(program, ExploreOptions{});
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_FALSE(result.findings[0].reproduced);
  EXPECT_NE(result.findings[0].finding.message.find("nondeterminism error"), std::string::npos);
  EXPECT_NE(result.findings[0].finding.message.find("keep state across executions"),
            std::string::npos);
}

TEST(Replay, AnEditedScheduleIsReportedAsDiverged) {
  ExploreResult result = explore(philosophers2(false), ExploreOptions{});
  ASSERT_FALSE(result.findings.empty());
  Schedule edited = result.findings[0].schedule;
  edited.choices[0].thread = 5;  // no such thread
  ReplayResult again = replay(philosophers2(false), edited, ExploreOptions{});
  EXPECT_TRUE(again.schedule_diverged);
  EXPECT_FALSE(again.divergence.empty());
}

TEST(Choose, EveryValueIsExplored) {
  for (Strategy s : {Strategy::kDfs, Strategy::kDpor}) {
    std::vector<uint64_t> seen;
    ExploreOptions options;
    options.strategy = s;
    options.on_execution = [&](const ExecutionSummary& summary) {
      seen.push_back(summary.final_values[0]);
    };
    Program program{"choose", [](Env& env) {
                      VarId x = env.make_var("x", 0);
                      ThreadId t = env.spawn(
                          "t", [=](Env& e) { e.store(x, 10 + e.choose(3), Access::kMarked); });
                      env.join(t);
                    }};
    ExploreResult result = explore(program, options);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<uint64_t>{10, 11, 12})) << to_string(s);
    EXPECT_EQ(result.verdict, Verdict::kPass);
  }
}

}  // namespace
}  // namespace protmc::checker
