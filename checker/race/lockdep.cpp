#include "checker/race/lockdep.hpp"

#include <algorithm>

namespace protmc::checker {

uint32_t LockGraph::intern(std::string_view lock_class) {
  auto it = ids_.find(std::string(lock_class));
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(names_.size());
  ids_.emplace(std::string(lock_class), id);
  names_.emplace_back(lock_class);
  edges_.emplace_back();
  return id;
}

bool LockGraph::has_edge(uint32_t from, uint32_t to) const {
  return std::any_of(edges_[from].begin(), edges_[from].end(),
                     [to](const Edge& e) { return e.to == to; });
}

std::size_t LockGraph::edge_count() const {
  std::size_t n = 0;
  for (const auto& out : edges_) n += out.size();
  return n;
}

LockGraph LockGraph::without_edge(std::string_view from, std::string_view to) const {
  LockGraph copy = *this;
  auto a = ids_.find(std::string(from));
  auto b = ids_.find(std::string(to));
  if (a == ids_.end() || b == ids_.end()) return copy;
  std::erase_if(copy.edges_[a->second], [&](const Edge& e) { return e.to == b->second; });
  const std::pair<uint32_t, uint32_t> key{std::min(a->second, b->second),
                                          std::max(a->second, b->second)};
  std::erase(copy.reported_, key);
  return copy;
}

std::vector<const LockGraph::Edge*> LockGraph::find_path(uint32_t from, uint32_t to) const {
  // Breadth-first, remembering the edge that reached each class.
  std::vector<const Edge*> via(names_.size(), nullptr);
  std::vector<uint32_t> parent(names_.size(), UINT32_MAX);
  std::vector<uint32_t> queue{from};
  std::vector<bool> seen(names_.size(), false);
  seen[from] = true;
  for (std::size_t i = 0; i < queue.size(); ++i) {
    const uint32_t c = queue[i];
    if (c == to) break;
    for (const Edge& e : edges_[c]) {
      if (seen[e.to]) continue;
      seen[e.to] = true;
      via[e.to] = &e;
      parent[e.to] = c;
      queue.push_back(e.to);
    }
  }
  std::vector<const Edge*> path;
  if (!seen[to] || from == to) return path;
  for (uint32_t c = to; c != from; c = parent[c]) path.push_back(via[c]);
  std::reverse(path.begin(), path.end());
  return path;
}

std::optional<LockOrderInversion> LockGraph::add_edge(uint32_t from, uint32_t to, bool shared_only,
                                                      std::vector<std::string> path) {
  edges_[from].push_back(Edge{to, shared_only, std::move(path)});
  const std::vector<const Edge*> back = find_path(to, from);
  if (back.empty()) return std::nullopt;
  const bool all_shared = shared_only && std::all_of(back.begin(), back.end(),
                                                     [](const Edge* e) { return e->shared_only; });
  if (all_shared) return std::nullopt;
  const std::pair<uint32_t, uint32_t> key{std::min(from, to), std::max(from, to)};
  if (std::find(reported_.begin(), reported_.end(), key) != reported_.end()) return std::nullopt;
  reported_.emplace_back(key);
  LockOrderInversion inversion;
  inversion.class_a = names_[from];
  inversion.class_b = names_[to];
  inversion.a_then_b = edges_[from].back().path;
  for (const Edge* e : back) {
    inversion.b_then_a.insert(inversion.b_then_a.end(), e->path.begin(), e->path.end());
  }
  return inversion;
}

}  // namespace protmc::checker
