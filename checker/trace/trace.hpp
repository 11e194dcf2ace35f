// A recorded execution: every visible event with what a reviewer needs to
// read it. Produced only when a counterexample is re-run with recording on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/trace/finding.hpp"
#include "checker/trace/schedule.hpp"

namespace protmc::checker {

struct TraceEvent {
  uint32_t step = 0;
  uint32_t thread = 0;
  std::string thread_name;
  std::string operation;                // e.g. "load", "WRITE_ONCE", "lock", "spawn"
  std::string object;                   // variable, lock or thread name
  std::optional<uint64_t> value;        // value read or written, choice made
  std::vector<std::string> functions;   // model call stack, outermost first
  std::vector<std::string> locks_held;  // after the event
  std::vector<std::string> notes;       // model annotations (PTE before/after)
};

struct Trace {
  std::vector<std::string> thread_names;
  std::vector<TraceEvent> events;
};

}  // namespace protmc::checker
