// Faults inside models and exploration budgets: a model thread or invariant
// that throws or fails a CHECK is an internal-error finding with the schedule
// that triggers it (and the next exploration in the process still works); a
// model that loops, and every budget (steps, executions, time, memory,
// interruption), ends in verdict incomplete with the reason and the
// statistics so far, never in a pass.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include "checker/explore/explorer.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker {
namespace {

// Two threads each flip a choice and touch `x`; the thread `t` breaks in the
// way `fault` says once it has seen x == 1 and chosen 1, so that only some
// schedules reach the fault.
enum class Fault { kThrow, kCheck, kInvariantCheck };
Program faulty(Fault fault) {
  return Program{"faulty", [fault](Env& env) {
                   VarId x = env.make_var("x", 0);
                   if (fault == Fault::kInvariantCheck) {
                     env.watch(x);
                     env.add_invariant("x-small", [x](const Env& e) -> std::optional<std::string> {
                       CHECK_MSG(e.peek(x) != 2, "x reached 2");
                       return std::nullopt;
                     });
                   }
                   ThreadId t = env.spawn("t", [=](Env& e) {
                     FunctionScope scope(e, "breaker");
                     const uint64_t seen = e.load(x, Access::kMarked);
                     const uint32_t pick = e.choose(2);
                     if (seen != 1 || pick != 1) return;
                     if (fault == Fault::kThrow) throw std::runtime_error("model bug");
                     if (fault == Fault::kCheck) CHECK_MSG(seen == 0, "seen must be 0");
                     e.store(x, 2, Access::kMarked);
                   });
                   env.store(x, 1, Access::kMarked);
                   env.join(t);
                 }};
}

// A program with no finding and a few executions, to show the process is fine.
Program healthy() {
  return Program{"healthy", [](Env& env) {
                   VarId x = env.make_var("x", 0);
                   ThreadId t = env.spawn("t", [=](Env& e) { e.store(x, 1, Access::kMarked); });
                   env.store(x, 2, Access::kMarked);
                   env.join(t);
                 }};
}

// The recorded schedule of the single internal-error finding, replayed, hits it again.
void expect_internal_error(const Program& program, const std::string& message_part) {
  const ExploreResult result = explore(program, ExploreOptions{});
  EXPECT_EQ(result.verdict, Verdict::kViolation);
  ASSERT_EQ(result.findings.size(), 1u);
  const Counterexample& cx = result.findings[0];
  EXPECT_EQ(cx.finding.property, kInternalError);
  EXPECT_NE(cx.finding.message.find(message_part), std::string::npos) << cx.finding.message;
  EXPECT_TRUE(cx.reproduced);
  EXPECT_FALSE(cx.schedule.choices.empty());
  const ReplayResult again = replay(program, cx.schedule, ExploreOptions{});
  ASSERT_EQ(again.findings.size(), 1u);
  EXPECT_EQ(again.findings[0].property, kInternalError);
  // The process goes on: a later exploration is complete and passes.
  const ExploreResult next = explore(healthy(), ExploreOptions{});
  EXPECT_EQ(next.verdict, Verdict::kPass);
  EXPECT_TRUE(next.stats.complete);
}

TEST(ModelFaults, AnExceptionInAModelThreadIsAnInternalErrorWithItsSchedule) {
  expect_internal_error(faulty(Fault::kThrow), "thread t threw an exception: model bug");
}

TEST(ModelFaults, AFailedCheckInAModelThreadIsAnInternalErrorNotAnAbort) {
  expect_internal_error(faulty(Fault::kCheck), "thread t failed ");
  const ExploreResult result = explore(faulty(Fault::kCheck), ExploreOptions{});
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_NE(result.findings[0].finding.message.find("CHECK(seen == 0) failed: seen must be 0"),
            std::string::npos)
      << result.findings[0].finding.message;
  EXPECT_NE(result.findings[0].finding.message.find("faults_budgets_test.cpp:"), std::string::npos);
}

TEST(ModelFaults, AFailedCheckInAnInvariantIsAnInternalError) {
  expect_internal_error(faulty(Fault::kInvariantCheck), "an invariant failed ");
}

TEST(ModelFaults, AnInternalErrorStopsTheSearchEvenWhenStopOnWantsAnotherProperty) {
  ExploreOptions options;
  options.stop_on = [](const Finding& f) { return f.property == "something-else"; };
  const ExploreResult result = explore(faulty(Fault::kThrow), options);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].finding.property, kInternalError);
  EXPECT_EQ(result.stats.incomplete_reason, "stopped at the first finding");
}

