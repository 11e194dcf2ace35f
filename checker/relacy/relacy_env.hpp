// Internal to checker/relacy: the Env over Relacy's primitives, the state one
// Relacy search shares with its executions, and the test suite Relacy runs.
//
// Only relacy_env.cpp and relacy_backend.cpp include this header: it pulls in
// Relacy, whose headers replace the global operator new/delete (they fall
// back to malloc outside a simulation) and define macros that are undone here.
//
// Memory: Relacy counts every allocation made during an execution and reports
// leaks; the backend raises Relacy's "allocation disabled" counter for the
// life of each execution's state so that the model's and the Env's own
// allocations go to malloc and are not part of Relacy's leak check.
#pragma once

#include <relacy/relacy.hpp>

#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef assert
#undef errno

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker/relacy/relacy_backend.hpp"
#include "checker/runtime/env.hpp"
#include "checker/runtime/stack_pool.hpp"
#include "checker/runtime/strand.hpp"

namespace protmc::checker::relacy::detail {

// What one explore_with_relacy() call shares with the executions Relacy runs.
// Relacy default-constructs its test suite, so the suite finds the session
// through current_session(); the backend sets it for the length of a search.
struct RelacySession {
  const Program* program = nullptr;
  RelacyOptions options;
  uint32_t thread_capacity = 0;  // threads of the instantiation, main included
  // Static-thread mode (StaticProgramSuite): main's code before its spawns
  // runs in Relacy's before(), each spawned thread is a static Relacy
  // thread, and main's code from its first join on runs in after(). Exact
  // when main does nothing visible between its first spawn and its last
  // join; an execution that does sets needs_dynamic and the search is run
  // again with dynamic threads (ProgramSuite).
  bool static_threads = false;
  bool needs_dynamic = false;
  std::string dynamic_reason;  // why needs_dynamic was set
  StackPool main_stacks;       // for main's strand in static mode
  std::chrono::steady_clock::time_point start;
  uint64_t executions_started = 0;
  // Set when a cap ended the search (the execution was cut with rl_until).
  std::string cap_reason;
  // The first model finding of the search (fail() or an invariant).
  std::optional<std::string> property;
  std::string message;
  // A user error found during the search (too many threads).
  std::string error;
  Trace trace;  // filled during Relacy's replay of the failing execution
};
RelacySession*& current_session();

// One shared variable. `value` carries the value for every access mode;
// `plain_shadow` and `marked_shadow` are Relacy vars that exist only so
// Relacy's happens-before race detector sees KCSAN's rule (docs/relacy.md).
struct RelacyVar {
  std::string_view name;
  rl::atomic<uint64_t> value;
  rl::var<int> plain_shadow;  // written by plain stores, read by every other access
  std::vector<std::unique_ptr<rl::var<int>>> marked_shadow;  // per thread: marked stores
  uint64_t latest = 0;  // last value in modification order, for peek()
  bool watched = false;
  explicit RelacyVar(std::string_view var_name, uint64_t initial, uint32_t threads);
};

struct LockTag {};
struct RelacyLock {
  LockSpec spec;
  rl::generic_mutex<LockTag> mutex;
  explicit RelacyLock(const LockSpec& lock_spec);
  ~RelacyLock();
  RelacyLock(const RelacyLock&) = delete;
  RelacyLock& operator=(const RelacyLock&) = delete;
};

class RelacyEnv;
struct RelacyThread {
  ThreadId id;
  std::string_view name;
  std::function<void(Env&)> body;
  RelacyEnv* env = nullptr;
  rl::dyn_thread handle;
  std::vector<const char*> functions;
  std::vector<std::string> locks_held;
};

// The Env of one execution. Built by the test suite when the execution starts
// and destroyed when it ends (before Relacy's leak checks).
class RelacyEnv final : public Env {
 public:
  explicit RelacyEnv(RelacySession& session);
  ~RelacyEnv() override;

  // Thread 0: runs the program's main.
  void run_main();
  // Static-thread mode (see RelacySession::static_threads): main up to its
  // first join, in before(); spawned thread `index` (0-based), as Relacy's
  // static thread `index`; the rest of main, in after().
  void run_main_prologue();
  void run_spawned(unsigned index);
  void run_main_epilogue();
  // At the end of an execution: checks every invariant.
  void check_invariants_at_end();

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
  [[nodiscard]] ThreadId self() const override;
  uint32_t choose(uint32_t n) override;
  void spin_hint() override;
  [[noreturn]] void fail(std::string_view property, std::string message) override;
  void add_invariant(std::string_view property, Invariant invariant) override;
  void watch(VarId var) override;
  void push_function(const char* name) override;
  void pop_function() override;
  [[nodiscard]] bool recording() const override;
  void annotate(std::string note) override;

