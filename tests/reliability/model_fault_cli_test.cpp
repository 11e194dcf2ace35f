// A model that breaks, end to end: protmc-fault-injection (the protmc command
// line with the deliberately broken proposals of fault_injection_main.cpp)
// runs real scenarios. A model exception or failed CHECK is an internal-error
// finding naming the scenario, the proposal and the schedule that triggers it,
// with a trace that replays to it, while the run's other results complete and
// are reported; a model that loops outside the engine is reported as stalled
// (where, and after what) and the process ends with status 3 instead of
// hanging, after --stall-timeout or, after a Ctrl-C, within seconds.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/interrupt_protmc.hpp"
#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using protmc_test::run_protmc;

const fs::path kScenarios = fs::path(PROTMC_SOURCE_DIR) / "scenarios";
const std::string kTwoFaults = (kScenarios / "two-faults-one-bo.json").string();
const std::string kUnlockedRead = (kScenarios / "unlocked-bo-mem-read.json").string();

class ModelFaultCli : public protmc_test::TempDirTest {};

TEST_F(ModelFaultCli, AModelExceptionIsAnInternalErrorWithItsScheduleAndTheOtherResultsComplete) {
  const std::string traces = (dir_ / "traces").string();
  const protmc_test::RunResult run = run_protmc(
      "run '" + kTwoFaults + "' '" + kUnlockedRead +
          "' --proposal per-page-prot --proposal test-throws --format json --trace-dir '" + traces +
          "'",
      "throws");
  EXPECT_EQ(run.status, 1) << run.err;
  const Json results = Json::parse(run.out).at("results");
  ASSERT_EQ(results.size(), 4U) << run.out;
  for (const Json& r : results) {
    SCOPED_TRACE(r.at("scenario").get<std::string>() + "[" + r.at("proposal").get<std::string>() +
                 "]");
    if (r.at("proposal") == "per-page-prot") {
      // The healthy results around the broken ones are whole and as expected.
      EXPECT_TRUE(r.at("complete").get<bool>());
      EXPECT_EQ(r.at("as_expected"), true);
      continue;
    }
    EXPECT_EQ(r.at("verdict"), "violation");
    ASSERT_EQ(r.at("findings").size(), 1U);
    const Json& finding = r.at("findings")[0];
    EXPECT_EQ(finding.at("property"), "internal-error");
    EXPECT_NE(finding.at("message").get<std::string>().find("injected model bug in the fault path"),
              std::string::npos)
        << finding.at("message");
    // The schedule names the choice that breaks the model: a choose(2) that picked 1.
    bool picked_one = false;
    for (const Json& choice : finding.at("schedule")) picked_one |= choice.at(1) == 1;
    EXPECT_TRUE(picked_one) << finding.at("schedule");
    // Its trace replays to the same internal error.
    const std::string trace = finding.at("trace").get<std::string>();
    ASSERT_TRUE(fs::exists(trace)) << trace;
    const protmc_test::RunResult replay = run_protmc("replay '" + trace + "'", "replay");
    EXPECT_EQ(replay.status, 0) << replay.out << replay.err;  // 0: it reproduced
    EXPECT_NE(replay.out.find("reproduced: internal-error in thread cpu"), std::string::npos)
        << replay.out;
    EXPECT_NE(replay.out.find("internal-error"), std::string::npos) << replay.out;
  }
}

