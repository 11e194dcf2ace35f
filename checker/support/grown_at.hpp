// Lazily grown tables indexed by a small handle (VarId, LockId).
#pragma once

#include <cstdint>
#include <vector>

namespace protmc::checker {

// Element `index` of `table`, growing the table with value-initialised
// elements when `index` is past its end. O(1) for an existing element (one
// compare, kept inline); growth is amortised.
template <class T>
[[gnu::noinline, gnu::cold]] void grow_to_hold(std::vector<T>& table, uint32_t index) {
  table.resize(index + 1);
}

// Always inline, with the growth out of line: otherwise the compiler keeps
// the whole resize in one out-of-line function whose prologue and epilogue
// (six saved registers) cost more than the lookup on every call.
template <class T>
[[gnu::always_inline]] inline T& grown_at(std::vector<T>& table, uint32_t index) {
  if (index >= table.size()) [[unlikely]]
    grow_to_hold(table, index);
  return table[index];
}

}  // namespace protmc::checker
