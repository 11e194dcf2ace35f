// Performing a chosen thread's announced operation: the effect on shared
// state, the event key, the detectors, and (when recording) the trace event.
#include <algorithm>
#include <string>

#include "checker/explore/event_key.hpp"
#include "checker/runtime/executor.hpp"
#include "checker/runtime/op_names.hpp"
#include "checker/support/check.hpp"
#include "checker/support/grown_at.hpp"

namespace protmc::checker {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Spelled out for clang 14, which does not deduce aggregate template arguments.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

uint64_t apply_rmw(RmwOp op, uint64_t old, uint64_t operand) {
  switch (op) {
    case RmwOp::kExchange:
      return operand;
    case RmwOp::kFetchAdd:
      return old + operand;
    case RmwOp::kFetchSub:
      return old - operand;
    case RmwOp::kFetchOr:
      return old | operand;
    case RmwOp::kFetchAnd:
      return old & operand;
  }
  CHECK_MSG(false, "unknown RmwOp");
  return old;
}

// Kernel spelling of a lock operation: verb is 0 lock, 1 trylock, 2 unlock.
std::string lock_op_name(LockKind kind, LockMode mode, int verb, bool failed) {
  std::string name;
  const bool shared = mode == LockMode::kShared;
  switch (kind) {
    case LockKind::kMutex:
      name = verb == 2 ? "mutex_unlock" : verb == 1 ? "mutex_trylock" : "mutex_lock";
      break;
    case LockKind::kSpinlock:
      name = verb == 2 ? "spin_unlock" : verb == 1 ? "spin_trylock" : "spin_lock";
      break;
    case LockKind::kReservation:
      name = verb == 2 ? "dma_resv_unlock" : verb == 1 ? "dma_resv_trylock" : "dma_resv_lock";
      break;
    case LockKind::kRwSem:
      if (verb == 2)
        name = shared ? "up_read" : "up_write";
      else
        name = std::string(shared ? "down_read" : "down_write") + (verb == 1 ? "_trylock" : "");
      break;
  }
  if (failed) name += " (failed)";
  return name;
}

}  // namespace

void Executor::acquire(ThreadState& th, LockId lock, LockMode mode) {
  LockState& l = locks_[lock.index];
  if (mode == LockMode::kShared) {
    ++l.readers;
  } else {
    l.holder = static_cast<int32_t>(th.id);
  }
  if (config_.detectors.data_races) races_.on_acquire(th.id, lock.index, mode);
  if (config_.lock_graph != nullptr && config_.detectors.lock_order && !th.held.empty()) {
    std::vector<LockGraph::Held> held;
    held.reserve(th.held.size());
    for (const HeldLock& h : th.held) {
      held.push_back({locks_[h.lock.index].lock_class, h.mode == LockMode::kShared});
    }
    auto inversion =
        config_.lock_graph->on_acquire(held, l.lock_class, mode == LockMode::kShared,
                                       [&] { return std::vector{describe_path(th, lock.index)}; });
    if (inversion) {
      std::string message = "possible deadlock: lock order " + inversion->class_a + " -> " +
                            inversion->class_b + " here, but " + inversion->class_b + " -> " +
                            inversion->class_a + " elsewhere";
      record_finding(Finding{kLockOrder, std::move(message), std::move(*inversion), {step_}, {}});
    }
  }
  th.held.push_back(HeldLock{lock, mode});
}

std::string Executor::describe_path(const ThreadState& th, uint32_t lock) const {
  std::string path = "thread " + th.name + ": ";
  for (const HeldLock& h : th.held)
    path += config_.lock_graph->class_name(locks_[h.lock.index].lock_class) + ", ";
  path += "then " + config_.lock_graph->class_name(locks_[lock].lock_class);
  if (!th.functions.empty()) path += std::string(" in ") + th.functions.back();
  return path;
}

