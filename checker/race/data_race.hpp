// Data-race detection by vector-clock happens-before, with KCSAN's rule.
//
// Happens-before here is synchronisation order only (program order, spawn and
// join, lock release → later conflicting acquire, release → acquire atomics),
// not the scheduler's dependency order. Two accesses to one variable race when
// they come from different threads, at least one writes, neither happens
// before the other, and at least one is plain. Marked (READ_ONCE/WRITE_ONCE)
// and atomic accesses never race with each other.
//
// Deferred until needed: by KCSAN's rule no race can be reported before an
// execution's first plain access, so until then the detector only logs what
// happens (spawns, joins, lock operations, marked and atomic accesses), in
// O(1) each, and at the first plain access (or once the log holds
// kMaxDeferred events, to bound its memory in long executions) replays the
// log into its clocks and runs eagerly for the rest of the execution. An execution without plain
// accesses, like most of a READ_ONCE/WRITE_ONCE model's, costs one append
// per event. Results are exactly those of the eager detector.
//
// Cost (eager, and for the replay): O(threads) per synchronisation operation
// (thread clocks are copied and joined four entries at a time, up to the
// execution's thread count), O(live conflicting accesses) per memory access
// (usually 1-3; none for a marked or atomic access to a variable with no plain
// access yet). Clearing, at the first plain access of an execution after one
// that had some: O(threads^2 / 4 + the variables and locks that one used).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "checker/runtime/env.hpp"
#include "checker/support/check.hpp"
#include "checker/support/clock_max.hpp"
#include "checker/support/grown_at.hpp"
#include "checker/support/ids.hpp"

namespace protmc::checker {

using SyncClock = std::array<uint32_t, kMaxThreads>;

struct RaceHit {
  uint32_t other_thread = 0;
  uint32_t other_step = 0;
  bool other_is_write = false;
  Access other_access = Access::kPlain;
};

// One memory access, as the executor's step reports it. Eight bytes: passed
// in a register.
struct MemoryAccess {
  uint32_t var = 0;
  bool is_read = false;
  bool is_write = false;  // both for a read-modify-write or a successful CAS
  Access access = Access::kPlain;
  MemoryOrder order = MemoryOrder::kRelaxed;
};

class DataRaceDetector {
 public:
  // Starts an execution, given that the one since the last reset touched only
  // variables below `vars` and locks below `locks`. O(1): the clocks and
  // histories are cleared at the next plain access, and only as far as the
  // executions that reached one used them.
  void reset(uint32_t vars, uint32_t locks) {
    if (!deferred_) {
      dirty_vars_ = std::max(dirty_vars_, vars);
      dirty_locks_ = std::max(dirty_locks_, locks);
    }
    log_.clear();
    deferred_ = true;
  }
  // Heap bytes held by the log and the variable and lock tables.
  [[nodiscard]] std::size_t retained_bytes() const;
  void on_spawn(uint32_t parent, uint32_t child) {
    CHECK(child < kMaxThreads);
    record(SpawnEvent{parent, child});
  }
  void on_join(uint32_t joiner, uint32_t joined) { record(JoinEvent{joiner, joined}); }
  void on_acquire(uint32_t thread, uint32_t lock, LockMode mode) {
    record(AcquireEvent{thread, lock, mode});
  }
  void on_release(uint32_t thread, uint32_t lock, LockMode mode) {
    record(ReleaseEvent{thread, lock, mode});
  }
  // A load, store or read-modify-write (is_read && is_write) by `thread` at
  // `step`. Returns the earlier access it races with, if any (the first in
  // the variable's list order, writes before reads).
  std::optional<RaceHit> on_access(uint32_t thread, MemoryAccess access, uint32_t step) {
    if (deferred_) {
      if (access.access != Access::kPlain) {
        defer(AccessEvent{thread, access, step});
        return std::nullopt;  // marked or atomic, after only such accesses: no race
      }
      catch_up();
    }
    return apply_access(thread, access, step);
  }

 private:
  // What the detector logs while deferred: a closed set, replayed in order.
  struct SpawnEvent {
    uint32_t parent;
    uint32_t child;
  };
  struct JoinEvent {
    uint32_t joiner;
    uint32_t joined;
  };
  struct AcquireEvent {
    uint32_t thread;
    uint32_t lock;
    LockMode mode;
  };
  struct ReleaseEvent {
    uint32_t thread;
    uint32_t lock;
    LockMode mode;
  };
  struct AccessEvent {
    uint32_t thread;
    MemoryAccess access;
    uint32_t step;
  };
  using SyncEvent = std::variant<SpawnEvent, JoinEvent, AcquireEvent, ReleaseEvent, AccessEvent>;

