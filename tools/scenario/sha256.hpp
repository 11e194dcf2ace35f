// SHA-256 (FIPS 180-4), for recording which scenario text a result or trace
// came from. Small and dependency-free; tested against the FIPS vectors.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace protmc::scenario {

// The 32-byte digest of `data`.
std::array<uint8_t, 32> sha256(std::string_view data);

// The digest as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace protmc::scenario
