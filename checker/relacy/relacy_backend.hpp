// Exploring a Program under Relacy Race Detector instead of the native engine.
//
// explore_with_relacy() runs `program` under Relacy's scheduler and C++11
// memory-model simulation (see docs/relacy.md for how each Env operation maps
// onto Relacy's primitives). It is a second, independent engine: the
// agreement tests require the same verdict and property as the native one.
//
// Relacy keeps its simulation in process-global state, so Relacy explorations
// are serialised (a second concurrent call waits); the native engine may run
// alongside. This header does not include Relacy: only relacy_backend.cpp and
// relacy_env.cpp do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "checker/runtime/env.hpp"
#include "checker/trace/trace.hpp"

namespace protmc::checker::relacy {

enum class RelacySearch : uint8_t {
  kRandom,   // Relacy's random scheduler: `max_iterations` random executions
  kContext,  // fair context-bound scheduler (bound `context_bound`)
  kFull,     // fair full search: every interleaving, every memory-model choice
};

// The largest thread count (main thread included) a program may use under
// Relacy: one template instantiation per count up to this one.
inline constexpr uint32_t kMaxRelacyThreads = 8;

struct RelacyOptions {
  RelacySearch search = RelacySearch::kFull;
  // Executions (Relacy iterations) before the search stops incomplete; for
  // kRandom this is the number of random executions to run.
  uint64_t max_iterations = 1'000'000;
  double time_limit_s = 10;  // 0: none
  uint32_t context_bound = 2;
  // Scheduling points per execution before Relacy reports livelock.
  uint32_t execution_depth_limit = 20000;
  // Detectors::data_races: when false the race shadows are not touched, so
  // Relacy reports no data race (deadlock detection cannot be turned off).
  bool data_races = true;
};

enum class RelacyVerdict : uint8_t {
  kPass,        // a full search finished within the caps without a finding
  kViolation,   // a finding; property and message say which
  kIncomplete,  // caps hit, or a random/context search found nothing
};

struct RelacyResult {
  RelacyVerdict verdict = RelacyVerdict::kIncomplete;
  // A user error (for example too many threads): nothing was explored and
  // verdict is kIncomplete. Empty otherwise.
  std::string error;
  std::string property;  // protmc property name ("data-race", "deadlock", ...)
  std::string message;
  uint64_t executions = 0;  // Relacy iterations run
  double elapsed_s = 0;
  uint32_t threads = 0;  // thread count of the instantiation used, main included
  // Whether main's own code ran hoisted into Relacy's before()/after() with
  // the spawned threads as static Relacy threads (exact when main does
  // nothing between its first spawn and its last join), or every thread,
  // main included, as a Relacy thread (dynamic_reason says why).
  bool static_threads = false;
  std::string dynamic_reason;
  std::string incomplete_reason;
  // The failing execution as recorded by the backend during Relacy's replay
  // of it, in protmc's trace form; and Relacy's own history text.
  Trace trace;
  std::string relacy_history;
};

// Runs the search. Never throws for model behaviour; internal bugs CHECK.
// Cost: one native execution to count threads, then the Relacy search in
// static-thread mode, then, if an execution showed that mode is not exact
// for the program, the search again with dynamic threads.
RelacyResult explore_with_relacy(const Program& program, const RelacyOptions& options);

const char* to_string(RelacySearch search);
const char* to_string(RelacyVerdict verdict);
std::optional<RelacySearch> parse_relacy_search(std::string_view text);

}  // namespace protmc::checker::relacy
