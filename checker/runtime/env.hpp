// The model-facing interface of the engine.
//
// A model is ordinary C++ that touches shared state only through an Env. Every
// call below that says "visible" hands control to the scheduler, which decides
// when it takes effect; between visible calls a thread runs without
// interruption, so a model's local computation is never interleaved.
//
// Two backends implement Env: the native fiber scheduler (checker/runtime) and,
// later, Relacy. Nothing here is global: two explorations may run in one
// process.
//
// Happens-before provided (used by the data-race detector):
//   - program order within a thread;
//   - spawn(t) before t's first operation; t's last operation before join(t);
//   - unlock(l) before every later lock(l)/successful try_lock(l) that can
//     conflict with it (a shared release orders before the next exclusive
//     acquire; an exclusive release before every later acquire);
//   - an atomic store or read-modify-write with release (or stronger) order
//     before an atomic load or read-modify-write with acquire (or stronger)
//     order that reads it.
// Marked (READ_ONCE/WRITE_ONCE) accesses provide no ordering, as in the kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "checker/support/ids.hpp"

namespace protmc::checker {

// How a shared variable is accessed. The data-race rule is KCSAN's: two
// conflicting accesses unordered by happens-before race unless both are
// marked or atomic.
enum class Access : uint8_t {
  kPlain,   // an ordinary C load or store
  kMarked,  // READ_ONCE / WRITE_ONCE
  kAtomic,  // an atomic_t / C++ atomic access with the given memory order
};

enum class MemoryOrder : uint8_t { kRelaxed, kAcquire, kRelease, kAcqRel, kSeqCst };

enum class RmwOp : uint8_t { kExchange, kFetchAdd, kFetchSub, kFetchOr, kFetchAnd };

enum class LockKind : uint8_t {
  kMutex,        // struct mutex
  kSpinlock,     // spinlock_t
  kRwSem,        // struct rw_semaphore
  kReservation,  // ww_mutex / dma_resv
};

enum class LockMode : uint8_t {
  kExclusive,  // lock, down_write
  kShared,     // down_read (rw-semaphores only)
};

struct LockSpec {
  std::string_view name;        // instance name shown in traces, e.g. "bo0->resv"
  std::string_view lock_class;  // lockdep class, e.g. "resv"; empty: same as name
  LockKind kind = LockKind::kMutex;
  // rw-semaphores: a queued writer blocks new readers, as the kernel's rwsem does.
  bool writer_blocks_readers = false;
};

class Env {
 public:
  virtual ~Env() = default;

  // --- Objects (not visible; cheap, done by any thread, usually the main one).
  // Names must outlive the execution (string literals or model-owned storage).
  virtual VarId make_var(std::string_view name, uint64_t initial) = 0;
  virtual LockId make_lock(const LockSpec& spec) = 0;

  // --- Memory (visible).
  virtual uint64_t load(VarId var, Access access, MemoryOrder order = MemoryOrder::kRelaxed) = 0;
  virtual void store(VarId var, uint64_t value, Access access,
                     MemoryOrder order = MemoryOrder::kRelaxed) = 0;
  // Atomic read-modify-write; returns the old value.
  virtual uint64_t rmw(VarId var, RmwOp op, uint64_t operand,
                       MemoryOrder order = MemoryOrder::kSeqCst) = 0;
  // Atomic compare-and-swap. On failure `expected` receives the current value;
  // a failed CAS only reads.
  virtual bool compare_exchange(VarId var, uint64_t& expected, uint64_t desired,
                                MemoryOrder order = MemoryOrder::kSeqCst) = 0;

  // A memory barrier: smp_mb() is kSeqCst, smp_wmb() kRelease, smp_rmb()
  // kAcquire (C++11 fences at least as strong as the kernel's, which is what
  // the message-passing arguments of the model need). The native engine is
  // sequentially consistent, so there a fence orders nothing more and is not
  // a step (nor does its race detector derive happens-before from fences);
  // under Relacy it is rl::atomic_thread_fence (docs/relacy.md).
  virtual void fence(MemoryOrder order) = 0;

  // The current value, without an event. Only for invariant checks and
  // assertions that observe state the way a debugger would.
  [[nodiscard]] virtual uint64_t peek(VarId var) const = 0;

  // --- Locks (visible). lock() blocks until the lock can be taken.
  virtual void lock(LockId lock, LockMode mode = LockMode::kExclusive) = 0;
  virtual bool try_lock(LockId lock, LockMode mode = LockMode::kExclusive) = 0;
  virtual void unlock(LockId lock, LockMode mode = LockMode::kExclusive) = 0;

  // --- Threads (visible).
  virtual ThreadId spawn(std::string_view name, std::function<void(Env&)> body) = 0;
  virtual void join(ThreadId thread) = 0;
  [[nodiscard]] virtual ThreadId self() const = 0;

  // --- Nondeterminism (visible): returns a value in [0, n), every value explored.
  virtual uint32_t choose(uint32_t n) = 0;
  // A retry loop's cpu_relax(): lets the engine recognise livelock.
  virtual void spin_hint() = 0;

  // --- Properties.
  // Record a violation of `property` and end this execution. Does not return
  // to the model; the thread's stack is unwound.
  [[noreturn]] virtual void fail(std::string_view property, std::string message) = 0;
  // An invariant evaluated after every step that writes a watched variable and
  // at the end of every execution; returns a message when violated.
  using Invariant = std::function<std::optional<std::string>(const Env&)>;
  virtual void add_invariant(std::string_view property, Invariant invariant) = 0;
  virtual void watch(VarId var) = 0;

  // --- Attribution for traces (not visible).
  // The model function the current thread is in; see FunctionScope.
  virtual void push_function(const char* name) = 0;
  virtual void pop_function() = 0;
  // True while a counterexample is being re-run with full recording: build
  // expensive annotation strings only then.
  [[nodiscard]] virtual bool recording() const = 0;
  // Attach a note (for example a page-table entry before and after) to the
  // thread's most recent event.
  virtual void annotate(std::string note) = 0;
};

// Names the model function for every event issued while it is alive, so a
// trace reads like a kernel backtrace: { FunctionScope f(env, "insert_pfn"); ... }
class FunctionScope {
 public:
  FunctionScope(Env& env, const char* name) : env_(env) { env_.push_function(name); }
  ~FunctionScope() { env_.pop_function(); }
  FunctionScope(const FunctionScope&) = delete;
  FunctionScope& operator=(const FunctionScope&) = delete;

 private:
  Env& env_;
};

// A program the engine can explore: `main` runs as thread 0 and spawns the rest.
struct Program {
  std::string name;
  std::function<void(Env&)> main;
};

}  // namespace protmc::checker
