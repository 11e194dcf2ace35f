// A schedule identifies one execution: the sequence of choices the scheduler
// made. Re-running a program with the same schedule reproduces the execution.
#pragma once

#include <cstdint>
#include <vector>

namespace protmc::checker {

struct Choice {
  uint32_t thread = 0;  // the thread that took the step
  uint32_t value = 0;   // for a choose(n) step, the value returned; 0 otherwise
  friend bool operator==(const Choice&, const Choice&) = default;
};

struct Schedule {
  std::vector<Choice> choices;
  friend bool operator==(const Schedule&, const Schedule&) = default;
};

}  // namespace protmc::checker
