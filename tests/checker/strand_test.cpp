// Strand: symmetric switches between fibers and the host (strand.hpp).
#include "checker/runtime/strand.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace protmc::checker {
namespace {

constexpr std::size_t kSize = 64 * 1024;

// Three strands that hand control round a ring, each logging its index,
// and the last back to the host, which never sees the others' switches.
struct Ring {
  Strand host;
  Strand strands[3];
  std::vector<int> log;  // indices of the strands, in the order they ran
  int rounds = 0;
};

struct Member {
  Ring* ring;
  int index;
};

void ring_entry(Strand& self, void* arg) {
  auto* member = static_cast<Member*>(arg);
  Ring& ring = *member->ring;
  while (true) {
    ring.log.push_back(member->index);
    if (member->index == 2) {
      ++ring.rounds;
      Strand::switch_to(self, ring.host);
    } else {
      Strand::switch_to(self, ring.strands[member->index + 1]);
    }
  }
}

TEST(Strand, SwitchesDirectlyBetweenStrandsAndBackToTheHost) {
  Ring ring;
  StackPool pool(kSize);
  Member members[3] = {{&ring, 0}, {&ring, 1}, {&ring, 2}};
  for (int i = 0; i < 3; ++i) ring.strands[i].start(pool.acquire(), &ring_entry, &members[i]);
  Strand::switch_to(ring.host, ring.strands[0]);
  EXPECT_EQ(ring.log, (std::vector<int>{0, 1, 2}));
  // Each strand resumes where it switched away, not at its entry.
  Strand::switch_to(ring.host, ring.strands[0]);
  EXPECT_EQ(ring.rounds, 2);
  EXPECT_EQ(ring.log, (std::vector<int>{0, 1, 2, 0, 1, 2}));
  for (Strand& s : ring.strands) pool.release(s.reclaim_parked_stack());
}

// A strand that switches to the one that started it, which switches back:
// a resumed strand continues with its own locals intact.
struct PingPong {
  Strand host;
  Strand a;
  Strand b;
  int a_count = 0;
  int b_count = 0;
};

void ping(Strand& self, void* arg) {
  auto* p = static_cast<PingPong*>(arg);
  for (int local = 0;; ++local) {
    p->a_count = local;
    Strand::switch_to(self, local < 100 ? p->b : p->host);
  }
}

void pong(Strand& self, void* arg) {
  auto* p = static_cast<PingPong*>(arg);
  for (int local = 0;; ++local) {
    p->b_count = local;
    Strand::switch_to(self, p->a);
  }
}

TEST(Strand, KeepsEachStrandsLocalsAcrossSwitches) {
  PingPong p;
  StackPool pool(kSize);
  p.a.start(pool.acquire(), &ping, &p);
  p.b.start(pool.acquire(), &pong, &p);
  Strand::switch_to(p.host, p.a);
  EXPECT_EQ(p.a_count, 100);
  EXPECT_EQ(p.b_count, 99);
  pool.release(p.a.reclaim_parked_stack());
  pool.release(p.b.reclaim_parked_stack());
  EXPECT_FALSE(p.a.has_stack());
}

TEST(StrandDeathTest, SwitchingToTheRunningStrandIsAnInternalBug) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Strand host;
  EXPECT_DEATH(Strand::switch_to(host, host), "internal error: CHECK");
}

TEST(StrandDeathTest, SwitchingToAStrandThatWasNeverStartedIsAnInternalBug) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Strand host;
  Strand idle;
  EXPECT_DEATH(Strand::switch_to(host, idle), "internal error: CHECK");
}

}  // namespace
}  // namespace protmc::checker
