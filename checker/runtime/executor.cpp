// The execution loop, thread lifecycle and the model-facing Env calls.
// Operation effects live in perform.cpp.
#include "checker/runtime/executor.hpp"

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "checker/explore/event_key.hpp"
#include "checker/support/check.hpp"
#include "checker/support/grown_at.hpp"
#include "checker/support/same_text.hpp"

namespace protmc::checker {

namespace {

// The conservative key of an announced operation (Executor::pending_key).
template <class Op>
uint64_t announced_key(uint32_t thread, const Op& op) {
  if constexpr (std::is_same_v<Op, LoadOp>) {
    return make_key(thread, KeyKind::kRead, op.var.index);
  } else if constexpr (std::is_same_v<Op, StoreOp> || std::is_same_v<Op, RmwOperation> ||
                       std::is_same_v<Op, CasOp>) {
    return make_key(thread, KeyKind::kWrite, op.var.index);
  } else if constexpr (std::is_same_v<Op, LockOp> || std::is_same_v<Op, TryLockOp>) {
    return make_key(
        thread, op.mode == LockMode::kShared ? KeyKind::kAcquireShared : KeyKind::kAcquireExclusive,
        op.lock.index);
  } else if constexpr (std::is_same_v<Op, UnlockOp>) {
    return make_key(
        thread, op.mode == LockMode::kShared ? KeyKind::kReleaseShared : KeyKind::kReleaseExclusive,
        op.lock.index);
  } else if constexpr (std::is_same_v<Op, JoinOp>) {
    return make_key(thread, KeyKind::kJoin, op.thread.index);
  } else {
    return make_key(thread, KeyKind::kLocal, 0);
  }
}

}  // namespace

Executor::Executor(Config config) : config_(config) {}

Executor::~Executor() {
  // A run always unwinds its threads; each slot's strand is parked between
  // bodies, owning nothing on its stack, so the stack goes back to the pool.
  for (const auto& th : threads_) {
    CHECK(th == nullptr || !th->started || th->finished);
    if (th != nullptr && th->strand.has_stack()) stacks_.release(th->strand.reclaim_parked_stack());
  }
}

void Executor::reconfigure(Config config) {
  CHECK(running_ == kHost && !unwinding_);
  config_ = config;
  for (const auto& th : threads_) th->interned_name = nullptr;
  interned_names_.clear();
  trace_ = Trace{};
}

std::size_t Executor::retained_bytes() const {
  auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  std::size_t total = bytes(threads_) + bytes(vars_) + bytes(locks_) + bytes(invariants_) +
                      bytes(schedule_.choices) + bytes(keys_) + bytes(final_values_) +
                      races_.retained_bytes();
  for (const auto& th : threads_) {
    total += sizeof(ThreadState) + th->name.capacity() + bytes(th->pending_notes) +
             bytes(th->functions) + bytes(th->held);
  }
  for (const std::string& name : interned_names_) total += sizeof(name) + name.capacity();
  return total;
}

void Executor::reset() {
  for (uint32_t i = 0; i < thread_count_; ++i) {
    ThreadState& th = *threads_[i];
    th.started = false;
    th.finished = false;
    // Every thread of the last run ended (unwind_all), which emptied its
    // held locks (run_body) and its joiners (end_thread).
    th.functions.clear();
    th.body = nullptr;
    th.last_spin = UINT32_MAX;
    th.queued = false;
  }
  thread_count_ = 0;
  ready_mask_ = 0;
  may_wait_mask_ = 0;
  joining_mask_ = 0;
  current_ = 0;
  scheduler_current_ = 0;
  running_ = kHost;
  running_strand_ = &host_;
  // The detector touched only the variables and locks of the last execution.
  races_.reset(static_cast<uint32_t>(vars_.size()), static_cast<uint32_t>(locks_.size()));
  vars_.clear();
  locks_.clear();
  invariants_.clear();
  to_start_mask_ = 0;
  joiners_head_ = 0;
  joiners_tail_ = 0;
  stop_ = false;
  unwinding_ = false;
  step_ = 0;
  outcome_ = ExecutionOutcome{};
  schedule_.choices.clear();
  keys_.clear();
  final_values_.clear();
  // Only a recording run writes the trace (and take_trace empties it).
  if (config_.recording) trace_ = Trace{};
}

uint32_t Executor::start_thread(std::string_view name, std::function<void(Env&)>&& body,
                                const std::function<void(Env&)>* borrowed) {
  const uint32_t id = thread_count_++;
  CHECK(id < kMaxThreads);
  if (threads_.size() <= id) [[unlikely]] {
    threads_.push_back(std::make_unique<ThreadState>());
    threads_.back()->executor = this;
    threads_.back()->id = id;
  }
  ThreadState& th = *threads_[id];
  // A slot usually runs a thread of the same name in every execution (reset
  // keeps it): copy and intern it only when it changes.
  if (!same_text(th.name, name)) [[unlikely]] {
    th.name.assign(name);
    th.interned_name = nullptr;
  }
  th.body.swap(body);  // the slot's old body (empty since reset) goes to the caller
  th.run = borrowed != nullptr ? borrowed : &th.body;
  th.started = true;
  th.finished = false;
  set_run_state(id, Operation{}.index());  // runnable; it announces before the next scan
  if (!th.strand.has_stack()) th.strand.start(stacks_.acquire(), &Executor::thread_entry, &th);
  if (config_.probe != nullptr && th.interned_name == nullptr)
    th.interned_name = &*interned_names_.insert(th.name).first;
  if (config_.recording) {
    // Only a recording run writes and reads these (record_event, annotate):
    // a slot's are reset when a recording run starts a thread in it.
    th.pending_notes.clear();
    th.last_event = UINT32_MAX;
    trace_.thread_names.push_back(th.name);
  }
  return id;
}

bool Executor::pending_enabled(const ThreadState& th) const {
  if (const auto* op = std::get_if<LockOp>(&th.pending)) {
    const LockState& l = locks_[op->lock.index];
    if (op->mode == LockMode::kShared) return l.shared_available();
    // A down_write on a writer-preferring rwsem can always queue first.
    if (l.writer_blocks_readers && !th.queued) return true;
    return l.exclusive_available();
  }
  // A join is never a step: the scheduler resumes the waiter once the joined
  // thread has ended (the scan skips joining_mask_).
  if (std::holds_alternative<JoinOp>(th.pending)) return false;
  return true;
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

template <class Op>
void Executor::announce(const Op& op) {
  if (unwinding_) [[unlikely]] {
    // Destructors running during unwinding may still call into the Env.
    if (std::uncaught_exceptions() > 0) return;
    throw Unwind{};
  }
  ThreadState& th = current();
  th.pending.template emplace<Op>(op);
  th.pending_key = announced_key(current_, op);
  if constexpr (std::is_same_v<Op, ChooseOp>) {
    th.pending_arity = op.arity;
  } else {
    th.pending_arity = 0;
  }
  constexpr std::size_t kIndex = Operation(std::in_place_type<Op>).index();
  set_run_state(current_, kIndex);
  set_check_failure_handler(nullptr);  // the scheduler is not model code
  dispatch();
  set_check_failure_handler(&throw_model_check_failure);
  if (unwinding_ && std::uncaught_exceptions() == 0) throw Unwind{};
}

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
  to_start_mask_ |= 1U << child;
  if (config_.recording) threads_[parent]->pending_notes.push_back("spawned " + std::string(name));
  return ThreadId{child};
}

void Executor::join(ThreadId thread) {
  if (unwinding_) {
    if (std::uncaught_exceptions() == 0) throw Unwind{};
    return;
  }
  CHECK(thread.index < thread_count_);
  const uint32_t self = current_;
  // Wait (disabled, not a step) until the thread has ended.
  ThreadState& target = *threads_[thread.index];
  if (!target.finished) {
    threads_[self]->next_joiner = kNoThread;
    if (target.last_joiner == kNoThread) {
      target.first_joiner = self;
    } else {
      threads_[target.last_joiner]->next_joiner = self;
    }
    target.last_joiner = self;
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
  append(current().functions, name);
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

}  // namespace protmc::checker
