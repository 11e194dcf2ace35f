// The stall watchdog: a model thread that loops without calling the engine
// cannot be preempted (threads are fibers), so explore() watches for it from
// another OS thread and reports where the model is stuck, promptly when the
// search was interrupted or is past its time limit.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "checker/explore/explorer.hpp"

namespace protmc::checker {
namespace {

// Shared between the model thread (on the exploring OS thread) and on_stall
// (on the watchdog's): released by on_stall, so the stuck model can go on.
struct StallLatch {
  std::atomic<bool> released{false};
  std::mutex mutex;
  std::vector<StallReport> reports;  // guarded by mutex

  void on_stall(const StallReport& report) {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      reports.push_back(report);
    }
    released.store(true, std::memory_order_release);
  }
  // Spins outside the engine until on_stall has run.
  void wait_for_release() {
    while (!released.load(std::memory_order_acquire)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
};

// Two threads store to x; the "spinner" gets stuck (outside the engine,
// inside spin_outside_engine) in the execution where it stores second, until
// the latch is released. `before_spin` runs just before it spins.
Program stuck_program(StallLatch& latch, std::function<void()> before_spin = {}) {
  return Program{"stuck", [&latch, before_spin](Env& env) {
                   VarId x = env.make_var("x", 0);
                   ThreadId t = env.spawn("spinner", [&latch, before_spin, x](Env& e) {
                     FunctionScope outer(e, "spinner_main");
                     const uint64_t seen = e.load(x, Access::kMarked);
                     if (seen != 2 || latch.released.load()) return;
                     FunctionScope inner(e, "spin_outside_engine");
                     if (before_spin) before_spin();
                     latch.wait_for_release();
                   });
                   env.store(x, 2, Access::kMarked);
                   env.join(t);
                 }};
}

TEST(StallWatchdog, AModelLoopingOutsideTheEngineIsReportedWithWhereItIs) {
  StallLatch latch;
  ExploreOptions options;
  options.stall_timeout_s = 0.2;
  options.on_stall = [&latch](const StallReport& r) { latch.on_stall(r); };
  const ExploreResult result = explore(stuck_program(latch), options);
  // Released, the model finished; the search went on and completed.
  EXPECT_EQ(result.verdict, Verdict::kPass);
  EXPECT_TRUE(result.stats.complete);
  ASSERT_EQ(latch.reports.size(), 1U);
  const StallReport& report = latch.reports[0];
  EXPECT_EQ(report.thread_name, "spinner");
  EXPECT_EQ(report.thread, 1U);
  EXPECT_EQ(report.function, "spin_outside_engine");
  EXPECT_GE(report.execution, 1U);
  EXPECT_LE(report.execution, result.stats.executions);
  EXPECT_GE(report.step, 2U);  // the spawn and the load came before
  EXPECT_GE(report.stalled_s, 0.2);
  EXPECT_EQ(report.why, "no engine call for 0.2 s");
}

TEST(StallWatchdog, AnInterruptedSearchThatCannotStopIsReportedAfterTheGracePeriod) {
  StallLatch latch;
  std::atomic<bool> interrupted{false};
  ExploreOptions options;
  options.stall_timeout_s = 3600;  // only the interruption can make it fire in time
  options.interrupted = [&interrupted] { return interrupted.load(); };
  options.on_stall = [&latch](const StallReport& r) { latch.on_stall(r); };
  const auto start = std::chrono::steady_clock::now();
  const ExploreResult result =
      explore(stuck_program(latch, [&interrupted] { interrupted.store(true); }), options);
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(latch.reports.size(), 1U);
  EXPECT_EQ(latch.reports[0].why, "interrupted");
  EXPECT_GE(latch.reports[0].stalled_s, kStallGraceS);
  EXPECT_LT(waited, 60.0);
  // Once the model returned, the search saw the interruption and stopped.
  EXPECT_EQ(result.verdict, Verdict::kIncomplete);
  EXPECT_EQ(result.stats.incomplete_reason, "interrupted");
}

TEST(StallWatchdog, PastTheTimeLimitAStuckModelIsReportedAfterTheGracePeriod) {
  StallLatch latch;
  ExploreOptions options;
  options.stall_timeout_s = 3600;
  options.bounds.time_limit_s = 0.1;
  options.on_stall = [&latch](const StallReport& r) { latch.on_stall(r); };
  const ExploreResult result = explore(stuck_program(latch), options);
  ASSERT_EQ(latch.reports.size(), 1U);
  EXPECT_EQ(latch.reports[0].why, "time limit of 0.1 s reached");
  EXPECT_EQ(result.verdict, Verdict::kIncomplete);
}

// A thread that takes step after step while no other thread can run is
// scheduled without any strand switch (the scheduler runs on its own stack);
// it is making progress and must not be reported, however long it runs.
TEST(StallWatchdog, ALongRunOfOneThreadsStepsIsProgressNotAStall) {
  StallLatch latch;
  ExploreOptions options;
  options.stall_timeout_s = 0.2;
  options.on_stall = [&latch](const StallReport& r) { latch.on_stall(r); };
  options.bounds.max_steps = UINT64_MAX;
  const auto start = std::chrono::steady_clock::now();
  const Program busy{
      "busy", [start](Env& env) {
        const VarId x = env.make_var("x", 0);
        // At least 0.6 s of steps, three times the timeout.
        while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(600)) {
          for (int i = 0; i < 1000; ++i) env.load(x, Access::kMarked);
        }
      }};
  const ExploreResult result = explore(busy, options);
  EXPECT_EQ(result.verdict, Verdict::kPass);
  EXPECT_GT(result.stats.steps, 1000U);
  EXPECT_TRUE(latch.reports.empty());
}

TEST(StallWatchdog, IsOffUnlessATimeoutAndACallbackAreGiven) {
  // A callback but no timeout: a stall of half a second is not reported (a
  // watchdog running with timeout 0 would report it at once).
  StallLatch latch;
  ExploreOptions options;
  options.on_stall = [&latch](const StallReport& r) { latch.on_stall(r); };
  std::thread release([&latch] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    latch.released.store(true);
  });
  EXPECT_EQ(explore(stuck_program(latch), options).verdict, Verdict::kPass);
  release.join();
  EXPECT_TRUE(latch.reports.empty());

  // A timeout but no callback: nothing watches (a watchdog would call an
  // empty std::function and end the process).
  StallLatch unwatched;
  ExploreOptions no_callback;
  no_callback.stall_timeout_s = 0.1;
  std::thread release_unwatched([&unwatched] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    unwatched.released.store(true);
  });
  EXPECT_EQ(explore(stuck_program(unwatched), no_callback).verdict, Verdict::kPass);
  release_unwatched.join();
}

}  // namespace
}  // namespace protmc::checker
