// One execution of a program under a scheduling policy: the native backend of Env.
//
// The executor runs every model thread as a Strand (strand.hpp). A thread
// announces its next visible operation and runs the scheduler on its own
// stack (schedule.cpp): the scheduler asks the policy which enabled thread
// goes next, performs that thread's operation itself (so the effect happens
// exactly at the chosen point), reports the step to the policy and the
// detectors, and switches to that thread, which runs until its next
// announcement (no switch at all when it is the announcing thread). Between
// two announcements a thread runs alone, so its local computation is atomic.
//
// Faults in model code: while a model thread or an invariant runs (not the
// scheduler, even on a model thread's stack), the executor installs a CHECK
// failure handler (check.hpp), so that a failed CHECK throws instead of
// aborting; it and any C++ exception the model throws become an
// internal-error finding of the execution, which then stops. A CHECK or an
// exception in scheduler code is an internal bug and aborts, as on the host.
//
// Spawning and joining are not steps. Env::spawn creates the child at once,
// as part of the parent's local computation, and tells the policy (on_spawn):
// the child starts after everything its parent did so far. Env::join waits
// (the thread is disabled) until the joined thread has ended, then goes on in
// the joiner's local computation and tells the policy (on_join): the joiner
// continues after everything the joined thread did. That is sound for every
// strategy: a spawn or join depends only on the other thread's events, which
// all come after the spawn and before the join, so moving either to any
// point between its thread's neighbouring events gives an equivalent
// execution; and each removes a scheduling point (a strand switch, the
// enabled scan, the policy's decision).
//
// An Executor is reused for every execution of an exploration: its buffers,
// thread records and strands (with their stacks) are recycled, so
// steady-state executions do not allocate (apart from what the model itself
// allocates). explore() also keeps its exploring Executor between
// explorations on one OS thread: clear() drops what the last run left of the
// model, reconfigure() gives it the next exploration's Config, and from then
// on it behaves as a new Executor built with that Config (retained_bytes()
// bounds what the cache keeps).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "checker/race/data_race.hpp"
#include "checker/race/lockdep.hpp"
#include "checker/runtime/env.hpp"
#include "checker/runtime/operation.hpp"
#include "checker/runtime/policy.hpp"
#include "checker/runtime/progress_probe.hpp"
#include "checker/runtime/stack_pool.hpp"
#include "checker/runtime/strand.hpp"
#include "checker/trace/finding.hpp"
#include "checker/trace/schedule.hpp"
#include "checker/trace/trace.hpp"

namespace protmc::checker {

enum class ExecutionEnd : uint8_t {
  kFinished,      // every thread returned
  kDeadlock,      // no thread enabled, some not finished
  kSleepBlocked,  // every enabled thread asleep (DPOR found nothing new here)
  kStepBound,     // Bounds::max_steps hit
  kStopped,       // a fatal finding (fail, invariant, internal error) ended it
};

struct ExecutionOutcome {
  ExecutionEnd end = ExecutionEnd::kFinished;
  std::vector<Finding> findings;
  uint32_t steps = 0;
};

class Executor final : public Env {
 public:
  struct Config {
    Detectors detectors;
    uint64_t max_steps = 100'000;
    bool recording = false;
    LockGraph* lock_graph = nullptr;  // shared across executions; null: no lockdep
    // Where the execution is, for a stall watchdog on another thread; null: not published.
    ProgressProbe* probe = nullptr;
  };

  explicit Executor(Config config);
  ~Executor() override;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  ExecutionOutcome run(const Program& program, SchedulingPolicy& policy);

  // Between runs only. clear() destroys what the last run kept of the model
  // (thread bodies, invariants) and its results; buffers, thread slots and
  // their strands and stacks stay. reconfigure() then makes the Executor
  // behave as one built with `config` (a new exploration: no thread name is
  // interned for a probe any more, so the previous probe's watchdog must be gone).
  void clear() { reset(); }
  void reconfigure(Config config);
  // Heap bytes of the buffers kept between runs (not the stacks: one per
  // thread slot, at most kMaxThreads).
  [[nodiscard]] std::size_t retained_bytes() const;

