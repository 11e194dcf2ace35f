// End-to-end tests of the protmc command line: run the built binary, check
// its exit status, stdout and stderr.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "support/run_protmc.hpp"

namespace {

using protmc_test::RunResult;

// Runs `protmc ARGS` (ARGS is shell text) and captures everything.
RunResult protmc(const std::string& args) { return protmc_test::run_protmc(args, "cli"); }

TEST(Cli, UnknownProgramIsBadInput) {
  const RunResult r = protmc("run --program no-such-program");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("unknown program 'no-such-program'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Cli, NonIntegerParamIsBadInput) {
  const RunResult r = protmc("run --program readers --param n=abc");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("not an integer"), std::string::npos) << r.err;
}

TEST(Cli, UnknownParamIsBadInput) {
  const RunResult r = protmc("run --program readers --param nope=1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
}

TEST(Cli, OutOfRangeParamIsBadInput) {
  const RunResult r = protmc("run --program readers --param n=100000");
  EXPECT_EQ(r.status, 2) << r.err;
}

TEST(Cli, UsageErrorsAreStatusTwo) {
  EXPECT_EQ(protmc("").status, 2);
  EXPECT_EQ(protmc("frobnicate").status, 2);
  EXPECT_EQ(protmc("run").status, 2);  // --program is required
  EXPECT_EQ(protmc("run --program readers --strategy bogus").status, 2);
  EXPECT_EQ(protmc("run --program readers --format xml").status, 2);
  EXPECT_EQ(protmc("run --program readers --max-executions many").status, 2);
  EXPECT_EQ(protmc("run --program readers --max-executions -1").status, 2);
  EXPECT_EQ(protmc("run --program readers --seed -5").status, 2);
  EXPECT_EQ(protmc("run --program readers --param n=1 m=2").status, 2);
  EXPECT_EQ(protmc("run --program readers --param n").status, 2);
  EXPECT_EQ(protmc("run --program readers --preemption-bound 2").status, 2);  // dpor
  EXPECT_EQ(protmc("list widgets").status, 2);
}

TEST(Cli, RelacyEngineRunsAProgramOrExplainsItsAbsence) {
  const RunResult r = protmc("run --program readers --param n=2 --engine relacy");
#if PROTMC_WITH_RELACY
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("engine relacy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: pass"), std::string::npos) << r.out;
  // Only a full search can pass; a random one that finds nothing is incomplete.
  EXPECT_EQ(
      protmc("run --program readers --param n=2 --engine relacy --relacy-search random").status, 3);
  EXPECT_EQ(protmc("run --program readers --engine relacy --relacy-search sideways").status, 2);
#else
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("built without the Relacy engine"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
#endif
  EXPECT_EQ(protmc("run --program readers --engine bogus").status, 2);
  EXPECT_EQ(protmc("run --program readers --relacy-search full").status, 2);  // native engine
}

TEST(Cli, HelpIsStatusZero) {
  const RunResult r = protmc("run --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--program"), std::string::npos) << r.out;
}

TEST(Cli, ListProgramsShowsReaders) {
  const RunResult r = protmc("list programs");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("readers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--param n="), std::string::npos) << r.out;
}

TEST(Cli, ReadersPassesWithJsonOutput) {
  const RunResult r = protmc("run --program readers --param n=2 --format json");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(json.is_discarded()) << r.out;
  ASSERT_EQ(json["results"].size(), 1u) << r.out;
  const nlohmann::json& result = json["results"][0];
  EXPECT_EQ(result["program"], "readers");
  EXPECT_EQ(result["params"]["n"], 2);
  EXPECT_EQ(result["strategy"], "dpor");
  EXPECT_EQ(result["verdict"], "pass");
  EXPECT_TRUE(result["findings"].empty());
  EXPECT_EQ(result["complete"], true);
  // readers(n) has 2^n Mazurkiewicz traces; optimal DPOR runs one execution each.
  EXPECT_EQ(result["executions"], 4);
}

TEST(Cli, ReadersPassesWithTextOutput) {
  const RunResult r = protmc("run --program readers --param n=2");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("verdict: pass"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("complete"), std::string::npos) << r.out;
}

TEST(Cli, LockOrderIsAFindingWithATrace) {
  // philosophers(2) takes the two forks in opposite orders; DPOR stops at the
  // first finding, which comes with the trace that shows it.
  const RunResult r = protmc("run --program philosophers --param n=2");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: violation"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("locks held"), std::string::npos) << r.out;  // the trace header
  EXPECT_NE(r.out.find("mutex_lock"), std::string::npos) << r.out;
}

TEST(Cli, KeepGoingReportsEveryProperty) {
  const RunResult r = protmc("run --program philosophers --param n=2 --keep-going --format json");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << r.out;
  const nlohmann::json& result = json["results"][0];
  EXPECT_EQ(result["verdict"], "violation");
  EXPECT_EQ(result["complete"], true);
  EXPECT_EQ(result["deadlocked"], 1);
  std::set<std::string> properties;
  for (const auto& finding : result["findings"]) {
    properties.insert(finding["property"].get<std::string>());
    EXPECT_FALSE(finding["schedule"].empty());
    for (const auto& choice : finding["schedule"]) EXPECT_EQ(choice.size(), 2u);
  }
  EXPECT_EQ(properties, (std::set<std::string>{"deadlock", "lock-order"}));
}

TEST(Cli, ExecutionBudgetMakesRunIncomplete) {
  const RunResult r = protmc("run --program readers --param n=3 --max-executions 1 --format json");
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << r.out;
  EXPECT_EQ(json["results"][0]["verdict"], "incomplete");
  EXPECT_EQ(json["results"][0]["complete"], false);
}

}  // namespace
