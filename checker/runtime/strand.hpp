// Strands: fibers that switch symmetrically, for model threads.
//
// A scheduler that resumes a fiber and waits for it to suspend back pays two
// switches per handover between two model threads, and after each one the
// return-address predictor mispredicts every return up the new stack. A
// Strand can switch directly to any other suspended Strand: the executor runs
// its scheduler on the stack of the thread that announced an operation and
// hands control straight to the thread that goes next (or simply returns when
// that is the same thread). The Relacy backend runs main's code on one, from
// its suite's before() and after().
//
// The host is a Strand without a stack of its own: the OS thread's stack, on
// which the executor's run() started. It is "suspended" while a model thread
// runs and is switched back to when the execution ends.
//
// Contract: switch_to(from, to) must be called on `from`'s stack (from is
// the running strand) and `to` must be suspended (started and not running).
// An entry function never returns: it parks by switching away for good, and
// its stack is then taken back with reclaim_parked_stack(). Exceptions never
// cross a switch. Under AddressSanitizer (PROTMC_ASAN_FIBERS) every switch is
// announced with __sanitizer_start/finish_switch_fiber. A switch is one
// fcontext jump: a few nanoseconds, plus the mispredicted returns after it.
#pragma once

#include <boost/context/detail/fcontext.hpp>
#include <cstddef>
#include <utility>

#include "checker/runtime/stack_pool.hpp"
#include "checker/support/check.hpp"

#ifdef PROTMC_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

namespace protmc::checker {

class Strand {
 public:
  using Entry = void (*)(Strand& self, void* arg);

  Strand() = default;  // the host, or a strand not yet started
  Strand(const Strand&) = delete;
  Strand& operator=(const Strand&) = delete;

  // Prepares the strand to run entry(*this, arg) on `stack` when it is first
  // switched to. `entry` must never return.
  void start(Stack stack, Entry entry, void* arg);
  // Suspends `from` (the running strand) and runs `to` until some strand
  // switches back to `from`. Inline: the executor's scheduler switches at
  // most steps, and a call less is a return less to mispredict.
  static void switch_to(Strand& from, Strand& to);
  // Takes the stack of a strand that parked for good, without unwinding it
  // (see the contract above). The strand must be started again before use.
  Stack reclaim_parked_stack();
  [[nodiscard]] bool has_stack() const { return stack_.valid(); }

 private:
  static void trampoline(boost::context::detail::transfer_t transfer);
  // After landing on this strand: records where `from` is suspended.
  void landed(boost::context::detail::transfer_t transfer) {
    auto* left = static_cast<Strand*>(transfer.data);
    left->context_ = transfer.fctx;
#ifdef PROTMC_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(fake_stack_, &left->stack_bottom_, &left->stack_size_);
#endif
  }

  boost::context::detail::fcontext_t context_ = nullptr;  // where it is suspended
  Stack stack_;
  Entry entry_ = nullptr;
  void* arg_ = nullptr;
  Strand* target_ = nullptr;  // set by switch_to on the strand it leaves
#ifdef PROTMC_ASAN_FIBERS
  void* fake_stack_ = nullptr;
  const void* stack_bottom_ = nullptr;  // for the host: learnt when it first switches away
  std::size_t stack_size_ = 0;
#endif
};

inline void Strand::switch_to(Strand& from, Strand& to) {
  CHECK(&from != &to && to.context_ != nullptr);
  // `to` learns who left from transfer.data; a fresh strand learns itself
  // from the leaving strand's target_.
  from.target_ = &to;
#ifdef PROTMC_ASAN_FIBERS
  __sanitizer_start_switch_fiber(&from.fake_stack_, to.stack_bottom_, to.stack_size_);
#endif
  const boost::context::detail::fcontext_t target = std::exchange(to.context_, nullptr);
  from.landed(boost::context::detail::jump_fcontext(target, &from));
}

}  // namespace protmc::checker
