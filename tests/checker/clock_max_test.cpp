// clock_max_into against a scalar entrywise max, on random clocks of every
// width up to 32, including entries with the top bit set (an unsigned
// compare done as a signed one would get those wrong).
#include "checker/support/clock_max.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>

namespace protmc::checker {
namespace {

TEST(ClockMax, PaddedRoundsUpToAMultipleOfFour) {
  EXPECT_EQ(clock_padded(0), 0U);
  EXPECT_EQ(clock_padded(1), 4U);
  EXPECT_EQ(clock_padded(4), 4U);
  EXPECT_EQ(clock_padded(7), 8U);
  EXPECT_EQ(clock_padded(32), 32U);
}

TEST(ClockMax, MatchesAScalarMaxForEveryWidth) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<uint32_t> any;
  std::uniform_int_distribution<uint32_t> small(0, 9);
  for (int round = 0; round < 200; ++round) {
    for (uint32_t n = 0; n <= 32; ++n) {
      std::array<uint32_t, 32> into{};
      std::array<uint32_t, 32> from{};
      for (uint32_t i = 0; i < n; ++i) {
        // Small values make ties and near-ties common; large ones cross 2^31.
        into[i] = round % 2 == 0 ? small(rng) : any(rng);
        from[i] = round % 3 == 0 ? small(rng) : any(rng);
      }
      std::array<uint32_t, 32> expected = into;
      for (uint32_t i = 0; i < n; ++i) expected[i] = std::max(into[i], from[i]);
      clock_max_into(into.data(), from.data(), clock_padded(n));
      ASSERT_EQ(into, expected) << "width " << n << ", round " << round;
    }
  }
}

TEST(ClockMax, TopBitEntriesCompareAsUnsigned) {
  std::array<uint32_t, 4> into{0x80000000U, 1U, 0xFFFFFFFFU, 0x7FFFFFFFU};
  const std::array<uint32_t, 4> from{0x7FFFFFFFU, 0x80000001U, 0U, 0x80000000U};
  clock_max_into(into.data(), from.data(), 4);
  EXPECT_EQ(into, (std::array<uint32_t, 4>{0x80000000U, 0x80000001U, 0xFFFFFFFFU, 0x80000000U}));
}

}  // namespace
}  // namespace protmc::checker
