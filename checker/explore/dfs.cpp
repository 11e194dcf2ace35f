#include "checker/explore/dfs.hpp"

#include <algorithm>
#include <bit>

#include "checker/runtime/executor.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker {

std::optional<Decision> DfsPolicy::pick(const SchedulingPoint& point) {
  const uint32_t k = point.step;
  if (k < stack_.size()) {
    const Decision d = arena_[stack_[k].current].decision;
    CHECK_MSG(point.is_enabled(d.thread),
              "nondeterministic model: re-running a schedule prefix, the recorded thread is not "
              "enabled (does the model read a clock, a random number, or state kept across runs?)");
    return d;
  }
  const Alternative* parent = stack_.empty() ? nullptr : &arena_[stack_.back().current];
  const uint32_t previous = parent != nullptr ? parent->decision.thread : 0;
  const uint32_t so_far = parent != nullptr ? parent->preemptions : 0;
  const bool previous_enabled = parent != nullptr && point.is_enabled(previous);
  Node node;
  node.begin = node.current = static_cast<uint32_t>(arena_.size());
  // Under a bound the running thread goes first, so non-preemptive schedules come first.
  const bool bounded = preemption_bound_ != UINT32_MAX;
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t m = point.enabled_mask; m != 0; m &= m - 1) {
      const auto t = static_cast<uint32_t>(std::countr_zero(m));
      const bool is_previous = previous_enabled && t == previous;
      if (bounded && (pass == 0) != is_previous) continue;
      if (!bounded && pass == 1) continue;
      const uint32_t cost = so_far + ((previous_enabled && !is_previous) ? 1 : 0);
      if (cost > preemption_bound_) {
        pruned_ = true;
        continue;
      }
      const uint32_t arity = std::max<uint32_t>(1, point.executor->pending_arity(t));
      for (uint32_t v = 0; v < arity; ++v) arena_.push_back(Alternative{Decision{t, v}, cost});
    }
  }
  node.end = static_cast<uint32_t>(arena_.size());
  CHECK(node.end > node.begin);  // the running thread is never pruned
  stack_.push_back(node);
  return arena_[node.begin].decision;
}

bool DfsPolicy::next_execution() {
  while (!stack_.empty()) {
    Node& node = stack_.back();
    if (++node.current < node.end) return true;
    arena_.resize(node.begin);
    stack_.pop_back();
  }
  return false;
}

}  // namespace protmc::checker
