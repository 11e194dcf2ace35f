// The Env over Relacy's primitives; the mapping is documented in docs/relacy.md.
#include "checker/relacy/relacy_env.hpp"

#include <exception>
#include <string>
#include <utility>

#include "checker/runtime/op_names.hpp"
#include "checker/support/check.hpp"
#include "checker/trace/finding.hpp"

namespace protmc::checker::relacy::detail {
namespace {

// Relacy's allocation-disabled counter is a protected member of rl::context.
struct AllocationCounter : rl::context {
  static int& of(rl::context& context) { return context.*(&AllocationCounter::disable_alloc_); }
};

rl::memory_order load_order(MemoryOrder order) {
  switch (order) {
    case MemoryOrder::kRelaxed:
    case MemoryOrder::kRelease:  // a load has no release half
      return rl::mo_relaxed;
    case MemoryOrder::kAcquire:
    case MemoryOrder::kAcqRel:
      return rl::mo_acquire;
    case MemoryOrder::kSeqCst:
      return rl::mo_seq_cst;
  }
  CHECK_MSG(false, "unknown MemoryOrder");
}

rl::memory_order store_order(MemoryOrder order) {
  switch (order) {
    case MemoryOrder::kRelaxed:
    case MemoryOrder::kAcquire:  // a store has no acquire half
      return rl::mo_relaxed;
    case MemoryOrder::kRelease:
    case MemoryOrder::kAcqRel:
      return rl::mo_release;
    case MemoryOrder::kSeqCst:
      return rl::mo_seq_cst;
  }
  CHECK_MSG(false, "unknown MemoryOrder");
}

rl::memory_order rmw_order(MemoryOrder order) {
  switch (order) {
    case MemoryOrder::kRelaxed:
      return rl::mo_relaxed;
    case MemoryOrder::kAcquire:
      return rl::mo_acquire;
    case MemoryOrder::kRelease:
      return rl::mo_release;
    case MemoryOrder::kAcqRel:
      return rl::mo_acq_rel;
    case MemoryOrder::kSeqCst:
      return rl::mo_seq_cst;
  }
  CHECK_MSG(false, "unknown MemoryOrder");
}

}  // namespace

RelacySession*& current_session() {
  static RelacySession* session = nullptr;
  return session;
}

MallocScope::MallocScope() { AllocationCounter::of(rl::ctx()) += 1; }
MallocScope::~MallocScope() { AllocationCounter::of(rl::ctx()) -= 1; }

RelacyVar::RelacyVar(std::string_view var_name, uint64_t initial, uint32_t threads)
    : name(var_name), value(initial), plain_shadow(0), marked_shadow(threads), latest(initial) {}

RelacyLock::RelacyLock(const LockSpec& lock_spec) : spec(lock_spec) {
  mutex.init(spec.kind == LockKind::kRwSem, false, false, false, $);
}
RelacyLock::~RelacyLock() { mutex.deinit($); }

std::unique_ptr<RelacyEnv> begin_execution() {
  RelacySession& session = *current_session();
  const bool replaying = rl::ctx().collecting_history();
  if (!replaying) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - session.start).count();
    if (session.options.time_limit_s > 0 && elapsed >= session.options.time_limit_s) {
      session.cap_reason = "time limit reached";
    } else if (session.executions_started >= session.options.max_iterations) {
      session.cap_reason = "execution limit reached";
    }
    if (!session.cap_reason.empty()) rl::ctx().rl_until("protmc cap", $);
    ++session.executions_started;
  }
  return std::make_unique<RelacyEnv>(session);
}

RelacyEnv::RelacyEnv(RelacySession& session)
    : session_(session), thread_of_relacy_index_(session.thread_capacity, 0) {
  auto main = std::make_unique<RelacyThread>();
  main->id = ThreadId{0};
  main->name = "main";
  main->env = this;
  threads_.push_back(std::move(main));
  if (recording()) session_.trace.thread_names = {"main"};
}

RelacyEnv::~RelacyEnv() = default;

void RelacyEnv::run_main() {
  thread_of_relacy_index_[rl::thread_index()] = 0;
  session_.program->main(*this);
}

void RelacyEnv::check_invariants_at_end() {
  for (const NamedInvariant& invariant : invariants_) {
    if (std::optional<std::string> message = invariant.check(*this)) {
      fail(invariant.property, std::move(*message));
    }
  }
}

RelacyThread& RelacyEnv::current() {
  return in_main_ ? *threads_[0] : *threads_[thread_of_relacy_index_[rl::thread_index()]];
}
const RelacyThread& RelacyEnv::current() const {
  return in_main_ ? *threads_[0] : *threads_[thread_of_relacy_index_[rl::thread_index()]];
}

