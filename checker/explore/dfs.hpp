// Exhaustive depth-first exploration of every interleaving, without
// reduction: the reference the DPOR tests compare against. With a preemption
// bound, schedules that switch away from a still-enabled thread more than
// `preemption_bound` times are skipped, and pruned() says so.
#pragma once

#include <cstdint>
#include <vector>

#include "checker/runtime/policy.hpp"

namespace protmc::checker {

class DfsPolicy final : public SchedulingPolicy {
 public:
  explicit DfsPolicy(uint32_t preemption_bound) : preemption_bound_(preemption_bound) {}
  void begin_execution() override {}
  std::optional<Decision> pick(const SchedulingPoint& point) override;
  void on_step(const StepRecord& /*record*/) override {}
  void on_blocked_at_end(uint32_t /*thread*/, uint64_t /*pending_key*/) override {}
  bool next_execution() override;
  [[nodiscard]] bool pruned() const override { return pruned_; }

 private:
  // A node's alternatives live in one stack-ordered arena: [begin, end).
  struct Alternative {
    Decision decision;
    uint32_t preemptions;  // preemptions so far if this alternative is taken
  };
  struct Node {
    uint32_t begin = 0;
    uint32_t end = 0;
    uint32_t current = 0;  // index into the arena
  };
  uint32_t preemption_bound_;
  bool pruned_ = false;
  std::vector<Node> stack_;
  std::vector<Alternative> arena_;
};

}  // namespace protmc::checker
