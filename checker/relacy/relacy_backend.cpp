// explore_with_relacy: thread-count dispatch, Relacy's search, verdict mapping.
#include "checker/relacy/relacy_backend.hpp"

#include <mutex>
#include <sstream>
#include <streambuf>

#include "checker/explore/explorer.hpp"
#include "checker/relacy/relacy_dispatch.hpp"
#include "checker/relacy/relacy_env.hpp"
#include "checker/support/check.hpp"
#include "checker/trace/finding.hpp"

namespace protmc::checker::relacy {
namespace {

using detail::ProgramSuite;
using detail::RelacySession;

// Discards Relacy's progress output.
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
};

// Threads the program uses (main included), from one native execution; at
// least 2, the smallest instantiation (Relacy's 1-thread one is never needed:
// a program without threads has nothing to interleave, but runs under 2).
uint32_t count_threads(const Program& program) {
  ExploreOptions options;
  options.strategy = Strategy::kDfs;
  options.bounds.max_executions = 1;
  options.detectors = Detectors{false, false, false};
  uint32_t threads = 2;
  options.on_execution = [&](const ExecutionSummary& summary) {
    for (const uint64_t key : summary.event_keys) threads = std::max(threads, key_thread(key) + 1);
  };
  (void)explore(program, options);
  return threads;
}

// `threads` counts main; in static mode main is not a Relacy thread.
rl::test_result_e run(bool static_threads, uint32_t threads, rl::test_params& params,
                      std::ostream& out, bool replay) {
  if (static_threads) return detail::run_static_suite(threads - 1, params, out, replay);
  return detail::dispatch_suite<ProgramSuite, kMaxRelacyThreads>(threads, params, out, replay);
}

rl::scheduler_type_e scheduler_of(RelacySearch search) {
  switch (search) {
    case RelacySearch::kRandom:
      return rl::sched_random;
    case RelacySearch::kContext:
      return rl::sched_bound;
    case RelacySearch::kFull:
      return rl::sched_full;
  }
  CHECK_MSG(false, "unknown RelacySearch");
}

// Relacy's own verdicts in protmc's property names.
std::string property_of(rl::test_result_e result) {
  switch (result) {
    case rl::test_result_data_race:
      return kDataRace;
    case rl::test_result_deadlock:
      return kDeadlock;
    case rl::test_result_livelock:
      return kLivelock;
    default:
      return kInternalError;
  }
}

// Runs one search with `threads` threads; the session holds what it found.
rl::test_result_e search_once(RelacySession& session, uint32_t threads, RelacyResult& result) {
  NullBuffer null_buffer;
  std::ostream null_stream(&null_buffer);
  rl::test_params params;
  params.search_type = scheduler_of(session.options.search);
  params.iteration_count = session.options.max_iterations;
  params.context_bound = session.options.context_bound;
  params.execution_depth_limit = session.options.execution_depth_limit;
  params.output_stream = &null_stream;
  params.progress_stream = &null_stream;
  session.thread_capacity = threads;
  session.start = std::chrono::steady_clock::now();
  std::ostringstream state;
  const rl::test_result_e outcome = run(session.static_threads, threads, params, state, false);
  result.executions = params.stop_iteration;
  if (outcome == rl::test_result_until_condition_hit) result.executions -= 1;
  if (outcome == rl::test_result_success || outcome == rl::test_result_until_condition_hit ||
      !session.error.empty() || session.needs_dynamic) {
    return outcome;
  }
  // Replay the failing execution with history on (recording in the Env too).
  std::ostringstream history;
  params.output_stream = &history;
  params.initial_state = state.str();
  params.collect_history = true;
  session.trace = Trace{};
  const rl::test_result_e replayed = run(session.static_threads, threads, params, history, true);
  CHECK_MSG(replayed == outcome, "Relacy's replay of the failing execution diverged");
  result.relacy_history = history.str();
  result.trace = std::move(session.trace);
  return outcome;
}

std::mutex& relacy_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

RelacyResult explore_with_relacy(const Program& program, const RelacyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RelacyResult result;
  uint32_t threads = count_threads(program);
  // Static threads first (main hoisted into before()/after(): far fewer
  // interleavings of main's spawns and joins); dynamic when that is not exact.
  bool static_threads = true;
  std::string dynamic_reason;
  std::lock_guard<std::mutex> serialised(relacy_mutex());
  for (;;) {
    if (threads > kMaxRelacyThreads) {
      result.error = "the program uses " + std::to_string(threads) +
                     " threads (main included); the Relacy backend supports at most " +
                     std::to_string(kMaxRelacyThreads);
      break;
    }
    RelacySession session;
    session.program = &program;
    session.options = options;
    session.static_threads = static_threads;
    detail::current_session() = &session;
    const rl::test_result_e outcome = search_once(session, threads, result);
    detail::current_session() = nullptr;
    result.threads = threads;
    result.static_threads = static_threads;
    result.dynamic_reason = dynamic_reason;
    if (session.needs_dynamic) {  // main's part cannot be hoisted: dynamic threads
      static_threads = false;
      dynamic_reason = session.dynamic_reason;
      result = RelacyResult{};
      continue;
    }
    if (!session.error.empty()) {  // more threads than counted: one more instantiation
      threads += 1;
      result = RelacyResult{};
      continue;
    }
    if (session.property) {
      result.verdict = RelacyVerdict::kViolation;
      result.property = *session.property;
      result.message = session.message;
    } else if (outcome == rl::test_result_success) {
      result.verdict =
          options.search == RelacySearch::kFull ? RelacyVerdict::kPass : RelacyVerdict::kIncomplete;
      if (options.search != RelacySearch::kFull) {
        result.incomplete_reason = std::string("a ") + to_string(options.search) +
                                   " search cannot show that no execution fails";
      }
    } else if (outcome == rl::test_result_until_condition_hit) {
      result.verdict = RelacyVerdict::kIncomplete;
      result.incomplete_reason = session.cap_reason;
    } else {
      result.verdict = RelacyVerdict::kViolation;
      result.property = property_of(outcome);
      result.message = std::string("Relacy: ") + rl::test_result_str(outcome);
    }
    break;
  }
  result.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

const char* to_string(RelacySearch search) {
  switch (search) {
    case RelacySearch::kRandom:
      return "random";
    case RelacySearch::kContext:
      return "context";
    case RelacySearch::kFull:
      return "full";
  }
  CHECK_MSG(false, "unknown RelacySearch");
}

const char* to_string(RelacyVerdict verdict) {
  switch (verdict) {
    case RelacyVerdict::kPass:
      return "pass";
    case RelacyVerdict::kViolation:
      return "violation";
    case RelacyVerdict::kIncomplete:
      return "incomplete";
  }
  CHECK_MSG(false, "unknown RelacyVerdict");
}

std::optional<RelacySearch> parse_relacy_search(std::string_view text) {
  if (text == "random") return RelacySearch::kRandom;
  if (text == "context") return RelacySearch::kContext;
  if (text == "full") return RelacySearch::kFull;
  return std::nullopt;
}

}  // namespace protmc::checker::relacy
