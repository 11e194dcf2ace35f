// The validation programs of checker/programs: registry behaviour, dpor
// against the dfs reference (same Mazurkiewicz traces, each explored once,
// none sleep-set blocked), the closed-form trace counts, and the deadlock of
// the dining philosophers.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "checker/programs/registry.hpp"
#include "tests/checker/mazurkiewicz.hpp"

namespace protmc::checker::programs {
namespace {

using testing::observe;
using testing::Observed;

Program make(std::string_view name, const ParamValues& given) {
  const ProgramInfo* info = find_program(name);
  EXPECT_NE(info, nullptr) << name;
  if (info == nullptr) return {};
  ResolvedParams resolved = resolve_params(*info, given);
  EXPECT_EQ(resolved.error, "");
  return info->make(resolved.values);
}

std::optional<uint64_t> expected_traces(std::string_view name, const ParamValues& given) {
  const ProgramInfo* info = find_program(name);
  if (info == nullptr) return std::nullopt;
  return info->expected_traces(resolve_params(*info, given).values);
}

ExploreOptions exhaustive(Strategy strategy) {
  ExploreOptions options;
  options.strategy = strategy;
  options.keep_going = true;
  return options;
}

// --- Registry ---------------------------------------------------------------

TEST(ProgramRegistry, ListsEveryBenchmarkProgramSortedByName) {
  std::vector<std::string> names;
  for (const ProgramInfo& info : all_programs()) {
    names.push_back(info.name);
    EXPECT_FALSE(info.description.empty()) << info.name;
    EXPECT_TRUE(info.make) << info.name;
    EXPECT_TRUE(info.expected_traces) << info.name;
    ASSERT_FALSE(info.params.empty()) << info.name;
    EXPECT_EQ(info.params[0].name, "n") << info.name;
    for (const ProgramParam& p : info.params) {
      EXPECT_LE(p.min, p.default_value) << info.name << " " << p.name;
      EXPECT_LE(p.default_value, p.max) << info.name << " " << p.name;
    }
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"account", "airline", "co_2plus2w", "filesystem", "indexer",
                                      "lastzero", "opt_lock", "philosophers", "readers"}));
}

TEST(ProgramRegistry, FindsProgramsByName) {
  ASSERT_NE(find_program("readers"), nullptr);
  EXPECT_EQ(find_program("readers")->name, "readers");
  EXPECT_EQ(find_program("no_such_program"), nullptr);
}

TEST(ProgramRegistry, ResolveFillsDefaults) {
  const ProgramInfo* info = find_program("indexer");
  ASSERT_NE(info, nullptr);
  ResolvedParams resolved = resolve_params(*info, {{"n", 12}});
  EXPECT_EQ(resolved.error, "");
  EXPECT_EQ(resolved.values, (ParamValues{{"inserts", 4}, {"n", 12}, {"stride", 11}}));
}

TEST(ProgramRegistry, ResolveRejectsOutOfRangeValuesNamingTheRange) {
  const ProgramInfo* info = find_program("readers");
  ASSERT_NE(info, nullptr);
  ResolvedParams resolved = resolve_params(*info, {{"n", 0}});
  EXPECT_NE(resolved.error.find("'n'"), std::string::npos) << resolved.error;
  EXPECT_NE(resolved.error.find("[1, 30]"), std::string::npos) << resolved.error;
  EXPECT_NE(resolve_params(*info, {{"n", 31}}).error, "");
}

TEST(ProgramRegistry, ResolveRejectsUnknownParameters) {
  const ProgramInfo* info = find_program("readers");
  ASSERT_NE(info, nullptr);
  ResolvedParams resolved = resolve_params(*info, {{"threads", 2}});
  EXPECT_NE(resolved.error.find("'threads'"), std::string::npos) << resolved.error;
}

TEST(ProgramRegistry, EveryProgramRunsAtItsLargestParameters) {
  // One random execution of each program with every parameter at its maximum:
  // the thread count stays within kMaxThreads and the model's checks hold.
  for (const ProgramInfo& info : all_programs()) {
    ParamValues largest;
    for (const ProgramParam& p : info.params) largest[p.name] = p.max;
    ExploreOptions options;
    options.strategy = Strategy::kRandom;
    options.bounds.max_executions = 1;
    options.detectors.lock_order = false;
    const ExploreResult result = explore(make(info.name, largest), options);
    EXPECT_EQ(result.stats.executions, 1u) << info.name;
    for (const Counterexample& c : result.findings) {
      // Random philosophers may deadlock; nothing else may fail.
      if (info.name == "philosophers" && c.finding.property == kDeadlock) continue;
      ADD_FAILURE() << info.name << ": " << c.finding.property << ": " << c.finding.message;
    }
  }
}

