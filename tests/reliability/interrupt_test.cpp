// Interruption end to end: `protmc run` on explorations that would run for
// ever (the random strategy never exhausts) is started in the background and
// sent SIGINT; it must stop within seconds, print every result so far (the
// interrupted one incomplete, "interrupted", with its statistics; the ones not
// started yet, also as interrupted), write the traces it already found, and
// exit with status 3 (incomplete).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/interrupt_protmc.hpp"
#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const fs::path kSource = PROTMC_SOURCE_DIR;

class Interrupt : public protmc_test::TempDirTest {
 protected:
  // Starts protmc with `args`, waits until it catches SIGINT and then
  // `running` longer, sends SIGINT and waits (at most 60 s) for it to exit.
  // Returns its exit status (128 + signal when killed); stdout and stderr
  // are in out_ and err_.
  int interrupt_after(const std::vector<std::string>& args, std::chrono::milliseconds running) {
    protmc_test::InterruptedRun run =
        protmc_test::interrupt_protmc(PROTMC_BINARY, args, dir_, running);
    out_ = std::move(run.out);
    err_ = std::move(run.err);
    stopped_after_ = run.stopped_after;
    return run.status;
  }

  std::string out_;
  std::string err_;
  Clock::duration stopped_after_{};
};

TEST_F(Interrupt, ARunOfScenariosStopsCleanlyReportsEverythingAndWritesItsTraces) {
  fs::create_directories(dir_ / "scenarios");
  for (const char* name : {"mprotect-after-fault-vram-sev.json", "two-faults-one-bo.json"}) {
    fs::copy_file(kSource / "scenarios" / name, dir_ / "scenarios" / name);
  }
  const int status =
      interrupt_after({"run", (dir_ / "scenarios").string(), "--strategy", "random", "--keep-going",
                       "--format", "json", "--trace-dir", (dir_ / "traces").string()},
                      std::chrono::milliseconds(500));
  EXPECT_EQ(status, 3) << err_;
  EXPECT_LT(stopped_after_, std::chrono::seconds(10));
  const Json output = Json::parse(out_, nullptr, false);
  ASSERT_FALSE(output.is_discarded()) << out_ << err_;
  const Json& results = output["results"];
  ASSERT_EQ(results.size(), 6u);  // one proposal, then all five
  const Json& first = results[0];
  EXPECT_EQ(first["scenario"], "mprotect-after-fault-vram-sev");
  EXPECT_EQ(first["verdict"], "violation");
  EXPECT_EQ(first["incomplete_reason"], "interrupted");
  EXPECT_GT(first["executions"].get<uint64_t>(), 0u);
  ASSERT_EQ(first["findings"].size(), 1u);
  const fs::path trace = first["findings"][0]["trace"].get<std::string>();
  EXPECT_TRUE(fs::exists(trace)) << trace;
  EXPECT_EQ(trace.parent_path(), dir_ / "traces");
  for (std::size_t i = 1; i < results.size(); ++i) {
    EXPECT_EQ(results[i]["verdict"], "incomplete") << i;
    EXPECT_EQ(results[i]["incomplete_reason"], "interrupted") << i;
  }
}

// A scenario that runs until interrupted: two faults and a move under the
// random strategy (which never exhausts), tagged for the gate.
void write_endless_scenario(const fs::path& path) {
  std::ofstream(path) << R"({"name": "endless", "kernel": "v5.6", "platform": {"sev": true},
  "mapping": {"driver": "ttm", "pages": 2}, "bo": {"placement": "vram"},
  "threads": [{"name": "cpu0", "ops": [{"op": "fault", "page": 0}]},
              {"name": "cpu1", "ops": [{"op": "fault", "page": 1, "write": true}]},
              {"name": "evict", "ops": [{"op": "bo_move", "to": "system"}]}],
  "explore": {"strategy": "random", "max_executions": 1000000000, "time_limit_s": 3600},
  "tags": ["gate"]})";
}

TEST_F(Interrupt, AMatrixStopsCleanlyAndPrintsItsTableAndSummary) {
  write_endless_scenario(dir_ / "endless.json");
  const int status = interrupt_after({"matrix", dir_.string()}, std::chrono::milliseconds(500));
  EXPECT_LT(stopped_after_, std::chrono::seconds(10));
  // Interrupted explorations are incomplete; with no expectation stated, an
  // incomplete result differs from the implied pass.
  EXPECT_EQ(status, 1) << out_ << err_;
  EXPECT_NE(out_.find("endless "), std::string::npos) << out_;
  EXPECT_NE(out_.find("incomplete"), std::string::npos) << out_;
  EXPECT_NE(out_.find("5 results, "), std::string::npos) << out_;
}

TEST_F(Interrupt, AGateStopsCleanlyAndSaysIncomplete) {
  write_endless_scenario(dir_ / "endless.json");
  const fs::path junit = dir_ / "gate.xml";
  const int status = interrupt_after(
      {"gate", dir_.string(), "--proposal", "write-once", "--junit", junit.string()},
      std::chrono::milliseconds(500));
  EXPECT_LT(stopped_after_, std::chrono::seconds(10));
  EXPECT_EQ(status, 3) << out_ << err_;
  EXPECT_NE(out_.find("gate INCOMPLETE: 1 test cases, 0 pass, 0 violation, 1 incomplete"),
            std::string::npos)
      << out_;
  EXPECT_NE(
      protmc_test::read_file(junit.string()).find("<skipped message=\"incomplete: interrupted"),
      std::string::npos);
}

TEST_F(Interrupt, ARunOfAProgramStopsCleanlyWithItsStatistics) {
  const int status = interrupt_after({"run", "--program", "readers", "--strategy", "random"},
                                     std::chrono::milliseconds(300));
  EXPECT_EQ(status, 3) << err_;
  EXPECT_LT(stopped_after_, std::chrono::seconds(10));
  EXPECT_NE(out_.find("verdict: incomplete"), std::string::npos) << out_;
  EXPECT_NE(out_.find("incomplete: interrupted"), std::string::npos) << out_;
  EXPECT_EQ(out_.find("executions 0,"), std::string::npos) << out_;
}

}  // namespace
