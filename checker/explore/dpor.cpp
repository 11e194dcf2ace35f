#include "checker/explore/dpor.hpp"

#include <algorithm>
#include <bit>

#include "checker/explore/event_key.hpp"
#include "checker/runtime/executor.hpp"
#include "checker/support/check.hpp"
#include "checker/support/clock_max.hpp"

namespace protmc::checker {

DporPolicy::DporPolicy() {
  // One allocation each for what a small program's first execution needs,
  // instead of a series of doublings (an exploration of a small program is
  // a few dozen executions, so its setup is a visible part of each).
  stack_.reserve(32);
  events_.reserve(64);
  clocks_.resize(512);
  thread_clock_.reserve(kMaxThreads);
  thread_events_.reserve(kMaxThreads);
  scratch_.reserve(32);
}

void DporPolicy::reset() {
  depth_ = 0;
  sleep_pool_.clear();
  replay_until_ = 0;
  next_subtree_.clear();
  events_.clear();
  clocks_used_ = 0;
  for (Clock& clock : thread_clock_) clock.fill(0);
  zero_clocks_ = ~0U;
  pending_joins_.fill(0);
  joiners_ = 0;
  width_ = 1;
  // Another program's variables and locks: dropped, so that a large earlier
  // program does not lengthen this one's per-execution resets.
  vars_.clear();
  locks_.clear();
}

void DporPolicy::drop_nodes_past(std::size_t nodes) {
  if (stack_.size() > nodes)
    stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(nodes), stack_.end());
  depth_ = std::min(depth_, nodes);
}

bool DporPolicy::retains_at_most(std::size_t limit) const {
  // The arrays first: after a long execution they alone exceed the limit,
  // and the walk over every node's buffers (megabytes then) is skipped.
  std::size_t bytes = stack_.capacity() * sizeof(Node) + events_.capacity() * sizeof(Event) +
                      clocks_.capacity() * sizeof(uint32_t) +
                      thread_clock_.capacity() * sizeof(Clock) + next_subtree_.capacity_bytes() +
                      sleep_pool_.capacity_bytes();
  for (const Node& node : stack_) {
    if (bytes > limit) return false;
    bytes += node.wut.capacity_bytes() + node.done.keys.capacity() * sizeof(uint64_t);
  }
  return bytes <= limit;
}

void DporPolicy::begin_execution() {
  events_.clear();
  clocks_used_ = 0;
  // Entries from width_ on are zero in every thread clock (so that spawns and
  // joins touch only width_ entries): clear the prefix the last execution
  // used, in the clocks it made non-zero.
  for (uint32_t m = ~zero_clocks_; m != 0; m &= m - 1) {
    clock_clear(thread_clock_[static_cast<uint32_t>(std::countr_zero(m))].data(),
                clock_padded(width_));
  }
  zero_clocks_ = ~0U;
  for (uint32_t m = joiners_; m != 0; m &= m - 1) pending_joins_[std::countr_zero(m)] = 0;
  joiners_ = 0;
  if (thread_clock_.empty()) thread_clock_.resize(1, Clock{});
  thread_events_.assign(1, 0);
  for (auto& v : vars_) {
    v.last_write = -1;
    v.reads.clear();
    v.readers = 0;
  }
  for (auto& l : locks_) {
    l.last_exclusive = -1;
    l.last_state_change = -1;
    l.shared_ops.clear();
    l.reader_blocker = -1;
    l.last_release = -1;
    l.shared.clear();
    l.shared_rels.clear();
    l.failed_tries.clear();
  }
  width_ = 1;
  if (depth_ == 0) push_node();
}

void DporPolicy::grow_stack() { stack_.emplace_back(); }

