// Fiber stacks: guard-paged stacks from mmap, and a pool that reuses them
// across executions and, through a per-OS-thread cache, across explorations.
// The strands that run on them are in strand.hpp.
#pragma once

#include <cstddef>
#include <vector>

namespace protmc::checker {

// A guard-paged stack from mmap. Move-only.
class Stack {
 public:
  Stack() = default;
  explicit Stack(std::size_t usable_size);
  Stack(Stack&& other) noexcept;
  Stack& operator=(Stack&& other) noexcept;
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  ~Stack();

  [[nodiscard]] void* top() const;  // highest address; stacks grow down
  [[nodiscard]] void* bottom() const { return usable_; }
  [[nodiscard]] std::size_t size() const { return usable_size_; }
  [[nodiscard]] bool valid() const { return mapping_ != nullptr; }

 private:
  void release();
  void* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  void* usable_ = nullptr;
  std::size_t usable_size_ = 0;
};

// Reuses stacks; not thread-safe (one pool per exploration). A pool that
// ends hands its free stacks to a cache of the calling OS thread (at most
// kCachedStacks), from which the next pool there takes them first: a process
// that runs many short explorations (the battery, the benchmarks, the
// re-runs of counterexamples) maps, guards and faults in its stacks once
// instead of once per explore() call (mmap, mprotect and munmap were about
// 40% of a 32-execution exploration's time).
class StackPool {
 public:
  static constexpr std::size_t kCachedStacks = 64;

  explicit StackPool(std::size_t stack_size = 256 * 1024) : stack_size_(stack_size) {}
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  Stack acquire();
  void release(Stack stack);

 private:
  std::size_t stack_size_;
  std::vector<Stack> free_;
};

}  // namespace protmc::checker
