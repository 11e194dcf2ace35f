// StackPool: stacks are reused within a pool and, once a pool ends, by the
// next pool on the same OS thread (up to kCachedStacks), but never with the
// wrong size and never across OS threads (the cache is per thread).
#include "checker/runtime/stack_pool.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace protmc::checker {
namespace {

constexpr std::size_t kSize = 64 * 1024;

TEST(StackPool, AReleasedStackIsReusedByTheSamePool) {
  StackPool pool(kSize);
  Stack first = pool.acquire();
  void* const bottom = first.bottom();
  pool.release(std::move(first));
  EXPECT_EQ(pool.acquire().bottom(), bottom);
}

TEST(StackPool, TheNextPoolOnTheThreadTakesTheStacksOfAnEndedOne) {
  std::set<void*> mapped;
  {
    StackPool pool(kSize);
    std::vector<Stack> stacks;
    for (int i = 0; i < 3; ++i) stacks.push_back(pool.acquire());
    for (Stack& s : stacks) {
      mapped.insert(s.bottom());
      pool.release(std::move(s));
    }
  }
  StackPool next(kSize);
  for (int i = 0; i < 3; ++i) {
    const Stack s = next.acquire();
    ASSERT_TRUE(s.valid());
    EXPECT_EQ(s.size(), kSize);
    EXPECT_EQ(mapped.count(s.bottom()), 1U) << "stack " << i << " was mapped afresh";
  }
}

TEST(StackPool, CachedStacksOfAnotherSizeOrThreadAreNotUsed) {
  void* cached = nullptr;
  {
    StackPool pool(kSize);
    Stack s = pool.acquire();
    cached = s.bottom();
    pool.release(std::move(s));
  }
  {
    StackPool other_size(2 * kSize);
    const Stack s = other_size.acquire();
    EXPECT_EQ(s.size(), 2 * kSize);
    EXPECT_NE(s.bottom(), cached);
  }
  void* on_other_thread = nullptr;
  std::thread([&on_other_thread] {
    StackPool pool(kSize);
    on_other_thread = pool.acquire().bottom();
  }).join();
  EXPECT_NE(on_other_thread, cached);
  // The cached stack is still here for this thread.
  StackPool again(kSize);
  EXPECT_EQ(again.acquire().bottom(), cached);
}

}  // namespace
}  // namespace protmc::checker
