// Test helper: canonical forms of Mazurkiewicz traces, and an exploration
// driver that collects them.
//
// Two executions are equivalent iff they order every dependent pair of
// events the same way. The canonical form of an execution is the
// lexicographically least (by thread) linearisation of its dependency partial
// order: repeatedly take the next event of the lowest-numbered thread whose
// dependent predecessors have all been taken. Equivalent executions have the
// same partial order and so the same canonical form; executions with the same
// canonical form are both equivalent to it.
#pragma once

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "checker/explore/explorer.hpp"

namespace protmc::checker::testing {

inline std::vector<uint64_t> canonical_trace(const std::vector<uint64_t>& keys) {
  const size_t n = keys.size();
  std::vector<uint32_t> pending(n, 0);  // dependent predecessors not yet taken
  std::vector<std::vector<uint32_t>> successors(n);
  std::vector<std::vector<uint32_t>> by_thread;  // each thread's events, in order
  for (size_t j = 0; j < n; ++j) {
    for (size_t i = 0; i < j; ++i) {
      if (keys_dependent(keys[i], keys[j])) {
        ++pending[j];
        successors[i].push_back(static_cast<uint32_t>(j));
      }
    }
    const uint32_t thread = key_thread(keys[j]);
    if (thread >= by_thread.size()) by_thread.resize(thread + 1);
    by_thread[thread].push_back(static_cast<uint32_t>(j));
  }
  std::vector<size_t> next(by_thread.size(), 0);
  std::vector<uint64_t> canonical;
  canonical.reserve(n);
  while (canonical.size() < n) {
    bool took = false;
    for (size_t t = 0; t < by_thread.size() && !took; ++t) {
      if (next[t] == by_thread[t].size()) continue;
      const uint32_t e = by_thread[t][next[t]];
      if (pending[e] != 0) continue;
      ++next[t];
      canonical.push_back(keys[e]);
      for (uint32_t s : successors[e]) --pending[s];
      took = true;
    }
    // Program order is a dependency, so the earliest remaining event overall is
    // always available: failing here means keys_dependent is inconsistent.
    if (!took) return {};
  }
  return canonical;
}

// What one exploration saw, execution by execution.
struct Observed {
  ExploreResult result;
  uint64_t complete = 0;          // on_execution calls not sleep-set blocked
  uint64_t sleep_blocked = 0;     // on_execution calls that were
  uint64_t repeated_traces = 0;   // complete executions whose trace was seen before
  uint64_t broken_canonical = 0;  // executions canonical_trace could not order
  std::set<std::vector<uint64_t>> traces;
  std::set<std::pair<std::vector<uint64_t>, bool>> final_states;  // values, deadlocked
};

inline Observed observe(const Program& program, ExploreOptions options) {
  Observed seen;
  options.on_execution = [&seen](const ExecutionSummary& summary) {
    if (summary.sleep_blocked) {
      ++seen.sleep_blocked;
      return;
    }
    ++seen.complete;
    std::vector<uint64_t> canonical = canonical_trace(summary.event_keys);
    if (canonical.size() != summary.event_keys.size()) ++seen.broken_canonical;
    if (!seen.traces.insert(std::move(canonical)).second) ++seen.repeated_traces;
    seen.final_states.emplace(summary.final_values, summary.deadlocked);
  };
  seen.result = explore(program, options);
  return seen;
}

}  // namespace protmc::checker::testing
