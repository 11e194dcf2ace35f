// DPOR's analysis of one step (dpor.hpp): happens-before over the dependency
// order, the races of the new event with earlier ones, and for each race the
// sequence to insert into the wakeup tree before the earlier event, unless a
// sleeping or explored thread already covers it. The policy's lifecycle,
// pick() and the node stack are in dpor.cpp.
#include <algorithm>
#include <bit>
#include <span>

#include "checker/explore/dpor.hpp"
#include "checker/explore/event_key.hpp"
#include "checker/support/check.hpp"
#include "checker/support/clock_max.hpp"

namespace protmc::checker {

namespace {

[[gnu::always_inline]] inline void upsert_per_thread(std::vector<int32_t>& entries, int32_t pos,
                                                     uint32_t thread, const auto& thread_of_pos) {
  for (int32_t& e : entries) {
    if (thread_of_pos(e) == thread) {
      e = pos;
      return;
    }
  }
  entries.push_back(pos);
}

}  // namespace

[[gnu::always_inline]] inline void DporPolicy::join(Clock& clock, int32_t pos) const {
  if (pos < 0) return;
  const uint32_t* other = clock_of(pos);
  const uint32_t width = events_[static_cast<std::size_t>(pos)].width;
  // `clock` is a thread's (32 entries), `other` an event's, stored padded.
  clock_max_into(clock.data(), other, clock_padded(width));
}

void DporPolicy::add_read(VarHistory& h, int32_t pos, uint32_t thread) {
  // The thread's first read since the last write (the common case) goes at
  // the end without a scan; a later one replaces its entry in place.
  const uint32_t bit = 1U << thread;
  if ((h.readers & bit) == 0) {
    h.readers |= bit;
    h.reads.push_back(pos);
    return;
  }
  for (int32_t& r : h.reads) {
    if (events_[static_cast<std::size_t>(r)].thread == thread) {
      r = pos;
      return;
    }
  }
}

void DporPolicy::analyse_read(const StepRecord& record, Clock& clock, int32_t pos, bool detect) {
  // analyse() for a read, without its candidate and dependency lists: the
  // only candidate is the last write, which is also the only dependency, so
  // no path through another thread's event can order it before this read.
  const uint32_t t = record.thread;
  VarHistory& h = var(object_of(record.key));
  const int32_t last_write = h.last_write;
  bool races = false;
  if (last_write >= 0) {
    const Event& w = events_[static_cast<std::size_t>(last_write)];
    races = detect && w.thread != t && clock[w.thread] <= w.index;
    join(clock, last_write);
  }
  add_read(h, pos, t);
  if (races) race(last_write, WakeupEvent{t, record.key, record.value}, pos);
}

void DporPolicy::analyse(const StepRecord& record, Clock& clock, int32_t pos, bool detect) {
  const uint32_t t = record.thread;
  const uint64_t key = record.key;
  // Candidates are collected first and checked once every dependency is
  // known: e races with this event only if no dependency d of another thread
  // has e → d (otherwise e → d → this event, and reversing e alone is not a
  // race and may not even be executable). Paths through e's own thread, such
  // as an acquisition's own release, do not count: acquisitions race.
  // Every case below considers all its candidates before it joins any
  // dependency, so `clock` is still the clock before them when a candidate
  // is filtered (other threads' events already before this one are not races).
  candidates_.clear();
  dependencies_.clear();
  auto consider = [&](int32_t earlier) __attribute__((always_inline)) {
    if (earlier < 0 || !detect) return;
    const Event& ev = events_[static_cast<std::size_t>(earlier)];
    if (ev.thread != t && clock[ev.thread] <= ev.index) candidates_.push(earlier);
  };
  auto dep = [&](int32_t earlier) __attribute__((always_inline)) {
    if (earlier < 0) return;
    dependencies_.push(earlier);
    join(clock, earlier);
  };
  auto thread_of_pos = [this](int32_t p) { return events_[static_cast<std::size_t>(p)].thread; };
  const bool commit = pos >= 0;
  const uint32_t object = object_of(key);

  switch (kind_of(key)) {
    case KeyKind::kLocal:
      break;
    case KeyKind::kJoin:
      // Entries from width_ on are zero in both clocks. The joined thread is
      // not the joining one, so the two clocks never overlap.
      settle_joins(object);
      clock_max_into(clock.data(), thread_clock_[object].data(), clock_padded(width_));
      break;
    case KeyKind::kRead:
      // on_step gives executed reads to analyse_read(), and a pending read
      // never blocks, so none reaches here.
      CHECK_MSG(false, "DPOR: a read reached the generic analysis");
      break;
    case KeyKind::kWrite: {
      VarHistory& h = var(object);
      if (h.reads.empty()) {
        consider(h.last_write);
      } else {
        for (int32_t r : h.reads) consider(r);
      }
      dep(h.last_write);
      for (int32_t r : h.reads) dep(r);
      if (commit) {
        h.last_write = pos;
        h.reads.clear();
        h.readers = 0;
      }
      break;
    }
    case KeyKind::kAcquireExclusive: {
      LockHistory& h = lock(object);
      if (record.unconditional) {
        // A writer-preferring down_write's first step acquires or queues in any
        // state: it races with the latest state changes, like a write.
        if (h.shared_ops.empty()) {
          consider(h.last_state_change);
        } else {
          for (int32_t s : h.shared_ops) consider(s);
        }
      } else if (h.shared.empty()) {
        // Needs the lock free: it can only go before a whole hold.
        consider(h.last_exclusive);
      } else {
        for (const auto& hold : h.shared) consider(hold.first);
      }
      if (record.trylock) {
        // A trylock can also go inside the previous hold, where it fails.
        consider(h.last_release);
        for (int32_t r : h.shared_rels) consider(r);
      }
      dep(h.last_state_change);
      for (int32_t s : h.shared_ops) dep(s);
      dep(h.last_exclusive);
      for (const auto& hold : h.shared) dep(hold.latest);
      dep(h.last_release);
      for (int32_t r : h.shared_rels) dep(r);
      for (int32_t f : h.failed_tries) dep(f);
      if (commit) {
        h.last_state_change = pos;
        h.shared_ops.clear();
        if (record.disables_shared) h.reader_blocker = pos;
        if (record.queued) {
          // Queued, not acquired: the holders keep the lock, and their
          // releases race with this step as with a failed trylock.
          h.failed_tries.push_back(pos);
        } else {
          h.last_exclusive = pos;
          h.shared.clear();
          h.shared_rels.clear();
          h.failed_tries.clear();
        }
      }
      break;
    }
    case KeyKind::kAcquireShared: {
      // A shared acquisition races with the step that last made it impossible:
      // the exclusive acquisition, or the writer that queued ahead of readers.
      LockHistory& h = lock(object);
      consider(h.reader_blocker);
      // A down_read_trylock can also go before the release that let it in.
      if (record.trylock) consider(h.last_release);
      dep(h.reader_blocker);
      dep(h.last_state_change);
      dep(h.last_release);
      for (int32_t f : h.failed_tries) dep(f);
      if (commit) {
        auto hold = std::find_if(h.shared.begin(), h.shared.end(),
                                 [&](const auto& x) { return thread_of_pos(x.first) == t; });
        if (hold == h.shared.end()) {
          h.shared.push_back({pos, pos, 1});
        } else {
          if (hold->depth == 0) hold->first = pos;
          hold->latest = pos;
          ++hold->depth;
        }
        upsert_per_thread(h.shared_ops, pos, t, thread_of_pos);
        h.failed_tries.clear();
      }
      break;
    }
    case KeyKind::kTryFailed: {
      LockHistory& h = lock(object);
      if (h.shared.empty()) {
        consider(h.last_exclusive);
      } else {
        for (const auto& hold : h.shared) consider(hold.first);
      }
      dep(h.last_exclusive);
      for (const auto& hold : h.shared) dep(hold.latest);
      if (commit) h.failed_tries.push_back(pos);
      break;
    }
    case KeyKind::kReleaseExclusive:
    case KeyKind::kReleaseShared: {
      // Releases cannot move before their acquisition; they race only with
      // steps that found the lock taken (failed trylocks, queued writers).
      LockHistory& h = lock(object);
      for (int32_t f : h.failed_tries) consider(f);
      for (int32_t f : h.failed_tries) dep(f);
      const bool exclusive = kind_of(key) == KeyKind::kReleaseExclusive;
      if (exclusive) {
        dep(h.last_state_change);
        for (int32_t s : h.shared_ops) dep(s);
      } else {
        dep(h.last_state_change);
      }
      if (commit) {
        if (exclusive) {
          h.failed_tries.clear();
          h.last_release = pos;
          h.last_state_change = pos;
          h.shared_ops.clear();
        } else {
          h.shared_rels.push_back(pos);
          upsert_per_thread(h.shared_ops, pos, t, thread_of_pos);
          for (auto& hold : h.shared) {
            if (thread_of_pos(hold.first) == t && hold.depth > 0) --hold.depth;
          }
        }
      }
      break;
    }
  }
  for (int32_t e : candidates_) {
    const Event& ev = events_[static_cast<std::size_t>(e)];
    const bool through_other =
        std::any_of(dependencies_.begin(), dependencies_.end(), [&](int32_t d) {
          const Event& dep_event = events_[static_cast<std::size_t>(d)];
          return dep_event.thread != ev.thread && ev.thread < dep_event.width &&
                 clock_of(d)[ev.thread] > ev.index;
        });
    if (!through_other) race(e, WakeupEvent{t, key, record.value}, pos);
  }
}

void DporPolicy::race(int32_t earlier, const WakeupEvent& later, int32_t later_pos) {
  const Event& e = events_[static_cast<std::size_t>(earlier)];
  const auto end = later_pos < 0 ? static_cast<int32_t>(events_.size()) : later_pos;
  // v = notdep(e).e': the events after e that do not happen after it, then
  // e'. Filled without a branch per event (whether one happens after e
  // follows no pattern a predictor learns): each is written, and kept by
  // advancing the end past it.
  const auto most = static_cast<std::size_t>(end - earlier);
  if (scratch_.size() < most) scratch_.resize(std::max(most, 2 * scratch_.size()));
  std::size_t size = 0;
  for (int32_t k = earlier + 1; k < end; ++k) {
    const Event& x = events_[static_cast<std::size_t>(k)];
    scratch_[size] = WakeupEvent{x.thread, x.key, x.value};
    size += clock_of(k)[e.thread] <= e.index ? 1 : 0;
  }
  scratch_[size++] = later;
  const std::span<WakeupEvent> v(scratch_.data(), size);
  Node& node = stack_[static_cast<std::size_t>(earlier)];
  // Skipped when a sleeping or explored thread is a weak initial of v:
  // already explored, or will be elsewhere.
  if (size == 1) {
    // The common case, v = e' alone (weak_initial() inline): a thread covers
    // it when it is e''s own thread (with the same choice) or commutes with e'.
    const bool same_choice = kind_of(later.key) != KeyKind::kLocal || later.value == 0;
    const uint64_t* key = sleep_pool_.begin() + node.sleep_keys;
    for (uint32_t m = node.sleep; m != 0; m &= m - 1, ++key) {
      const auto s = static_cast<uint32_t>(std::countr_zero(m));
      if (s == later.thread ? same_choice : !dependent(*key, later.key)) return;
    }
    key = node.done.keys.data();
    for (uint32_t m = node.done.mask; m != 0; m &= m - 1, ++key) {
      const auto s = static_cast<uint32_t>(std::countr_zero(m));
      if (s == later.thread ? same_choice : !dependent(*key, later.key)) return;
    }
  } else {
    int index = -1;
    const uint64_t* key = sleep_pool_.begin() + node.sleep_keys;
    for (uint32_t m = node.sleep; m != 0; m &= m - 1, ++key) {
      const auto s = static_cast<uint32_t>(std::countr_zero(m));
      if (weak_initial(WakeupEvent{s, *key, 0}, v, index)) return;
    }
    key = node.done.keys.data();
    for (uint32_t m = node.done.mask; m != 0; m &= m - 1, ++key) {
      const auto s = static_cast<uint32_t>(std::countr_zero(m));
      if (weak_initial(WakeupEvent{s, *key, 0}, v, index)) return;
    }
  }
  node.wut.insert(v);
}

}  // namespace protmc::checker
