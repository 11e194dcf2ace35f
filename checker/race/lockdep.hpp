// Lock-order inversion detection, lockdep-style.
//
// A graph over lock classes (named by the model: "mmap_sem", "resv", "ptl")
// accumulated over every explored execution: acquiring class B while holding
// class A adds the edge A → B with the acquisition path (thread and model call
// stack). An edge that closes a cycle is a potential deadlock even if no
// explored execution deadlocked; each cycle is reported once. Cycles made only
// of shared (read) acquisitions are not reported. Nesting two locks of one
// class is not tracked (the model orders instances of one class itself).
//
// Cost: O(held locks) per acquisition when the edges exist already; a new
// edge costs a graph search, O(classes + edges).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checker/trace/finding.hpp"

namespace protmc::checker {

class LockGraph {
 public:
  struct Held {
    uint32_t lock_class;
    bool shared;
  };

  uint32_t intern(std::string_view lock_class);
  [[nodiscard]] const std::string& class_name(uint32_t id) const { return names_[id]; }

  // Records edges from every held class to `acquired`. `describe` renders the
  // acquisition path; it is called only when a new edge is added.
  template <typename Describe>
  std::optional<LockOrderInversion> on_acquire(const std::vector<Held>& held, uint32_t acquired,
                                               bool shared, Describe&& describe) {
    std::optional<LockOrderInversion> found;
    for (const Held& h : held) {
      if (h.lock_class == acquired || has_edge(h.lock_class, acquired)) continue;
      auto inversion = add_edge(h.lock_class, acquired, shared && h.shared, describe());
      if (inversion && !found) found = std::move(inversion);
    }
    return found;
  }

  [[nodiscard]] std::size_t edge_count() const;
  // A copy without the edge from -> to and without the memory of having
  // reported its cycle: re-running the execution that added the edge against
  // it reproduces the finding.
  [[nodiscard]] LockGraph without_edge(std::string_view from, std::string_view to) const;

 private:
  struct Edge {
    uint32_t to;
    bool shared_only;
    std::vector<std::string> path;
  };
  [[nodiscard]] bool has_edge(uint32_t from, uint32_t to) const;
  std::optional<LockOrderInversion> add_edge(uint32_t from, uint32_t to, bool shared_only,
                                             std::vector<std::string> path);
  // A path of edges from `from` to `to`, as edge pointers; empty if none.
  [[nodiscard]] std::vector<const Edge*> find_path(uint32_t from, uint32_t to) const;

  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  std::vector<std::vector<Edge>> edges_;
  std::vector<std::pair<uint32_t, uint32_t>> reported_;
};

}  // namespace protmc::checker
