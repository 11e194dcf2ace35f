// Determinism: the whole battery run twice gives identical JSON results and
// identical trace files once timings (every "elapsed_s") are removed; every
// trace in traces/examples/ and every counterexample the battery produces
// replays to the finding it records.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using protmc_test::RunResult;

const fs::path kSource = PROTMC_SOURCE_DIR;

// `value` without any member named "elapsed_s", at any depth, and with each
// finding's "trace" path reduced to its file name (the runs write to
// different directories).
Json without_timings(Json value) {
  if (value.is_object()) {
    value.erase("elapsed_s");
    if (value.contains("trace") && value["trace"].is_string()) {
      value["trace"] = fs::path(value["trace"].get<std::string>()).filename().string();
    }
    for (auto& [key, member] : value.items()) member = without_timings(member);
  } else if (value.is_array()) {
    for (Json& element : value) element = without_timings(element);
  }
  return value;
}

Json parse_file(const fs::path& path) {
  std::ifstream in(path);
  return Json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Determinism : public protmc_test::TempDirTest {
 protected:
  RunResult protmc(const std::string& args) {
    return protmc_test::run_protmc_to(args, (dir_ / "stdout").string(), (dir_ / "stderr").string());
  }
  // `protmc run scenarios/ --format json --trace-dir DIR/traces-N`, from the
  // source directory (trace files record the scenario path as given).
  Json battery(int n) {
    const RunResult r = protmc("run scenarios/ --format json --trace-dir '" +
                               (dir_ / ("traces-" + std::to_string(n))).string() + "'");
    EXPECT_EQ(r.status, 0) << r.err;
    Json results = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(results.is_discarded()) << r.out;
    return results;
  }
  // Replays `trace`; expects "reproduced: PROPERTY" for its recorded property.
  void expect_replays(const fs::path& trace) {
    const Json recorded = parse_file(trace);
    ASSERT_FALSE(recorded.is_discarded()) << trace;
    const std::string property = recorded["finding"]["property"].get<std::string>();
    const RunResult r = protmc("replay '" + trace.string() + "'");
    EXPECT_EQ(r.status, 0) << trace << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("reproduced: " + property), std::string::npos) << trace << "\n" << r.out;
  }
};

TEST_F(Determinism, TheBatteryGivesIdenticalResultsAndTracesTwice) {
  ASSERT_EQ(chdir(kSource.c_str()), 0);
  const Json first = without_timings(battery(1));
  const Json second = without_timings(battery(2));
  ASSERT_TRUE(first.contains("results"));
  EXPECT_GE(first["results"].size(), 10u);
  EXPECT_TRUE(first == second) << "the two runs differ";

  const std::vector<fs::path> traces = json_files(dir_ / "traces-1");
  ASSERT_FALSE(traces.empty());
  ASSERT_EQ(traces.size(), json_files(dir_ / "traces-2").size());
  for (const fs::path& trace : traces) {
    const fs::path twin = dir_ / "traces-2" / trace.filename();
    EXPECT_TRUE(without_timings(parse_file(trace)) == without_timings(parse_file(twin)))
        << trace.filename() << " differs";
  }
}

TEST_F(Determinism, EveryCounterexampleOfTheBatteryReplaysToItsFinding) {
  ASSERT_EQ(chdir(kSource.c_str()), 0);
  const Json results = battery(1);
  std::size_t findings = 0;
  for (const Json& result : results["results"]) findings += result["findings"].size();
  const std::vector<fs::path> traces = json_files(dir_ / "traces-1");
  EXPECT_EQ(traces.size(), findings);
  ASSERT_FALSE(traces.empty());
  for (const fs::path& trace : traces) expect_replays(trace);
}

TEST_F(Determinism, EveryExampleTraceReplaysToItsFinding) {
  const std::vector<fs::path> traces = json_files(kSource / "traces/examples");
  ASSERT_FALSE(traces.empty());
  for (const fs::path& trace : traces) expect_replays(trace);
}

TEST_F(Determinism, TheMatrixGivesIdenticalJsonTwice) {
  ASSERT_EQ(chdir(kSource.c_str()), 0);
  const RunResult first = protmc("matrix --format json");
  const Json a = without_timings(Json::parse(first.out, nullptr, false));
  const RunResult second = protmc("matrix --format json");
  const Json b = without_timings(Json::parse(second.out, nullptr, false));
  EXPECT_EQ(first.status, 0) << first.err;
  ASSERT_FALSE(a.is_discarded());
  EXPECT_TRUE(a == b) << "the two matrix runs differ";
}

}  // namespace