template <class Op>
Executor::StepEffect Executor::apply(ThreadState& th, const Op& op, uint32_t choice) {
  const uint32_t t = th.id;
  StepEffect e;
  e.record.key = make_key(t, KeyKind::kLocal, 0);
  auto access = [&e](VarId var, bool is_read, bool is_write, Access mode, MemoryOrder order) {
    e.accesses = true;
    e.access = MemoryAccess{var.index, is_read, is_write, mode, order};
  };
  if constexpr (std::is_same_v<Op, LoadOp>) {
    e.shown_value = th.result = vars_[op.var.index].value;
    e.record.key = make_key(t, KeyKind::kRead, op.var.index);
    access(op.var, true, false, op.access, op.order);
  } else if constexpr (std::is_same_v<Op, StoreOp>) {
    e.shown_value = vars_[op.var.index].value = op.value;
    e.record.key = make_key(t, KeyKind::kWrite, op.var.index);
    access(op.var, false, true, op.access, op.order);
  } else if constexpr (std::is_same_v<Op, RmwOperation>) {
    uint64_t& value = vars_[op.var.index].value;
    th.result = value;
    e.shown_value = value = apply_rmw(op.op, value, op.operand);
    e.record.key = make_key(t, KeyKind::kWrite, op.var.index);
    access(op.var, true, true, Access::kAtomic, op.order);
  } else if constexpr (std::is_same_v<Op, CasOp>) {
    uint64_t& value = vars_[op.var.index].value;
    if (value == op.expected) {
      e.shown_value = value = op.desired;
      th.result = 1;
      e.record.key = make_key(t, KeyKind::kWrite, op.var.index);
      access(op.var, true, true, Access::kAtomic, op.order);
    } else {
      e.shown_value = th.cas_observed = value;
      th.result = 0;
      e.record.key = make_key(t, KeyKind::kRead, op.var.index);
      access(op.var, true, false, Access::kAtomic, op.order);
    }
  } else if constexpr (std::is_same_v<Op, LockOp>) {
    LockState& l = locks_[op.lock.index];
    const bool shared_before = l.shared_available();
    e.record.unconditional =
        op.mode == LockMode::kExclusive && l.writer_blocks_readers && !th.queued;
    if (op.mode == LockMode::kExclusive && !th.queued && !l.exclusive_available()) {
      // Writer-preferring rwsem: queue behind the holders; new readers now wait.
      th.queued = e.record.queued = true;
      ++l.queued_writers;
    } else {
      if (th.queued) {
        th.queued = false;
        --l.queued_writers;
      }
      acquire(th, op.lock, op.mode);
    }
    e.record.disables_shared = shared_before && !l.shared_available();
    e.record.key = make_key(
        t, op.mode == LockMode::kShared ? KeyKind::kAcquireShared : KeyKind::kAcquireExclusive,
        op.lock.index);
  } else if constexpr (std::is_same_v<Op, TryLockOp>) {
    const LockState& l = locks_[op.lock.index];
    const bool free = op.mode == LockMode::kShared ? l.shared_available() : l.exclusive_available();
    const bool shared_before = l.shared_available();
    th.result = e.shown_value = free ? 1 : 0;
    if (free) {
      acquire(th, op.lock, op.mode);
      e.record.trylock = true;
      e.record.disables_shared = shared_before && !l.shared_available();
      e.record.key = make_key(
          t, op.mode == LockMode::kShared ? KeyKind::kAcquireShared : KeyKind::kAcquireExclusive,
          op.lock.index);
    } else {
      e.record.key = make_key(t, KeyKind::kTryFailed, op.lock.index);
    }
  } else if constexpr (std::is_same_v<Op, UnlockOp>) {
    LockState& l = locks_[op.lock.index];
    auto it = std::find_if(th.held.begin(), th.held.end(), [&](const HeldLock& h) {
      return h.lock == op.lock && h.mode == op.mode;
    });
    if (it == th.held.end()) {
      record_finding(Finding{"lock-usage",
                             "thread " + th.name + " releases " + lock_display(op.lock.index) +
                                 " which it does not hold in that mode",
                             AssertionFailure{},
                             {step_},
                             {}});
    } else {
      th.held.erase(it);
      if (op.mode == LockMode::kShared) {
        --l.readers;
      } else {
        l.holder = -1;
      }
    }
    if (config_.detectors.data_races) races_.on_release(t, op.lock.index, op.mode);
    e.record.key = make_key(
        t, op.mode == LockMode::kShared ? KeyKind::kReleaseShared : KeyKind::kReleaseExclusive,
        op.lock.index);
  } else if constexpr (std::is_same_v<Op, JoinOp>) {
    CHECK_MSG(false, "a join is never a step");
  } else if constexpr (std::is_same_v<Op, ChooseOp>) {
    CHECK(choice < op.arity);
    th.result = e.shown_value = choice;
  } else if constexpr (std::is_same_v<Op, YieldOp>) {
    th.last_spin = step_;
  } else {
    static_assert(sizeof(Op) == 0, "perform: an Operation alternative is not handled");
  }
  return e;
}

