// Optimal DPOR with source sets, sleep sets and wakeup trees (Abdulla, Aronis,
// Jonsson, Sagonas, POPL 2014 / JACM 2017), as a SchedulingPolicy.
//
// Stateless: every execution re-runs the program from the start. The policy
// keeps one node per position of the current execution: the sleep set on
// entry, the children already explored ("done"), and the wakeup tree of
// sequences still to explore there. During an execution it maintains
// happens-before as vector clocks over the dependency relation of
// event_key.hpp and, for every new event e', finds the events e it races with
// (e → e' directly, different threads, e' could have gone first) and inserts
// notdep(e).e' into the wakeup tree before e unless a sleeping or explored
// thread is a weak initial of it. Lock acquisitions race with earlier
// acquisitions of the lock, not with its releases (which cannot be
// reordered), and a request still blocked at a deadlock races with the
// holder's acquisition.
//
// Guarantee: every Mazurkiewicz trace is explored exactly once; with locks a
// few sleep-set-blocked executions can remain, and they are counted.
// Per step: O(threads) for clocks, plus O(distance) per detected race.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "checker/explore/wakeup_tree.hpp"
#include "checker/runtime/policy.hpp"
#include "checker/support/grown_at.hpp"
#include "checker/support/ids.hpp"

namespace protmc::checker {

class DporPolicy final : public SchedulingPolicy {
 public:
  DporPolicy();
  // Back to the state of a new policy for a new exploration, keeping the
  // buffers (node stack, wakeup-tree arenas, event and clock arrays).
  void reset();
  // Destroys the nodes past the first `nodes` (with their wakeup-tree
  // arenas), keeping the node array's capacity: for a cache, so that a kept
  // policy's node walk (retains_at_most) and buffers stay bounded after a
  // long execution. Only between explorations (reset() follows).
  void drop_nodes_past(std::size_t nodes);
  // Whether the buffers hold at most `limit` heap bytes, for a cache
  // deciding whether to keep it. O(nodes) at worst, O(1) when the arrays
  // alone are over the limit.
  [[nodiscard]] bool retains_at_most(std::size_t limit) const;
  void begin_execution() override;
  std::optional<Decision> pick(const SchedulingPoint& point) override;
  void on_step(const StepRecord& record) override;
  void on_spawn(uint32_t parent, uint32_t child) override;
  void on_join(uint32_t joiner, uint32_t joined) override;
  void on_blocked_at_end(uint32_t thread, uint64_t pending_key) override;
  bool next_execution() override;
  [[nodiscard]] bool pruned() const override { return false; }

 private:
  using Clock = std::array<uint32_t, kMaxThreads>;

  // A set of threads, each with the key of its next event (a thread has one
  // next event at a given point, so one key each): a bit mask and the
  // members' keys in ascending thread order, compact because every step of
  // an execution has a node. O(1) membership, O(members) insertion.
  struct ThreadKeys {
    uint32_t mask = 0;
    std::vector<uint64_t> keys;
    [[nodiscard]] bool contains(uint32_t thread) const { return ((mask >> thread) & 1U) != 0; }
    void clear() {
      mask = 0;
      keys.clear();
    }
    // `thread` is not a member.
    void add(uint32_t thread, uint64_t k) {
      // The members below `thread`: a popcount by bit arithmetic (baseline
      // x86-64 has no popcnt instruction; std::popcount calls libgcc).
      uint32_t x = mask & ((1U << thread) - 1U);
      x = x - ((x >> 1) & 0x55555555U);
      x = (x & 0x33333333U) + ((x >> 2) & 0x33333333U);
      const uint32_t rank = (((x + (x >> 4)) & 0x0f0f0f0fU) * 0x01010101U) >> 24;
      keys.insert(keys.begin() + rank, k);
      mask |= 1U << thread;
    }
  };
  struct Node {
    // Asleep on entry: the threads (bits) and their next events' keys, which
    // are sleep_pool_[sleep_keys, sleep_keys + sleep_count) in thread
    // order. A node's sleep set never changes once it is entered, so the
    // nodes of the stack keep theirs back to back in one LIFO pool.
    uint32_t sleep = 0;
    uint32_t sleep_keys = 0;
    uint32_t sleep_count = 0;  // popcount(sleep), kept: baseline x86-64 has no popcnt
    ThreadKeys done;           // threads whose branches here are explored (empty at most nodes)
    WakeupTree wut;
    Decision chosen;
    uint64_t chosen_key = 0;  // the chosen thread's pending (conservative) key
    bool has_choice = false;
    uint32_t expanded = 0;  // threads (bits) whose choose values were all queued here
  };
  struct Event {
    uint32_t thread;
    uint32_t index;  // position among its thread's events
    uint64_t key;
    uint32_t value;
    uint32_t width;         // clock entries stored for it (threads that existed then)
    uint32_t clock_offset;  // where they start in clocks_
  };
  struct VarHistory {
    int32_t last_write = -1;
    std::vector<int32_t> reads;  // latest read per thread since last_write
    uint32_t readers = 0;        // the threads (bits) with an entry in reads
  };
  // What DPOR remembers of a lock during one execution. Two views: the
  // acquisition view (which acquisitions an acquisition that needs the lock
  // free can be moved before) and the state view (every step that changed the
  // lock's state, for a writer-preferring down_write's first step, which is
  // enabled in every state and so can be moved before any of them).
  struct LockHistory {
    int32_t last_state_change =
        -1;  // latest exclusive-kind step (acquire, queue, release, failed try)
    std::vector<int32_t> shared_ops;  // latest shared acquire/release per thread since
    int32_t last_exclusive = -1;      // latest exclusive acquisition or writer queueing
    int32_t reader_blocker = -1;      // latest step that made shared acquisition impossible
    int32_t last_release = -1;        // latest exclusive release
    // Per reading thread since last_exclusive: the acquisition that began its
    // current hold (recursive read locks nest), its latest acquisition, depth.
    struct SharedHold {
      int32_t first;
      int32_t latest;
      uint32_t depth;
    };
    std::vector<SharedHold> shared;
    std::vector<int32_t> shared_rels;   // shared releases since last_exclusive
    std::vector<int32_t> failed_tries;  // failed trylocks since the last acquisition
  };

