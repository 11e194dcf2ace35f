// Lazily grown tables indexed by a small handle (VarId, LockId).
#pragma once

#include <cstdint>
#include <vector>

namespace protmc::checker {

// Element `index` of `table`, growing the table with value-initialised
// elements when `index` is past its end. O(1) for an existing element (one
// compare, kept inline); growth is amortised.
template <class T>
T& grown_at(std::vector<T>& table, uint32_t index) {
  if (index >= table.size()) [[unlikely]]
    table.resize(index + 1);
  return table[index];
}

}  // namespace protmc::checker