  // Logs an event while deferred. A long execution without plain accesses
  // turns eager after kMaxDeferred events, so that the log stays small
  // (memory, and cache) whatever the execution's length.
  static constexpr std::size_t kMaxDeferred = 4096;
  void defer(const SyncEvent& event) {
    log_.push_back(event);
    if (log_.size() >= kMaxDeferred) [[unlikely]]
      catch_up();
  }
  // A synchronisation event: logged while deferred, applied at once otherwise.
  template <class Event>
  void record(const Event& event) {
    if (deferred_) {
      defer(event);
    } else {
      apply(event);
    }
  }
  // Clears the clocks and histories, replays the log into them and turns eager.
  void catch_up();
  // Back to a new detector's state: clears the thread clocks in use and the
  // first dirty_vars_ variables and dirty_locks_ locks.
  void clear_state();
  void apply(const SpawnEvent& e) {
    // Entries from thread_count_ on are zero in every thread clock (clear_state's
    // invariant), so the padded prefix is all there is to copy.
    clock_copy(threads_[e.child].data(), threads_[e.parent].data(), clock_padded(thread_count_));
    thread_count_ = std::max(thread_count_, e.child + 1);
    threads_[e.child][e.child] = 1;
    ++threads_[e.parent][e.parent];
  }
  void apply(const JoinEvent& e) {
    join_into(threads_[e.joiner], threads_[e.joined], thread_count_);
  }
  void apply(const AcquireEvent& e);
  void apply(const ReleaseEvent& e);
  void apply(const AccessEvent& e) { (void)apply_access(e.thread, e.access, e.step); }
  std::optional<RaceHit> apply_access(uint32_t thread, MemoryAccess access, uint32_t step);

  std::vector<SyncEvent> log_;  // this execution's events while deferred_
  bool deferred_ = true;        // no plain access yet in this execution
  // Variables and locks that executions since the last clear_state() may
  // have dirtied (only those that reached a plain access touch the tables).
  uint32_t dirty_vars_ = 0;
  uint32_t dirty_locks_ = 0;

 private:
  struct AccessEntry {
    uint32_t thread;
    uint32_t epoch;  // the thread's own clock component at the access
    uint32_t step;
    Access access;
  };
  struct VarState {
    std::vector<AccessEntry> writes;  // at most one per thread
    std::vector<AccessEntry> reads;   // at most one per thread
    uint32_t readers = 0;             // bit t: reads has an entry of thread t
    // Some entry may be plain (set by every plain access, cleared at reset):
    // when not, a marked or atomic access races with nothing (KCSAN's rule)
    // and skips the scans.
    bool has_plain = false;
    bool has_release = false;
    SyncClock release{};  // for release → acquire atomics
  };
  struct LockState {
    SyncClock exclusive_release{};
    SyncClock shared_release{};
  };

  static void join_into(SyncClock& into, const SyncClock& from, uint32_t threads) {
    // Entries from thread_count_ on are zero in every clock (reset's
    // invariant; lock and variable clocks are copies and joins of thread clocks).
    clock_max_into(into.data(), from.data(), clock_padded(threads));
  }
  static const AccessEntry* first_race(const std::vector<AccessEntry>& entries, uint32_t thread,
                                       bool plain, const SyncClock& clock);
  // Returns the threads whose entries are kept, as a bit mask.
  static uint32_t erase_ordered(std::vector<AccessEntry>& entries, uint32_t thread,
                                const SyncClock& clock);
  VarState& var(uint32_t index) { return grown_at(vars_, index); }
  LockState& lock(uint32_t index) { return grown_at(locks_, index); }

  // Thread t's clock. Entries from thread_count_ on are zero in every clock.
  // Stale while deferred_: cleared and rebuilt by catch_up().
  std::array<SyncClock, kMaxThreads> threads_{};
  std::vector<VarState> vars_;
  std::vector<LockState> locks_;
  uint32_t thread_count_ = 1;  // threads created in this execution (main at first)
};

}  // namespace protmc::checker