TEST_F(ModelFaultCli, AFailedCheckInTheModelIsAnInternalErrorNamingTheScenarioNotAnAbort) {
  const protmc_test::RunResult run =
      run_protmc("run '" + kTwoFaults + "' --proposal test-check-fails", "check");
  EXPECT_EQ(run.status, 1) << run.err;
  EXPECT_NE(run.out.find("scenario two-faults-one-bo"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("proposal test-check-fails"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("verdict: violation (internal-error)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("injected CHECK failure in the fault path"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("fault_injection_main.cpp:"), std::string::npos) << run.out;
  EXPECT_EQ(run.err.find("Aborted"), std::string::npos) << run.err;
}

TEST_F(ModelFaultCli, AModelLoopingOutsideTheEngineIsReportedStalledAndTheRunEndsIncomplete) {
  const auto start = std::chrono::steady_clock::now();
  const protmc_test::RunResult run = run_protmc(
      "run '" + kTwoFaults +
          "' --proposal per-page-prot --proposal test-stalls --stall-timeout 0.5 --format json",
      "stalls");
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(run.status, 3) << run.err;
  EXPECT_LT(took, 30.0);
  const Json results = Json::parse(run.out).at("results");
  ASSERT_EQ(results.size(), 2U) << run.out;
  EXPECT_EQ(results[0].at("proposal"), "per-page-prot");
  EXPECT_EQ(results[0].at("as_expected"), true);
  const Json& stalled = results[1];
  EXPECT_EQ(stalled.at("proposal"), "test-stalls");
  EXPECT_EQ(stalled.at("verdict"), "incomplete");
  const std::string reason = stalled.at("incomplete_reason").get<std::string>();
  EXPECT_EQ(reason.rfind("stalled: model thread 'cpu", 0), 0U) << reason;
  EXPECT_NE(reason.find("made no engine call for"), std::string::npos) << reason;
  EXPECT_NE(reason.find(", in injected_stall (execution "), std::string::npos) << reason;
  EXPECT_NE(run.err.find("protmc run: two-faults-one-bo[test-stalls]: stalled: model thread"),
            std::string::npos)
      << run.err;

  // A negative timeout is a usage error naming the option; nothing runs.
  const protmc_test::RunResult bad =
      run_protmc("run '" + kTwoFaults + "' --stall-timeout -1", "negative");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--stall-timeout"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.out, "");
}

TEST_F(ModelFaultCli, AGateOverAStalledModelSaysWhereAndReportsWhatItHas) {
  fs::create_directories(dir_ / "scenarios");
  fs::copy_file(kTwoFaults, dir_ / "scenarios" / "two-faults-one-bo.json");
  const std::string junit = (dir_ / "gate.xml").string();
  const protmc_test::RunResult run = run_protmc(
      "gate '" + (dir_ / "scenarios").string() +
          "' --proposal per-page-prot --proposal test-stalls --stall-timeout 0.5 --junit '" +
          junit + "'",
      "gate");
  EXPECT_EQ(run.status, 3) << run.out << run.err;
  EXPECT_NE(run.err.find("protmc gate: two-faults-one-bo[test-stalls]: stalled: model thread"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("protmc gate: stopped before the table was complete: INCOMPLETE"),
            std::string::npos)
      << run.err;
  // The table so far: the finished result, and the stalled one as incomplete
  // with the stall as its reason; the JUnit file has both.
  EXPECT_NE(run.out.find("per-page-prot"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("incomplete:\n  two-faults-one-bo[test-stalls]: stalled: model thread"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("gate INCOMPLETE: 2 test cases, 1 pass, 0 violation, 1 incomplete"),
            std::string::npos)
      << run.out;
  const std::string xml = protmc_test::read_file(junit);
  EXPECT_NE(xml.find("two-faults-one-bo[per-page-prot]"), std::string::npos) << xml;
  EXPECT_NE(xml.find("two-faults-one-bo[test-stalls]"), std::string::npos) << xml;
  EXPECT_NE(xml.find("stalled: model thread"), std::string::npos) << xml;
}

TEST_F(ModelFaultCli, AMatrixOverAStalledModelPrintsTheTableSoFar) {
  fs::create_directories(dir_ / "scenarios");
  fs::copy_file(kTwoFaults, dir_ / "scenarios" / "two-faults-one-bo.json");
  const protmc_test::RunResult run = run_protmc(
      "matrix '" + (dir_ / "scenarios").string() + "' --stall-timeout 0.5 --format json", "matrix");
  EXPECT_NE(run.err.find("protmc matrix: two-faults-one-bo[test-stalls]: stalled: model thread"),
            std::string::npos)
      << run.err;
  const Json out = Json::parse(run.out);
  const Json& results = out.at("results");
  ASSERT_GE(results.size(), 2U) << run.out;
  // Every proposal registered before test-stalls finished; test-stalls is last, incomplete.
  const Json& stalled = results.back();
  EXPECT_EQ(stalled.at("proposal"), "test-stalls");
  EXPECT_EQ(stalled.at("verdict"), "incomplete");
  EXPECT_EQ(stalled.at("incomplete_reason").get<std::string>().rfind("stalled: model thread", 0),
            0U);
  bool finished_differs = false;
  for (size_t i = 0; i + 1 < results.size(); ++i) {
    EXPECT_NE(results[i].at("verdict"), "incomplete") << results[i];
    finished_differs |= results[i].at("differs").get<bool>();
  }
  // Status 1 when a finished result differs from its expectation (test-throws
  // and test-check-fails are internal errors), else 3.
  EXPECT_EQ(run.status, finished_differs ? 1 : 3) << run.err;
}

TEST_F(ModelFaultCli, CtrlCStopsAStalledModelWithinSecondsAndSaysSo) {
  // The default stall timeout (30 s) is far away; the Ctrl-C brings it to
  // checker::kStallGraceS.
  const protmc_test::InterruptedRun run =
      protmc_test::interrupt_protmc(PROTMC_BINARY, {"run", kTwoFaults, "--proposal", "test-stalls"},
                                    dir_, std::chrono::milliseconds(500));
  EXPECT_EQ(run.status, 3) << run.err;
  EXPECT_LT(run.stopped_after, std::chrono::seconds(15));
  EXPECT_NE(run.out.find("incomplete: stalled: model thread 'cpu"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find(", interrupted; a model thread cannot be stopped outside engine calls"),
            std::string::npos)
      << run.err;
}

}  // namespace
