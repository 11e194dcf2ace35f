// Every validation program at a size Relacy's full search exhausts, under
// both engines: same verdict, same property.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "checker/programs/registry.hpp"
#include "checker/relacy/relacy_backend.hpp"

namespace protmc::checker {
namespace {

using relacy::RelacyOptions;
using relacy::RelacyResult;
using relacy::RelacySearch;
using relacy::RelacyVerdict;

Program make(const std::string& name, const programs::ParamValues& given) {
  const programs::ProgramInfo* info = programs::find_program(name);
  EXPECT_NE(info, nullptr) << name;
  programs::ResolvedParams resolved = programs::resolve_params(*info, given);
  EXPECT_TRUE(resolved.error.empty()) << resolved.error;
  return info->make(resolved.values);
}

// Native dpor with the detectors Relacy also has (no lock-order: Relacy finds
// the deadlock itself).
ExploreResult native(const Program& program) {
  ExploreOptions options;
  options.detectors.lock_order = false;
  return explore(program, options);
}

// Without a time limit by default, so that verdicts do not depend on the
// machine's load; the iteration cap is far above what the cases need.
RelacyResult full(const Program& program, double time_limit_s = 0) {
  RelacyOptions options;
  options.search = RelacySearch::kFull;
  options.time_limit_s = time_limit_s;
  options.max_iterations = 5'000'000;
  return relacy::explore_with_relacy(program, options);
}

const char* verdict_name(Verdict verdict) { return to_string(verdict); }

TEST(RelacyPrograms, RandomSearchWithoutFindingIsIncompleteNotPass) {
  RelacyOptions options;
  options.search = RelacySearch::kRandom;
  options.max_iterations = 100;
  const RelacyResult got = relacy::explore_with_relacy(make("readers", {{"n", 2}}), options);
  EXPECT_EQ(got.verdict, RelacyVerdict::kIncomplete);
  EXPECT_EQ(got.executions, 100u);
}

TEST(RelacyPrograms, TimeCapEndsFullSearchIncomplete) {
  const RelacyResult got = full(make("readers", {{"n", 5}}), 0.2);
  EXPECT_EQ(got.verdict, RelacyVerdict::kIncomplete);
  EXPECT_EQ(got.incomplete_reason, "time limit reached");
  EXPECT_GT(got.executions, 0u);
  EXPECT_LT(got.elapsed_s, 2.0);
}

TEST(RelacyPrograms, TooManyThreadsIsAUserErrorNotACrash) {
  const RelacyResult got = full(make("readers", {{"n", 8}}));
  EXPECT_EQ(got.verdict, RelacyVerdict::kIncomplete);
  EXPECT_NE(got.error.find("at most 8"), std::string::npos) << got.error;
  EXPECT_EQ(got.executions, 0u);
}

TEST(RelacyPrograms, DeadlockCarriesAHistoryRenderedAsATrace) {
  const RelacyResult got = full(make("philosophers", {{"n", 2}}));
  ASSERT_EQ(got.verdict, RelacyVerdict::kViolation);
  EXPECT_EQ(got.property, kDeadlock);
  ASSERT_FALSE(got.trace.events.empty());
  EXPECT_EQ(got.trace.thread_names.front(), "main");
  bool saw_lock = false;
  for (const TraceEvent& event : got.trace.events) {
    saw_lock = saw_lock || (event.operation == "lock" && event.object.find("fork") == 0);
  }
  EXPECT_TRUE(saw_lock);
  EXPECT_NE(got.relacy_history.find("DEADLOCK"), std::string::npos);
}

// Static-thread mode: main's steps before its spawns run in Relacy's
// before(), its steps from its joins on in after(); both are ordered with the
// threads as spawn and join order them, and a fail() in after() is a finding.
TEST(RelacyPrograms, MainsSetupAndCheckAreHoistedAndOrderedWithTheThreads) {
  for (const uint64_t wanted : {1, 2}) {
    SCOPED_TRACE(wanted);
    const Program program{"hoisted", [wanted](Env& env) {
                            const VarId x = env.make_var("x", 0);
                            const VarId y = env.make_var("y", 0);
                            env.store(x, 1, Access::kPlain);  // before the spawn: no race
                            const ThreadId t = env.spawn("t", [x, y](Env& e) {
                              e.store(y, e.load(x, Access::kPlain), Access::kPlain);
                            });
                            env.join(t);
                            if (env.load(y, Access::kPlain) != wanted) env.fail("check", "y");
                          }};
    const RelacyResult got = full(program);
    EXPECT_TRUE(got.static_threads) << got.dynamic_reason;
    if (wanted == 1) {
      EXPECT_EQ(got.verdict, RelacyVerdict::kPass) << got.property << ": " << got.message;
    } else {
      EXPECT_EQ(got.verdict, RelacyVerdict::kViolation);
      EXPECT_EQ(got.property, "check");
    }
  }
}

// A main that acts while its threads may run cannot be hoisted: the search is
// run again with every thread, main included, as a Relacy thread, and finds
// what that interleaving allows (here a race with main's plain load).
TEST(RelacyPrograms, MainActingBetweenSpawnAndJoinFallsBackToDynamicThreads) {
  const Program program{"unhoistable", [](Env& env) {
                          const VarId x = env.make_var("x", 0);
                          const ThreadId t =
                              env.spawn("t", [x](Env& e) { e.store(x, 1, Access::kPlain); });
                          (void)env.load(x, Access::kPlain);
                          env.join(t);
                        }};
  const RelacyResult got = full(program);
  EXPECT_FALSE(got.static_threads);
  EXPECT_EQ(got.dynamic_reason, "main acts between its spawns and its joins");
  EXPECT_EQ(got.verdict, RelacyVerdict::kViolation);
  EXPECT_EQ(got.property, kDataRace) << got.message;
  EXPECT_EQ(native(program).findings.front().finding.property, kDataRace);
}

TEST(RelacyPrograms, AMainHoldingALockWhenItSpawnsFallsBackToDynamicThreads) {
  const Program program{"lock-across-spawn", [](Env& env) {
                          const LockId m = env.make_lock(LockSpec{"m", "m", LockKind::kMutex});
                          env.lock(m);
                          const ThreadId t = env.spawn("t", [m](Env& e) {
                            e.lock(m);
                            e.unlock(m);
                          });
                          env.unlock(m);
                          env.join(t);
                        }};
  const RelacyResult got = full(program);
  EXPECT_FALSE(got.static_threads);
  EXPECT_EQ(got.dynamic_reason, "main holds a lock when it spawns");
  EXPECT_EQ(got.verdict, RelacyVerdict::kPass) << got.property << ": " << got.message;
}

struct Case {
  std::string name;
  programs::ParamValues params;
};

// Sizes at which Relacy's fair full search (static threads) finishes within
// about 1.5 s each (account(3): 1.4 million executions; readers(4): 0.7
// million; docs/performance.md).
std::vector<Case> cases() {
  return {{"readers", {{"n", 3}}},    {"readers", {{"n", 4}}},      {"lastzero", {{"n", 3}}},
          {"account", {{"n", 2}}},    {"account", {{"n", 3}}},      {"indexer", {{"n", 2}}},
          {"filesystem", {{"n", 2}}}, {"opt_lock", {{"n", 1}}},     {"opt_lock", {{"n", 2}}},
          {"co_2plus2w", {{"n", 2}}}, {"co_2plus2w", {{"n", 3}}},   {"airline", {{"n", 2}}},
          {"airline", {{"n", 3}}},    {"philosophers", {{"n", 2}}}, {"philosophers", {{"n", 3}}}};
}

TEST(RelacyPrograms, FullSearchAgreesWithDporOnEveryValidationProgram) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Program program = make(c.name, c.params);
    const ExploreResult expected = native(program);
    ASSERT_NE(expected.verdict, Verdict::kIncomplete);
    const RelacyResult got = full(program);
    ASSERT_TRUE(got.error.empty()) << got.error;
    ASSERT_NE(got.verdict, RelacyVerdict::kIncomplete) << got.incomplete_reason;
    EXPECT_EQ(relacy::to_string(got.verdict), std::string(verdict_name(expected.verdict)))
        << got.property << ": " << got.message;
    if (expected.verdict == Verdict::kViolation) {
      EXPECT_EQ(got.property, expected.findings.front().finding.property) << got.message;
    }
  }
}

}  // namespace
}  // namespace protmc::checker