// --- dpor against dfs ---------------------------------------------------------

struct Case {
  std::string program;
  ParamValues params;
};

// How GoogleTest (and so ctest's test names) shows a case: "readers(n=3)".
void PrintTo(const Case& c, std::ostream* out) {
  *out << c.program << "(";
  bool first = true;
  for (const auto& [key, value] : c.params) {
    *out << (first ? "" : ", ") << key << "=" << value;
    first = false;
  }
  *out << ")";
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.program;
  for (const auto& [key, value] : info.param.params) name += "_" + key + std::to_string(value);
  return name;
}

class ProgramExploration : public ::testing::TestWithParam<Case> {};

TEST_P(ProgramExploration, DporExploresExactlyTheDfsTracesOnceEach) {
  const Case& c = GetParam();
  const Program program = make(c.program, c.params);
  const Observed dfs = observe(program, exhaustive(Strategy::kDfs));
  const Observed dpor = observe(program, exhaustive(Strategy::kDpor));
  ASSERT_TRUE(dfs.result.stats.complete) << dfs.result.stats.incomplete_reason;
  ASSERT_TRUE(dpor.result.stats.complete) << dpor.result.stats.incomplete_reason;
  EXPECT_EQ(dfs.broken_canonical, 0u);
  EXPECT_EQ(dpor.broken_canonical, 0u);

  // (a) one dpor execution per Mazurkiewicz trace found by dfs.
  EXPECT_EQ(dpor.result.stats.executions, dfs.traces.size()) << program.name;
  EXPECT_EQ(dpor.traces, dfs.traces) << program.name;
  EXPECT_EQ(dpor.final_states, dfs.final_states) << program.name;
  // (b) never the same trace twice.
  EXPECT_EQ(dpor.repeated_traces, 0u) << program.name;
  // (c) no sleep-set-blocked execution.
  EXPECT_EQ(dpor.result.stats.blocked, 0u) << program.name;
  EXPECT_EQ(dpor.sleep_blocked, 0u) << program.name;
  // The statistics agree with what on_execution saw.
  EXPECT_EQ(dpor.result.stats.executions, dpor.complete);
  EXPECT_EQ(dfs.result.stats.executions, dfs.complete);
  EXPECT_EQ(dfs.result.stats.blocked, 0u);
  // (d) the closed form, where there is one.
  if (auto expected = expected_traces(c.program, c.params)) {
    EXPECT_EQ(dfs.traces.size(), *expected) << program.name;
  }
  // Only the philosophers have findings (the deadlock and its lock-order cycle).
  if (c.program != "philosophers") {
    for (const Counterexample& f : dpor.result.findings) {
      ADD_FAILURE() << program.name << ": " << f.finding.property << ": " << f.finding.message;
    }
    EXPECT_EQ(dpor.result.verdict, Verdict::kPass);
    EXPECT_EQ(dfs.result.verdict, Verdict::kPass);
  }
}

INSTANTIATE_TEST_SUITE_P(
    SmallPrograms, ProgramExploration,
    // dfs sizes: each case explores in well under a second (readers(5) is the
    // largest); lastzero(4), airline(4) and philosophers(4) take tens of seconds.
    ::testing::Values(
        Case{"readers", {{"n", 1}}}, Case{"readers", {{"n", 2}}}, Case{"readers", {{"n", 3}}},
        Case{"readers", {{"n", 4}}}, Case{"readers", {{"n", 5}}}, Case{"lastzero", {{"n", 1}}},
        Case{"lastzero", {{"n", 2}}}, Case{"lastzero", {{"n", 3}}},
        Case{"indexer", {{"n", 2}, {"stride", 1}, {"inserts", 2}}},
        Case{"indexer", {{"n", 2}, {"stride", 1}, {"inserts", 4}}},
        Case{"indexer", {{"n", 3}, {"stride", 1}, {"inserts", 1}}},
        Case{"indexer", {{"n", 3}, {"stride", 1}, {"inserts", 2}}},
        Case{"filesystem", {{"n", 2}, {"inodes", 2}, {"blocks", 1}}},
        Case{"filesystem", {{"n", 2}, {"inodes", 2}, {"blocks", 2}}},
        Case{"filesystem", {{"n", 2}, {"inodes", 1}, {"blocks", 2}}}, Case{"opt_lock", {{"n", 1}}},
        Case{"opt_lock", {{"n", 2}}}, Case{"opt_lock", {{"n", 3}}}, Case{"co_2plus2w", {{"n", 1}}},
        Case{"co_2plus2w", {{"n", 2}}}, Case{"co_2plus2w", {{"n", 3}}},
        Case{"co_2plus2w", {{"n", 4}}}, Case{"account", {{"n", 1}}}, Case{"account", {{"n", 2}}},
        Case{"account", {{"n", 3}}}, Case{"airline", {{"n", 2}}}, Case{"airline", {{"n", 3}}},
        Case{"philosophers", {{"n", 2}}}, Case{"philosophers", {{"n", 3}}}),
    case_name);

