// Findings: what an exploration reports about a model. Findings are data, not
// errors: a violation is a successful run of the checker.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace protmc::checker {

// Standard property names the engine itself reports. Models add their own
// (for example "pte-attributes").
inline constexpr const char* kDataRace = "data-race";
inline constexpr const char* kDeadlock = "deadlock";
inline constexpr const char* kLockOrder = "lock-order";
inline constexpr const char* kLivelock = "livelock";
inline constexpr const char* kInternalError = "internal-error";

// One side of a data race or lock acquisition, as a reviewer needs it.
struct AccessSite {
  uint32_t step = 0;  // index into the trace's events
  uint32_t thread = 0;
  std::string thread_name;
  std::string operation;  // e.g. "plain load", "WRITE_ONCE"
  std::string function;   // innermost model function
  std::vector<std::string> locks_held;
};

struct AssertionFailure {};  // message says it all

struct DataRace {
  std::string object;
  AccessSite first;
  AccessSite second;
};

struct WaitEdge {
  uint32_t thread = 0;
  std::string thread_name;
  std::string waits_for;  // lock or thread it is blocked on
  uint32_t holder = 0;
};

struct Deadlock {
  std::vector<WaitEdge> cycle;
};

struct LockOrderInversion {
  std::string class_a;
  std::string class_b;
  // Where class_b was taken while holding class_a, and vice versa.
  std::vector<std::string> a_then_b;
  std::vector<std::string> b_then_a;
};

struct Livelock {
  uint32_t thread = 0;
};

struct InternalError {};

using FindingDetail =
    std::variant<AssertionFailure, DataRace, Deadlock, LockOrderInversion, Livelock, InternalError>;

struct Finding {
  std::string property;
  std::string message;
  FindingDetail detail;
  // Trace steps that form the finding (for example both racing accesses).
  std::vector<uint32_t> steps;
  // Where it broke: the innermost model function of the thread that made the
  // property fail (used to group findings of many executions).
  std::string location;
};

}  // namespace protmc::checker
