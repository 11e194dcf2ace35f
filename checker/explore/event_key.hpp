// Event keys: a 64-bit summary of one event that decides dependency.
//
// Layout: thread (8 bits) | kind (8 bits) | unused (16) | object (32).
// Two events are dependent iff they are of the same thread, or they touch the
// same object and do not commute: a variable with at least one write; a lock
// unless both sides are shared (read) acquisitions/releases or both are failed
// trylocks; the join of a thread with that thread's events. Local events
// (choose, yield) commute with everything of other threads.
#pragma once

#include <cstdint>

namespace protmc::checker {

enum class KeyKind : uint8_t {
  kLocal = 0,
  kRead,
  kWrite,
  kAcquireExclusive,
  kAcquireShared,
  kReleaseExclusive,
  kReleaseShared,
  kTryFailed,  // an executed trylock that did not take the lock
  kJoin,       // object: the joined thread
};

constexpr uint64_t make_key(uint32_t thread, KeyKind kind, uint32_t object) {
  return (uint64_t{thread} << 56) | (uint64_t{static_cast<uint8_t>(kind)} << 48) | object;
}
constexpr uint32_t thread_of(uint64_t key) { return static_cast<uint32_t>(key >> 56); }
constexpr KeyKind kind_of(uint64_t key) { return static_cast<KeyKind>((key >> 48) & 0xff); }
constexpr uint32_t object_of(uint64_t key) { return static_cast<uint32_t>(key); }

constexpr bool is_var_kind(KeyKind k) { return k == KeyKind::kRead || k == KeyKind::kWrite; }
constexpr bool is_lock_kind(KeyKind k) {
  return k >= KeyKind::kAcquireExclusive && k <= KeyKind::kTryFailed;
}
constexpr bool is_shared_lock_kind(KeyKind k) {
  return k == KeyKind::kAcquireShared || k == KeyKind::kReleaseShared;
}

namespace detail {
// Bit kb of kConflicts[ka]: events of kinds ka and kb of different threads
// can be dependent (then decided by their objects; see dependent()).
constexpr uint16_t conflicts_of(KeyKind ka) {
  uint16_t bits = 0;
  for (uint8_t b = 0; b <= static_cast<uint8_t>(KeyKind::kJoin); ++b) {
    const auto kb = static_cast<KeyKind>(b);
    bool conflict;
    if (ka == KeyKind::kLocal || kb == KeyKind::kLocal) {
      conflict = false;
    } else if (ka == KeyKind::kJoin || kb == KeyKind::kJoin) {
      conflict = true;
    } else if (is_var_kind(ka) != is_var_kind(kb)) {
      conflict = false;  // a variable and a lock
    } else if (is_var_kind(ka)) {
      conflict = ka == KeyKind::kWrite || kb == KeyKind::kWrite;
    } else {
      conflict = !(is_shared_lock_kind(ka) && is_shared_lock_kind(kb)) &&
                 !(ka == KeyKind::kTryFailed && kb == KeyKind::kTryFailed);
    }
    if (conflict) bits = static_cast<uint16_t>(bits | (1U << b));
  }
  return bits;
}
inline constexpr uint16_t kConflicts[16] = {
    conflicts_of(KeyKind::kLocal),         conflicts_of(KeyKind::kRead),
    conflicts_of(KeyKind::kWrite),         conflicts_of(KeyKind::kAcquireExclusive),
    conflicts_of(KeyKind::kAcquireShared), conflicts_of(KeyKind::kReleaseExclusive),
    conflicts_of(KeyKind::kReleaseShared), conflicts_of(KeyKind::kTryFailed),
    conflicts_of(KeyKind::kJoin),
};
}  // namespace detail

// O(1), branch-light: this runs for every sleep-set entry at every step and
// for every pair DPOR's wakeup-tree operations compare.
constexpr bool dependent(uint64_t a, uint64_t b) {
  const uint32_t ta = thread_of(a);
  const uint32_t tb = thread_of(b);
  if (ta == tb) return true;
  const auto ka = static_cast<uint8_t>(kind_of(a));
  const auto kb = static_cast<uint8_t>(kind_of(b));
  if (((detail::kConflicts[ka & 15U] >> (kb & 15U)) & 1U) == 0) return false;
  if (ka == static_cast<uint8_t>(KeyKind::kJoin)) return object_of(a) == tb;
  if (kb == static_cast<uint8_t>(KeyKind::kJoin)) return object_of(b) == ta;
  return object_of(a) == object_of(b);
}

}  // namespace protmc::checker
