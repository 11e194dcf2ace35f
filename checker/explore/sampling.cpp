#include "checker/explore/sampling.hpp"

#include <algorithm>
#include <bit>

#include "checker/runtime/executor.hpp"

namespace protmc::checker {

namespace {
uint32_t uniform(std::mt19937_64& rng, uint32_t n) {
  return static_cast<uint32_t>(std::uniform_int_distribution<uint64_t>(0, n - 1)(rng));
}
}  // namespace

std::optional<Decision> RandomPolicy::pick(const SchedulingPoint& point) {
  // The k-th enabled thread in ascending order.
  uint32_t m = point.enabled_mask;
  for (uint32_t k = uniform(rng_, static_cast<uint32_t>(std::popcount(m))); k > 0; --k) m &= m - 1;
  const auto t = static_cast<uint32_t>(std::countr_zero(m));
  const uint32_t arity = point.executor->pending_arity(t);
  return Decision{t, arity > 1 ? uniform(rng_, arity) : 0};
}

void PctPolicy::begin_execution() {
  steps_ = 0;
  changes_done_ = 0;
  priority_.clear();
  change_points_.clear();
  for (uint32_t i = 1; i < depth_; ++i)
    change_points_.push_back(1 + uniform(rng_, expected_length_));
  std::sort(change_points_.begin(), change_points_.end());
}

std::optional<Decision> PctPolicy::pick(const SchedulingPoint& point) {
  const uint32_t threads = point.executor->thread_count();
  while (priority_.size() < threads) {
    // Initial priorities are above every change-point priority (< depth).
    priority_.push_back(depth_ + (rng_() >> 16));
  }
  // The enabled thread of highest priority; on a tie the lowest-numbered.
  auto best = [&] {
    uint32_t chosen = point.lowest_enabled();
    for (uint32_t m = point.enabled_mask & (point.enabled_mask - 1); m != 0; m &= m - 1) {
      const auto t = static_cast<uint32_t>(std::countr_zero(m));
      if (priority_[chosen] < priority_[t]) chosen = t;
    }
    return chosen;
  };
  uint32_t t = best();
  while (changes_done_ < change_points_.size() && change_points_[changes_done_] <= steps_) {
    priority_[t] = depth_ - 1 - changes_done_;  // demote below every initial priority
    ++changes_done_;
    t = best();
  }
  const uint32_t arity = point.executor->pending_arity(t);
  return Decision{t, arity > 1 ? uniform(rng_, arity) : 0};
}

void PctPolicy::on_step(const StepRecord& /*record*/) {
  ++steps_;
  expected_length_ = std::max(expected_length_, steps_);
}

}  // namespace protmc::checker
