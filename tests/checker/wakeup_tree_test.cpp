// Wakeup-tree insertion against the definitions of Abdulla et al. (POPL 2014).
#include "checker/explore/wakeup_tree.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "checker/explore/event_key.hpp"
#include "checker/runtime/strand.hpp"

namespace protmc::checker {
namespace {

WakeupEvent write(uint32_t thread, uint32_t var) {
  return {thread, make_key(thread, KeyKind::kWrite, var), 0};
}
WakeupEvent read(uint32_t thread, uint32_t var) {
  return {thread, make_key(thread, KeyKind::kRead, var), 0};
}

std::vector<uint32_t> threads_of(const std::vector<WakeupEvent>& seq) {
  std::vector<uint32_t> out;
  for (const auto& e : seq) out.push_back(e.thread);
  return out;
}

TEST(WeakInitial, FirstEventWithoutDependentPredecessorIsAWeakInitial) {
  std::vector<WakeupEvent> v{write(1, 0), read(2, 0)};
  int index = -1;
  EXPECT_TRUE(weak_initial(write(1, 0), v, index));
  EXPECT_EQ(index, 0);
  EXPECT_FALSE(weak_initial(read(2, 0), v, index));  // depends on 1's write before it
  EXPECT_EQ(index, 1);
}

TEST(WeakInitial, AbsentThreadMustCommuteWithAllOfV) {
  std::vector<WakeupEvent> v{write(1, 0), read(2, 1)};
  int index = -1;
  EXPECT_TRUE(weak_initial(read(3, 0 + 5), v, index));  // another variable
  EXPECT_EQ(index, -1);
  EXPECT_FALSE(weak_initial(read(3, 0), v, index));  // reads what thread 1 writes
  EXPECT_TRUE(weak_initial(read(3, 1), v, index));   // two reads commute
}

TEST(WakeupTree, InsertIntoEmptyTreeAddsTheSequence) {
  WakeupTree tree;
  std::vector<WakeupEvent> v{write(1, 0), write(2, 0)};
  tree.insert(v);
  ASSERT_EQ(tree.leaves().size(), 1u);
  EXPECT_EQ(threads_of(tree.leaves()[0]), (std::vector<uint32_t>{1, 2}));
}

TEST(WakeupTree, SequenceCoveredByAnExistingLeafIsNotAdded) {
  WakeupTree tree;
  std::vector<WakeupEvent> first{write(1, 0)};
  tree.insert(first);
  // 3 reads another variable and commutes with 1, so [1] already covers [3.1]'s initial 1.
  std::vector<WakeupEvent> v{read(3, 7), write(1, 0)};
  tree.insert(v);
  EXPECT_EQ(tree.leaves().size(), 1u);
}

TEST(WakeupTree, EquivalentReorderingIsCovered) {
  WakeupTree tree;
  std::vector<WakeupEvent> a{read(1, 0), read(2, 1), write(3, 0)};
  tree.insert(a);
  std::vector<WakeupEvent> b{read(2, 1), read(1, 0), write(3, 0)};  // same trace
  tree.insert(b);
  EXPECT_EQ(tree.leaves().size(), 1u);
}

TEST(WakeupTree, DifferentTraceBecomesANewBranchAfterTheSharedPrefix) {
  WakeupTree tree;
  std::vector<WakeupEvent> a{write(1, 0), write(2, 0), read(3, 0)};
  tree.insert(a);
  std::vector<WakeupEvent> b{write(1, 0), read(3, 0)};
  tree.insert(b);
  const auto leaves = tree.leaves();
  ASSERT_EQ(leaves.size(), 2u);
  EXPECT_EQ(threads_of(leaves[0]), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(threads_of(leaves[1]), (std::vector<uint32_t>{1, 3}));
}

TEST(WakeupTree, TakeFirstRemovesTheFirstBranchAndHandsOverItsSubtree) {
  WakeupTree tree;
  std::vector<WakeupEvent> a{write(1, 0), write(2, 0)};
  tree.insert(a);
  std::vector<WakeupEvent> b{write(2, 0), write(1, 0)};
  tree.insert(b);
  WakeupTree child;
  EXPECT_EQ(tree.take_first(child).thread, 1u);
  ASSERT_EQ(child.leaves().size(), 1u);
  EXPECT_EQ(child.leaves()[0][0].thread, 2u);
  EXPECT_EQ(tree.first().thread, 2u);
  EXPECT_EQ(tree.take_first(child).thread, 2u);
  EXPECT_TRUE(tree.empty());
  ASSERT_EQ(child.leaves().size(), 1u);  // the previous contents were replaced
  EXPECT_EQ(child.leaves()[0][0].thread, 1u);
}

TEST(WakeupTree, TakingTheOnlyBranchHandsOverTheArenaAndBothTreesStayUsable) {
  WakeupTree tree;
  std::vector<WakeupEvent> a{write(1, 0), write(2, 0), write(3, 0)};
  tree.insert(a);
  WakeupTree child;
  std::vector<WakeupEvent> stale{write(7, 0)};
  child.insert(stale);  // replaced, not merged
  EXPECT_EQ(tree.take_first(child).thread, 1u);
  EXPECT_TRUE(tree.empty());
  std::vector<std::vector<uint32_t>> branches;
  for (const auto& leaf : child.leaves()) branches.push_back(threads_of(leaf));
  EXPECT_EQ(branches, (std::vector<std::vector<uint32_t>>{{2, 3}}));
  // The re-rooted tree takes insertions below its new root, next to 2.3.
  std::vector<WakeupEvent> c{write(4, 0)};
  child.insert(c);
  branches.clear();
  for (const auto& leaf : child.leaves()) branches.push_back(threads_of(leaf));
  EXPECT_EQ(branches, (std::vector<std::vector<uint32_t>>{{2, 3}, {4}}));
  // And the emptied one starts afresh.
  std::vector<WakeupEvent> d{write(5, 0)};
  tree.insert(d);
  ASSERT_EQ(tree.leaves().size(), 1u);
  EXPECT_EQ(tree.first().thread, 5u);
}

TEST(WakeupTree, TakeFirstCopiesEveryBranchBelowTheFirstChildInOrder) {
  // Below thread 1's first event: the branches 2.3, 2.4 and 3.2 (writes to
  // one variable, so no two sequences are equivalent).
  WakeupTree tree;
  for (const auto& seq :
       std::vector<std::vector<WakeupEvent>>{{write(1, 0), write(2, 0), write(3, 0)},
                                             {write(1, 0), write(2, 0), write(4, 0)},
                                             {write(1, 0), write(3, 0), write(2, 0)},
                                             {write(5, 0)}}) {
    std::vector<WakeupEvent> v = seq;
    tree.insert(v);
  }
  WakeupTree child;
  EXPECT_EQ(tree.take_first(child).thread, 1u);
  std::vector<std::vector<uint32_t>> branches;
  for (const auto& leaf : child.leaves()) branches.push_back(threads_of(leaf));
  EXPECT_EQ(branches, (std::vector<std::vector<uint32_t>>{{2, 3}, {2, 4}, {3, 2}}));
}

// The scheduler (and so DPOR's pick) runs on a model thread's stack; copying
// a branch as long as an execution must not recurse once per event.
TEST(WakeupTree, TakeFirstOfAVeryDeepBranchFitsOnASmallStack) {
  constexpr uint32_t kDepth = 20'000;
  WakeupTree tree;
  std::vector<WakeupEvent> deep;
  for (uint32_t i = 0; i < kDepth; ++i) deep.push_back(write(i % 2 + 1, 0));
  tree.insert(deep);
  std::vector<WakeupEvent> other{write(9, 0)};  // a second branch: the deep one is copied
  tree.insert(other);
  struct Job {
    WakeupTree* tree;
    WakeupTree child;
    Strand host;
    bool done = false;
  } job{&tree, {}, {}};
  Strand worker;
  StackPool pool(64 * 1024);  // a recursive copy needs about 1 MB here
  worker.start(
      pool.acquire(),
      [](Strand& self, void* arg) {
        auto* j = static_cast<Job*>(arg);
        j->tree->take_first(j->child);
        j->done = true;
        while (true) Strand::switch_to(self, j->host);
      },
      &job);
  Strand::switch_to(job.host, worker);
  pool.release(worker.reclaim_parked_stack());
  ASSERT_TRUE(job.done);
  const auto leaves = job.child.leaves();
  ASSERT_EQ(leaves.size(), 1U);
  EXPECT_EQ(leaves[0].size(), kDepth - 1);
}

TEST(WakeupTree, ChooseValuesAreDistinctEvents) {
  WakeupTree tree;
  const uint64_t local = make_key(1, KeyKind::kLocal, 0);
  std::vector<WakeupEvent> a{{1, local, 0}};
  tree.insert(a);
  std::vector<WakeupEvent> b{{1, local, 1}};
  tree.insert(b);
  EXPECT_EQ(tree.leaves().size(), 2u);
  EXPECT_TRUE(tree.has_root_child(1, 1));
  EXPECT_FALSE(tree.has_root_child(1, 2));
}

TEST(EventKey, DependencyRelation) {
  EXPECT_TRUE(dependent(make_key(1, KeyKind::kWrite, 0), make_key(2, KeyKind::kRead, 0)));
  EXPECT_FALSE(dependent(make_key(1, KeyKind::kRead, 0), make_key(2, KeyKind::kRead, 0)));
  EXPECT_FALSE(dependent(make_key(1, KeyKind::kWrite, 0), make_key(2, KeyKind::kWrite, 1)));
  EXPECT_TRUE(
      dependent(make_key(1, KeyKind::kRead, 0), make_key(1, KeyKind::kRead, 9)));  // program order
  EXPECT_TRUE(dependent(make_key(1, KeyKind::kAcquireExclusive, 0),
                        make_key(2, KeyKind::kAcquireShared, 0)));
  EXPECT_FALSE(
      dependent(make_key(1, KeyKind::kAcquireShared, 0), make_key(2, KeyKind::kAcquireShared, 0)));
  // Variable 0 and lock 0 are different objects.
  EXPECT_FALSE(
      dependent(make_key(1, KeyKind::kWrite, 0), make_key(2, KeyKind::kAcquireExclusive, 0)));
  EXPECT_TRUE(dependent(make_key(0, KeyKind::kJoin, 3), make_key(3, KeyKind::kRead, 0)));
  EXPECT_TRUE(dependent(make_key(0, KeyKind::kJoin, 3), make_key(3, KeyKind::kWrite, 0)));
  EXPECT_FALSE(dependent(make_key(0, KeyKind::kJoin, 3), make_key(2, KeyKind::kWrite, 0)));
  EXPECT_FALSE(dependent(make_key(1, KeyKind::kLocal, 0), make_key(2, KeyKind::kWrite, 0)));
}

// The rule of event_key.hpp's header, written out case by case: the oracle
// for dependent()'s table-driven implementation.
bool dependent_oracle(uint64_t a, uint64_t b) {
  if (thread_of(a) == thread_of(b)) return true;
  const KeyKind ka = kind_of(a);
  const KeyKind kb = kind_of(b);
  if (ka == KeyKind::kLocal || kb == KeyKind::kLocal) return false;
  if (ka == KeyKind::kJoin) return object_of(a) == thread_of(b);
  if (kb == KeyKind::kJoin) return object_of(b) == thread_of(a);
  if (object_of(a) != object_of(b)) return false;
  const bool var_a = ka == KeyKind::kRead || ka == KeyKind::kWrite;
  const bool var_b = kb == KeyKind::kRead || kb == KeyKind::kWrite;
  if (var_a != var_b) return false;
  if (var_a) return ka == KeyKind::kWrite || kb == KeyKind::kWrite;
  const auto shared = [](KeyKind k) {
    return k == KeyKind::kAcquireShared || k == KeyKind::kReleaseShared;
  };
  if (shared(ka) && shared(kb)) return false;
  return !(ka == KeyKind::kTryFailed && kb == KeyKind::kTryFailed);
}

TEST(EventKey, DependencyMatchesTheRuleForEveryPairOfKindsThreadsAndObjects) {
  std::vector<uint64_t> keys;
  for (uint8_t k = 0; k <= static_cast<uint8_t>(KeyKind::kJoin); ++k) {
    for (uint32_t thread : {0U, 1U, 2U, 31U}) {
      for (uint32_t object : {0U, 1U, 2U, 31U, 0xffffffffU}) {
        keys.push_back(make_key(thread, static_cast<KeyKind>(k), object));
      }
    }
  }
  int dependent_pairs = 0;
  for (uint64_t a : keys) {
    for (uint64_t b : keys) {
      ASSERT_EQ(dependent(a, b), dependent_oracle(a, b))
          << "kinds " << int(kind_of(a)) << "," << int(kind_of(b)) << " threads " << thread_of(a)
          << "," << thread_of(b) << " objects " << object_of(a) << "," << object_of(b);
      // Symmetric except between two joins, which are never both events of
      // one execution (a join is not a step; only a pending one has a key).
      if (kind_of(a) != KeyKind::kJoin || kind_of(b) != KeyKind::kJoin) {
        ASSERT_EQ(dependent(a, b), dependent(b, a));
      }
      dependent_pairs += dependent(a, b) ? 1 : 0;
    }
  }
  EXPECT_GT(dependent_pairs, 0);
  EXPECT_LT(dependent_pairs, static_cast<int>(keys.size() * keys.size()));
}

}  // namespace
}  // namespace protmc::checker
