// Runs a protmc binary in the background and interrupts it like a user's
// Ctrl-C, for the end-to-end interruption tests.
//
// Contract: interrupt_protmc(BINARY, ARGS, DIR, RUNNING) starts BINARY ARGS
// with stdout and stderr in DIR/stdout and DIR/stderr, waits until the process
// has installed a SIGINT handler (at most 30 s) and then RUNNING longer, sends
// SIGINT, and waits at most 60 s for it to exit (then kills it with SIGKILL
// and fails the test). Returns its exit status (128 + signal when killed), the
// whole of both outputs, and how long it took to stop after the SIGINT. Must
// be called from inside a running test.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/run_protmc.hpp"

extern char** environ;

namespace protmc_test {

struct InterruptedRun {
  int status = -1;
  std::string out;
  std::string err;
  std::chrono::steady_clock::duration stopped_after{};
};

// Whether process `pid` has a handler installed for SIGINT (/proc/PID/status).
inline bool catches_sigint(pid_t pid) {
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

inline InterruptedRun interrupt_protmc(const std::string& binary,
                                       const std::vector<std::string>& args,
                                       const std::filesystem::path& dir,
                                       std::chrono::milliseconds running) {
  using Clock = std::chrono::steady_clock;
  InterruptedRun run;
  std::vector<std::string> argv_text = {binary};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string out_path = (dir / "stdout").string();
  const std::string err_path = (dir / "stderr").string();
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(spawned, 0);
  if (spawned != 0) return run;

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
  run.stopped_after = Clock::now() - sent;
  run.out = read_file(out_path);
  run.err = read_file(err_path);
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return run;
}

}  // namespace protmc_test
