// The execution loop, thread lifecycle and the model-facing Env calls.
// Operation effects live in perform.cpp.
#include "checker/runtime/executor.hpp"

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "checker/explore/event_key.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker {

Executor::Executor(Config config) : config_(config) {}

Executor::~Executor() {
  // A run always unwinds its threads; each slot's fiber is parked between
  // bodies, owning nothing on its stack, so the stack goes back to the pool.
  for (const auto& th : threads_) {
    CHECK(th == nullptr || !th->started || th->finished);
    if (th != nullptr && th->fiber.has_stack()) stacks_.release(th->fiber.reclaim_parked_stack());
  }
}

void Executor::reset() {
  for (uint32_t i = 0; i < thread_count_; ++i) {
    ThreadState& th = *threads_[i];
    th.started = false;
    th.finished = false;
    th.functions.clear();
    th.held.clear();
    th.name.clear();
    th.body = nullptr;
    th.pending_notes.clear();
    th.joiners.clear();
    th.last_event = UINT32_MAX;
    th.last_spin = UINT32_MAX;
    th.queued = false;
  }
  thread_count_ = 0;
  current_ = 0;
  vars_.clear();
  locks_.clear();
  invariants_.clear();
  races_.reset();
  to_start_.clear();
  ready_joiners_.clear();
  stop_ = false;
  unwinding_ = false;
  step_ = 0;
  outcome_ = ExecutionOutcome{};
  schedule_.choices.clear();
  keys_.clear();
  final_values_.clear();
  trace_ = Trace{};
}

ExecutionOutcome Executor::run(const Program& program, SchedulingPolicy& policy) {
  reset();
  policy_ = &policy;
  policy.begin_execution();
  start_thread("main", nullptr, &program.main);
  resume(0);
  start_spawned();

  while (true) {
    if (!ready_joiners_.empty()) resume_joiners();
    if (stop_) {
      outcome_.end = ExecutionEnd::kStopped;
      break;
    }
    enabled_.clear();
    bool all_finished = true;
    const uint32_t count = thread_count_;  // threads below it are all started
    for (uint32_t t = 0; t < count; ++t) {
      const RunState state = run_state_[t];
      if (state == RunState::kFinished) continue;
      all_finished = false;
      if (state == RunState::kReady || pending_enabled(*threads_[t])) enabled_.push_back(t);
    }
    if (enabled_.empty()) {
      if (all_finished) {
        outcome_.end = ExecutionEnd::kFinished;
        check_invariants();
      } else {
        outcome_.end = ExecutionEnd::kDeadlock;
        end_deadlocked(policy);
      }
      break;
    }
    if (step_ >= config_.max_steps) {
      outcome_.end = ExecutionEnd::kStepBound;
      // A thread that was still spinning when the bound hit is most likely livelocked.
      constexpr uint32_t kRecentSteps = 32;
      for (uint32_t t : enabled_) {
        const uint32_t last = threads_[t]->last_spin;
        if (last != UINT32_MAX && step_ - last <= kRecentSteps) {
          record_finding(Finding{kLivelock,
                                 "likely livelock: thread " + threads_[t]->name +
                                     " is still retrying (cpu_relax) after " +
                                     std::to_string(step_) + " steps",
                                 Livelock{t},
                                 {},
                                 {}});
          break;
        }
      }
      break;
    }
    const std::optional<Decision> decision = policy.pick(SchedulingPoint{step_, enabled_, this});
    if (!decision) {
      outcome_.end = ExecutionEnd::kSleepBlocked;
      break;
    }
    perform(*decision, policy);
  }
  outcome_.steps = step_;
  final_values_.reserve(vars_.size());
  for (const VarState& v : vars_) final_values_.push_back(v.value);
  unwind_all();
  return std::move(outcome_);
}

