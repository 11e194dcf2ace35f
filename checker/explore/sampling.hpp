// Sampling strategies for models too large to exhaust. Neither can prove a
// model correct: pruned() is always true, so a run without findings is
// reported as incomplete, never as a pass.
//
// - RandomPolicy: at each step a uniformly random enabled thread (and a
//   uniform choose value), seeded, so a run is reproducible from its seed.
// - PctPolicy: probabilistic concurrency testing (Burckhardt et al., ASPLOS
//   2010): random distinct thread priorities and depth-1 random priority
//   change points; finds a bug of depth d with probability >= 1/(n k^(d-1)).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "checker/runtime/policy.hpp"

namespace protmc::checker {

class RandomPolicy final : public SchedulingPolicy {
 public:
  explicit RandomPolicy(uint64_t seed) : rng_(seed) {}
  void begin_execution() override {}
  std::optional<Decision> pick(const SchedulingPoint& point) override;
  void on_step(const StepRecord& /*record*/) override {}
  void on_blocked_at_end(uint32_t /*thread*/, uint64_t /*pending_key*/) override {}
  bool next_execution() override { return true; }
  [[nodiscard]] bool pruned() const override { return true; }

 private:
  std::mt19937_64 rng_;
};

class PctPolicy final : public SchedulingPolicy {
 public:
  PctPolicy(uint64_t seed, uint32_t depth) : rng_(seed), depth_(depth) {}
  void begin_execution() override;
  std::optional<Decision> pick(const SchedulingPoint& point) override;
  void on_step(const StepRecord& record) override;
  void on_blocked_at_end(uint32_t /*thread*/, uint64_t /*pending_key*/) override {}
  bool next_execution() override { return true; }
  [[nodiscard]] bool pruned() const override { return true; }

 private:
  std::mt19937_64 rng_;
  uint32_t depth_;
  uint32_t expected_length_ = 64;  // k: grows to the longest execution seen
  uint32_t steps_ = 0;
  std::vector<uint64_t> priority_;  // per thread; higher runs first
  std::vector<uint32_t> change_points_;
  uint32_t changes_done_ = 0;
};

}  // namespace protmc::checker
