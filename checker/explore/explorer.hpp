// Exploring a program: the engine's entry point.
//
// explore() runs `program` over and over, each time under a different
// schedule chosen by the strategy, until every interleaving that matters has
// been run (dfs, dpor), a budget (executions, time, memory) is hit, the
// `interrupted` callback says so, or a finding ends the search. A budget or an
// interruption gives verdict incomplete (never pass) with the reason and the
// statistics so far. A model thread (or invariant) that throws or fails a
// CHECK is an internal-error finding of that execution, which always stops
// the search (unless keep_going); the process and later explorations go on.
// Search runs with event recording off; each counterexample is re-run from its
// schedule with recording on, and the engine checks that the re-run
// reproduces the finding.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "checker/runtime/env.hpp"
#include "checker/trace/finding.hpp"
#include "checker/trace/schedule.hpp"
#include "checker/trace/trace.hpp"

namespace protmc::checker {

enum class Strategy : uint8_t {
  kDfs,     // every interleaving, no reduction: the reference
  kDpor,    // optimal DPOR: one execution per Mazurkiewicz trace
  kRandom,  // seeded, uniform over enabled threads
  kPct,     // probabilistic concurrency testing, seeded, bug depth `pct_depth`
};

struct Bounds {
  uint64_t max_steps = 100'000;  // visible steps per execution
  uint64_t max_executions = std::numeric_limits<uint64_t>::max();
  double time_limit_s = 0;  // 0: none
  // 0: none. The process's resident set size, read from /proc/self/statm
  // after the first execution and then every kMemoryCheckInterval executions:
  // a cap against an exploration (or a model) that would exhaust memory.
  uint64_t max_memory_mb = 0;
  // dfs only: schedules with more preemptions are not explored.
  uint32_t preemption_bound = std::numeric_limits<uint32_t>::max();
};

// Which engine detectors run. Model properties (fail, invariants) always do.
struct Detectors {
  bool data_races = true;
  bool deadlocks = true;
  bool lock_order = true;
};

inline constexpr uint64_t kMemoryCheckInterval = 64;

// The process's resident set size in bytes (0 where /proc is unavailable).
uint64_t resident_set_bytes();

// One explored execution, as the differential tests and the CLI's progress see it.
struct ExecutionSummary {
  const Schedule& schedule;
  // One entry per step: thread, and a dependency key the tests use to
  // canonicalise executions into Mazurkiewicz traces.
  const std::vector<uint64_t>& event_keys;
  bool deadlocked;
  bool sleep_blocked;
  bool has_finding;
  // peek() of every variable at the end, in creation order.
  const std::vector<uint64_t>& final_values;
};

// A model thread that stopped calling the engine (see stall_timeout_s).
struct StallReport {
  uint64_t execution = 0;  // 1-based number of the execution that stalled
  uint32_t step = 0;       // visible steps that execution had taken
  uint32_t thread = 0;
  std::string thread_name;
  std::string function;  // innermost FunctionScope of the thread; empty if none
  double stalled_s = 0;  // seconds since the thread was last resumed
  // Why the watchdog fired now: the stall timeout passed, or the search
  // should have stopped (interrupted, out of time) and could not.
  enum class Cause : uint8_t { kTimeout, kInterrupted, kTimeLimit };
  Cause cause = Cause::kTimeout;
  // "no engine call for S s", "interrupted" or "time limit of S s reached".
  std::string why;
};

struct ExploreOptions {
  Strategy strategy = Strategy::kDpor;
  Bounds bounds;
  Detectors detectors;
  uint64_t seed = 1;
  uint32_t pct_depth = 3;
  // Stop at the first finding accepted by `stop_on`; with keep_going, explore
  // everything and count every finding.
  bool keep_going = false;
  // When set, only findings for which it returns true stop the search (a
  // scenario's expected property); others are still reported.
  std::function<bool(const Finding&)> stop_on;
  // Called after every execution; for tests and progress reporting.
  std::function<void(const ExecutionSummary&)> on_execution;
  // Polled between executions; returning true interrupts the search (SIGINT).
  // With stall detection on, the watchdog thread also polls it, so it must
  // then be safe to call from another thread.
  std::function<bool()> interrupted;
  // Stall detection, on when > 0: a watchdog thread calls on_stall (from that
  // thread) when no model thread has been resumed for stall_timeout_s seconds,
  // or for kStallGraceS once `interrupted` returns true or the time limit has
  // passed: model threads are fibers, so one that loops without calling the
  // engine holds up everything, budgets and Ctrl-C included. The stuck thread
  // cannot be unwound; the CLI's on_stall reports and ends the process. If
  // on_stall returns, the watchdog waits for progress and may report again.
  double stall_timeout_s = 0;
  std::function<void(const StallReport&)> on_stall;
};

// How long an exploration that should stop (interrupted, out of time) may go
// without resuming a model thread before the watchdog reports a stall.
inline constexpr double kStallGraceS = 2.0;

struct Stats {
  uint64_t executions = 0;  // complete executions (finished or deadlocked)
  uint64_t blocked = 0;     // sleep-set-blocked executions
  uint64_t deadlocked = 0;
  uint64_t steps = 0;
  uint64_t longest = 0;  // steps in the longest execution
  uint64_t violating_executions = 0;
  double elapsed_s = 0;
  bool complete = false;
  std::string incomplete_reason;  // empty when complete
};

struct Counterexample {
  Finding finding;
  Schedule schedule;
  Trace trace;
  bool reproduced = false;   // the recorded re-run found the same finding
  uint64_t occurrences = 1;  // violating executions in this finding's group
};

enum class Verdict : uint8_t { kPass, kViolation, kIncomplete };

struct ExploreResult {
  Verdict verdict = Verdict::kIncomplete;
  Stats stats;
  // One per group (property + message kind + location); the shortest trace.
  std::vector<Counterexample> findings;
};

ExploreResult explore(const Program& program, const ExploreOptions& options);

// Re-runs one execution from its schedule with recording on. Steps past the
// end of the schedule are taken by the lowest-numbered enabled thread.
struct ReplayResult {
  Trace trace;
  std::vector<Finding> findings;
  bool schedule_diverged = false;  // a recorded choice was not possible
  std::string divergence;
};
ReplayResult replay(const Program& program, const Schedule& schedule,
                    const ExploreOptions& options);

// Whether two steps of ExecutionSummary::event_keys are dependent (program
// order, conflicting accesses to one object, the join of a thread). Two
// executions are Mazurkiewicz-equivalent iff they order every dependent pair
// the same way. O(1).
bool keys_dependent(uint64_t a, uint64_t b);
// The thread of a step's event key.
uint32_t key_thread(uint64_t key);

const char* to_string(Strategy strategy);
const char* to_string(Verdict verdict);
std::optional<Strategy> parse_strategy(std::string_view text);

}  // namespace protmc::checker