// --- Closed forms, dpor alone at larger sizes ----------------------------------

uint64_t dpor_executions(std::string_view name, const ParamValues& params) {
  const Observed dpor = observe(make(name, params), exhaustive(Strategy::kDpor));
  EXPECT_TRUE(dpor.result.stats.complete) << dpor.result.stats.incomplete_reason;
  EXPECT_EQ(dpor.result.stats.blocked, 0u) << name;
  EXPECT_EQ(dpor.repeated_traces, 0u) << name;
  EXPECT_EQ(dpor.result.verdict, Verdict::kPass) << name;
  return dpor.result.stats.executions;
}

// Explorations on one OS thread reuse one DPOR policy's buffers
// (explorer.cpp): an exploration after others, of programs with more
// threads, variables and locks, and deadlocks, must make exactly the same
// decisions as the first one in a fresh process.
TEST(DporReuse, AnExplorationAfterOthersMakesTheSameScheduleSequence) {
  auto schedules = [](const Program& program, uint64_t budget = UINT64_MAX) {
    std::vector<std::vector<uint32_t>> out;
    ExploreOptions options = exhaustive(Strategy::kDpor);
    options.bounds.max_executions = budget;  // a search stopped midway leaves a deep stack
    options.on_execution = [&out](const ExecutionSummary& s) {
      std::vector<uint32_t> threads;
      for (const Choice& c : s.schedule.choices) threads.push_back(c.thread * 64 + c.value);
      out.push_back(threads);
    };
    const ExploreResult result = explore(program, options);
    EXPECT_EQ(result.stats.complete, budget == UINT64_MAX) << result.stats.incomplete_reason;
    return out;
  };
  const Program small = make("lastzero", {{"n", 3}});
  const auto first = schedules(small);
  ASSERT_FALSE(first.empty());
  (void)schedules(make("philosophers", {{"n", 4}}), 7);  // locks, deadlocks, more threads
  (void)schedules(make("filesystem", {{"n", 14}}));      // many variables and locks
  (void)schedules(make("readers", {{"n", 6}}), 9);
  EXPECT_EQ(schedules(small), first);
}

TEST(Readers, DporExploresTwoToTheNTraces) {
  for (int64_t n = 1; n <= 8; ++n) {
    EXPECT_EQ(dpor_executions("readers", {{"n", n}}), uint64_t{1} << n) << "readers(" << n << ")";
    EXPECT_EQ(expected_traces("readers", {{"n", n}}), uint64_t{1} << n);
  }
}

TEST(Account, DporExploresFactorialSquaredTraces) {
  const uint64_t squared_factorial[] = {1, 4, 36, 576, 14400};
  for (int64_t n = 1; n <= 4; ++n) {
    EXPECT_EQ(expected_traces("account", {{"n", n}}), squared_factorial[n]);
    EXPECT_EQ(dpor_executions("account", {{"n", n}}), squared_factorial[n])
        << "account(" << n << ")";
  }
}

TEST(Co2plus2w, DporExploresEveryInterleaving) {
  const uint64_t interleavings[] = {1, 1, 6, 90, 2520};
  for (int64_t n = 1; n <= 4; ++n) {
    EXPECT_EQ(expected_traces("co_2plus2w", {{"n", n}}), interleavings[n]);
    EXPECT_EQ(dpor_executions("co_2plus2w", {{"n", n}}), interleavings[n])
        << "co_2plus2w(" << n << ")";
  }
}

TEST(Indexer, DporExploresTwoToTheThreeContestedSlotsTraces) {
  // Threads tid and tid+11 contend for three slots each (Flanagan & Godefroid).
  const std::pair<int64_t, uint64_t> cases[] = {{2, 1}, {11, 1}, {12, 8}, {13, 64}};
  for (const auto& [n, traces] : cases) {
    EXPECT_EQ(expected_traces("indexer", {{"n", n}}), traces);
    EXPECT_EQ(dpor_executions("indexer", {{"n", n}}), traces) << "indexer(" << n << ")";
  }
}

