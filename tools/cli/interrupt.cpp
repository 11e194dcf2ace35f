// See interrupt.hpp.
#include "tools/cli/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace protmc::cli {
namespace {

// Lock-free, so both the signal handler and the watchdog's thread may use it.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_sigint(int /*signal*/) {
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted.store(false);
  previous_ = std::signal(SIGINT, on_sigint);
}

InterruptScope::~InterruptScope() { std::signal(SIGINT, previous_); }

bool interrupted() { return g_interrupted.load(); }

void add_stall_timeout_option(CLI::App& app, double& seconds) {
  app.add_option("--stall-timeout", seconds,
                 "Seconds a model thread may run without calling the engine before protmc "
                 "reports it stalled and stops (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

std::string describe_stall(const checker::StallReport& report) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f s", report.stalled_s);
  std::string text = "model thread '" + report.thread_name + "' made no engine call for " + seconds;
  if (!report.function.empty()) text += ", in " + report.function;
  text += " (execution " + std::to_string(report.execution) + ", step " +
          std::to_string(report.step) + ")";
  return text;
}

void watch_exploration(checker::ExploreOptions& options, const std::string& command,
                       const std::string& label, double stall_timeout_s, StallFinish finish) {
  options.interrupted = [] { return interrupted(); };
  options.stall_timeout_s = stall_timeout_s;
  if (stall_timeout_s <= 0) return;
  options.on_stall = [command, label,
                      finish = std::move(finish)](const checker::StallReport& report) {
    // Runs on the watchdog's thread while the exploring thread is stuck in
    // model code: it cannot be unwound, so this ends the process.
    std::string reason = "stalled: " + describe_stall(report);
    if (report.cause != checker::StallReport::Cause::kTimeout) reason += ", " + report.why;
    std::cerr << "protmc " << command << ": " << label << ": " << reason
              << "; a model thread cannot be stopped outside engine calls, so protmc stops here\n";
    const ExitStatus status = finish(report, reason);
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    std::_Exit(to_int(status));
  };
}

}  // namespace protmc::cli