void RelacyEnv::main_strand_entry(Strand& self, void* argument) {
  RelacyEnv& env = *static_cast<RelacyEnv*>(argument);
  // Exceptions must not cross the strand switch; fail() leaves through Relacy.
  try {
    env.session_.program->main(env);
  } catch (const std::exception& e) {
    env.fail(kInternalError, std::string("thread main threw an exception: ") + e.what());
  } catch (...) {
    env.fail(kInternalError, "thread main threw an exception");
  }
  env.main_finished_ = true;
  while (true) Strand::switch_to(self, env.main_host_);  // parked; its stack is reclaimed
}

void RelacyEnv::resume_main() {
  in_main_ = true;
  Strand::switch_to(main_host_, main_strand_);
  in_main_ = false;
  if (main_finished_) session_.main_stacks.release(main_strand_.reclaim_parked_stack());
}

void RelacyEnv::run_main_prologue() {
  main_strand_.start(session_.main_stacks.acquire(), &RelacyEnv::main_strand_entry, this);
  resume_main();  // until main's first join, or its end
}

void RelacyEnv::run_spawned(unsigned index) {
  const uint32_t id = index + 1;
  thread_of_relacy_index_[rl::thread_index()] = id;
  // An execution that spawned fewer threads leaves this one idle.
  if (id < threads_.size()) threads_[id]->body(*this);
}

void RelacyEnv::run_main_epilogue() {
  if (main_strand_.has_stack() && !main_finished_) resume_main();  // from its first join on
}

void RelacyEnv::needs_dynamic(std::string reason) {
  session_.needs_dynamic = true;
  session_.dynamic_reason = std::move(reason);
  rl::ctx().fail_test("protmc: needs dynamic threads", rl::test_result_user_assert_failed, $);
  CHECK_MSG(false, "Relacy returned from fail_test");
}

void RelacyEnv::check_static_structure(bool is_spawn) {
  if (!session_.static_threads) return;
  if (!in_main_) {
    if (is_spawn) needs_dynamic("a spawned thread spawns");
    return;
  }
  switch (phase_) {
    case MainPhase::kPrologue:
      if (is_spawn && !threads_[0]->locks_held.empty()) {
        needs_dynamic("main holds a lock when it spawns");
      }
      return;
    case MainPhase::kSpawning:
      if (!is_spawn) needs_dynamic("main acts between its spawns and its joins");
      return;
    case MainPhase::kJoining:
      if (is_spawn) needs_dynamic("main spawns after it joined");
      if (joined_ + 1 < threads_.size()) needs_dynamic("main acts before joining every thread");
      return;
  }
}

RelacyVar& RelacyEnv::var_at(VarId var) {
  CHECK(var.index < vars_.size());
  return *vars_[var.index];
}

VarId RelacyEnv::make_var(std::string_view name, uint64_t initial) {
  vars_.push_back(std::make_unique<RelacyVar>(name, initial, session_.thread_capacity));
  return VarId{static_cast<uint32_t>(vars_.size() - 1)};
}

LockId RelacyEnv::make_lock(const LockSpec& spec) {
  locks_.push_back(std::make_unique<RelacyLock>(spec));
  return LockId{static_cast<uint32_t>(locks_.size() - 1)};
}

// KCSAN's rule on Relacy's var race detector: a plain store writes
// plain_shadow, which every other access reads; a marked or atomic store by
// thread t writes marked_shadow[t], which plain loads of other threads read.
void RelacyEnv::race_check(RelacyVar& var, Access access, bool write) {
  if (!session_.options.data_races) return;
  const uint32_t self_index = self().index;
  if (access == Access::kPlain && write) {
    var.plain_shadow($) = 1;
    return;
  }
  (void)var.plain_shadow($).load();
  if (access == Access::kPlain) {
    for (uint32_t t = 0; t < var.marked_shadow.size(); ++t) {
      if (t != self_index && var.marked_shadow[t]) (void)(*var.marked_shadow[t])($).load();
    }
  } else if (write) {
    std::unique_ptr<rl::var<int>>& shadow = var.marked_shadow[self_index];
    if (shadow) {
      (*shadow)($) = 1;
    } else {
      shadow = std::make_unique<rl::var<int>>(1);  // creation is a store by this thread
    }
  }
}

void RelacyEnv::after_write(RelacyVar& var, uint64_t value) {
  var.latest = value;
  if (!var.watched) return;
  for (const NamedInvariant& invariant : invariants_) {
    if (std::optional<std::string> message = invariant.check(*this)) {
      fail(invariant.property, std::move(*message));
    }
  }
}