TEST(Filesystem, DporExploresTwoTracesPerContestedBlock) {
  const std::pair<int64_t, uint64_t> cases[] = {{1, 1}, {13, 1}, {14, 2}, {16, 8}};
  for (const auto& [n, traces] : cases) {
    EXPECT_EQ(expected_traces("filesystem", {{"n", n}}), traces);
    EXPECT_EQ(dpor_executions("filesystem", {{"n", n}}), traces) << "filesystem(" << n << ")";
  }
}

// Trace counts without a closed form, from an independent brute-force
// enumeration (every interleaving of the threads, canonicalised as in
// mazurkiewicz.hpp, written in Python outside this repository).
TEST(BruteForceCounts, DporMatchesIndependentEnumeration) {
  const std::tuple<const char*, int64_t, uint64_t> cases[] = {
      {"lastzero", 1, 2},  {"lastzero", 2, 5},  {"lastzero", 3, 12},  {"lastzero", 4, 28},
      {"opt_lock", 1, 10}, {"opt_lock", 2, 42}, {"opt_lock", 3, 126}, {"airline", 2, 4},
      {"airline", 3, 36},  {"airline", 4, 576},
  };
  for (const auto& [name, n, traces] : cases) {
    EXPECT_EQ(dpor_executions(name, {{"n", n}}), traces) << name << "(" << n << ")";
  }
}

TEST(Lastzero, DporIsCompleteAndOptimalAtMediumSize) {
  EXPECT_GT(dpor_executions("lastzero", {{"n", 6}}), 0u);
}

TEST(Airline, DporNeverOversells) {
  // dpor_executions checks the verdict: the model's airline-oversold check holds.
  EXPECT_GT(dpor_executions("airline", {{"n", 5}}), 0u);
}

// --- Philosophers ----------------------------------------------------------------

TEST(Philosophers, StopOnFirstReportsTheDeadlock) {
  ExploreOptions options;
  options.strategy = Strategy::kDpor;
  options.stop_on = [](const Finding& f) { return f.property == kDeadlock; };
  const ExploreResult result = explore(make("philosophers", {{"n", 3}}), options);
  EXPECT_EQ(result.verdict, Verdict::kViolation);
  bool deadlock = false;
  for (const Counterexample& c : result.findings) {
    if (c.finding.property != kDeadlock) continue;
    deadlock = true;
    EXPECT_TRUE(c.reproduced);
    EXPECT_TRUE(std::holds_alternative<Deadlock>(c.finding.detail));
    if (const auto* d = std::get_if<Deadlock>(&c.finding.detail)) {
      // Each philosopher waits for a fork (the engine also lists main's join).
      std::set<uint32_t> waiting_for_forks;
      for (const WaitEdge& edge : d->cycle) {
        if (edge.waits_for.starts_with("fork")) waiting_for_forks.insert(edge.thread);
      }
      EXPECT_EQ(waiting_for_forks.size(), 3u) << c.finding.message;
    }
  }
  EXPECT_TRUE(deadlock);
}

TEST(Philosophers, StopOnFirstWithoutLockdepStopsAtTheDeadlock) {
  ExploreOptions options;
  options.strategy = Strategy::kDpor;
  options.detectors.lock_order = false;
  const ExploreResult result = explore(make("philosophers", {{"n", 3}}), options);
  EXPECT_EQ(result.verdict, Verdict::kViolation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].finding.property, kDeadlock);
}

TEST(Philosophers, KeepGoingFindsTwoToTheNMinusOneTracesOneDeadlocked) {
  // A deadlock needs every philosopher to hold its left fork and nothing else:
  // those acquisitions are independent, so exactly one trace deadlocks.
  for (int64_t n = 2; n <= 6; ++n) {
    const Observed dpor = observe(make("philosophers", {{"n", n}}), exhaustive(Strategy::kDpor));
    EXPECT_TRUE(dpor.result.stats.complete);
    EXPECT_EQ(dpor.result.stats.executions, (uint64_t{1} << n) - 1) << "philosophers(" << n << ")";
    EXPECT_EQ(expected_traces("philosophers", {{"n", n}}), (uint64_t{1} << n) - 1);
    EXPECT_EQ(dpor.result.stats.deadlocked, 1u) << "philosophers(" << n << ")";
    EXPECT_EQ(dpor.result.stats.blocked, 0u) << "philosophers(" << n << ")";
    EXPECT_EQ(dpor.repeated_traces, 0u) << "philosophers(" << n << ")";
    bool deadlock = false;
    for (const Counterexample& c : dpor.result.findings)
      deadlock |= c.finding.property == kDeadlock;
    EXPECT_TRUE(deadlock);
  }
}

}  // namespace
}  // namespace protmc::checker::programs
