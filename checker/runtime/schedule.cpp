// The executor's scheduler and thread lifecycle.
//
// The scheduler has no stack of its own. A model thread that announces an
// operation (or ends) runs the scheduler on its own stack (dispatch): the
// scheduler starts spawned threads, lets joiners go on, picks and performs
// the next step, and switches straight to the thread that must run next, or
// returns at once when that is the announcing thread itself. When the
// execution is over it switches back to the host (run()'s stack). One
// handover is one strand switch instead of two (thread -> scheduler ->
// thread), which halves the switches of an execution and the mispredicted
// returns after each.
//
// Order of work at every scheduling point, as run() always did it: threads
// spawned since (each runs to its first announcement, in spawn order), then
// threads whose join() target has ended (unless a fatal finding stopped the
// execution), then the next step.
#include <bit>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "checker/runtime/executor.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker {

namespace {

// Thrown by a CHECK that fails while model code runs (see check.hpp); caught
// where the model code was entered and turned into an internal-error finding.
struct ModelCheckFailure {
  std::string description;
};

}  // namespace

void Executor::throw_model_check_failure(const char* file, int line, const char* condition,
                                         std::string_view message) {
  throw ModelCheckFailure{describe_check_failure(file, line, condition, message)};
}

ExecutionOutcome Executor::run(const Program& program, SchedulingPolicy& policy) {
  reset();
  policy_ = &policy;
  policy.begin_execution();
  start_thread("main", nullptr, &program.main);
  to_start_mask_ = 1U;  // main
  dispatch();           // on the host: returns once the execution has ended
  outcome_.steps = step_;
  final_values_.reserve(vars_.size());
  for (const VarState& v : vars_) final_values_.push_back(v.value);
  unwind_all();
  return std::move(outcome_);
}

// Out of line: inlined into dispatch, it costs more than the call (its saved registers).
void Executor::switch_to(uint32_t next) {
  Strand& from = *running_strand_;
  running_ = next;
  if (next == kHost) {
    current_ = scheduler_current_;
    running_strand_ = &host_;
    Strand::switch_to(from, host_);
    return;
  }
  current_ = next;
  publish_progress(next);
  Strand& to = threads_[next]->strand;
  running_strand_ = &to;
  Strand::switch_to(from, to);
  // Back on `from`'s stack: whoever switched here set running_ and current_.
}

void Executor::dispatch() {
  const uint32_t next = unwinding_ ? kHost : next_to_run();
  if (next == running_) {
    if (next != kHost) {
      current_ = next;
      publish_progress(next);  // a step was taken even though no switch is needed
    }
    return;
  }
  switch_to(next);
}

void Executor::publish_progress_to(ProgressProbe& probe, uint32_t thread) {
  const ThreadState& th = *threads_[thread];
  probe.thread.store(thread, std::memory_order_relaxed);
  probe.thread_name.store(th.interned_name->c_str(), std::memory_order_relaxed);
  probe.function.store(th.functions.empty() ? nullptr : th.functions.back(),
                       std::memory_order_relaxed);
  probe.step.store(step_, std::memory_order_relaxed);
  probe.beat();
}

inline uint32_t Executor::next_to_run() {
  current_ = scheduler_current_;
  if (to_start_mask_ != 0) {
    const auto t = static_cast<uint32_t>(std::countr_zero(to_start_mask_));
    to_start_mask_ &= to_start_mask_ - 1;
    return t;
  }
  if (joiners_head_ != joiners_tail_ && !stop_)
    return ready_joiners_[joiners_head_++ % kMaxThreads];
  try {
    return next_step();
  } catch (const std::exception& e) {
    // Scheduler code (policy, detectors) is not model code: its failures
    // are internal bugs, whatever stack it happens to run on.
    CHECK_MSG(false, std::string("the scheduler threw an exception: ") + e.what());
  }
  return kHost;
}

uint32_t Executor::next_step() {
  // No thread is left to start and no joiner to resume (next_to_run), and
  // performing a step adds neither.
  joiners_head_ = joiners_tail_;  // a stopped execution resumes no joiner
  while (true) {
    if (stop_) {
      outcome_.end = ExecutionEnd::kStopped;
      return kHost;
    }
    uint32_t enabled_mask = ready_mask_;
    for (uint32_t m = may_wait_mask_; m != 0; m &= m - 1) {
      const auto t = static_cast<uint32_t>(std::countr_zero(m));
      if (pending_enabled(*threads_[t])) enabled_mask |= 1U << t;
    }
    enabled_mask_ = enabled_mask;
    if (enabled_mask == 0) {
      if ((ready_mask_ | may_wait_mask_ | joining_mask_) == 0) {  // every thread has ended
        outcome_.end = ExecutionEnd::kFinished;
        check_invariants();
      } else {
        outcome_.end = ExecutionEnd::kDeadlock;
        end_deadlocked(*policy_);
      }
      return kHost;
    }
    if (step_ >= config_.max_steps) {
      outcome_.end = ExecutionEnd::kStepBound;
      report_livelock();
      return kHost;
    }
    const std::optional<Decision> decision =
        policy_->pick(SchedulingPoint{step_, this, enabled_mask});
    if (!decision) {
      outcome_.end = ExecutionEnd::kSleepBlocked;
      return kHost;
    }
    if (perform(*decision, *policy_)) return decision->thread;
  }
}