bool Executor::perform(const Decision& decision, SchedulingPolicy& policy) {
  const uint32_t t = decision.thread;
  CHECK(t < thread_count_ && (enabled_mask_ >> t & 1U) != 0);
  ThreadState& th = *threads_[t];
  current_ = scheduler_current_ = t;
  const uint32_t step = step_;
  StepEffect e =
      std::visit([&](const auto& op) { return apply(th, op, decision.value); }, th.pending);
  std::optional<RaceHit> race;
  bool wrote_watched = false;
  if (e.accesses) {
    if (config_.detectors.data_races) race = races_.on_access(t, e.access, step);
    wrote_watched = e.access.is_write && vars_[e.access.var].watched;
  }

  append(schedule_.choices, Choice{t, decision.value});
  append(keys_, e.record.key);
  if (config_.recording) {
    record_event(th, th.pending, e.record.key, e.shown_value);
    if (e.record.queued) trace_.events.back().operation += " (waits: queued behind the holders)";
  }
  ++step_;
  e.record.step = step;
  e.record.thread = t;
  e.record.value = decision.value;
  policy.on_step(e.record);

  if (race) {
    const bool write = kind_of(e.record.key) == KeyKind::kWrite;
    std::string message =
        "data race on " + var_display(e.access.var) + ": " + (write ? "write" : "read") +
        " by thread " + th.name + " is unordered with an earlier " +
        (race->other_is_write ? "write" : "read") + " by thread " +
        threads_[race->other_thread]->name + ", and at least one is a plain access";
    DataRace detail;
    detail.object = var_display(e.access.var);
    record_finding(
        Finding{kDataRace, std::move(message), std::move(detail), {race->other_step, step}, {}});
  }
  if (wrote_watched && !stop_) check_invariants();
  return !stop_ && !e.record.queued;  // a queued writer stays at its down_write
}

std::string Executor::lock_display(uint32_t lock) const {
  const std::string& name = locks_[lock].name;
  return name.empty() ? "lock#" + std::to_string(lock) : name;
}

std::string Executor::var_display(uint32_t var) const {
  const std::string& name = vars_[var].name;
  return name.empty() ? "var#" + std::to_string(var) : name;
}

std::vector<std::string> Executor::held_names(const ThreadState& th) const {
  std::vector<std::string> names;
  names.reserve(th.held.size());
  for (const HeldLock& h : th.held) {
    names.push_back(lock_display(h.lock.index) + (h.mode == LockMode::kShared ? " (read)" : ""));
  }
  return names;
}

void Executor::record_event(const ThreadState& th, const Operation& op, uint64_t key,
                            uint64_t value) {
  TraceEvent ev;
  ev.step = step_;
  ev.thread = th.id;
  ev.thread_name = th.name;
  std::visit(Overloaded{
                 [&](const LoadOp& o) {
                   ev.operation = access_name(o.access, false);
                   ev.object = var_display(o.var.index);
                   ev.value = value;
                 },
                 [&](const StoreOp& o) {
                   ev.operation = access_name(o.access, true);
                   ev.object = var_display(o.var.index);
                   ev.value = value;
                 },
                 [&](const RmwOperation& o) {
                   ev.operation = rmw_name(o.op);
                   ev.object = var_display(o.var.index);
                   ev.value = value;
                 },
                 [&](const CasOp& o) {
                   ev.operation = kind_of(key) == KeyKind::kWrite ? "cmpxchg" : "cmpxchg (failed)";
                   ev.object = var_display(o.var.index);
                   ev.value = value;
                 },
                 [&](const LockOp& o) {
                   ev.operation = lock_op_name(locks_[o.lock.index].kind, o.mode, 0, false);
                   ev.object = lock_display(o.lock.index);
                 },
                 [&](const TryLockOp& o) {
                   ev.operation = lock_op_name(locks_[o.lock.index].kind, o.mode, 1,
                                               kind_of(key) == KeyKind::kTryFailed);
                   ev.object = lock_display(o.lock.index);
                 },
                 [&](const UnlockOp& o) {
                   ev.operation = lock_op_name(locks_[o.lock.index].kind, o.mode, 2, false);
                   ev.object = lock_display(o.lock.index);
                 },
                 [&](const JoinOp&) { CHECK_MSG(false, "a join is never a step"); },
                 [&](const ChooseOp& o) {
                   ev.operation = "choose(" + std::to_string(o.arity) + ")";
                   ev.value = value;
                 },
                 [&](const YieldOp&) { ev.operation = "cpu_relax"; },
             },
             op);
  ev.functions.assign(th.functions.begin(), th.functions.end());
  ev.locks_held = held_names(th);
  ThreadState& self = *threads_[th.id];
  if (!self.pending_notes.empty()) {
    // Spawns and joins are not steps; the thread's next event says what it
    // started and waited for.
    ev.notes.insert(ev.notes.begin(), self.pending_notes.begin(), self.pending_notes.end());
    self.pending_notes.clear();
  }
  self.last_event = static_cast<uint32_t>(trace_.events.size());
  trace_.events.push_back(std::move(ev));
}

