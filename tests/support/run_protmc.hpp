// Shared helper for the end-to-end tests that run the built protmc binary.
//
// Contract:
//  - PROTMC_BINARY must be defined (by the test's CMakeLists.txt, as
//    PROTMC_BINARY="$<TARGET_FILE:protmc>") before this header is included.
//  - run_protmc_to(ARGS, OUT, ERR) runs `'PROTMC_BINARY' ARGS >'OUT' 2>'ERR'`
//    through std::system (ARGS is shell text, quoted by the caller), then
//    returns the exit status (128 + signal number if the process was killed
//    by a signal) and the full contents of OUT and ERR. The files are left in
//    place.
//  - run_protmc(ARGS, TAG) does the same with OUT and ERR named
//    testing::TempDir()/protmc_TAG_PID_TESTNAME.{out,err} (TESTNAME is the
//    running GoogleTest test's name), and removes both files afterwards. It
//    must be called from inside a running test.
//  - Neither function fails the test itself; callers assert on the result.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#ifndef PROTMC_BINARY
#error "PROTMC_BINARY must name the built protmc binary (set it in the test's CMakeLists.txt)"
#endif

namespace protmc_test {

// What one protmc run produced.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

// The whole contents of the file at `path` (empty if it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `protmc ARGS` with stdout and stderr redirected to `out_path` and
// `err_path`, and captures everything. Leaves both files in place.
inline RunResult run_protmc_to(const std::string& args, const std::string& out_path,
                               const std::string& err_path) {
  const std::string command =
      std::string("'") + PROTMC_BINARY + "' " + args + " >'" + out_path + "' 2>'" + err_path + "'";
  const int raw = std::system(command.c_str());
  RunResult result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

// Runs `protmc ARGS` with its output captured in per-test temporary files
// named after `tag`, and removes those files.
inline RunResult run_protmc(const std::string& args, const std::string& tag) {
  const std::string stem = testing::TempDir() + "/protmc_" + tag + "_" + std::to_string(getpid()) +
                           "_" + testing::UnitTest::GetInstance()->current_test_info()->name();
  const std::string out_path = stem + ".out";
  const std::string err_path = stem + ".err";
  RunResult result = run_protmc_to(args, out_path, err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return result;
}

}  // namespace protmc_test