void Executor::report_livelock() {
  // A thread that was still spinning when the bound hit is most likely livelocked.
  constexpr uint32_t kRecentSteps = 32;
  for (uint32_t m = enabled_mask_; m != 0; m &= m - 1) {
    const auto t = static_cast<uint32_t>(std::countr_zero(m));
    const uint32_t last = threads_[t]->last_spin;
    if (last != UINT32_MAX && step_ - last <= kRecentSteps) {
      record_finding(Finding{kLivelock,
                             "likely livelock: thread " + threads_[t]->name +
                                 " is still retrying (cpu_relax) after " + std::to_string(step_) +
                                 " steps",
                             Livelock{t},
                             {},
                             {}});
      return;
    }
  }
}

void Executor::thread_entry(Strand& /*strand*/, void* arg) {
  auto* th = static_cast<ThreadState*>(arg);
  Executor& ex = *th->executor;
  while (true) {
    ex.run_body(*th);
    ex.end_thread(*th);
    ex.dispatch();  // parked here until the slot's next thread starts
    CHECK_MSG(th->started && !th->finished, "a parked thread slot was resumed");
  }
}

void Executor::run_body(ThreadState& th) {
  set_check_failure_handler(&throw_model_check_failure);
  try {
    (*th.run)(*this);
  } catch (const Unwind&) {
    // The execution ended while this thread was suspended.
  } catch (const ModelCheckFailure& failure) {
    record_finding(Finding{kInternalError,
                           "thread " + th.name + " failed " + failure.description,
                           InternalError{},
                           {},
                           {}});
  } catch (const std::exception& e) {
    record_finding(Finding{kInternalError,
                           "thread " + th.name + " threw an exception: " + e.what(),
                           InternalError{},
                           {},
                           {}});
  } catch (...) {
    record_finding(Finding{kInternalError,
                           "thread " + th.name + " threw a non-standard exception",
                           InternalError{},
                           {},
                           {}});
  }
  set_check_failure_handler(nullptr);
  th.held.clear();
}

void Executor::end_thread(ThreadState& th) {
  th.finished = true;
  for (uint32_t joiner = th.first_joiner; joiner != kNoThread;
       joiner = threads_[joiner]->next_joiner) {
    CHECK(joiners_tail_ - joiners_head_ < kMaxThreads);
    ready_joiners_[joiners_tail_++ % kMaxThreads] = joiner;
  }
  th.first_joiner = th.last_joiner = kNoThread;
  const uint32_t bit = 1U << th.id;
  ready_mask_ &= ~bit;
  may_wait_mask_ &= ~bit;
  joining_mask_ &= ~bit;
}

void Executor::unwind_all() {
  // On the host: each unfinished thread is switched to, throws Unwind from
  // its pending announcement, ends, and (unwinding_) switches back here.
  // The started, unfinished threads are those in the run-state masks (a
  // thread is in one of them from its start to its end), in thread order;
  // unwinding one changes no other.
  unwinding_ = true;
  for (uint32_t m = ready_mask_ | may_wait_mask_ | joining_mask_; m != 0; m &= m - 1) {
    const auto t = static_cast<uint32_t>(std::countr_zero(m));
    switch_to(t);
    CHECK_MSG(threads_[t]->finished, "a model thread did not unwind");
  }
  unwinding_ = false;
}

void Executor::run_invariants() {
  // Invariants are model code run by the scheduler: a CHECK or an exception
  // in one is an internal-error finding, as in a model thread.
  const CheckFailureHandler outer = set_check_failure_handler(&throw_model_check_failure);
  std::optional<Finding> finding;
  try {
    for (const auto& [property, invariant] : invariants_) {
      if (std::optional<std::string> message = invariant(*this)) {
        finding = Finding{property, std::move(*message), AssertionFailure{}, {}, {}};
        break;
      }
    }
  } catch (const ModelCheckFailure& failure) {
    finding = Finding{
        kInternalError, "an invariant failed " + failure.description, InternalError{}, {}, {}};
  } catch (const std::exception& e) {
    finding = Finding{kInternalError,
                      std::string("an invariant threw an exception: ") + e.what(),
                      InternalError{},
                      {},
                      {}};
  }
  set_check_failure_handler(outer);
  if (finding) record_finding(std::move(*finding));
}

}  // namespace protmc::checker