uint64_t RelacyEnv::load(VarId id, Access access, MemoryOrder order) {
  check_static_structure(false);
  RelacyVar& var = var_at(id);
  race_check(var, access, false);
  const rl::memory_order mo = access == Access::kAtomic ? load_order(order) : rl::mo_relaxed;
  const uint64_t value = var.value.load(mo, $);
  record(access_name(access, false), var.name, value);
  return value;
}

void RelacyEnv::store(VarId id, uint64_t value, Access access, MemoryOrder order) {
  check_static_structure(false);
  RelacyVar& var = var_at(id);
  race_check(var, access, true);
  const rl::memory_order mo = access == Access::kAtomic ? store_order(order) : rl::mo_relaxed;
  var.value.store(value, mo, $);
  record(access_name(access, true), var.name, value);
  after_write(var, value);
}

uint64_t RelacyEnv::rmw(VarId id, RmwOp op, uint64_t operand, MemoryOrder order) {
  check_static_structure(false);
  RelacyVar& var = var_at(id);
  race_check(var, Access::kAtomic, true);
  const rl::memory_order mo = rmw_order(order);
  uint64_t old = 0;
  uint64_t now = 0;
  switch (op) {
    case RmwOp::kExchange:
      old = var.value.exchange(operand, mo, $), now = operand;
      break;
    case RmwOp::kFetchAdd:
      old = var.value.fetch_add(operand, mo, $), now = old + operand;
      break;
    case RmwOp::kFetchSub:
      old = var.value.fetch_sub(operand, mo, $), now = old - operand;
      break;
    case RmwOp::kFetchOr:
      old = var.value.fetch_or(operand, mo, $), now = old | operand;
      break;
    case RmwOp::kFetchAnd:
      old = var.value.fetch_and(operand, mo, $), now = old & operand;
      break;
  }
  record(rmw_name(op), var.name, now);
  after_write(var, now);
  return old;
}

bool RelacyEnv::compare_exchange(VarId id, uint64_t& expected, uint64_t desired,
                                 MemoryOrder order) {
  check_static_structure(false);
  RelacyVar& var = var_at(id);
  const bool swapped = var.value.compare_exchange_strong(expected, desired, rmw_order(order), $);
  // Relacy decides the outcome; the race shadow then sees a write or a read.
  race_check(var, Access::kAtomic, swapped);
  record(swapped ? "cmpxchg" : "cmpxchg (failed)", var.name, swapped ? desired : expected);
  if (swapped) after_write(var, desired);
  return swapped;
}

void RelacyEnv::fence(MemoryOrder order) {
  check_static_structure(false);
  if (order == MemoryOrder::kRelaxed) return;  // orders nothing (Relacy rejects it)
  rl::atomic_thread_fence(rmw_order(order), $);
  record(order == MemoryOrder::kSeqCst    ? "smp_mb"
         : order == MemoryOrder::kRelease ? "smp_wmb"
         : order == MemoryOrder::kAcquire ? "smp_rmb"
                                          : "fence",
         "", std::nullopt);
}

uint64_t RelacyEnv::peek(VarId var) const {
  CHECK(var.index < vars_.size());
  return vars_[var.index]->latest;
}

void RelacyEnv::lock(LockId id, LockMode mode) {
  check_static_structure(false);
  CHECK(id.index < locks_.size());
  RelacyLock& lock = *locks_[id.index];
  if (mode == LockMode::kShared) {
    lock.mutex.lock_shared($);
  } else {
    lock.mutex.lock_exclusive($);
  }
  current().locks_held.emplace_back(lock.spec.name);
  record(mode == LockMode::kShared ? "lock (read)" : "lock", lock.spec.name, std::nullopt);
}

bool RelacyEnv::try_lock(LockId id, LockMode mode) {
  check_static_structure(false);
  CHECK(id.index < locks_.size());
  RelacyLock& lock = *locks_[id.index];
  const bool taken =
      mode == LockMode::kShared ? lock.mutex.try_lock_shared($) : lock.mutex.try_lock_exclusive($);
  if (taken) current().locks_held.emplace_back(lock.spec.name);
  record(taken ? "trylock" : "trylock (failed)", lock.spec.name, taken ? 1 : 0);
  return taken;
}