uint32_t Executor::start_thread(std::string_view name, std::function<void(Env&)>&& body,
                                const std::function<void(Env&)>* borrowed) {
  const uint32_t id = thread_count_++;
  CHECK(id < kMaxThreads);
  if (threads_.size() <= id) threads_.push_back(std::make_unique<ThreadState>());
  ThreadState& th = *threads_[id];
  th.executor = this;
  th.id = id;
  th.name.assign(name);  // reuses the slot's buffer
  th.body = std::move(body);
  th.run = borrowed != nullptr ? borrowed : &th.body;
  th.started = true;
  th.finished = false;
  th.body_returned = false;
  run_state_[id] = may_wait(th.pending) ? RunState::kMayWait : RunState::kReady;
  if (!th.fiber.has_stack()) th.fiber.start(stacks_.acquire(), &Executor::thread_entry, &th);
  // A slot usually runs a thread of the same name in every execution: intern
  // only when it changes.
  if (config_.probe != nullptr && (th.published_name == nullptr || th.name != th.published_name))
    th.published_name = interned_names_.insert(th.name).first->c_str();
  if (config_.recording) trace_.thread_names.push_back(th.name);
  return id;
}

namespace {

// Thrown by a CHECK that fails while model code runs (see check.hpp); caught
// where the model code was entered and turned into an internal-error finding.
struct ModelCheckFailure {
  std::string description;
};

[[noreturn]] void throw_model_check_failure(const char* file, int line, const char* condition,
                                            std::string_view message) {
  throw ModelCheckFailure{describe_check_failure(file, line, condition, message)};
}

}  // namespace

