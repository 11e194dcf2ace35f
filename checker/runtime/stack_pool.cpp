#include "checker/runtime/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <utility>

#include "checker/support/check.hpp"

namespace protmc::checker {

namespace {
std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}
}  // namespace

Stack::Stack(std::size_t usable_size) {
  const std::size_t page = page_size();
  usable_size_ = (usable_size + page - 1) / page * page;
  mapping_size_ = usable_size_ + page;  // one guard page below the stack
  mapping_ =
      mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK_MSG(mapping_ != MAP_FAILED, "cannot map a fiber stack");
  CHECK(mprotect(mapping_, page, PROT_NONE) == 0);
  usable_ = static_cast<char*>(mapping_) + page;
}

Stack::Stack(Stack&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_size_(std::exchange(other.mapping_size_, 0)),
      usable_(std::exchange(other.usable_, nullptr)),
      usable_size_(std::exchange(other.usable_size_, 0)) {}

Stack& Stack::operator=(Stack&& other) noexcept {
  if (this != &other) {
    release();
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_size_ = std::exchange(other.mapping_size_, 0);
    usable_ = std::exchange(other.usable_, nullptr);
    usable_size_ = std::exchange(other.usable_size_, 0);
  }
  return *this;
}

Stack::~Stack() { release(); }

void Stack::release() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
  mapping_ = nullptr;
}

void* Stack::top() const { return static_cast<char*>(usable_) + usable_size_; }

namespace {

// The stacks of ended pools on this OS thread (see StackPool).
thread_local std::vector<Stack> t_cached_stacks;
// Set once t_cached_stacks is destroyed at the OS thread's exit: a pool that
// ends after it (an Executor kept in another thread_local, destroyed later)
// unmaps its stacks instead. Trivially destructible, so readable until the end.
thread_local bool t_cache_gone = false;
struct CacheGuard {
  ~CacheGuard() { t_cache_gone = true; }
};
// Defined after t_cached_stacks, so constructed after it (on the first use of
// either on a thread) and destroyed before it.
thread_local CacheGuard t_cache_guard;

std::vector<Stack>& cached_stacks() {
  std::vector<Stack>& stacks = t_cached_stacks;
  (void)&t_cache_guard;  // odr-used, so that it exists whenever the vector does
  return stacks;
}

}  // namespace

StackPool::~StackPool() {
  if (t_cache_gone) return;  // free_'s stacks are unmapped
  std::vector<Stack>& cache = cached_stacks();
  for (Stack& stack : free_) {
    if (cache.size() >= kCachedStacks) break;
    cache.push_back(std::move(stack));
  }
}

Stack StackPool::acquire() {
  if (free_.empty()) {
    std::vector<Stack>& cache = cached_stacks();
    for (auto it = cache.rbegin(); it != cache.rend(); ++it) {
      if (it->size() != stack_size_) continue;
      Stack stack = std::move(*it);
      cache.erase(std::next(it).base());
      return stack;
    }
    return Stack(stack_size_);
  }
  Stack stack = std::move(free_.back());
  free_.pop_back();
  return stack;
}

void StackPool::release(Stack stack) {
  if (stack.valid()) free_.push_back(std::move(stack));
}

}  // namespace protmc::checker