void RelacyEnv::unlock(LockId id, LockMode mode) {
  check_static_structure(false);
  CHECK(id.index < locks_.size());
  RelacyLock& lock = *locks_[id.index];
  std::vector<std::string>& held = current().locks_held;
  for (auto it = held.rbegin(); it != held.rend(); ++it) {
    if (*it == lock.spec.name) {
      held.erase(std::next(it).base());
      break;
    }
  }
  if (mode == LockMode::kShared) {
    lock.mutex.unlock_shared($);
  } else {
    lock.mutex.unlock_exclusive($);
  }
  record("unlock", lock.spec.name, std::nullopt);
}

void* RelacyEnv::thread_entry(void* argument) {
  RelacyThread& thread = *static_cast<RelacyThread*>(argument);
  thread.env->thread_of_relacy_index_[rl::thread_index()] = thread.id.index;
  thread.body(*thread.env);
  return nullptr;
}

ThreadId RelacyEnv::spawn(std::string_view name, std::function<void(Env&)> body) {
  check_static_structure(true);
  if (threads_.size() >= session_.thread_capacity) {
    session_.error =
        "the program spawns more than " + std::to_string(session_.thread_capacity - 1) + " threads";
    rl::ctx().fail_test("protmc: too many threads", rl::test_result_user_assert_failed, $);
    CHECK_MSG(false, "Relacy returned from fail_test");
  }
  auto thread = std::make_unique<RelacyThread>();
  thread->id = ThreadId{static_cast<uint32_t>(threads_.size())};
  thread->name = name;
  thread->body = std::move(body);
  thread->env = this;
  RelacyThread& started = *thread;
  threads_.push_back(std::move(thread));
  if (recording()) session_.trace.thread_names.emplace_back(name);
  record("spawn", name, std::nullopt);
  if (session_.static_threads) {
    phase_ = MainPhase::kSpawning;  // it runs as static thread id - 1
  } else {
    started.handle.start(&RelacyEnv::thread_entry, &started);
  }
  return started.id;
}

void RelacyEnv::join(ThreadId thread) {
  CHECK(thread.index < threads_.size());
  if (session_.static_threads) {
    if (!in_main_) needs_dynamic("a spawned thread joins");
    if (phase_ != MainPhase::kJoining) {
      phase_ = MainPhase::kJoining;
      Strand::switch_to(main_strand_, main_host_);  // back to before(); after() resumes it
    }
    ++joined_;
  } else {
    threads_[thread.index]->handle.join();
  }
  record("join", threads_[thread.index]->name, std::nullopt);
}

ThreadId RelacyEnv::self() const { return current().id; }

uint32_t RelacyEnv::choose(uint32_t n) {
  check_static_structure(false);
  CHECK(n > 0);
  const uint32_t choice = n == 1 ? 0 : rl::rand(n);
  record("choose", "", choice);
  return choice;
}

void RelacyEnv::spin_hint() {
  check_static_structure(false);
  rl::yield(1, $);
  record("cpu_relax", "", std::nullopt);
}

void RelacyEnv::fail(std::string_view property, std::string message) {
  if (!session_.property) {
    session_.property = std::string(property);
    session_.message = message;
  }
  record("fail", property, std::nullopt);
  rl::ctx().fail_test("protmc property violated", rl::test_result_user_assert_failed, $);
  CHECK_MSG(false, "Relacy returned from fail_test");
}

void RelacyEnv::add_invariant(std::string_view property, Invariant invariant) {
  invariants_.push_back(NamedInvariant{std::string(property), std::move(invariant)});
}

void RelacyEnv::watch(VarId var) { var_at(var).watched = true; }

void RelacyEnv::push_function(const char* name) { current().functions.push_back(name); }
void RelacyEnv::pop_function() {
  CHECK(!current().functions.empty());
  current().functions.pop_back();
}

bool RelacyEnv::recording() const { return rl::ctx().collecting_history(); }

void RelacyEnv::annotate(std::string note) {
  if (!recording()) return;
  const uint32_t thread = self().index;
  std::vector<TraceEvent>& events = session_.trace.events;
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->thread == thread) {
      it->notes.push_back(std::move(note));
      return;
    }
  }
}

void RelacyEnv::record(std::string operation, std::string_view object,
                       std::optional<uint64_t> value) {
  if (!recording()) return;
  const RelacyThread& thread = current();
  TraceEvent event;
  event.step = static_cast<uint32_t>(session_.trace.events.size());
  event.thread = thread.id.index;
  event.thread_name = std::string(thread.name);
  event.operation = std::move(operation);
  event.object = std::string(object);
  event.value = value;
  event.functions.assign(thread.functions.begin(), thread.functions.end());
  event.locks_held = thread.locks_held;
  session_.trace.events.push_back(std::move(event));
}

}  // namespace protmc::checker::relacy::detail
