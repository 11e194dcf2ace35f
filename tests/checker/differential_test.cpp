// Differential test of dpor against dfs on seeded random small programs:
// 2-4 threads, 1-3 shared variables, 0-2 mutexes, 2-5 operations per thread
// (READ_ONCE/WRITE_ONCE loads and stores, stores of a value read, properly
// nested lock/unlock pairs, and branches on values read). For every program
// dpor must reach the same final states (variables and deadlock) and the same
// Mazurkiewicz traces as dfs, never explore a trace twice and never end
// sleep-set blocked.
//
// dfs cost bounds the sizes: with the main thread's spawns and joins, four
// threads of two events already have 134,545 schedules, so four-thread
// programs get one or two operations per thread except every 50th seed, and
// busy programs are shrunk below 12,000 schedules. A third of the programs
// with two mutexes nest them in opposite orders in two threads, so deadlocks
// are covered.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "tests/checker/mazurkiewicz.hpp"

namespace protmc::checker {
namespace {

using testing::observe;
using testing::Observed;

// --- Random programs ------------------------------------------------------------

struct Op {
  enum Kind : uint8_t {
    kLoad,       // r := READ_ONCE(var)
    kStore,      // WRITE_ONCE(var, value)
    kStoreRead,  // WRITE_ONCE(var, r + value)
    kLocked,     // lock(mutex); body; unlock(mutex)
    kIfEqual,    // r := READ_ONCE(var); if (r == value) body
  };
  Kind kind = kLoad;
  uint32_t var = 0;
  uint64_t value = 0;
  uint32_t mutex = 0;
  std::vector<Op> body;
};

struct Spec {
  uint32_t vars = 1;
  uint32_t mutexes = 0;
  std::vector<std::vector<Op>> threads;
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  // A large program has four threads of two operations each, about 135,000
  // dfs schedules; the others are kept under kMaxSchedules.
  Spec program(bool large) {
    Spec spec;
    const uint32_t threads = large ? 4 : uniform(2, 4);
    spec.vars = uniform(1, 3);
    spec.mutexes = uniform(0, 2);
    vars_ = spec.vars;
    mutexes_ = spec.mutexes;
    // Deadlock-prone: the first two threads start by nesting the two mutexes
    // in opposite orders (three operations each).
    const bool crossed = !large && spec.mutexes == 2 && uniform(0, 2) == 0;
    std::vector<uint32_t> budget(threads);
    std::vector<uint32_t> least(threads, 2);
    // Four threads of two operations have 134,545 schedules with the main
    // thread's spawns and joins: small programs give some threads one.
    if (threads == 4 && !large) std::fill(least.begin(), least.end(), 1);
    if (crossed) least[0] = least[1] = 3;
    for (uint32_t t = 0; t < threads; ++t) {
      budget[t] = large ? 2 : std::max(least[t], uniform(2, 5));
    }
    // Keep dfs affordable: shrink the busiest shrinkable thread until the
    // program has few schedules.
    spec.threads.resize(threads);
    for (int attempt = 0; attempt < 30; ++attempt) {
      for (uint32_t t = 0; t < threads; ++t) {
        if (crossed && t < 2) {
          spec.threads[t] = {crossing(t, 1 - t)};
          std::vector<Op> rest = ops(budget[t] - 3, 0);
          spec.threads[t].insert(spec.threads[t].end(), rest.begin(), rest.end());
        } else {
          spec.threads[t] = ops(budget[t], 0);
        }
      }
      std::vector<uint32_t> lengths;
      for (const auto& ops : spec.threads) lengths.push_back(path_length(ops));
      if (schedules(lengths) <= (large ? kMaxLargeSchedules : kMaxSchedules)) break;
      if (large) continue;  // draw again: four threads of two single events
      uint32_t busiest = threads;
      for (uint32_t t = 0; t < threads; ++t) {
        if (budget[t] > least[t] && (busiest == threads || budget[t] > budget[busiest])) {
          busiest = t;
        }
      }
      if (busiest < threads) --budget[busiest];
    }
    return spec;
  }

  // The number of schedules of straight-line threads of these lengths that
  // the main thread spawns in order and then joins in order: what dfs would
  // explore if every path were the longest and no lock ever blocked.
  static uint64_t schedules(const std::vector<uint32_t>& lengths) {
    const uint32_t threads = static_cast<uint32_t>(lengths.size());
    std::map<std::vector<uint32_t>, uint64_t> memo;
    // state[0]: main's progress (spawns, then joins); state[1 + t]: thread t's.
    std::function<uint64_t(std::vector<uint32_t>&)> count = [&](std::vector<uint32_t>& state) {
      if (state[0] == 2 * threads) return uint64_t{1};
      if (auto it = memo.find(state); it != memo.end()) return it->second;
      uint64_t total = 0;
      const uint32_t main = state[0];
      if (main < threads || state[1 + main - threads] == lengths[main - threads]) {
        ++state[0];
        total += count(state);
        --state[0];
      }
      for (uint32_t t = 0; t < threads; ++t) {
        if (main > t && state[1 + t] < lengths[t]) {
          ++state[1 + t];
          total += count(state);
          --state[1 + t];
        }
      }
      memo.emplace(state, total);
      return total;
    };
    std::vector<uint32_t> start(1 + threads, 0);
    return count(start);
  }

