// See stall_watchdog.hpp.
#include "checker/explore/stall_watchdog.hpp"

#include <cstdio>
#include <optional>
#include <string>

namespace protmc::checker {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// "30 s", "2.5 s": short, for messages.
std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", seconds);
  return text;
}

}  // namespace

StallWatchdog::StallWatchdog(const ProgressProbe& probe, const ExploreOptions& options,
                             Clock::time_point start)
    : probe_(probe), options_(options), start_(start) {
  if (options.stall_timeout_s > 0 && options.on_stall) thread_ = std::thread([this] { watch(); });
}

StallWatchdog::~StallWatchdog() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

StallReport StallWatchdog::report(double stalled_s, StallReport::Cause cause,
                                  std::string why) const {
  StallReport r;
  r.cause = cause;
  r.execution = probe_.execution.load(std::memory_order_relaxed);
  r.step = probe_.step.load(std::memory_order_relaxed);
  r.thread = probe_.thread.load(std::memory_order_relaxed);
  if (const char* name = probe_.thread_name.load(std::memory_order_relaxed)) r.thread_name = name;
  if (const char* function = probe_.function.load(std::memory_order_relaxed)) r.function = function;
  r.stalled_s = stalled_s;
  r.why = std::move(why);
  return r;
}

void StallWatchdog::watch() {
  uint64_t last_beats = probe_.beats.load(std::memory_order_acquire);
  Clock::time_point last_change = Clock::now();
  bool reported = false;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::duration<double>(kStallPollS),
                         [this] { return stopping_; })) {
    const Clock::time_point now = Clock::now();
    const uint64_t beats = probe_.beats.load(std::memory_order_acquire);
    if (beats != last_beats) {
      last_beats = beats;
      last_change = now;
      reported = false;
      continue;
    }
    if (reported) continue;
    const double stalled_s = seconds_between(last_change, now);
    using Cause = StallReport::Cause;
    std::optional<Cause> cause;
    std::string why;
    if (options_.interrupted && options_.interrupted()) {
      if (stalled_s >= kStallGraceS) {
        cause = Cause::kInterrupted;
        why = "interrupted";
      }
    } else if (options_.bounds.time_limit_s > 0 &&
               seconds_between(start_, now) > options_.bounds.time_limit_s) {
      if (stalled_s >= kStallGraceS) {
        cause = Cause::kTimeLimit;
        why = "time limit of " + seconds_text(options_.bounds.time_limit_s) + " reached";
      }
    }
    if (!cause && stalled_s >= options_.stall_timeout_s) {
      cause = Cause::kTimeout;
      why = "no engine call for " + seconds_text(options_.stall_timeout_s);
    }
    if (!cause) continue;
    reported = true;
    const StallReport stall = report(stalled_s, *cause, std::move(why));
    lock.unlock();
    options_.on_stall(stall);
    lock.lock();
  }
}

}  // namespace protmc::checker
