// The interface between one execution (the Executor) and a search strategy.
//
// At every scheduling point the executor asks the policy which enabled thread
// takes the next step; after the step it reports what happened, so that DPOR
// can maintain happens-before and detect races. A policy sees only thread
// indices and event keys (checker/explore/event_key.hpp), never model state.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>

#include "checker/support/ids.hpp"

namespace protmc::checker {

class Executor;

struct Decision {
  uint32_t thread = 0;
  uint32_t value = 0;  // for a choose(n) step
};

// What the policy may ask about the threads at a scheduling point.
static_assert(kMaxThreads <= 32, "SchedulingPoint::enabled_mask has a bit per thread");

// The enabled threads are a bit mask (bit t for thread t), never empty:
// policies visit them in ascending order by clearing the lowest bit.
struct SchedulingPoint {
  uint32_t step = 0;
  const Executor* executor = nullptr;
  uint32_t enabled_mask = 0;
  // O(1): whether `thread` is enabled here.
  [[nodiscard]] bool is_enabled(uint32_t thread) const {
    return thread < kMaxThreads && ((enabled_mask >> thread) & 1U) != 0;
  }
  // O(1): the lowest-numbered enabled thread.
  [[nodiscard]] uint32_t lowest_enabled() const {
    return static_cast<uint32_t>(std::countr_zero(enabled_mask));
  }
};

// What one executed step did to the lock it touched (for DPOR's lock races).
struct StepRecord {
  uint32_t step = 0;
  uint32_t thread = 0;
  uint64_t key = 0;    // executed event key (precise: a failed trylock is kTryFailed)
  uint32_t value = 0;  // choose value
  // Lock steps: this step made shared acquisitions of the lock impossible
  // (an exclusive acquisition of a free lock, or a writer queueing on a
  // writer-preferring rw-semaphore held only by readers).
  bool disables_shared = false;
  // A down_write that queued behind the holders instead of acquiring.
  bool queued = false;
  // The first step of a down_write on a writer-preferring rwsem: enabled
  // whatever the holders do (it acquires or queues), so it can be reordered
  // before any reader's latest acquisition.
  bool unconditional = false;
  // A trylock that took the lock. Unlike a blocking acquisition it is enabled
  // while the lock is held (it would fail), so it can also be reordered
  // before the release that freed the lock.
  bool trylock = false;
};

class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;
  // Called before each execution.
  virtual void begin_execution() = 0;
  // nullopt: every enabled thread is asleep (the execution is sleep-set blocked).
  virtual std::optional<Decision> pick(const SchedulingPoint& point) = 0;
  // After a step was performed (before the thread runs on).
  virtual void on_step(const StepRecord& record) = 0;
  // Thread `parent` created thread `child` (not a step: see executor.hpp).
  // The child happens after every event of the parent so far.
  virtual void on_spawn(uint32_t /*parent*/, uint32_t /*child*/) {}
  // Thread `joiner` returned from joining thread `joined`, which has ended
  // (not a step either). The joiner's later events happen after every event
  // of the joined thread.
  virtual void on_join(uint32_t /*joiner*/, uint32_t /*joined*/) {}
  // At the end of a deadlocked execution, once per thread blocked on a lock:
  // its pending acquisition key.
  virtual void on_blocked_at_end(uint32_t thread, uint64_t pending_key) = 0;
  // After the execution ended; returns false when the search is exhausted.
  virtual bool next_execution() = 0;
  // Whether the search so far skipped schedules (preemption bound, sampling).
  [[nodiscard]] virtual bool pruned() const = 0;
};

}  // namespace protmc::checker