  // A stack of trivially copyable values whose push is a compare, a store and
  // an increment, inline, and whose truncation is one store (std::vector's
  // push_back and resize tend to stay out-of-line calls in these hot paths).
  template <class T>
  class Stack {
   public:
    void clear() { size_ = 0; }
    void truncate(std::size_t size) { size_ = size; }  // size <= this->size()
    void push(T value) {
      if (size_ == buf_.size()) [[unlikely]]
        grow();
      buf_[size_++] = value;
    }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] std::size_t capacity_bytes() const { return buf_.capacity() * sizeof(T); }
    [[nodiscard]] const T* begin() const { return buf_.data(); }
    [[nodiscard]] const T* end() const { return buf_.data() + size_; }
    const T& operator[](std::size_t i) const { return buf_[i]; }

   private:
    [[gnu::noinline]] void grow() { buf_.resize(buf_.empty() ? 16 : 2 * buf_.size()); }
    std::vector<T> buf_;
    std::size_t size_ = 0;
  };
  using PosList = Stack<int32_t>;

  [[nodiscard]] const uint32_t* clock_of(int32_t pos) const {
    return &clocks_[events_[static_cast<std::size_t>(pos)].clock_offset];
  }
  [[nodiscard]] bool happens_before(int32_t pos, const Clock& clock) const {
    const Event& e = events_[static_cast<std::size_t>(pos)];
    return clock[e.thread] > e.index;
  }
  void join(Clock& clock, int32_t pos) const;
  // The races of a new event (executed at `pos`, or pending when pos == -1)
  // with the clock `clock` before its own dependencies are joined. Joins the
  // dependencies into `clock` and updates the object histories when pos >= 0.
  // Every kind but a read (analyse_read).
  void analyse(const StepRecord& record, Clock& clock, int32_t pos, bool detect);
  // The same for an executed read (pos >= 0), the commonest step.
  void analyse_read(const StepRecord& record, Clock& clock, int32_t pos, bool detect);
  // Records read `pos` by `thread` as the thread's latest since the last write.
  [[gnu::always_inline]] inline void add_read(VarHistory& h, int32_t pos, uint32_t thread);
  void race(int32_t earlier, const WakeupEvent& later, int32_t later_pos);
  // The history of a variable or lock, growing the table on first use.
  VarHistory& var(uint32_t index) { return grown_at(vars_, index); }
  LockHistory& lock(uint32_t index) { return grown_at(locks_, index); }

  // Nodes [0, depth_) are live; the ones above keep their buffers for reuse,
  // so that steady-state exploration does not allocate per step.
  std::vector<Node> stack_;
  std::size_t depth_ = 0;
  Stack<uint64_t> sleep_pool_;  // the live nodes' sleep-set keys (Node::sleep_keys)
  Node& push_node();
  [[gnu::noinline]] void grow_stack();
  uint32_t replay_until_ = 0;  // positions below this replay stack_[i].chosen
  WakeupTree next_subtree_;    // wakeup subtree for the node after the current pick

  // Per execution.
  std::vector<Event> events_;
  std::vector<uint32_t> clocks_;  // each event's `width` clock entries, back to back
  std::size_t clocks_used_ = 0;
  std::vector<Clock> thread_clock_;
  uint32_t zero_clocks_ = ~0U;  // threads (bits) whose clock is known to be all zero
  // Per thread: ended threads it joined whose clocks are not yet joined into its own.
  std::array<uint32_t, kMaxThreads> pending_joins_{};
  uint32_t joiners_ = 0;  // threads (bits) whose pending_joins_ entry may be non-zero
  // Joins the clocks of `thread`'s pending joins into its own; O(1) when none.
  void settle_joins(uint32_t thread) {
    if (pending_joins_[thread] != 0) settle_pending_joins(thread);
  }
  void settle_pending_joins(uint32_t joiner);
  uint32_t width_ = 1;  // threads created so far: clock entries in use
  std::vector<uint32_t> thread_events_;
  std::vector<VarHistory> vars_;
  std::vector<LockHistory> locks_;
  std::vector<WakeupEvent> scratch_;
  PosList candidates_;    // analyse(): possible races of the new event
  PosList dependencies_;  // analyse(): the steps it directly depends on
};

}  // namespace protmc::checker