void Executor::thread_entry(Fiber& fiber, void* arg) {
  auto* th = static_cast<ThreadState*>(arg);
  while (true) {
    th->executor->run_body(*th);
    th->body_returned = true;
    fiber.suspend();  // parked here until the slot's next thread starts
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

void Executor::resume(uint32_t thread) {
  const uint32_t previous = current_;
  current_ = thread;
  ThreadState& th = *threads_[thread];
  if (ProgressProbe* probe = config_.probe; probe != nullptr) {
    probe->thread.store(thread, std::memory_order_relaxed);
    probe->thread_name.store(th.published_name, std::memory_order_relaxed);
    probe->function.store(th.functions.empty() ? nullptr : th.functions.back(),
                          std::memory_order_relaxed);
    probe->step.store(step_, std::memory_order_relaxed);
    probe->beat();
  }
  th.fiber.resume();
  set_check_failure_handler(nullptr);  // the model thread's handler ends at its switch
  if (th.body_returned) {
    th.finished = true;
    ready_joiners_.insert(ready_joiners_.end(), th.joiners.begin(), th.joiners.end());
    th.joiners.clear();
    run_state_[thread] = RunState::kFinished;
  }
  current_ = previous;
}

void Executor::announce(Operation op) {
  if (unwinding_) {
    // Destructors running during unwinding may still call into the Env.
    if (std::uncaught_exceptions() > 0) return;
    throw Unwind{};
  }
  ThreadState& th = current();
  th.pending = op;
  run_state_[current_] = may_wait(op) ? RunState::kMayWait : RunState::kReady;
  th.fiber.suspend();
  set_check_failure_handler(&throw_model_check_failure);
  if (unwinding_ && std::uncaught_exceptions() == 0) throw Unwind{};
}

void Executor::unwind_all() {
  unwinding_ = true;
  for (uint32_t t = 0; t < thread_count_; ++t) {
    ThreadState& th = *threads_[t];
    if (th.started && !th.finished) resume(t);
    CHECK_MSG(th.finished, "a model thread did not unwind");
  }
  unwinding_ = false;
}

bool Executor::is_enabled(uint32_t thread) const {
  const ThreadState& th = *threads_[thread];
  if (!th.started || th.finished) return false;
  return pending_enabled(th);
}

bool Executor::pending_enabled(const ThreadState& th) const {
  if (const auto* op = std::get_if<LockOp>(&th.pending)) {
    const LockState& l = locks_[op->lock.index];
    if (op->mode == LockMode::kShared) return l.shared_available();
    // A down_write on a writer-preferring rwsem can always queue first.
    if (l.writer_blocks_readers && !th.queued) return true;
    return l.exclusive_available();
  }
  // A join is never a step: resume_joiners() resumes the waiter once the
  // joined thread has ended, before the scan.
  if (std::holds_alternative<JoinOp>(th.pending)) return false;
  return true;
}

uint32_t Executor::pending_arity(uint32_t thread) const {
  const auto* op = std::get_if<ChooseOp>(&threads_[thread]->pending);
  return op == nullptr ? 0 : op->arity;
}

uint64_t Executor::pending_key(uint32_t thread) const {
  const ThreadState& th = *threads_[thread];
  auto lock_kind = [](LockMode mode) {
    return mode == LockMode::kShared ? KeyKind::kAcquireShared : KeyKind::kAcquireExclusive;
  };
  return std::visit(
      [&](const auto& op) -> uint64_t {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, LoadOp>) {
          return make_key(thread, KeyKind::kRead, op.var.index);
        } else if constexpr (std::is_same_v<T, StoreOp> || std::is_same_v<T, RmwOperation> ||
                             std::is_same_v<T, CasOp>) {
          return make_key(thread, KeyKind::kWrite, op.var.index);
        } else if constexpr (std::is_same_v<T, LockOp> || std::is_same_v<T, TryLockOp>) {
          return make_key(thread, lock_kind(op.mode), op.lock.index);
        } else if constexpr (std::is_same_v<T, UnlockOp>) {
          return make_key(
              thread,
              op.mode == LockMode::kShared ? KeyKind::kReleaseShared : KeyKind::kReleaseExclusive,
              op.lock.index);
        } else if constexpr (std::is_same_v<T, JoinOp>) {
          return make_key(thread, KeyKind::kJoin, op.thread.index);
        } else {
          return make_key(thread, KeyKind::kLocal, 0);
        }
      },
      th.pending);
}

// --- Env: objects -----------------------------------------------------------

VarId Executor::make_var(std::string_view name, uint64_t initial) {
  VarState v;
  v.value = initial;
  if (config_.recording) v.name = name;
  vars_.push_back(std::move(v));
  return VarId{static_cast<uint32_t>(vars_.size() - 1)};
}

LockId Executor::make_lock(const LockSpec& spec) {
  LockState l;
  l.kind = spec.kind;
  l.writer_blocks_readers = spec.kind == LockKind::kRwSem && spec.writer_blocks_readers;
  if (config_.recording) l.name = spec.name;
  if (config_.lock_graph != nullptr && config_.detectors.lock_order) {
    l.lock_class =
        config_.lock_graph->intern(spec.lock_class.empty() ? spec.name : spec.lock_class);
  }
  locks_.push_back(std::move(l));
  return LockId{static_cast<uint32_t>(locks_.size() - 1)};
}

uint64_t Executor::peek(VarId var) const {
  CHECK(var.index < vars_.size());
  return vars_[var.index].value;
}

void Executor::watch(VarId var) {
  CHECK(var.index < vars_.size());
  vars_[var.index].watched = true;
}

void Executor::add_invariant(std::string_view property, Invariant invariant) {
  invariants_.emplace_back(std::string(property), std::move(invariant));
}

// --- Env: visible operations --------------------------------------------------

uint64_t Executor::load(VarId var, Access access, MemoryOrder order) {
  CHECK(var.index < vars_.size());
  announce(LoadOp{var, access, order});
  return current().result;
}

void Executor::store(VarId var, uint64_t value, Access access, MemoryOrder order) {
  CHECK(var.index < vars_.size());
  announce(StoreOp{var, value, access, order});
}

uint64_t Executor::rmw(VarId var, RmwOp op, uint64_t operand, MemoryOrder order) {
  CHECK(var.index < vars_.size());
  announce(RmwOperation{var, op, operand, order});
  return current().result;
}

bool Executor::compare_exchange(VarId var, uint64_t& expected, uint64_t desired,
                                MemoryOrder order) {
  CHECK(var.index < vars_.size());
  announce(CasOp{var, expected, desired, order});
  if (current().result != 0) return true;
  expected = current().cas_observed;
  return false;
}

void Executor::lock(LockId lock, LockMode mode) {
  CHECK(lock.index < locks_.size());
  announce(LockOp{lock, mode});
}

bool Executor::try_lock(LockId lock, LockMode mode) {
  CHECK(lock.index < locks_.size());
  announce(TryLockOp{lock, mode});
  return current().result != 0;
}

void Executor::unlock(LockId lock, LockMode mode) {
  CHECK(lock.index < locks_.size());
  announce(UnlockOp{lock, mode});
}

void Executor::fence(MemoryOrder /*order*/) {
  // Sequential consistency: nothing to order (env.hpp). Not a step.
}

ThreadId Executor::spawn(std::string_view name, std::function<void(Env&)> body) {
  if (unwinding_) {
    // Destructors running during unwinding may still call into the Env.
    if (std::uncaught_exceptions() == 0) throw Unwind{};
    return ThreadId{0};
  }
  const uint32_t parent = current_;
  if (thread_count_ >= kMaxThreads) {
    record_finding(Finding{kInternalError,
                           "the model spawns more than " + std::to_string(kMaxThreads - 1) +
                               " threads, the engine's limit",
                           InternalError{},
                           {},
                           {}});
    announce(YieldOp{});  // the execution has stopped; this unwinds the thread
    return ThreadId{0};
  }
  const uint32_t child = start_thread(name, std::move(body), nullptr);
  if (config_.detectors.data_races) races_.on_spawn(parent, child);
  policy_->on_spawn(parent, child);
  to_start_.push_back(child);
  if (config_.recording) threads_[parent]->pending_notes.push_back("spawned " + std::string(name));
  return ThreadId{child};
}

void Executor::start_spawned() {
  for (size_t i = 0; i < to_start_.size(); ++i) resume(to_start_[i]);  // may append
  to_start_.clear();
}

void Executor::resume_joiners() {
  for (size_t i = 0; i < ready_joiners_.size() && !stop_; ++i) {  // may append
    resume(ready_joiners_[i]);  // its join() goes on past the wait
    start_spawned();
  }
  ready_joiners_.clear();
}

void Executor::join(ThreadId thread) {
  if (unwinding_) {
    if (std::uncaught_exceptions() == 0) throw Unwind{};
    return;
  }
  CHECK(thread.index < thread_count_);
  const uint32_t self = current_;
  // Wait (disabled, not a step) until the thread has ended.
  if (!threads_[thread.index]->finished) {
    threads_[thread.index]->joiners.push_back(self);
    announce(JoinOp{thread});
  }
  if (config_.detectors.data_races) races_.on_join(self, thread.index);
  policy_->on_join(self, thread.index);
  if (config_.recording) {
    threads_[self]->pending_notes.push_back("joined " + threads_[thread.index]->name);
  }
}

uint32_t Executor::choose(uint32_t n) {
  CHECK(n > 0);
  if (n == 1) return 0;
  announce(ChooseOp{n});
  return static_cast<uint32_t>(current().result);
}

void Executor::spin_hint() { announce(YieldOp{}); }

void Executor::fail(std::string_view property, std::string message) {
  CHECK_MSG(!unwinding_, "Env::fail called while unwinding");
  record_finding(Finding{std::string(property), std::move(message), AssertionFailure{}, {}, {}});
  throw Unwind{};
}

void Executor::push_function(const char* name) {
  current().functions.push_back(name);
  if (config_.probe != nullptr) config_.probe->function.store(name, std::memory_order_relaxed);
}

void Executor::pop_function() {
  ThreadState& th = current();
  if (!th.functions.empty()) th.functions.pop_back();
  if (config_.probe != nullptr) {
    config_.probe->function.store(th.functions.empty() ? nullptr : th.functions.back(),
                                  std::memory_order_relaxed);
  }
}

void Executor::annotate(std::string note) {
  if (!config_.recording) return;
  const ThreadState& th = current();
  if (th.last_event < trace_.events.size())
    trace_.events[th.last_event].notes.push_back(std::move(note));
}

void Executor::record_finding(Finding finding) {
  const bool fatal = finding.property != kDataRace && finding.property != kLockOrder;
  if (finding.steps.empty() && step_ > 0) finding.steps.push_back(step_ - 1);
  if (finding.location.empty() && current_ < thread_count_) {
    const ThreadState& th = *threads_[current_];
    finding.location = th.functions.empty() ? "thread " + th.name : th.functions.back();
  }
  outcome_.findings.push_back(std::move(finding));
  if (fatal) stop_ = true;
}

void Executor::check_invariants() {
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
