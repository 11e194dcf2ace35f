// Equality of two short strings without a call to libc's memcmp.
//
// The executor compares every spawned thread's name with the one its slot
// had in the last execution (to copy it only when it changes): names are a
// few bytes, and a memcmp call plus std::string_view's compare around it cost
// several times the comparison itself. Up to 16 bytes this compares two
// overlapping words from each side (never reading outside either string);
// longer strings go to memcmp. O(1) up to 16 bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace protmc::checker {

namespace detail {
template <class Word>
inline bool same_ends(const char* a, const char* b, std::size_t n) {
  Word a_head;
  Word b_head;
  Word a_tail;
  Word b_tail;
  std::memcpy(&a_head, a, sizeof(Word));
  std::memcpy(&b_head, b, sizeof(Word));
  std::memcpy(&a_tail, a + n - sizeof(Word), sizeof(Word));
  std::memcpy(&b_tail, b + n - sizeof(Word), sizeof(Word));
  return ((a_head ^ b_head) | (a_tail ^ b_tail)) == 0;
}
}  // namespace detail

inline bool same_text(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8) {
    if (n > 16) return std::memcmp(a.data(), b.data(), n) == 0;
    return detail::same_ends<uint64_t>(a.data(), b.data(), n);
  }
  if (n >= 4) return detail::same_ends<uint32_t>(a.data(), b.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace protmc::checker
