// Exit statuses of every protmc command, documented in the README.
#pragma once

namespace protmc::cli {

enum class ExitStatus : int {
  kAsExpected = 0,  // the run did what was expected (for `run --program`: no finding)
  kFinding = 1,     // a finding, or an unmet expectation
  kBadInput = 2,    // bad input or usage: nothing was explored
  kIncomplete = 3,  // the exploration stopped before covering everything
};

constexpr int to_int(ExitStatus status) { return static_cast<int>(status); }

}  // namespace protmc::cli