void Executor::end_deadlocked(SchedulingPolicy& policy) {
  // Wait-for edges: a blocked thread waits for a lock holder or a thread to join.
  std::vector<WaitEdge> waits(thread_count_);
  std::vector<bool> blocked(thread_count_, false);
  for (uint32_t t = 0; t < thread_count_; ++t) {
    const ThreadState& th = *threads_[t];
    if (!th.started || th.finished) continue;
    if (const auto* op = std::get_if<LockOp>(&th.pending)) {
      policy.on_blocked_at_end(t, pending_key(t));
      const LockState& l = locks_[op->lock.index];
      uint32_t holder = l.holder >= 0 ? static_cast<uint32_t>(l.holder) : t;
      for (uint32_t u = 0; l.holder < 0 && u < thread_count_; ++u) {  // held for read: a reader
        for (const HeldLock& h : threads_[u]->held) {
          if (h.lock == op->lock && holder == t) holder = u;
        }
      }
      waits[t] = WaitEdge{t, th.name, lock_display(op->lock.index), holder};
      blocked[t] = true;
    } else if (const auto* join = std::get_if<JoinOp>(&th.pending)) {
      waits[t] =
          WaitEdge{t, th.name, "thread " + threads_[join->thread.index]->name, join->thread.index};
      blocked[t] = true;
    }
  }
  // The cycle: walk the edges from each blocked thread until a thread repeats.
  std::vector<uint32_t> cycle;
  for (uint32_t start = 0; start < thread_count_ && cycle.empty(); ++start) {
    if (!blocked[start]) continue;
    std::vector<uint32_t> path;
    uint32_t t = start;
    while (blocked[t] && std::find(path.begin(), path.end(), t) == path.end()) {
      path.push_back(t);
      t = waits[t].holder;
    }
    auto again = std::find(path.begin(), path.end(), t);
    if (again != path.end()) cycle.assign(again, path.end());
  }
  auto describe = [&](const WaitEdge& w) {
    const bool is_join = w.waits_for.rfind("thread ", 0) == 0;
    return " thread " + w.thread_name +
           (is_join ? " waits to join " + w.waits_for.substr(7)
                    : " waits for " + w.waits_for + " held by " + threads_[w.holder]->name);
  };
  Deadlock detail;
  std::string message = "deadlock:";
  for (uint32_t t : cycle) {
    detail.cycle.push_back(waits[t]);
    message += describe(waits[t]) + ";";
  }
  std::string others;
  for (uint32_t t = 0; t < thread_count_; ++t) {
    if (blocked[t] && std::find(cycle.begin(), cycle.end(), t) == cycle.end())
      others += describe(waits[t]) + ";";
  }
  if (cycle.empty()) {
    message += others;
  } else if (!others.empty()) {
    message += " also blocked:" + others;
  }
  message.pop_back();
  if (config_.detectors.deadlocks)
    record_finding(Finding{kDeadlock, std::move(message), std::move(detail), {}, {}});
}

}  // namespace protmc::checker