DporPolicy::Node& DporPolicy::push_node() {
  if (depth_ == stack_.size()) [[unlikely]]
    grow_stack();
  Node& node = stack_[depth_++];
  // Its sleep keys go after its parent's, the topmost in the pool.
  const std::size_t index = depth_ - 1;
  if (index == 0) {
    node.sleep_keys = 0;
  } else {
    const Node& parent = stack_[index - 1];
    node.sleep_keys = parent.sleep_keys + parent.sleep_count;
  }
  sleep_pool_.truncate(node.sleep_keys);
  node.sleep = 0;
  node.sleep_count = 0;
  node.done.clear();
  node.wut.clear();
  node.has_choice = false;
  node.expanded = 0;
  return node;
}

std::optional<Decision> DporPolicy::pick(const SchedulingPoint& point) {
  const uint32_t k = point.step;
  CHECK(k < depth_);
  Node& node = stack_[k];
  if (k < replay_until_) {
    CHECK_MSG(point.is_enabled(node.chosen.thread),
              "nondeterministic model: re-running a schedule prefix, the recorded thread is not "
              "enabled (does the model read a clock, a random number, or state kept across runs?)");
    return node.chosen;
  }
  WakeupEvent first;
  if (node.wut.empty()) {
    // A fresh node: explore any enabled thread that is not asleep.
    const uint32_t awake = point.enabled_mask & ~node.sleep;
    if (awake == 0) return std::nullopt;
    first = WakeupEvent{static_cast<uint32_t>(std::countr_zero(awake)), 0, 0};  // the lowest
    next_subtree_.clear();
  } else {
    // The first branch of the wakeup tree leaves the tree while it is explored:
    // insertions never descend into it (its event races with every inserted
    // sequence's last event), so it need not stay as a placeholder.
    first = node.wut.take_first(next_subtree_);
  }
  CHECK_MSG(point.is_enabled(first.thread),
            "DPOR wakeup sequence names a thread that is not enabled");
  node.chosen = Decision{first.thread, first.value};
  node.chosen_key = point.executor->pending_key(first.thread);
  node.has_choice = true;
  // choose(n): every value is explored from this node, one branch each.
  const uint32_t arity = point.executor->pending_arity(first.thread);
  if (arity > 1 && (node.expanded & (1U << first.thread)) == 0) {
    node.expanded |= 1U << first.thread;
    for (uint32_t v = 0; v < arity; ++v) {
      if (v != first.value && !node.wut.has_root_child(first.thread, v))
        node.wut.add_root_child(WakeupEvent{first.thread, node.chosen_key, v});
    }
  }
  return node.chosen;
}

void DporPolicy::on_step(const StepRecord& record) {
  const uint32_t t = record.thread;
  const auto pos = static_cast<int32_t>(events_.size());
  // The thread's clock becomes the event's clock in place (analyse never
  // reads the stepping thread's own entry of thread_clock_ otherwise).
  settle_joins(t);
  Clock& clock = thread_clock_[t];
  const uint32_t index = thread_events_[t]++;
  clock[t] = index + 1;
  zero_clocks_ &= ~(1U << t);
  if (kind_of(record.key) == KeyKind::kRead) {
    analyse_read(record, clock, pos, record.step >= replay_until_);
  } else {
    analyse(record, clock, pos, record.step >= replay_until_);
  }
  // The branch's event as it executed: a trylock or CAS announces the
  // conservative key but may fail, and a failed trylock commutes with other
  // failed trylocks. The done and sleep sets need the executed form, or a
  // sleeping failed trylock is woken by another one and explored again.
  if (record.step < stack_.size()) stack_[record.step].chosen_key = record.key;
  const auto offset = static_cast<uint32_t>(clocks_used_);
  events_.push_back(Event{t, index, record.key, record.value, width_, offset});
  // Stored padded to a multiple of four, with the thread clock's zero
  // entries from width_ on, for clock_max_into.
  const uint32_t padded = clock_padded(width_);
  clocks_used_ += padded;
  if (clocks_.size() < clocks_used_) clocks_.resize(std::max(clocks_used_, 2 * clocks_.size()));
  clock_copy(&clocks_[offset], clock.data(), padded);
  if (record.step >= replay_until_) {
    // Enter the next node: its sleep set is what stays independent of this step.
    CHECK(depth_ == record.step + 1);
    Node& next = push_node();
    const Node& parent = stack_[record.step];
    // Over both (disjoint) sets in ascending thread order, so the kept
    // members' keys are appended in order.
    uint32_t in_sleep = parent.sleep_keys;
    std::size_t in_done = 0;
    for (uint32_t m = parent.sleep | parent.done.mask; m != 0; m &= m - 1) {
      const auto s = static_cast<uint32_t>(std::countr_zero(m));
      const uint64_t key =
          ((parent.sleep >> s) & 1U) != 0 ? sleep_pool_[in_sleep++] : parent.done.keys[in_done++];
      if (s != t && !dependent(key, record.key)) {
        next.sleep |= 1U << s;
        ++next.sleep_count;
        sleep_pool_.push(key);
      }
    }
    std::swap(next.wut, next_subtree_);
  }
}