  // Results of the last run.
  [[nodiscard]] const Schedule& schedule() const { return schedule_; }
  [[nodiscard]] const std::vector<uint64_t>& event_keys() const { return keys_; }
  [[nodiscard]] const std::vector<uint64_t>& final_values() const { return final_values_; }
  Trace take_trace() { return std::move(trace_); }

  // Queries for policies at a scheduling point.
  [[nodiscard]] uint32_t thread_count() const { return thread_count_; }
  // The conservative key of a thread's next event (a trylock counts as an
  // acquisition). O(1): computed when the thread announced the operation.
  [[nodiscard]] uint64_t pending_key(uint32_t thread) const {
    return threads_[thread]->pending_key;
  }
  // n for a pending choose(n), 0 otherwise. O(1), as pending_key.
  [[nodiscard]] uint32_t pending_arity(uint32_t thread) const {
    return threads_[thread]->pending_arity;
  }

  // Env.
  VarId make_var(std::string_view name, uint64_t initial) override;
  LockId make_lock(const LockSpec& spec) override;
  uint64_t load(VarId var, Access access, MemoryOrder order) override;
  void store(VarId var, uint64_t value, Access access, MemoryOrder order) override;
  uint64_t rmw(VarId var, RmwOp op, uint64_t operand, MemoryOrder order) override;
  bool compare_exchange(VarId var, uint64_t& expected, uint64_t desired,
                        MemoryOrder order) override;
  void fence(MemoryOrder order) override;
  [[nodiscard]] uint64_t peek(VarId var) const override;
  void lock(LockId lock, LockMode mode) override;
  bool try_lock(LockId lock, LockMode mode) override;
  void unlock(LockId lock, LockMode mode) override;
  ThreadId spawn(std::string_view name, std::function<void(Env&)> body) override;
  void join(ThreadId thread) override;
  [[nodiscard]] ThreadId self() const override { return ThreadId{current_}; }
  uint32_t choose(uint32_t n) override;
  void spin_hint() override;
  [[noreturn]] void fail(std::string_view property, std::string message) override;
  void add_invariant(std::string_view property, Invariant invariant) override;
  void watch(VarId var) override;
  void push_function(const char* name) override;
  void pop_function() override;
  [[nodiscard]] bool recording() const override { return config_.recording; }
  void annotate(std::string note) override;

 private:
  static constexpr uint32_t kNoThread = UINT32_MAX;
  struct HeldLock {
    LockId lock;
    LockMode mode;
  };
  struct ThreadState {
    Executor* executor = nullptr;
    uint32_t id = 0;
    std::string name;  // kept across executions (a slot's thread usually has the same name)
    // In interned_names_, equal to name; null when not interned yet.
    const std::string* interned_name = nullptr;
    // Started once, on this slot's first thread, and kept: between threads it
    // parks in thread_entry's loop, so a thread start is a switch, not a
    // fresh stack and context.
    Strand strand;
    bool started = false;
    bool finished = false;
    Operation pending;
    // pending's conservative event key and choose arity (Executor::pending_key
    // and pending_arity), set with it at every announcement.
    uint64_t pending_key = 0;
    uint32_t pending_arity = 0;
    uint64_t result = 0;
    uint64_t cas_observed = 0;
    std::function<void(Env&)> body;
    const std::function<void(Env&)>* run = nullptr;  // &body, or main's borrowed body
    // Recording: "spawned X" / "joined X" since its last event, for notes on
    // its next one. It and last_event are reset only when a recording run
    // starts a thread in the slot (the only runs that read them).
    std::vector<std::string> pending_notes;
    // The threads waiting in join() for this one to end, in the order they
    // joined: a FIFO linked through next_joiner (a thread waits for one join
    // at a time); kNoThread when none. Emptied when the thread ends.
    uint32_t first_joiner = kNoThread;
    uint32_t last_joiner = kNoThread;
    uint32_t next_joiner = kNoThread;  // while this thread waits in join(): the next waiter
    std::vector<const char*> functions;
    std::vector<HeldLock> held;
    uint32_t last_event = UINT32_MAX;  // recording: trace index of its latest event
    uint32_t last_spin = UINT32_MAX;   // step of its latest spin hint
    bool queued = false;               // its pending down_write has queued
  };
  struct VarState {
    uint64_t value = 0;
    std::string name;  // only while recording
    bool watched = false;
  };
  struct LockState {
    LockKind kind = LockKind::kMutex;
    std::string name;  // only while recording
    uint32_t lock_class = 0;
    int32_t holder = -1;  // exclusive holder
    uint32_t readers = 0;
    bool writer_blocks_readers = false;
    uint32_t queued_writers = 0;
    [[nodiscard]] bool shared_available() const {
      return holder < 0 && !(writer_blocks_readers && queued_writers > 0);
    }
    [[nodiscard]] bool exclusive_available() const { return holder < 0 && readers == 0; }
  };
  struct Unwind {};  // thrown inside a thread to unwind it at the end of an execution

