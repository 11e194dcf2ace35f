#include "checker/explore/wakeup_tree.hpp"

#include <algorithm>
#include <utility>

#include "checker/explore/event_key.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker {

bool WakeupTree::has_root_child_for(uint32_t thread, bool skip_first) const {
  if (nodes_.empty()) return false;
  int32_t c = nodes_[0].first_child;
  if (skip_first && c != kNone) c = nodes_[c].next_sibling;
  for (; c != kNone; c = nodes_[c].next_sibling) {
    if (nodes_[c].event.thread == thread) return true;
  }
  return false;
}

bool WakeupTree::has_root_child(uint32_t thread, uint32_t value) const {
  if (nodes_.empty()) return false;
  for (int32_t c = nodes_[0].first_child; c != kNone; c = nodes_[c].next_sibling) {
    if (nodes_[c].event.thread == thread && nodes_[c].event.value == value) return true;
  }
  return false;
}

void WakeupTree::add_root() {
  // Most trees stay small: one allocation for them instead of doublings from 1.
  if (nodes_.capacity() == 0) nodes_.reserve(16);
  nodes_.push_back(Node{});
}

int32_t WakeupTree::append_child(int32_t parent, const WakeupEvent& event) {
  if (nodes_.empty()) add_root();
  const auto id = static_cast<int32_t>(nodes_.size());
  nodes_.push_back(Node{event, kNone, kNone});
  int32_t c = nodes_[parent].first_child;
  if (c == kNone) {
    nodes_[parent].first_child = id;
  } else {
    while (nodes_[c].next_sibling != kNone) c = nodes_[c].next_sibling;
    nodes_[c].next_sibling = id;
  }
  return id;
}

void WakeupTree::add_root_child(const WakeupEvent& event) { append_child(0, event); }

void WakeupTree::copy_subtree(int32_t from_children, WakeupTree& out, int32_t out_parent) const {
  // Iterative, preorder (children in order): a branch can be as long as an
  // execution, and this runs on a model thread's stack (the scheduler runs
  // there; see executor.hpp), so recursion depth must not follow branch length.
  // A chain of only children (the common shape) needs no work list at all.
  if (out.nodes_.empty()) out.add_root();
  CHECK(out.nodes_[out_parent].first_child == kNone);
  std::vector<CopyPending>& pending = out.copy_stack_;
  pending.clear();
  int32_t from = from_children;
  int32_t parent = out_parent;
  int32_t previous = kNone;  // the copy's previous sibling
  while (true) {
    if (from == kNone) {
      if (pending.empty()) return;
      const CopyPending next = pending.back();
      pending.pop_back();
      from = next.from;
      parent = next.parent;
      previous = next.previous;
    }
    const Node& node = nodes_[from];
    const auto copy = static_cast<int32_t>(out.nodes_.size());
    out.nodes_.push_back(Node{node.event, kNone, kNone});
    if (previous == kNone) {
      out.nodes_[parent].first_child = copy;
    } else {
      out.nodes_[previous].next_sibling = copy;
    }
    // Its next sibling comes after its whole subtree.
    if (node.next_sibling != kNone) pending.push_back({node.next_sibling, parent, copy});
    from = node.first_child;
    parent = copy;
    previous = kNone;
  }
}

WakeupEvent WakeupTree::take_first(WakeupTree& out) {
  const int32_t first = nodes_[0].first_child;
  CHECK(first != kNone);
  const WakeupEvent event = nodes_[first].event;
  const int32_t rest = nodes_[first].next_sibling;
  if (rest == kNone) {
    // The only branch: re-root the arena below it and hand the arena over
    // (the old root and `first` stay behind as garbage), no copy.
    nodes_[0].first_child = nodes_[first].first_child;
    std::swap(nodes_, out.nodes_);
    nodes_.clear();
  } else {
    out.clear();
    copy_subtree(nodes_[first].first_child, out, 0);
    nodes_[0].first_child = rest;
  }
  return event;
}

void WakeupTree::insert(std::span<WakeupEvent> v) {
  if (nodes_.empty()) add_root();
  int32_t node = 0;
  std::size_t size = v.size();  // v[0, size) is what is left of v
  while (true) {
    if (size == 0) return;  // an existing branch already extends v
    if (node != 0 && nodes_[node].first_child == kNone) return;  // a leaf w with w ⊑ v
    bool descended = false;
    for (int32_t c = nodes_[node].first_child; c != kNone; c = nodes_[c].next_sibling) {
      int index = -1;
      if (weak_initial(nodes_[c].event, v.first(size), index)) {
        if (index >= 0) {
          std::copy(v.begin() + index + 1, v.begin() + static_cast<std::ptrdiff_t>(size),
                    v.begin() + index);
          --size;
        }
        node = c;
        descended = true;
        break;
      }
    }
    if (!descended) break;
  }
  for (const WakeupEvent& e : v.first(size)) node = append_child(node, e);
}

std::vector<std::vector<WakeupEvent>> WakeupTree::leaves() const {
  std::vector<std::vector<WakeupEvent>> out;
  if (nodes_.empty()) return out;
  std::vector<WakeupEvent> path;
  auto walk = [&](auto&& self, int32_t n) -> void {
    if (n != 0) path.push_back(nodes_[n].event);
    if (nodes_[n].first_child == kNone) {
      if (n != 0) out.push_back(path);
    } else {
      for (int32_t c = nodes_[n].first_child; c != kNone; c = nodes_[c].next_sibling) self(self, c);
    }
    if (n != 0) path.pop_back();
  };
  walk(walk, 0);
  return out;
}

}  // namespace protmc::checker
