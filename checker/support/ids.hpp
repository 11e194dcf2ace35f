// Small index handles for the objects of one execution.
//
// Models and the engine refer to threads, shared variables and locks by these
// handles, never by pointers: a handle stays meaningful when an execution is
// re-run from its schedule, which is what makes traces replayable.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace protmc::checker {

struct ThreadId {
  uint32_t index = std::numeric_limits<uint32_t>::max();
  friend constexpr auto operator<=>(ThreadId, ThreadId) = default;
};

struct VarId {
  uint32_t index = std::numeric_limits<uint32_t>::max();
  friend constexpr auto operator<=>(VarId, VarId) = default;
};

struct LockId {
  uint32_t index = std::numeric_limits<uint32_t>::max();
  friend constexpr auto operator<=>(LockId, LockId) = default;
};

// The largest number of threads (main thread included) one execution may
// create. Vector clocks are fixed arrays of this size.
inline constexpr uint32_t kMaxThreads = 32;

}  // namespace protmc::checker