  static constexpr uint32_t kHost = UINT32_MAX;  // running_: run()'s own stack

  // A slot's strand: runs each thread body given to the slot, parking in
  // between (see ThreadState::strand).
  static void thread_entry(Strand& strand, void* arg);
  void run_body(ThreadState& th);
  // A thread's body has returned: its joiners may go on.
  void end_thread(ThreadState& th);
  // The scheduler, on the running strand's stack (schedule.cpp): decides who
  // runs next and switches there, or returns when it is the running thread.
  // Returns when some strand switches back to this one.
  void dispatch();
  // The thread to run next (kHost: the execution has ended), performing
  // steps as it goes: the scheduling loop between two handovers. The cheap
  // cases (a thread to start, a joiner to resume) are inline in dispatch;
  // next_step is the rest, out of line.
  uint32_t next_to_run();
  uint32_t next_step();
  void switch_to(uint32_t next);
  // Tells the stall watchdog (config_.probe), if any, that `thread` runs on, at step_.
  void publish_progress(uint32_t thread) {
    if (config_.probe != nullptr) publish_progress_to(*config_.probe, thread);
  }
  void publish_progress_to(ProgressProbe& probe, uint32_t thread);
  void report_livelock();
  void reset();
  // `borrowed`, when set, is run instead of `body` and must outlive the
  // execution (main's body is the Program's, not copied per execution).
  // Out of line: inlined into spawn it saves about 180 instructions per
  // readers(5) execution but measured 2-3% slower.
  uint32_t start_thread(std::string_view name, std::function<void(Env&)>&& body,
                        const std::function<void(Env&)>* borrowed);
  // Makes `op` the current thread's pending operation and runs the scheduler
  // on its stack (schedule.cpp); returns when the thread runs on. A template
  // (executor.cpp, where every Env operation calls it): the variant and the
  // run-state masks are written with the operation's index known at compile time.
  template <class Op>
  void announce(const Op& op);
  // The CHECK failure handler while model code runs: throws, so that the
  // failure becomes an internal-error finding (see above).
  [[noreturn]] static void throw_model_check_failure(const char* file, int line,
                                                     const char* condition,
                                                     std::string_view message);
  // For a started, unfinished thread: whether its pending operation can go.
  [[nodiscard]] bool pending_enabled(const ThreadState& th) const;
  // What performing one operation did: the StepRecord the policy gets (its
  // executed event key and, for lock steps, what DPOR needs to know; perform
  // fills in the step, thread and choice), the value a trace shows, and the
  // memory access the race detector checks.
  struct StepEffect {
    StepRecord record;
    uint64_t shown_value = 0;
    bool accesses = false;  // a load, store, RMW or CAS of access.var
    MemoryAccess access;
  };
  // The effect of thread th's pending operation `op` on shared state
  // (perform.cpp); one branch per Operation alternative, checked at compile time.
  template <class Op>
  StepEffect apply(ThreadState& th, const Op& op, uint32_t choice);
  // Performs the chosen step; true when its thread must now run on (false:
  // a fatal finding stopped the execution, or a down_write queued).
  bool perform(const Decision& decision, SchedulingPolicy& policy);
  void acquire(ThreadState& th, LockId lock, LockMode mode);
  void end_deadlocked(SchedulingPolicy& policy);
  // Runs the invariants, if any (most programs have none: no call then).
  void check_invariants() {
    if (!invariants_.empty()) run_invariants();
  }
  void run_invariants();
  void record_finding(Finding finding);
  void record_event(const ThreadState& th, const Operation& op, uint64_t key, uint64_t value);
  void unwind_all();
  [[nodiscard]] std::vector<std::string> held_names(const ThreadState& th) const;
  [[nodiscard]] std::string describe_path(const ThreadState& th, uint32_t lock) const;
  [[nodiscard]] std::string lock_display(uint32_t lock) const;
  [[nodiscard]] std::string var_display(uint32_t var) const;
  ThreadState& current() { return *threads_[current_]; }
  // Files `thread` under the mask its pending operation (Operation::index())
  // belongs to.
  void set_run_state(uint32_t thread, std::size_t op_index) {
    const uint32_t bit = 1U << thread;
    ready_mask_ &= ~bit;
    may_wait_mask_ &= ~bit;
    joining_mask_ &= ~bit;
    if (op_index == kLockOpIndex) {
      may_wait_mask_ |= bit;
    } else if (op_index == kJoinOpIndex) {
      joining_mask_ |= bit;
    } else {
      ready_mask_ |= bit;
    }
  }

