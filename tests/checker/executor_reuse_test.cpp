// explore() keeps its exploring Executor (thread slots, strands, stacks,
// buffers) between explorations on one OS thread. A kept Executor must
// behave as a new one: an exploration gives the same executions (schedules,
// event keys, final values), findings, traces and statistics whatever ran
// before it, including explorations of other programs with more threads,
// variables and locks, other detectors and bounds, a stall watchdog, a model
// that throws, and searches stopped midway by a budget or a finding.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"

namespace protmc::checker {
namespace {

// Six workers over six plain variables, two mutexes taken in both orders (a
// lock-order finding and deadlocks), a writer-preferring rwsem, a watched
// counter with an invariant, choices, trylocks, CAS and spin hints.
Program busy() {
  return Program{
      "busy", [](Env& env) {
        constexpr uint32_t kWorkers = 6;
        const std::vector<std::string> names = {"0", "1", "2", "3", "4", "5"};
        std::vector<VarId> x;
        for (uint32_t i = 0; i < kWorkers; ++i) x.push_back(env.make_var("x" + names[i], i));
        const VarId counter = env.make_var("counter", 0);
        const LockId a = env.make_lock(LockSpec{"a", "A", LockKind::kMutex});
        const LockId b = env.make_lock(LockSpec{"b", "B", LockKind::kMutex});
        LockSpec rw_spec{"rw", "RW", LockKind::kRwSem};
        rw_spec.writer_blocks_readers = true;
        const LockId rw = env.make_lock(rw_spec);
        env.watch(counter);
        env.add_invariant("counter-below-5", [counter](const Env& e) -> std::optional<std::string> {
          if (e.peek(counter) < 5) return std::nullopt;
          return "counter reached " + std::to_string(e.peek(counter));
        });
        std::vector<ThreadId> workers;
        for (uint32_t i = 0; i < kWorkers; ++i) {
          workers.push_back(env.spawn("w" + names[i], [=](Env& e) {
            FunctionScope scope(e, i % 2 == 0 ? "even_worker" : "odd_worker");
            e.lock(i % 2 == 0 ? a : b);
            e.lock(i % 2 == 0 ? b : a);
            e.store(x[i], i + 10, Access::kPlain);
            e.unlock(i % 2 == 0 ? b : a);
            e.unlock(i % 2 == 0 ? a : b);
            const uint64_t seen = e.load(x[(i + 1) % kWorkers], Access::kPlain);
            e.rmw(counter, RmwOp::kFetchAdd, seen >= 10 ? 1 : 0, MemoryOrder::kRelaxed);
            const LockMode mode = i == 3 ? LockMode::kExclusive : LockMode::kShared;
            e.lock(rw, mode);
            if (e.choose(2) == 1) {
              uint64_t expected = i + 11;  // the neighbour's store
              (void)e.compare_exchange(x[(i + 1) % kWorkers], expected, 7, MemoryOrder::kSeqCst);
            }
            e.unlock(rw, mode);
            if (e.try_lock(a)) e.unlock(a);
            e.spin_hint();
          }));
        }
        for (ThreadId w : workers) env.join(w);
      }};
}

// Three other threads over two other variables; r throws on one branch.
Program other() {
  return Program{"other", [](Env& env) {
                   const VarId y = env.make_var("y", 0);
                   const VarId z = env.make_var("z", 0);
                   std::vector<ThreadId> threads;
                   for (const char* name : {"p", "q", "r"}) {
                     threads.push_back(env.spawn(name, [=](Env& e) {
                       const uint64_t seen = e.load(z, Access::kPlain);
                       const uint32_t pick = e.choose(3);
                       if (name[0] == 'r' && pick == 2 && seen == 1)
                         throw std::runtime_error("r broke");
                       e.store(z, pick, Access::kPlain);
                       e.store(y, 1, Access::kPlain);
                     }));
                   }
                   for (ThreadId t : threads) env.join(t);
                 }};
}

// Everything an exploration shows, as text (a difference is then readable).
std::string explore_and_describe(const Program& program, ExploreOptions options) {
  std::ostringstream out;
  options.on_execution = [&out](const ExecutionSummary& s) {
    out << "exec";
    for (const Choice& c : s.schedule.choices) out << ' ' << c.thread << ':' << c.value;
    out << " |";
    for (uint64_t key : s.event_keys) out << ' ' << key;
    out << " |";
    for (uint64_t value : s.final_values) out << ' ' << value;
    out << " | " << s.deadlocked << s.sleep_blocked << s.has_finding << '\n';
  };
  const ExploreResult result = explore(program, options);
  const Stats& st = result.stats;
  out << "verdict " << to_string(result.verdict) << " executions " << st.executions << " blocked "
      << st.blocked << " deadlocked " << st.deadlocked << " steps " << st.steps << " longest "
      << st.longest << " violating " << st.violating_executions << " complete " << st.complete
      << " reason " << st.incomplete_reason << '\n';
  for (const Counterexample& cx : result.findings) {
    out << "finding " << cx.finding.property << " @" << cx.finding.location << ": "
        << cx.finding.message << " x" << cx.occurrences << " reproduced " << cx.reproduced
        << "\n schedule";
    for (const Choice& c : cx.schedule.choices) out << ' ' << c.thread << ':' << c.value;
    out << "\n threads";
    for (const std::string& name : cx.trace.thread_names) out << ' ' << name;
    out << '\n';
    for (const TraceEvent& ev : cx.trace.events) {
      out << "  " << ev.step << ' ' << ev.thread_name << ' ' << ev.operation << ' ' << ev.object
          << ' ' << ev.value.value_or(999);
      for (const std::string& note : ev.notes) out << " [" << note << ']';
      for (const std::string& lock : ev.locks_held) out << " {" << lock << '}';
      out << '\n';
    }
  }
  return out.str();
}

TEST(ExecutorReuse, AnExplorationBehavesTheSameWhateverRanBeforeOnTheThread) {
  ExploreOptions budgeted;  // stopped midway, deep in the search
  budgeted.keep_going = true;
  budgeted.bounds.max_executions = 40;
  ExploreOptions first_finding;  // stopped by a data race, deep in the search
  first_finding.stop_on = [](const Finding& f) { return f.property == kDataRace; };
  first_finding.bounds.max_executions = 2000;
  ExploreOptions other_options;  // other detectors and bounds, a watchdog
  other_options.detectors.data_races = false;
  other_options.detectors.lock_order = false;
  other_options.bounds.max_steps = 10;
  other_options.stall_timeout_s = 60;
  other_options.on_stall = [](const StallReport&) {};

  const std::string busy_budgeted = explore_and_describe(busy(), budgeted);
  const std::string other_run = explore_and_describe(other(), other_options);
  const std::string busy_first = explore_and_describe(busy(), first_finding);
  EXPECT_EQ(explore_and_describe(busy(), budgeted), busy_budgeted);
  EXPECT_EQ(explore_and_describe(other(), other_options), other_run);
  EXPECT_EQ(explore_and_describe(busy(), first_finding), busy_first);

  // The runs exercise what they should.
  EXPECT_NE(busy_budgeted.find("finding data-race"), std::string::npos) << busy_budgeted;
  EXPECT_NE(busy_budgeted.find("finding lock-order"), std::string::npos) << busy_budgeted;
  EXPECT_NE(busy_budgeted.find("reason execution budget"), std::string::npos) << busy_budgeted;
  EXPECT_NE(busy_first.find("reason stopped at the first finding"), std::string::npos)
      << busy_first;
  EXPECT_NE(other_run.find("finding internal-error"), std::string::npos) << other_run;
  EXPECT_EQ(other_run.find("finding data-race"), std::string::npos) << other_run;
}

}  // namespace
}  // namespace protmc::checker
