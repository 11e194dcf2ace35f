// Vector-clock joins, copies and clears, four entries at a time.
//
// Joining clocks (entrywise max) is the commonest operation of DPOR and of
// the race detector: at every dependency, spawn, join and lock acquisition.
// Baseline x86-64 has no unsigned 32-bit max instruction (SSE4.1's pmaxud),
// so a scalar loop costs a compare and a move per entry and the compiler
// does not vectorise the short, variable-length loops. This uses GCC/Clang
// vector extensions: four entries per compare-and-blend on any target.
//
// Contract: both arrays have at least padded(n) entries, and entries in
// [n, padded(n)) are zero in both (or equal), so joining them changes nothing.
// O(n / 4). Copies and clears of such short prefixes are done here too,
// inline: a call to libc's memcpy or memset for 8 to 32 bytes costs several
// times the copy itself.
#pragma once

#include <cstdint>
#include <cstring>

namespace protmc::checker {

// n rounded up to a multiple of four: the entries clock_max_into touches.
constexpr uint32_t clock_padded(uint32_t n) { return (n + 3U) & ~3U; }

inline void clock_max_into(uint32_t* __restrict into, const uint32_t* __restrict from, uint32_t n) {
  using Lanes = uint32_t __attribute__((vector_size(16)));
  for (uint32_t i = 0; i < n; i += 4) {
    Lanes a;
    Lanes b;
    std::memcpy(&a, into + i, sizeof a);  // unaligned loads; compiled to movdqu
    std::memcpy(&b, from + i, sizeof b);
    const Lanes greater = b > a;  // all ones where from's entry is larger
    a = (a & ~greater) | (b & greater);
    std::memcpy(into + i, &a, sizeof a);
  }
}

// into[0, n) = from[0, n), for n a multiple of four (a clock_padded width).
inline void clock_copy(uint32_t* __restrict into, const uint32_t* __restrict from, uint32_t n) {
  using Lanes = uint32_t __attribute__((vector_size(16)));
  for (uint32_t i = 0; i < n; i += 4) {
    Lanes a;
    std::memcpy(&a, from + i, sizeof a);
    std::memcpy(into + i, &a, sizeof a);
  }
}

// into[0, n) = 0, for n a multiple of four (a clock_padded width).
inline void clock_clear(uint32_t* into, uint32_t n) {
  using Lanes = uint32_t __attribute__((vector_size(16)));
  const Lanes zero{};
  for (uint32_t i = 0; i < n; i += 4) {
    std::memcpy(into + i, &zero, sizeof zero);
  }
}

}  // namespace protmc::checker
