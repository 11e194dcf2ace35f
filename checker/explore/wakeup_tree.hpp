// Wakeup trees (Abdulla, Aronis, Jonsson, Sagonas: "Optimal Dynamic Partial
// Order Reduction", POPL 2014, section 6).
//
// A wakeup tree at a point E of the exploration is an ordered tree of event
// sequences still to be explored from E. Each node is one event, identified by
// its thread (the next event of a thread after a given prefix is unique), with
// its dependency key and, for choose(n) steps, the value. Inserting a
// sequence v skips it when some existing branch already covers it ("w ⊑ v")
// and otherwise adds the unmatched rest of v as a new rightmost branch.
//
// Nodes live in one arena per tree; removed branches are left as garbage until
// the tree is cleared, which keeps insertion allocation-free in steady state.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "checker/explore/event_key.hpp"

namespace protmc::checker {

struct WakeupEvent {
  uint32_t thread = 0;
  uint32_t value = 0;  // choose value; 0 for other events
  uint64_t key = 0;
  constexpr WakeupEvent() = default;
  // In this order (the fields are laid out for 16 bytes, not 24).
  constexpr WakeupEvent(uint32_t thread_index, uint64_t event_key, uint32_t choice)
      : thread(thread_index), value(choice), key(event_key) {}
};

// True when thread p, whose next event after E is `p_event`, is a weak
// initial of `v` after E: either p's first event in v has no dependent
// predecessor in v, or p does not occur in v and p_event commutes with all of v.
// Sets `index` to p's position in v, or -1 when absent. O(|v|).
// Inline: it runs for every sleeping thread at every race and at every level
// of every wakeup-tree insertion.
[[gnu::always_inline]] inline bool weak_initial(const WakeupEvent& p_event,
                                                std::span<const WakeupEvent> v, int& index) {
  index = -1;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i].thread == p_event.thread) {
      index = static_cast<int>(i);
      break;
    }
  }
  if (index < 0) {
    for (const WakeupEvent& e : v) {
      if (dependent(p_event.key, e.key)) return false;
    }
    return true;
  }
  // p occurs in v: its first event there must be this very event (same choice)
  // and must not depend on anything before it in v.
  const WakeupEvent& mine = v[static_cast<std::size_t>(index)];
  if (kind_of(mine.key) == KeyKind::kLocal && mine.value != p_event.value) return false;
  for (int i = 0; i < index; ++i) {
    if (dependent(v[static_cast<std::size_t>(i)].key, mine.key)) return false;
  }
  return true;
}

class WakeupTree {
 public:
  static constexpr int32_t kNone = -1;

  WakeupTree() = default;
  void clear() { nodes_.clear(); }
  // Heap bytes held (the arena's capacity), for caches deciding what to keep.
  [[nodiscard]] std::size_t capacity_bytes() const {
    return nodes_.capacity() * sizeof(Node) + copy_stack_.capacity() * sizeof(CopyPending);
  }
  [[nodiscard]] bool empty() const { return nodes_.empty() || nodes_[0].first_child == kNone; }

  // The first (leftmost) child of the root, which is explored next.
  [[nodiscard]] const WakeupEvent& first() const { return nodes_[nodes_[0].first_child].event; }
  // Whether any root child (other than the first) is for `thread`.
  [[nodiscard]] bool has_root_child_for(uint32_t thread, bool skip_first) const;
  // Whether a root child is `thread` with choose value `value`.
  [[nodiscard]] bool has_root_child(uint32_t thread, uint32_t value) const;
  // Appends `event` as a new rightmost root child (a leaf).
  void add_root_child(const WakeupEvent& event);
  // Removes the first root child and returns its event; the subtree below it
  // replaces `out`'s contents. O(1) when it was the only root child (the
  // arena itself is handed over), otherwise O(size of that subtree).
  WakeupEvent take_first(WakeupTree& out);

  // insert_[E](v): see the header comment. `v` is consumed.
  void insert(std::vector<WakeupEvent>& v) { insert(std::span<WakeupEvent>(v)); }
  // The same for v in place: its elements are reordered and overwritten.
  void insert(std::span<WakeupEvent> v);

  // For tests: the leftmost-first preorder sequences of every leaf.
  [[nodiscard]] std::vector<std::vector<WakeupEvent>> leaves() const;

 private:
  struct Node {
    WakeupEvent event;
    int32_t first_child = kNone;
    int32_t next_sibling = kNone;
  };
  void add_root();
  int32_t append_child(int32_t parent, const WakeupEvent& event);
  // Copies the siblings from `from_children` on, with their subtrees, as the
  // children of `out_parent` in `out`, which must have none yet.
  void copy_subtree(int32_t from_children, WakeupTree& out, int32_t out_parent) const;

  // nodes_[0] is the root once anything was added; an empty vector is an
  // empty tree, so fresh DPOR nodes cost no allocation.
  std::vector<Node> nodes_;
  // copy_subtree's work list, kept for its buffer (in the tree copied into).
  struct CopyPending {
    int32_t from;      // the next node to copy
    int32_t parent;    // its copy's parent in the destination
    int32_t previous;  // its copy's previous sibling there
  };
  std::vector<CopyPending> copy_stack_;
};

}  // namespace protmc::checker
