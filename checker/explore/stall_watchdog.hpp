// The stall watchdog of one exploration (ExploreOptions::stall_timeout_s).
//
// A StallWatchdog owns an OS thread that samples a ProgressProbe every
// kStallPollS seconds. When the probe's beats have not moved for the timeout
// (stall_timeout_s, or kStallGraceS once options.interrupted() returns true or
// the time limit has passed) it builds a StallReport from the probe and calls
// options.on_stall on its own thread, once per stall: after a report it waits
// for the beats to move again.
//
// Happens-before: everything the exploring thread did before constructing the
// watchdog is visible to on_stall (std::thread's start synchronizes with the
// constructor); what it does afterwards is seen only through the probe's
// atomics. The destructor stops and joins the thread, so on_stall is never
// running once the watchdog is gone. The watchdog must be destroyed before the
// Executor whose interned names the probe points to.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "checker/explore/explorer.hpp"
#include "checker/runtime/progress_probe.hpp"

namespace protmc::checker {

inline constexpr double kStallPollS = 0.05;

class StallWatchdog {
 public:
  // Starts watching when options.stall_timeout_s > 0 and on_stall is set;
  // otherwise does nothing. `start` is when the exploration began (for the
  // time limit).
  StallWatchdog(const ProgressProbe& probe, const ExploreOptions& options,
                std::chrono::steady_clock::time_point start);
  ~StallWatchdog();
  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;

 private:
  void watch();
  [[nodiscard]] StallReport report(double stalled_s, StallReport::Cause cause,
                                   std::string why) const;

  const ProgressProbe& probe_;
  const ExploreOptions& options_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace protmc::checker
