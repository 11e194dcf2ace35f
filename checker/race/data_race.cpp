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

void DataRaceDetector::catch_up() {
  clear_state();
  deferred_ = false;
  for (const SyncEvent& event : log_) std::visit([this](const auto& e) { apply(e); }, event);
  log_.clear();
}

void DataRaceDetector::clear_state() {
  // Entries at and above thread_count_ are zero in every clock (the invariant
  // that lets spawn and join copy only thread_count_ entries), so only the
  // thread clocks and the prefix the last eager execution used need clearing;
  // and tables past the variables and locks used since the last clearing are
  // clean already.
  const uint32_t width = clock_padded(thread_count_);
  const std::size_t used_vars = std::min<std::size_t>(dirty_vars_, vars_.size());
  for (std::size_t i = 0; i < used_vars; ++i) {
    VarState& v = vars_[i];
    v.writes.clear();
    v.reads.clear();
    v.readers = 0;
    v.has_plain = false;
    v.has_release = false;
  }
  const std::size_t used_locks = std::min<std::size_t>(dirty_locks_, locks_.size());
  for (std::size_t i = 0; i < used_locks; ++i) {
    clock_clear(locks_[i].exclusive_release.data(), width);
    clock_clear(locks_[i].shared_release.data(), width);
  }
  for (uint32_t t = 0; t < thread_count_; ++t) clock_clear(threads_[t].data(), width);
  threads_[0][0] = 1;
  thread_count_ = 1;
  dirty_vars_ = 0;
  dirty_locks_ = 0;
}

std::size_t DataRaceDetector::retained_bytes() const {
  std::size_t total = log_.capacity() * sizeof(SyncEvent) + vars_.capacity() * sizeof(VarState) +
                      locks_.capacity() * sizeof(LockState);
  for (const VarState& v : vars_)
    total += (v.writes.capacity() + v.reads.capacity()) * sizeof(AccessEntry);
  return total;
}

void DataRaceDetector::apply(const AcquireEvent& e) {
  LockState& l = lock(e.lock);
  join_into(threads_[e.thread], l.exclusive_release, thread_count_);
  if (e.mode == LockMode::kExclusive) {
    join_into(threads_[e.thread], l.shared_release, thread_count_);
  }
}

void DataRaceDetector::apply(const ReleaseEvent& e) {
  const uint32_t thread = e.thread;
  LockState& l = lock(e.lock);
  if (e.mode == LockMode::kExclusive) {
    const uint32_t width = clock_padded(thread_count_);
    clock_copy(l.exclusive_release.data(), threads_[thread].data(), width);
    clock_clear(l.shared_release.data(), width);  // already ordered before the exclusive holder
  } else {
    join_into(l.shared_release, threads_[thread], thread_count_);
  }
  ++threads_[thread][thread];
}

// The first entry in `entries` that races with an access by `thread` whose
// clock is `clock`, or null: another thread's entry not ordered before it,
// unless both are marked or atomic (KCSAN's rule). The first in list order
// is the one a report names.
const DataRaceDetector::AccessEntry* DataRaceDetector::first_race(
    const std::vector<AccessEntry>& entries, uint32_t thread, bool plain, const SyncClock& clock) {
  for (const AccessEntry& e : entries) {
    if (e.thread != thread && e.epoch > clock[e.thread] && (plain || e.access == Access::kPlain))
      return &e;
  }
  return nullptr;
}

// Drops the entries ordered before an access by `thread` (its own included:
// its clock entry only grows), keeping the others in order.
uint32_t DataRaceDetector::erase_ordered(std::vector<AccessEntry>& entries, uint32_t thread,
                                         const SyncClock& clock) {
  auto kept = entries.begin();
  uint32_t threads = 0;
  for (const AccessEntry& e : entries) {
    if (e.thread != thread && e.epoch > clock[e.thread]) {
      *kept++ = e;
      threads |= 1U << e.thread;
    }
  }
  entries.erase(kept, entries.end());
  return threads;
}

std::optional<RaceHit> DataRaceDetector::apply_access(uint32_t thread, MemoryAccess a,
                                                      uint32_t step) {
  VarState& v = var(a.var);
  SyncClock& clock = threads_[thread];
  const bool atomic = a.access == Access::kAtomic;
  if (atomic && a.is_read && is_acquire(a.order) && v.has_release) {
    join_into(clock, v.release, thread_count_);
  }
  const bool plain = a.access == Access::kPlain;
  std::optional<RaceHit> hit;
  if (plain || v.has_plain) {
    if (const AccessEntry* e = first_race(v.writes, thread, plain, clock)) {
      hit = RaceHit{e->thread, e->step, true, e->access};
    } else if (a.is_write) {
      if (const AccessEntry* r = first_race(v.reads, thread, plain, clock))
        hit = RaceHit{r->thread, r->step, false, r->access};
    }
    v.has_plain = v.has_plain || plain;
  }

  const AccessEntry self{thread, clock[thread], step, a.access};
  if (a.is_write) {
    // Accesses ordered before this write can no longer race with anything
    // that this write does not race with first. That includes the thread's
    // own earlier accesses, so the write list has no entry of it left.
    v.readers = erase_ordered(v.reads, thread, clock);
    erase_ordered(v.writes, thread, clock);
    v.writes.push_back(self);
    if (atomic && is_release(a.order)) {
      if (a.is_read && v.has_release) {
        join_into(v.release, clock, thread_count_);  // RMW continues the release sequence
      } else {
        v.release = clock;
      }
      v.has_release = true;
      ++clock[thread];
    } else if (!(atomic && a.is_read)) {
      v.has_release = false;  // a non-RMW store ends the release sequence
    }
  } else if ((v.readers >> thread & 1U) != 0) {
    // A short list: a plain scan beats std::find_if's unrolled one.
    for (AccessEntry& e : v.reads) {
      if (e.thread == thread) {
        e = self;
        break;
      }
    }
  } else {
    v.readers |= 1U << thread;
    v.reads.push_back(self);
  }
  return hit;
}

}  // namespace protmc::checker
