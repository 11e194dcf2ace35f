// Lazily grown tables indexed by a small handle (VarId, LockId), and
// appends whose growth is out of line.
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

template <class T>
[[gnu::noinline, gnu::cold]] void grow_for_append(std::vector<T>& table) {
  table.reserve(table.empty() ? 8 : 2 * table.capacity());
}

// table.push_back(value) for a hot path: amortised O(1), with the growth out
// of line so that the caller keeps no reallocation code (and no registers
// saved for it) inline.
template <class T>
[[gnu::always_inline]] inline void append(std::vector<T>& table, const T& value) {
  if (table.size() == table.capacity()) [[unlikely]]
    grow_for_append(table);
  if (table.size() == table.capacity()) __builtin_unreachable();  // drops push_back's growth
  table.push_back(value);
}

}  // namespace protmc::checker
