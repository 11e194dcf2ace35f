// The closed set of visible operations a model thread can announce.
//
// A thread stores its next operation in its ThreadState and suspends; the
// scheduler performs it when it picks the thread. Adding an alternative here
// makes the compiler point at every std::visit that must handle it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <variant>

#include "checker/runtime/env.hpp"

namespace protmc::checker {

struct LoadOp {
  VarId var;
  Access access;
  MemoryOrder order;
};
struct StoreOp {
  VarId var;
  uint64_t value;
  Access access;
  MemoryOrder order;
};
struct RmwOperation {
  VarId var;
  RmwOp op;
  uint64_t operand;
  MemoryOrder order;
};
struct CasOp {
  VarId var;
  uint64_t expected;
  uint64_t desired;
  MemoryOrder order;
};
struct LockOp {
  LockId lock;
  LockMode mode;
};
struct TryLockOp {
  LockId lock;
  LockMode mode;
};
struct UnlockOp {
  LockId lock;
  LockMode mode;
};
struct JoinOp {
  ThreadId thread;
};
struct ChooseOp {
  uint32_t arity;
};
struct YieldOp {};

// Spawning is not an operation: Env::spawn creates the thread at once, in
// the parent's local computation (executor.hpp says why that is sound).
using Operation = std::variant<LoadOp, StoreOp, RmwOperation, CasOp, LockOp, TryLockOp, UnlockOp,
                               JoinOp, ChooseOp, YieldOp>;

// Variant indices of the operations a thread can wait at (Operation::index()).
inline constexpr std::size_t kLockOpIndex = 4;
inline constexpr std::size_t kJoinOpIndex = 7;
static_assert(std::is_same_v<std::variant_alternative_t<kLockOpIndex, Operation>, LockOp>);
static_assert(std::is_same_v<std::variant_alternative_t<kJoinOpIndex, Operation>, JoinOp>);

// Whether `op` may have to wait (a lock acquisition or a join); every other
// operation is always enabled. O(1), no std::visit.
inline bool may_wait(const Operation& op) {
  return op.index() == kLockOpIndex || op.index() == kJoinOpIndex;
}

}  // namespace protmc::checker