TEST(ModelFaults, CheckOutsideAModelThreadStillAborts) {
  EXPECT_DEATH(CHECK_MSG(false, "outside"), "internal error: CHECK\\(false\\) failed: outside");
  // After an exploration the scheduler side has no handler installed either.
  (void)explore(faulty(Fault::kCheck), ExploreOptions{});
  EXPECT_DEATH(CHECK_MSG(false, "after"), "CHECK\\(false\\) failed: after");
}

// A thread that never stops taking visible steps.
Program endless_loop(bool spin) {
  return Program{"loop", [spin](Env& env) {
                   VarId x = env.make_var("x", 0);
                   while (true) {
                     env.store(x, env.load(x, Access::kMarked) + 1, Access::kMarked);
                     if (spin) env.spin_hint();
                   }
                 }};
}

TEST(Budgets, AModelThatLoopsHitsTheStepBoundAndIsIncomplete) {
  ExploreOptions options;
  options.bounds.max_steps = 500;
  const ExploreResult result = explore(endless_loop(false), options);
  EXPECT_EQ(result.verdict, Verdict::kIncomplete);
  EXPECT_FALSE(result.stats.complete);
  EXPECT_EQ(result.stats.incomplete_reason, "step bound of 500 steps hit");
  EXPECT_EQ(result.stats.longest, 500u);
  EXPECT_GE(result.stats.executions, 1u);
}

TEST(Budgets, AModelThatSpinsForeverIsALivelockFinding) {
  ExploreOptions options;
  options.bounds.max_steps = 300;
  const ExploreResult result = explore(endless_loop(true), options);
  EXPECT_EQ(result.verdict, Verdict::kViolation);
  ASSERT_FALSE(result.findings.empty());
  EXPECT_EQ(result.findings[0].finding.property, kLivelock);
}

// Many executions: n threads each choose among 4 values.
Program wide(uint32_t n) {
  return Program{"wide", [n](Env& env) {
                   VarId x = env.make_var("x", 0);
                   for (uint32_t i = 0; i < n; ++i) {
                     env.spawn(std::string("t").append(std::to_string(i)), [=](Env& e) {
                       e.store(x, e.choose(4), Access::kMarked);
                       e.store(x, e.choose(4), Access::kMarked);
                     });
                   }
                 }};
}

void expect_incomplete(const ExploreResult& result, const std::string& reason_start) {
  EXPECT_EQ(result.verdict, Verdict::kIncomplete);
  EXPECT_FALSE(result.stats.complete);
  EXPECT_EQ(result.stats.incomplete_reason.rfind(reason_start, 0), 0u)
      << result.stats.incomplete_reason;
  EXPECT_GE(result.stats.executions, 1u);
  EXPECT_GT(result.stats.steps, 0u);
}

TEST(Budgets, TheExecutionBudgetGivesIncompleteWithStatistics) {
  ExploreOptions options;
  options.bounds.max_executions = 10;
  const ExploreResult result = explore(wide(4), options);
  expect_incomplete(result, "execution budget of 10 exhausted");
  EXPECT_EQ(result.stats.executions + result.stats.blocked, 10u);
}

TEST(Budgets, TheTimeLimitGivesIncompleteWithStatistics) {
  ExploreOptions options;
  options.bounds.time_limit_s = 0.05;
  const ExploreResult result = explore(wide(6), options);
  expect_incomplete(result, "time limit of 0.05");
  EXPECT_LT(result.stats.elapsed_s, 5.0);
}

TEST(Budgets, TheMemoryBudgetGivesIncompleteWithStatistics) {
  ASSERT_GT(resident_set_bytes(), 1u << 20) << "a test process has more than 1 MB resident";
  ExploreOptions options;
  options.bounds.max_memory_mb = 1;
  const ExploreResult result = explore(wide(4), options);
  expect_incomplete(result, "memory budget of 1 MB exceeded (resident set ");
  EXPECT_EQ(result.stats.executions + result.stats.blocked, 1u);  // checked after the first
}

TEST(Budgets, AGenerousMemoryBudgetDoesNotStopACompleteSearch) {
  ExploreOptions options;
  options.bounds.max_memory_mb = 1u << 20;
  const ExploreResult result = explore(wide(2), options);
  EXPECT_EQ(result.verdict, Verdict::kPass);
  EXPECT_TRUE(result.stats.complete);
}

TEST(Budgets, InterruptionGivesIncompleteWithStatistics) {
  std::atomic<int> polls{0};
  ExploreOptions options;
  options.interrupted = [&polls] { return ++polls > 5; };
  const ExploreResult result = explore(wide(4), options);
  expect_incomplete(result, "interrupted");
  EXPECT_EQ(result.stats.executions + result.stats.blocked, 5u);
}

}  // namespace
}  // namespace protmc::checker