  Config config_;
  StackPool stacks_;
  std::vector<std::unique_ptr<ThreadState>> threads_;  // stable addresses for strands
  uint32_t thread_count_ = 0;
  uint32_t current_ = 0;            // the thread that is running or whose step is performed
  uint32_t running_ = kHost;        // whose stack the executor is on
  uint32_t scheduler_current_ = 0;  // current_ in scheduler code: the last stepped thread
  Strand host_;
  Strand* running_strand_ = &host_;  // running_'s strand: host_ or its thread's
  // The started, unfinished threads for the enabled scan, as bit masks (bit t
  // for thread t), kept up to date at announce and at a thread's end: those
  // whose pending operation is always enabled, those whose operation may have
  // to wait (a lock acquisition, which pending_enabled then checks), and those
  // waiting in join(), never enabled (the scheduler resumes them once the
  // joined thread has ended). The scan at every step reads two words instead
  // of every thread.
  uint32_t ready_mask_ = 0;
  uint32_t may_wait_mask_ = 0;
  uint32_t joining_mask_ = 0;
  std::vector<VarState> vars_;
  std::vector<LockState> locks_;
  std::vector<std::pair<std::string, Invariant>> invariants_;
  uint32_t enabled_mask_ = 0;  // the enabled threads at the scheduling point, bit t for thread t
  SchedulingPolicy* policy_ = nullptr;  // of the running execution
  // Threads spawned but not yet run to their first announcement, as a bit
  // mask; the scheduler runs them (next_to_run) before its next decision, in
  // spawn order, which is ascending thread order (ids are handed out in order).
  uint32_t to_start_mask_ = 0;
  // Threads whose join() target has ended, in the order the targets ended: a
  // FIFO ring (indices taken modulo kMaxThreads). A thread is queued at most
  // once at a time (it waits for one join), so kMaxThreads entries suffice.
  static_assert((kMaxThreads & (kMaxThreads - 1)) == 0, "the ring's indices wrap with uint32_t");
  std::array<uint32_t, kMaxThreads> ready_joiners_{};
  uint32_t joiners_head_ = 0;  // next to pop; counts up, wrapping with uint32_t
  uint32_t joiners_tail_ = 0;  // next free
  DataRaceDetector races_;
  bool stop_ = false;       // a fatal finding was recorded
  bool unwinding_ = false;  // fibers are being unwound
  uint32_t step_ = 0;
  ExecutionOutcome outcome_;
  Schedule schedule_;
  std::vector<uint64_t> keys_;
  std::vector<uint64_t> final_values_;
  Trace trace_;
  // Thread names published through config_.probe: never erased, so a pointer
  // the watchdog loaded stays valid (see progress_probe.hpp).
  std::unordered_set<std::string> interned_names_;
};

}  // namespace protmc::checker
