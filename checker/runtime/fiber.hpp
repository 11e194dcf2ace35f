// Fibers for model threads: Boost.Context fcontext switches over pooled stacks.
//
// A Fiber runs one entry function on its own stack. The scheduler resumes it
// with resume(); the fiber gives control back with suspend(). Switching costs
// one fcontext jump each way (a few nanoseconds). Stacks come from a
// StackPool and are reused across executions, so a steady-state exploration
// allocates no stacks.
//
// Contract: exceptions never cross a switch: the entry function must catch
// everything. Under AddressSanitizer (PROTMC_ASAN_FIBERS) every switch is
// announced with __sanitizer_start/finish_switch_fiber.
#pragma once

#include <boost/context/detail/fcontext.hpp>
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

class Fiber {
 public:
  using Entry = void (*)(Fiber& self, void* arg);

  Fiber() = default;
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Prepares the fiber to run entry(*this, arg) on `stack` at the first resume().
  void start(Stack stack, Entry entry, void* arg);
  // Scheduler side: run the fiber until it suspends or its entry returns.
  void resume();
  // Fiber side: give control back to whoever resumed us.
  void suspend();
  // True once the entry function has returned.
  [[nodiscard]] bool finished() const { return finished_; }
  // Takes the stack back after the fiber finished (for the pool).
  Stack take_stack();

 private:
  static void trampoline(boost::context::detail::transfer_t transfer);
  void switch_out(bool final_switch);

  boost::context::detail::fcontext_t context_ = nullptr;  // the fiber's saved context
  boost::context::detail::fcontext_t caller_ = nullptr;   // the scheduler's saved context
  Stack stack_;
  Entry entry_ = nullptr;
  void* arg_ = nullptr;
  bool finished_ = false;
#ifdef PROTMC_ASAN_FIBERS
  void* fake_stack_ = nullptr;
  const void* caller_stack_bottom_ = nullptr;
  std::size_t caller_stack_size_ = 0;
#endif
};

}  // namespace protmc::checker
