// What the exploring thread publishes about where it is, for the stall
// watchdog (explore/stall_watchdog.hpp) that runs on another OS thread.
//
// Model threads are cooperative fibers on the exploring thread: between two
// engine calls a model thread runs alone and cannot be preempted, so a model
// that loops without calling the engine stops the whole exploration, budgets
// and Ctrl-C included. The watchdog sees that `beats` stops moving and reports
// where the model is.
//
// Contract: one writer (the exploring thread), any number of readers. Every
// field is a lock-free atomic, so reading from another thread is never a data
// race. Names are pointers to strings that stay valid and unchanged while the
// Executor that publishes them exists and is not reconfigured for another
// exploration (function names are the string literals of FunctionScope;
// thread names are interned by the Executor), so a reader may dereference a
// name it loaded until then (explore() ends its watchdog before that). Stores
// are relaxed except `beats`, which is released after the fields it describes.
// Cost to the writer: a few plain stores per resumed thread and per
// FunctionScope.
#pragma once

#include <atomic>
#include <cstdint>

namespace protmc::checker {

struct ProgressProbe {
  // +1 whenever the exploring thread resumes a model thread or starts an
  // execution: unchanged for a while means a model thread is not returning.
  std::atomic<uint64_t> beats{0};
  std::atomic<uint64_t> execution{0};  // 1-based number of the current execution
  std::atomic<uint32_t> step{0};       // visible steps taken in it so far
  std::atomic<uint32_t> thread{0};     // the model thread last resumed
  std::atomic<const char*> thread_name{nullptr};
  // The innermost FunctionScope of that thread (nullptr: none).
  std::atomic<const char*> function{nullptr};

  // Writer side: one new beat, after the fields it describes.
  void beat() { beats.store(beats.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
};

}  // namespace protmc::checker
