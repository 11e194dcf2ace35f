// The race detector defers its work until an execution's first plain access
// (data_race.hpp). Property test against the eager detector as the oracle: a
// detector made eager from the start by a plain access to a variable nothing
// else touches must report exactly the same races, at the same accesses, for
// random sequences of spawns, joins, lock operations and accesses of every
// kind and order.
#include "checker/race/data_race.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace protmc::checker {
namespace {

constexpr uint32_t kUntouchedVar = 1000;

struct Outcome {
  uint32_t step;
  std::optional<RaceHit> hit;
};

bool same(const std::optional<RaceHit>& a, const std::optional<RaceHit>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->other_thread == b->other_thread && a->other_step == b->other_step &&
         a->other_is_write == b->other_is_write && a->other_access == b->other_access;
}

// Runs one random execution through both detectors; returns how many races
// the oracle reported (so the caller can check the generator finds some).
// Accesses before step `first_plain` are never plain.
int compare_one_execution(std::mt19937& rng, DataRaceDetector& deferred, DataRaceDetector& eager,
                          uint32_t max_events, uint32_t first_plain) {
  auto pick = [&rng](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); };
  // The tables an execution can touch: the locks and variables below, and
  // the oracle's extra variable.
  deferred.reset(kUntouchedVar + 1, 2);
  eager.reset(kUntouchedVar + 1, 2);
  EXPECT_FALSE(eager.on_access(
      0, MemoryAccess{kUntouchedVar, true, false, Access::kPlain, MemoryOrder::kRelaxed}, 0));
  const uint32_t threads = 2 + pick(5);
  for (uint32_t child = 1; child < threads; ++child) {
    deferred.on_spawn(0, child);
    eager.on_spawn(0, child);
  }
  // Mostly marked and atomic accesses, so that the first plain one comes at
  // a random point, often after locks and release/acquire pairs.
  int races = 0;
  const uint32_t events = 5 + pick(max_events - 4);
  for (uint32_t step = 1; step <= events; ++step) {
    const uint32_t thread = pick(threads);
    const uint32_t choice = pick(20);
    if (choice < 3) {
      const uint32_t lock = pick(2);
      const LockMode mode = pick(2) == 0 ? LockMode::kExclusive : LockMode::kShared;
      if (choice < 2) {
        deferred.on_acquire(thread, lock, mode);
        eager.on_acquire(thread, lock, mode);
      } else {
        deferred.on_release(thread, lock, mode);
        eager.on_release(thread, lock, mode);
      }
      continue;
    }
    MemoryAccess access;
    access.var = pick(3);
    const uint32_t shape = pick(3);
    access.is_read = shape != 1;
    access.is_write = shape != 0;
    const uint32_t kind = pick(10);
    access.access = kind == 0 && step >= first_plain
                        ? Access::kPlain
                        : (kind < 6 ? Access::kMarked : Access::kAtomic);
    if (access.access == Access::kAtomic) {
      access.order = static_cast<MemoryOrder>(pick(5));
    }
    const std::optional<RaceHit> expected = eager.on_access(thread, access, step);
    const std::optional<RaceHit> got = deferred.on_access(thread, access, step);
    EXPECT_TRUE(same(got, expected)) << "step " << step << " thread " << thread;
    races += expected ? 1 : 0;
  }
  // Half the executions end with main joining everyone and writing once
  // more; the others stop where they are, as a deadlocked or stopped one
  // does, leaving unordered accesses behind for the next execution's reset.
  if (pick(2) == 0) {
    for (uint32_t child = 1; child < threads; ++child) {
      deferred.on_join(0, child);
      eager.on_join(0, child);
    }
    const MemoryAccess final_write{0, false, true, Access::kPlain, MemoryOrder::kRelaxed};
    EXPECT_TRUE(same(deferred.on_access(0, final_write, events + 1),
                     eager.on_access(0, final_write, events + 1)));
  }
  return races;
}

// `executions` random executions of up to `max_events` events through the
// same two detectors (an executor reuses them across executions); returns
// the races the oracle reported.
int compare_executions(uint32_t seed, int executions, uint32_t max_events, uint32_t first_plain) {
  std::mt19937 rng(seed);
  DataRaceDetector deferred;
  DataRaceDetector eager;
  int races = 0;
  for (int execution = 0; execution < executions && !::testing::Test::HasFailure(); ++execution) {
    races += compare_one_execution(rng, deferred, eager, max_events, first_plain);
  }
  return races;
}

TEST(DataRaceDetector, DeferringUntilThePlainAccessReportsWhatTheEagerDetectorReports) {
  EXPECT_GT(compare_executions(20261124, 3000, 45, 0), 100);  // the generator produces races
}

// Executions with more events before their first plain access than the
// detector's deferral log holds (data_race.hpp's kMaxDeferred, 4,096) turn
// eager when it fills.
TEST(DataRaceDetector, ALongExecutionWithoutPlainAccessesStillMatchesTheEagerDetector) {
  EXPECT_GT(compare_executions(7, 6, 12000, 6000), 0);
}

TEST(DataRaceDetector, AMarkedAccessBeforeTheFirstPlainOneStillRacesWithIt) {
  DataRaceDetector detector;
  detector.reset(0, 0);
  detector.on_spawn(0, 1);
  detector.on_spawn(0, 2);
  EXPECT_FALSE(detector.on_access(
      1, MemoryAccess{7, false, true, Access::kMarked, MemoryOrder::kRelaxed}, 1));
  const std::optional<RaceHit> hit =
      detector.on_access(2, MemoryAccess{7, true, false, Access::kPlain, MemoryOrder::kRelaxed}, 2);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->other_thread, 1U);
  EXPECT_EQ(hit->other_step, 1U);
  EXPECT_TRUE(hit->other_is_write);
  EXPECT_EQ(hit->other_access, Access::kMarked);
}

}  // namespace
}  // namespace protmc::checker
