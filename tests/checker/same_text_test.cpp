// same_text against std::string_view's ==, for every length up to 40 and a
// difference at every position (the word compares overlap in the middle).
#include "checker/support/same_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace protmc::checker {
namespace {

TEST(SameText, MatchesStringViewEqualityForEveryLengthAndDifferingByte) {
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string a;
    for (std::size_t i = 0; i < n; ++i) a.push_back(static_cast<char>('a' + i % 26));
    const std::string same = a;  // another buffer
    EXPECT_TRUE(same_text(a, same)) << n;
    for (std::size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x40);
      EXPECT_FALSE(same_text(a, b)) << n << " " << i;
      EXPECT_FALSE(same_text(b, a)) << n << " " << i;
    }
    EXPECT_FALSE(same_text(a, a + "x")) << n;
    EXPECT_FALSE(same_text(a + "x", a)) << n;
  }
  // A view into a longer string: nothing past its end is compared.
  const std::string longer = "reader1-and-more";
  EXPECT_TRUE(same_text(std::string_view(longer).substr(0, 7), "reader1"));
  EXPECT_FALSE(same_text(std::string_view(longer).substr(0, 7), "reader2"));
}

}  // namespace
}  // namespace protmc::checker