 private:
  static void* thread_entry(void* thread);
  static void main_strand_entry(Strand& self, void* env);
  // Static mode: where main is in its spawn/join structure.
  enum class MainPhase : uint8_t { kPrologue, kSpawning, kJoining };
  // Static mode: a visible operation (or spawn) of the current thread is
  // about to happen; ends the search for a dynamic re-run when main's part
  // cannot be hoisted into before()/after().
  void check_static_structure(bool is_spawn);
  [[noreturn]] void needs_dynamic(std::string reason);
  void resume_main();
  RelacyThread& current();
  [[nodiscard]] const RelacyThread& current() const;
  RelacyVar& var_at(VarId var);
  void race_check(RelacyVar& var, Access access, bool write);
  void after_write(RelacyVar& var, uint64_t value);
  void record(std::string operation, std::string_view object, std::optional<uint64_t> value);

  RelacySession& session_;
  std::vector<std::unique_ptr<RelacyVar>> vars_;
  std::vector<std::unique_ptr<RelacyLock>> locks_;
  std::vector<std::unique_ptr<RelacyThread>> threads_;
  std::vector<uint32_t> thread_of_relacy_index_;  // Relacy thread index -> ThreadId
  struct NamedInvariant {
    std::string property;
    Invariant check;
  };
  std::vector<NamedInvariant> invariants_;
  // Static mode only.
  // Main runs on a strand of its own, switched to from before() and after()
  // (main_host_: their context) and parked for good once its body returns.
  Strand main_strand_;
  Strand main_host_;
  bool main_finished_ = false;
  bool in_main_ = false;  // main's strand is running (in before() or after())
  MainPhase phase_ = MainPhase::kPrologue;
  uint32_t joined_ = 0;
};

// Raises Relacy's allocation-disabled counter for its lifetime (see above).
class MallocScope {
 public:
  MallocScope();
  ~MallocScope();
  MallocScope(const MallocScope&) = delete;
  MallocScope& operator=(const MallocScope&) = delete;
};

// The test suite Relacy runs: thread 0 runs the program's main; the others
// are Relacy dynamic threads started by spawn(). One suite per execution.
template <uint32_t kThreads>
struct ProgramSuite : rl::test_suite<ProgramSuite<kThreads>, 1> {
  static const rl::thread_id_t dynamic_thread_count = kThreads - 1;

  ProgramSuite() : allocations_(), env_(start_execution()) {}

  void thread(unsigned /*index*/) { env_->run_main(); }
  void after() { env_->check_invariants_at_end(); }

 private:
  static std::unique_ptr<RelacyEnv> start_execution();
  MallocScope allocations_;
  std::unique_ptr<RelacyEnv> env_;
};

// The static-thread suite: `kSpawned` static Relacy threads, one per thread
// main spawns; main's own code runs in before() and after().
template <uint32_t kSpawned>
struct StaticProgramSuite : rl::test_suite<StaticProgramSuite<kSpawned>, kSpawned> {
  StaticProgramSuite() : allocations_(), env_(start_execution()) {}

  void before() { env_->run_main_prologue(); }
  void thread(unsigned index) { env_->run_spawned(index); }
  void after() {
    env_->run_main_epilogue();
    env_->check_invariants_at_end();
  }

 private:
  static std::unique_ptr<RelacyEnv> start_execution();
  MallocScope allocations_;
  std::unique_ptr<RelacyEnv> env_;
};

// Runs StaticProgramSuite<spawned> under the scheduler params asks for
// (relacy_static.cpp; 1 <= spawned < kMaxRelacyThreads).
rl::test_result_e run_static_suite(uint32_t spawned, rl::test_params& params, std::ostream& out,
                                   bool replay);

// Cuts the search when a cap is hit; otherwise builds the execution's Env.
std::unique_ptr<RelacyEnv> begin_execution();

template <uint32_t kThreads>
std::unique_ptr<RelacyEnv> ProgramSuite<kThreads>::start_execution() {
  return begin_execution();
}

template <uint32_t kSpawned>
std::unique_ptr<RelacyEnv> StaticProgramSuite<kSpawned>::start_execution() {
  return begin_execution();
}

}  // namespace protmc::checker::relacy::detail