  // Visible events on the longest path through `ops`.
  static uint32_t path_length(const std::vector<Op>& ops) {
    uint32_t length = 0;
    for (const Op& op : ops) {
      length += 1 + path_length(op.body) + (op.kind == Op::kLocked ? 1 : 0);
    }
    return length;
  }

 private:
  static constexpr uint64_t kMaxSchedules = 12'000;
  static constexpr uint64_t kMaxLargeSchedules = 140'000;

  // lock(outer) { lock(inner) { one access } }
  Op crossing(uint32_t outer, uint32_t inner) {
    Op nested;
    nested.kind = Op::kLocked;
    nested.mutex = inner;
    nested.body = ops(1, (1u << outer) | (1u << inner));
    Op op;
    op.kind = Op::kLocked;
    op.mutex = outer;
    op.body.push_back(std::move(nested));
    return op;
  }

  uint32_t uniform(uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng_);
  }

  std::vector<Op> ops(uint32_t budget, uint32_t held) {
    std::vector<Op> list;
    while (budget > 0) {
      Op op;
      const uint32_t pick = uniform(0, 9);
      uint32_t free_mutex = mutexes_;
      for (uint32_t m = 0; m < mutexes_; ++m) {
        if ((held & (1u << m)) == 0 && (free_mutex == mutexes_ || uniform(0, 1) == 1)) {
          free_mutex = m;
        }
      }
      // Inside a critical section, often nest another one: opposite nesting
      // orders in two threads make deadlocks.
      const uint32_t lock_odds = held != 0 ? 5 : 2;
      if (pick <= lock_odds && budget >= 2 && free_mutex < mutexes_) {
        op.kind = Op::kLocked;
        op.mutex = free_mutex;
        const uint32_t inner = uniform(1, std::min<uint32_t>(budget - 1, 3));
        op.body = ops(inner, held | (1u << free_mutex));
        budget -= inner;
      } else if (pick == 3 && budget >= 2) {
        op.kind = Op::kIfEqual;
        op.var = uniform(0, vars_ - 1);
        op.value = uniform(0, 2);
        op.body = ops(1, held);
        budget -= 1;
      } else if (pick <= 5) {
        op.kind = Op::kLoad;
        op.var = uniform(0, vars_ - 1);
      } else if (pick <= 8) {
        op.kind = Op::kStore;
        op.var = uniform(0, vars_ - 1);
        op.value = uniform(1, 2);
      } else {
        op.kind = Op::kStoreRead;
        op.var = uniform(0, vars_ - 1);
        op.value = uniform(0, 1);
      }
      list.push_back(std::move(op));
      budget -= 1;
    }
    return list;
  }

  std::mt19937_64 rng_;
  uint32_t vars_ = 1;
  uint32_t mutexes_ = 0;
};

void describe(std::ostream& out, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::kLoad:
        out << "r=x" << op.var << "; ";
        break;
      case Op::kStore:
        out << "x" << op.var << "=" << op.value << "; ";
        break;
      case Op::kStoreRead:
        out << "x" << op.var << "=r+" << op.value << "; ";
        break;
      case Op::kLocked:
        out << "lock(m" << op.mutex << "){ ";
        describe(out, op.body);
        out << "} ";
        break;
      case Op::kIfEqual:
        out << "if(x" << op.var << "==" << op.value << "){ ";
        describe(out, op.body);
        out << "} ";
        break;
    }
  }
}

std::string describe(const Spec& spec) {
  std::ostringstream out;
  out << spec.vars << " vars, " << spec.mutexes << " mutexes\n";
  for (size_t t = 0; t < spec.threads.size(); ++t) {
    out << "  t" << t + 1 << ": ";
    describe(out, spec.threads[t]);
    out << "\n";
  }
  return out.str();
}

struct Objects {
  std::vector<VarId> vars;
  std::vector<LockId> mutexes;
};

void run(Env& env, const Objects& o, const std::vector<Op>& ops, uint64_t& r) {
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::kLoad:
        r = env.load(o.vars[op.var], Access::kMarked);
        break;
      case Op::kStore:
        env.store(o.vars[op.var], op.value, Access::kMarked);
        break;
      case Op::kStoreRead:
        env.store(o.vars[op.var], r + op.value, Access::kMarked);
        break;
      case Op::kLocked:
        env.lock(o.mutexes[op.mutex]);
        run(env, o, op.body, r);
        env.unlock(o.mutexes[op.mutex]);
        break;
      case Op::kIfEqual:
        r = env.load(o.vars[op.var], Access::kMarked);
        if (r == op.value) run(env, o, op.body, r);
        break;
    }
  }
}