void DporPolicy::on_spawn(uint32_t parent, uint32_t child) {
  if (thread_clock_.size() <= child) {
    thread_clock_.resize(child + 1, Clock{});
    thread_events_.resize(child + 1, 0);
  }
  // The child's clock is zero (begin_execution; thread indices are not
  // reused within an execution): copy the parent's unless it is zero too, as
  // main's is while it spawns its first threads.
  settle_joins(parent);
  if ((zero_clocks_ >> parent & 1U) == 0) {
    clock_copy(thread_clock_[child].data(), thread_clock_[parent].data(), clock_padded(width_));
    zero_clocks_ &= ~(1U << child);
  }
  thread_events_[child] = 0;
  width_ = std::max(width_, child + 1);
}

void DporPolicy::on_join(uint32_t joiner, uint32_t joined) {
  // Joined when the joiner next needs its clock: a thread that ends after its
  // joins, as main usually does, never pays for them. The joined thread has
  // ended, so its clock no longer changes.
  pending_joins_[joiner] |= 1U << joined;
  joiners_ |= 1U << joiner;
}

void DporPolicy::settle_pending_joins(uint32_t joiner) {
  const uint32_t pending = pending_joins_[joiner];
  pending_joins_[joiner] = 0;
  for (uint32_t m = pending; m != 0; m &= m - 1) {
    const auto joined = static_cast<uint32_t>(std::countr_zero(m));
    settle_joins(joined);  // what the joined thread joined before it ended
    if ((zero_clocks_ >> joined & 1U) != 0) continue;
    // Entries from width_ on are zero in both clocks.
    clock_max_into(thread_clock_[joiner].data(), thread_clock_[joined].data(),
                   clock_padded(width_));
    zero_clocks_ &= ~(1U << joiner);
  }
}

void DporPolicy::on_blocked_at_end(uint32_t thread, uint64_t pending_key) {
  settle_joins(thread);
  Clock clock = thread_clock_[thread];
  clock[thread] = thread_events_[thread] + 1;
  StepRecord pending;
  pending.thread = thread;
  pending.key = pending_key;
  analyse(pending, clock, -1, true);
}

bool DporPolicy::next_execution() {
  // The node after the last step was never branched from.
  while (depth_ > 0 && !stack_[depth_ - 1].has_choice) --depth_;
  while (depth_ > 0) {
    Node& node = stack_[depth_ - 1];
    const uint32_t t = node.chosen.thread;
    node.has_choice = false;
    if (!node.wut.empty()) {
      // Explored from here unless a branch for it is still queued (another
      // choose value). Only a node that stays needs its done set.
      if (!node.wut.has_root_child_for(t, false)) {
        CHECK(((node.sleep >> t) & 1U) == 0);  // a sleeping thread is never chosen
        node.done.add(t, node.chosen_key);
      }
      replay_until_ = static_cast<uint32_t>(depth_ - 1);
      return true;
    }
    --depth_;
  }
  return false;
}

}  // namespace protmc::checker
