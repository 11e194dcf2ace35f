#include "checker/race/data_race.hpp"

#include <algorithm>

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
  // Entries at and above thread_count_ are zero in every clock (the invariant
  // that lets spawn and join copy only thread_count_ entries), so only the
  // thread clocks and the prefix the last execution used need clearing.
  const uint32_t width = clock_padded(thread_count_);
  for (auto& v : vars_) {
    v.writes.clear();
    v.reads.clear();
    v.has_release = false;
  }
  for (auto& l : locks_) {
    clock_clear(l.exclusive_release.data(), width);
    clock_clear(l.shared_release.data(), width);
  }
  for (uint32_t t = 0; t < thread_count_; ++t) clock_clear(threads_[t].data(), width);
  threads_[0][0] = 1;
  thread_count_ = 1;
}

void DataRaceDetector::on_acquire(uint32_t thread, uint32_t index, LockMode mode) {
  LockState& l = lock(index);
  join_into(threads_[thread], l.exclusive_release, thread_count_);
  if (mode == LockMode::kExclusive) join_into(threads_[thread], l.shared_release, thread_count_);
}

void DataRaceDetector::on_release(uint32_t thread, uint32_t index, LockMode mode) {
  LockState& l = lock(index);
  if (mode == LockMode::kExclusive) {
    const uint32_t width = clock_padded(thread_count_);
    clock_copy(l.exclusive_release.data(), threads_[thread].data(), width);
    clock_clear(l.shared_release.data(), width);  // already ordered before the exclusive holder
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
