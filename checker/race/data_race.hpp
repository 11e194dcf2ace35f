// Data-race detection by vector-clock happens-before, with KCSAN's rule.
//
// Happens-before here is synchronisation order only (program order, spawn and
// join, lock release → later conflicting acquire, release → acquire atomics),
// not the scheduler's dependency order. Two accesses to one variable race when
// they come from different threads, at least one writes, neither happens
// before the other, and at least one is plain. Marked (READ_ONCE/WRITE_ONCE)
// and atomic accesses never race with each other.
//
// Cost: O(threads) per synchronisation operation (thread clocks are copied
// and joined four entries at a time, up to the execution's thread count),
// O(live conflicting accesses) per memory access (usually 1-3). Reset per
// execution, in O(threads^2 / 4 + the execution's variables and locks).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
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
  // Back to a new detector's state, given that the execution since the last
  // reset touched only variables below `vars` and locks below `locks`:
  // O(vars + locks), whatever the tables grew to in earlier executions.
  void reset(uint32_t vars, uint32_t locks);
  // Heap bytes held by the variable and lock tables.
  [[nodiscard]] std::size_t retained_bytes() const;
  // Inline: once per thread of every execution.
  void on_spawn(uint32_t parent, uint32_t child) {
    CHECK(child < kMaxThreads);
    // Entries from thread_count_ on are zero in every thread clock (reset's
    // invariant), so the padded prefix is all there is to copy.
    clock_copy(threads_[child].data(), threads_[parent].data(), clock_padded(thread_count_));
    thread_count_ = std::max(thread_count_, child + 1);
    threads_[child][child] = 1;
    ++threads_[parent][parent];
  }
  void on_join(uint32_t joiner, uint32_t joined) {
    join_into(threads_[joiner], threads_[joined], thread_count_);
  }
  void on_acquire(uint32_t thread, uint32_t lock, LockMode mode);
  void on_release(uint32_t thread, uint32_t lock, LockMode mode);
  // A load, store or read-modify-write (is_read && is_write) by `thread` at
  // `step`. Returns the earlier access it races with, if any (the first in
  // the variable's list order, writes before reads).
  std::optional<RaceHit> on_access(uint32_t thread, MemoryAccess access, uint32_t step);

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
  std::array<SyncClock, kMaxThreads> threads_{};
  std::vector<VarState> vars_;
  std::vector<LockState> locks_;
  uint32_t thread_count_ = 1;  // threads created in this execution (main at first)
};

}  // namespace protmc::checker
