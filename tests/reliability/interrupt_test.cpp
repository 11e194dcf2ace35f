// Interruption end to end: `protmc run` on explorations that would run for
// ever (the random strategy never exhausts) is started in the background and
// sent SIGINT; it must stop within seconds, print every result so far (the
// interrupted one incomplete, "interrupted", with its statistics; the ones not
// started yet, also as interrupted), write the traces it already found, and
// exit with status 3 (incomplete).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const fs::path kSource = PROTMC_SOURCE_DIR;

// Whether process `pid` has a handler installed for SIGINT (/proc/PID/status).
bool catches_sigint(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) == 0) {
      const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      return (mask & (1ull << (SIGINT - 1))) != 0;
    }
  }
  return false;
}

class Interrupt : public protmc_test::TempDirTest {
 protected:
  // Starts protmc with `args`, waits until it catches SIGINT and then
  // `running` longer, sends SIGINT and waits (at most 60 s) for it to exit.
  // Returns its exit status (128 + signal when killed); stdout and stderr
  // are in out_ and err_.
  int interrupt_after(const std::vector<std::string>& args, std::chrono::milliseconds running) {
    std::vector<std::string> argv_text = {PROTMC_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out_path = (dir_ / "stdout").string();
    const std::string err_path = (dir_ / "stderr").string();
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(spawned, 0);
    if (spawned != 0) return -1;

    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!catches_sigint(pid) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(running);
    kill(pid, SIGINT);
    const auto sent = Clock::now();
    int raw = 0;
    while (waitpid(pid, &raw, WNOHANG) == 0) {
      if (Clock::now() - sent > std::chrono::seconds(60)) {
        kill(pid, SIGKILL);
        waitpid(pid, &raw, 0);
        ADD_FAILURE() << "protmc did not stop within 60 s of SIGINT";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stopped_after_ = Clock::now() - sent;
    out_ = protmc_test::read_file(out_path);
    err_ = protmc_test::read_file(err_path);
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
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
