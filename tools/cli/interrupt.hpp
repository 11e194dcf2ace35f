// Ctrl-C and stalled models, for every command that explores (run, matrix,
// gate).
//
// The first SIGINT asks the running exploration to stop after its current
// execution (checker::ExploreOptions::interrupted); the command then reports
// what it has, verdict incomplete. The second ends the process at once.
//
// A model thread that loops without calling the engine cannot be stopped
// between steps (model threads are fibers on the exploring thread). The
// engine's stall watchdog notices (after --stall-timeout seconds, or
// checker::kStallGraceS after a Ctrl-C or the time limit) and the command ends
// the process from the watchdog's thread: it prints where the model is stuck,
// lets the command print the results it has, and exits with the status the
// command's `finish` returns (incomplete, or finding if one was already
// reported). Everything the command wrote before the exploration started is
// safe for `finish` to read (see checker/explore/stall_watchdog.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "checker/explore/explorer.hpp"
#include "tools/cli/exit_status.hpp"

namespace protmc::cli {

// --stall-timeout's default, in seconds: far beyond any execution of the
// shipped models (milliseconds), also under the sanitizers.
inline constexpr double kDefaultStallTimeoutS = 30;

// While it exists, SIGINT sets the flag that interrupted() reads (cleared on
// construction); the previous handler is restored on destruction.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  void (*previous_)(int);
};

// --stall-timeout S on `app` (run, matrix, gate), stored in `seconds`.
void add_stall_timeout_option(CLI::App& app, double& seconds);

// Whether SIGINT has arrived in the current InterruptScope. Any thread.
bool interrupted();

// "model thread 'cpu0' made no engine call for 30.0 s, in ttm_bo_vm_fault (execution 3, step 12)"
std::string describe_stall(const checker::StallReport& report);

// What a command prints and returns when an exploration stalls; called on the
// watchdog's thread with the report and its description (the result's
// incomplete reason).
using StallFinish =
    std::function<ExitStatus(const checker::StallReport& report, const std::string& reason)>;

// Sets options.interrupted, and stall detection with `stall_timeout_s` (0:
// off): on a stall, prints "protmc COMMAND: LABEL: stalled: ..." on stderr,
// runs `finish`, flushes and ends the process with its status. `label` names
// the exploration (scenario and proposal, or program).
void watch_exploration(checker::ExploreOptions& options, const std::string& command,
                       const std::string& label, double stall_timeout_s, StallFinish finish);

}  // namespace protmc::cli
