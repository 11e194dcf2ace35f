// Data-race detection by vector-clock happens-before, with KCSAN's rule.
//
// Happens-before here is synchronisation order only (program order, spawn and
// join, lock release → later conflicting acquire, release → acquire atomics),
// not the scheduler's dependency order. Two accesses to one variable race when
// they come from different threads, at least one writes, neither happens
// before the other, and at least one is plain. Marked (READ_ONCE/WRITE_ONCE)
// and atomic accesses never race with each other.
//
// Cost: O(threads) per synchronisation operation, O(live conflicting
// accesses) per memory access (usually 1-3). Reset per execution.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "checker/runtime/env.hpp"
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

class DataRaceDetector {
 public:
  void reset();
  void on_spawn(uint32_t parent, uint32_t child);
  void on_join(uint32_t joiner, uint32_t joined);
  void on_acquire(uint32_t thread, uint32_t lock, LockMode mode);
  void on_release(uint32_t thread, uint32_t lock, LockMode mode);
  // A load, store or read-modify-write (is_read && is_write). Returns the
  // earlier access it races with, if any.
  std::optional<RaceHit> on_access(uint32_t thread, uint32_t var, bool is_read, bool is_write,
                                   Access access, MemoryOrder order, uint32_t step);

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
    SyncClock release{};              // for release → acquire atomics
    bool has_release = false;
  };
  struct LockState {
    SyncClock exclusive_release{};
    SyncClock shared_release{};
  };

  static void join_into(SyncClock& into, const SyncClock& from, uint32_t threads);
  [[nodiscard]] bool ordered(const AccessEntry& earlier, uint32_t thread) const;
  VarState& var(uint32_t index) { return grown_at(vars_, index); }
  LockState& lock(uint32_t index) { return grown_at(locks_, index); }

  std::vector<SyncClock> threads_;
  std::vector<VarState> vars_;
  std::vector<LockState> locks_;
  uint32_t thread_count_ = 0;
};

}  // namespace protmc::checker
