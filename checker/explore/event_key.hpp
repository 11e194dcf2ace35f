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

constexpr bool dependent(uint64_t a, uint64_t b) {
  const uint32_t ta = thread_of(a);
  const uint32_t tb = thread_of(b);
  if (ta == tb) return true;
  const KeyKind ka = kind_of(a);
  const KeyKind kb = kind_of(b);
  if (ka == KeyKind::kLocal || kb == KeyKind::kLocal) return false;
  if (ka == KeyKind::kJoin) return object_of(a) == tb;
  if (kb == KeyKind::kJoin) return object_of(b) == ta;
  if (object_of(a) != object_of(b)) return false;
  if (is_var_kind(ka) != is_var_kind(kb)) return false;  // a variable and a lock
  if (is_var_kind(ka)) return ka == KeyKind::kWrite || kb == KeyKind::kWrite;
  if (is_shared_lock_kind(ka) && is_shared_lock_kind(kb)) return false;
  if (ka == KeyKind::kTryFailed && kb == KeyKind::kTryFailed) return false;
  return true;
}

}  // namespace protmc::checker
