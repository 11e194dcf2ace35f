#include "checker/race/data_race.hpp"

#include <algorithm>

#include "checker/support/check.hpp"
#include "checker/support/clock_max.hpp"

namespace protmc::checker {

namespace {
bool is_release(MemoryOrder order) {
  return order == MemoryOrder::kRelease || order == MemoryOrder::kAcqRel ||
         order == MemoryOrder::kSeqCst;
}
bool is_acquire(MemoryOrder order) {
  return order == MemoryOrder::kAcquire || order == MemoryOrder::kAcqRel ||
         order == MemoryOrder::kSeqCst;
}
}  // namespace

void DataRaceDetector::reset() {
  for (auto& v : vars_) {
    v.writes.clear();
    v.reads.clear();
    v.has_release = false;
  }
  for (auto& l : locks_) {
    l.exclusive_release.fill(0);
    l.shared_release.fill(0);
  }
  // Entries at and above thread_count_ are zero in every thread clock (the
  // invariant that lets spawn and join copy only thread_count_ entries), so
  // only the prefix the last execution used needs clearing.
  for (SyncClock& clock : threads_) std::fill_n(clock.begin(), thread_count_, 0);
  if (threads_.empty()) threads_.resize(1, SyncClock{});
  threads_[0][0] = 1;
  thread_count_ = 1;
}

void DataRaceDetector::join_into(SyncClock& into, const SyncClock& from, uint32_t threads) {
  // Entries from thread_count_ on are zero in every clock (reset's invariant;
  // lock and variable clocks are copies and joins of thread clocks).
  clock_max_into(into.data(), from.data(), clock_padded(threads));
}

void DataRaceDetector::on_spawn(uint32_t parent, uint32_t child) {
  CHECK(child < kMaxThreads);
  if (threads_.size() <= child) threads_.resize(child + 1, SyncClock{});
  // The child's clock is zero from thread_count_ on (reset's invariant).
  std::copy_n(threads_[parent].begin(), thread_count_, threads_[child].begin());
  thread_count_ = std::max(thread_count_, child + 1);
  threads_[child][child] = 1;
  ++threads_[parent][parent];
}

void DataRaceDetector::on_join(uint32_t joiner, uint32_t joined) {
  join_into(threads_[joiner], threads_[joined], thread_count_);
}

void DataRaceDetector::on_acquire(uint32_t thread, uint32_t index, LockMode mode) {
  LockState& l = lock(index);
  join_into(threads_[thread], l.exclusive_release, thread_count_);
  if (mode == LockMode::kExclusive) join_into(threads_[thread], l.shared_release, thread_count_);
}

void DataRaceDetector::on_release(uint32_t thread, uint32_t index, LockMode mode) {
  LockState& l = lock(index);
  if (mode == LockMode::kExclusive) {
    l.exclusive_release = threads_[thread];
    l.shared_release.fill(0);  // already ordered before the exclusive holder
  } else {
    join_into(l.shared_release, threads_[thread], thread_count_);
  }
  ++threads_[thread][thread];
}

bool DataRaceDetector::ordered(const AccessEntry& earlier, uint32_t thread) const {
  return earlier.epoch <= threads_[thread][earlier.thread];
}

std::optional<RaceHit> DataRaceDetector::on_access(uint32_t thread, uint32_t index, bool is_read,
                                                   bool is_write, Access access, MemoryOrder order,
                                                   uint32_t step) {
  VarState& v = var(index);
  SyncClock& clock = threads_[thread];
  if (access == Access::kAtomic && is_read && is_acquire(order) && v.has_release) {
    join_into(clock, v.release, thread_count_);
  }
  const bool plain = access == Access::kPlain;
  std::optional<RaceHit> hit;
  auto check = [&](const std::vector<AccessEntry>& entries, bool entries_write) {
    for (const AccessEntry& e : entries) {
      if (hit || e.thread == thread || ordered(e, thread)) continue;
      if (!plain && e.access != Access::kPlain) continue;  // marked vs marked: KCSAN's rule
      hit = RaceHit{e.thread, e.step, entries_write, e.access};
    }
  };
  check(v.writes, true);
  if (is_write) check(v.reads, false);

  const AccessEntry self{thread, clock[thread], step, access};
  auto upsert = [&](std::vector<AccessEntry>& entries) {
    for (AccessEntry& e : entries) {
      if (e.thread == thread) {
        e = self;
        return;
      }
    }
    entries.push_back(self);
  };
  if (is_write) {
    // Accesses ordered before this write can no longer race with anything
    // that this write does not race with first.
    std::erase_if(v.reads, [&](const AccessEntry& e) { return ordered(e, thread); });
    std::erase_if(v.writes, [&](const AccessEntry& e) { return ordered(e, thread); });
    upsert(v.writes);
    if (access == Access::kAtomic && is_release(order)) {
      if (is_read && v.has_release) {
        join_into(v.release, clock, thread_count_);  // RMW continues the release sequence
      } else {
        v.release = clock;
      }
      v.has_release = true;
      ++clock[thread];
    } else if (!(access == Access::kAtomic && is_read)) {
      v.has_release = false;  // a non-RMW store ends the release sequence
    }
  } else {
    upsert(v.reads);
  }
  return hit;
}

}  // namespace protmc::checker