const char* const kVarNames[] = {"x0", "x1", "x2"};
const char* const kMutexNames[] = {"m0", "m1"};
const char* const kThreadNames[] = {"t1", "t2", "t3", "t4"};

Program build(std::shared_ptr<const Spec> spec) {
  return Program{"random", [spec](Env& env) {
                   auto o = std::make_shared<Objects>();
                   for (uint32_t v = 0; v < spec->vars; ++v) {
                     o->vars.push_back(env.make_var(kVarNames[v], 0));
                   }
                   for (uint32_t m = 0; m < spec->mutexes; ++m) {
                     LockSpec lock;
                     lock.name = kMutexNames[m];
                     o->mutexes.push_back(env.make_lock(lock));
                   }
                   std::vector<ThreadId> threads;
                   for (size_t t = 0; t < spec->threads.size(); ++t) {
                     threads.push_back(env.spawn(kThreadNames[t], [spec, o, t](Env& e) {
                       uint64_t r = 0;
                       run(e, *o, spec->threads[t], r);
                     }));
                   }
                   for (ThreadId t : threads) env.join(t);
                 }};
}

// --- The test ---------------------------------------------------------------------

constexpr uint64_t kSeeds = 150;
constexpr uint64_t kLargeEvery = 50;      // every 50th seed: four threads of two operations
constexpr uint64_t kDfsBudget = 200'000;  // executions; larger programs are skipped

TEST(DporDifferential, MatchesDfsOnRandomPrograms) {
  uint64_t compared = 0;
  uint64_t skipped = 0;
  std::string skipped_seeds;
  uint64_t dfs_executions = 0;
  uint64_t dpor_executions = 0;
  uint64_t dpor_blocked = 0;
  uint64_t deadlocking_programs = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    Generator generator(seed);
    auto spec = std::make_shared<const Spec>(generator.program(seed % kLargeEvery == 0));
    const Program program = build(spec);
    SCOPED_TRACE("seed " + std::to_string(seed) + ": " + describe(*spec));

    ExploreOptions options;
    options.keep_going = true;
    options.strategy = Strategy::kDfs;
    options.bounds.max_executions = kDfsBudget;
    const Observed dfs = observe(program, options);
    if (!dfs.result.stats.complete) {
      ++skipped;
      skipped_seeds.append(1, ' ').append(std::to_string(seed));
      continue;
    }
    options.strategy = Strategy::kDpor;
    options.bounds.max_executions = std::numeric_limits<uint64_t>::max();
    const Observed dpor = observe(program, options);
    ASSERT_TRUE(dpor.result.stats.complete) << dpor.result.stats.incomplete_reason;
    ++compared;
    dfs_executions += dfs.result.stats.executions;
    dpor_executions += dpor.result.stats.executions;
    dpor_blocked += dpor.result.stats.blocked;
    if (dfs.result.stats.deadlocked > 0) ++deadlocking_programs;

    EXPECT_EQ(dfs.broken_canonical + dpor.broken_canonical, 0u);
    EXPECT_EQ(dpor.final_states, dfs.final_states);
    EXPECT_EQ(dpor.traces, dfs.traces);
    EXPECT_EQ(dpor.result.stats.executions, dfs.traces.size());
    EXPECT_EQ(dpor.repeated_traces, 0u);
    EXPECT_EQ(dpor.result.stats.blocked, 0u);
    EXPECT_EQ(dpor.result.stats.deadlocked > 0, dfs.result.stats.deadlocked > 0);
    for (const Counterexample& c : dpor.result.findings) {
      // Marked accesses never race; deadlocks and lock-order cycles may occur.
      EXPECT_NE(c.finding.property, kDataRace) << c.finding.message;
    }
    if (::testing::Test::HasFailure()) break;  // one program's diagnosis is enough
  }
  std::cout << "[ differential ] " << compared << " programs compared, " << skipped
            << " skipped (dfs over " << kDfsBudget << " executions:" << skipped_seeds << "); dfs "
            << dfs_executions << " executions, dpor " << dpor_executions << " executions, "
            << dpor_blocked << " sleep-set blocked; " << deadlocking_programs
            << " programs can deadlock\n";
  RecordProperty("compared", static_cast<int>(compared));
  RecordProperty("dpor_blocked", static_cast<int>(dpor_blocked));
  EXPECT_GE(compared, kSeeds * 9 / 10);
}

}  // namespace
}  // namespace protmc::checker
